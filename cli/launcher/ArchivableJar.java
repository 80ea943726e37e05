import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Writes a copy of the CLI's jar whose old class files (major version below 50: picocli is built
 * for Java 5) are raised to version 52 with stack maps, so that the JVM's class data archives (the
 * AOT cache on JDK 25, a CDS archive on 17) can hold them: both skip classes older than 50, and
 * loading, verifying and linking picocli's ~190 classes from the jar on every start cost ~55 ms of
 * a 0.22 s {@code haul get} (bench/README.md). The bytecode is unchanged; only the version and the
 * stack maps that version requires are written. Every rewritten class is then verified by loading
 * and linking it, so a class the JVM would refuse is found here, never in a user's run.
 *
 * <p>Run by {@code ./haul} once per build, on a JDK 24+ (the class-file API), as a source file:
 * {@code java ArchivableJar.java IN.jar OUT.jar}. Exit status 0 when OUT was written; anything else
 * leaves no OUT, and the launcher runs IN.
 */
public final class ArchivableJar {
    private static final int OLDEST_ARCHIVABLE = 50;

    private ArchivableJar() {
    }

    public static void main(String[] args) throws Exception {
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        // Two launchers starting at once after a build each write their own copy; the last move wins.
        Path tmp = out.resolveSibling(out.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        List<String> raised = new ArrayList<>();
        try (URLClassLoader jarClasses = new URLClassLoader(new java.net.URL[] {in.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                            .orElse(ClassHierarchyResolver.ofResourceParsing(jarClasses))));
            ClassTransform version = (builder, element) -> {
                if (element instanceof ClassFileVersion) {
                    builder.withVersion(52, 0);
                } else {
                    builder.with(element);
                }
            };
            // Rebuilding every method body is what makes the API compute the stack maps.
            ClassTransform raise = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                    .andThen(version);
            try (JarFile jar = new JarFile(in.toFile());
                 JarOutputStream copy = new JarOutputStream(Files.newOutputStream(tmp))) {
                for (JarEntry e : Collections.list(jar.entries())) {
                    byte[] bytes;
                    try (var s = jar.getInputStream(e)) {
                        bytes = s.readAllBytes();
                    }
                    if (e.getName().endsWith(".class") && !e.getName().endsWith("module-info.class")) {
                        ClassModel model = cf.parse(bytes);
                        if (model.majorVersion() < OLDEST_ARCHIVABLE) {
                            bytes = cf.transformClass(model, raise);
                            raised.add(e.getName());
                        }
                    }
                    JarEntry entry = new JarEntry(e.getName());
                    entry.setTime(e.getTime());
                    copy.putNextEntry(entry);
                    copy.write(bytes);
                    copy.closeEntry();
                }
            }
            verify(tmp, raised);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        System.err.println("haul: " + raised.size() + " classes raised to version 52 in " + out);
    }

    /** Loads and links (which verifies) each raised class; throws if the JVM refuses one. */
    private static void verify(Path jar, List<String> classes) throws IOException, ClassNotFoundException {
        try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {jar.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            for (String name : classes) {
                Class<?> c = Class.forName(name.substring(0, name.length() - ".class".length())
                        .replace('/', '.'), false, loader);
                c.getDeclaredMethods(); // links the class, and linking verifies it
            }
        }
    }
}
