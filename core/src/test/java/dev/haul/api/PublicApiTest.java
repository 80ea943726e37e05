package dev.haul.api;

import static org.junit.jupiter.api.Assertions.fail;

import dev.haul.DownloadManager;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The API baseline of the exported package: every public and protected type, constructor, method
 * and field of {@code dev.haul}, as compiled, must match {@code core/api/dev.haul.api}. A change to
 * the public API is then a change to that file too, made on purpose and seen in review (the idea
 * of OkHttp's binary-compatibility-validator {@code .api} files, without a released baseline).
 *
 * <p>To accept a change, regenerate the file and commit it with the change:
 * {@value #UPDATE_COMMAND}
 */
class PublicApiTest {
    private static final String PACKAGE = "dev.haul";
    private static final String UPDATE_COMMAND =
            "mvn -B -pl core test -Dtest=PublicApiTest -Dhaul.api.update=true";

    @Test
    void compiledApiMatchesTheCommittedBaseline() throws Exception {
        Path file = Path.of(System.getProperty("basedir", ".")).resolve("api/dev.haul.api");
        List<String> actual = dump();
        if (Boolean.getBoolean("haul.api.update")) {
            Files.createDirectories(file.getParent());
            Files.write(file, actual, StandardCharsets.UTF_8);
            System.out.println("PublicApiTest: wrote " + file.toAbsolutePath());
            return;
        }
        List<String> expected = Files.exists(file)
                ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        if (!expected.equals(actual)) {
            Set<String> removed = new LinkedHashSet<>(expected);
            actual.forEach(removed::remove);
            Set<String> added = new LinkedHashSet<>(actual);
            expected.forEach(added::remove);
            StringBuilder s = new StringBuilder("The public API of " + PACKAGE
                    + " differs from " + file + ".\nIf the change is intended, regenerate the file"
                    + " and commit it with the change:\n    " + UPDATE_COMMAND + "\n");
            removed.forEach(l -> s.append("- ").append(l).append('\n'));
            added.forEach(l -> s.append("+ ").append(l).append('\n'));
            if (removed.isEmpty() && added.isEmpty()) {
                s.append("(same lines, another order)\n");
            }
            fail(s.toString());
        }
    }

    /** The API as lines: types sorted by name, each followed by its members, sorted. */
    static List<String> dump() throws IOException, URISyntaxException, ReflectiveOperationException {
        Path classes = Path.of(DownloadManager.class.getProtectionDomain().getCodeSource()
                .getLocation().toURI()).resolve(PACKAGE.replace('.', '/'));
        TreeMap<String, Class<?>> types = new TreeMap<>();
        try (Stream<Path> files = Files.list(classes)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".class") || name.equals("package-info.class")) {
                    continue;
                }
                Class<?> c = Class.forName(PACKAGE + "." + name.substring(0, name.length() - 6),
                        false, DownloadManager.class.getClassLoader());
                if (exported(c)) {
                    types.put(c.getName(), c);
                }
            }
        }
        List<String> lines = new ArrayList<>();
        for (Class<?> c : types.values()) {
            lines.add(type(c));
            List<String> members = new ArrayList<>();
            for (Field f : c.getDeclaredFields()) {
                if (visible(f.getModifiers()) && !f.isSynthetic()) {
                    members.add(field(f));
                }
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (visible(k.getModifiers()) && !k.isSynthetic()) {
                    members.add(executable(k, null, c.getName()));
                }
            }
            for (Method m : c.getDeclaredMethods()) {
                if (visible(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
                    members.add(executable(m, m.getGenericReturnType(), m.getName()));
                }
            }
            members.stream().sorted().forEach(m -> lines.add("  " + m));
            lines.add("");
        }
        return lines;
    }

    /** Whether code outside the package can name {@code c}: it and every enclosing type. */
    private static boolean exported(Class<?> c) {
        if (c.isAnonymousClass() || c.isLocalClass() || c.isSynthetic()) {
            return false;
        }
        for (Class<?> t = c; t != null; t = t.getDeclaringClass()) {
            if (!visible(t.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static String type(Class<?> c) {
        int mask = Modifier.PUBLIC | Modifier.PROTECTED | Modifier.STATIC | Modifier.FINAL
                | (c.isInterface() ? 0 : Modifier.ABSTRACT);
        String kind = c.isAnnotation() ? "@interface" : c.isInterface() ? "interface"
                : c.isEnum() ? "enum" : c.isRecord() ? "record" : "class";
        StringBuilder s = new StringBuilder(modifiers(c.getModifiers() & mask));
        if (c.isSealed()) {
            s.append("sealed ");
        }
        s.append(kind).append(' ').append(c.getName()).append(typeParameters(c.getTypeParameters()));
        Type superclass = c.getGenericSuperclass();
        if (superclass != null && superclass != Object.class && !c.isEnum() && !c.isRecord()) {
            s.append(" extends ").append(superclass.getTypeName());
        }
        Type[] interfaces = c.getGenericInterfaces();
        if (interfaces.length > 0) {
            s.append(c.isInterface() ? " extends " : " implements ").append(names(interfaces));
        }
        if (c.isSealed()) {
            s.append(" permits ").append(Arrays.stream(c.getPermittedSubclasses())
                    .map(Class::getName).sorted().collect(Collectors.joining(", ")));
        }
        return s.toString();
    }

    private static String field(Field f) throws IllegalAccessException {
        String s = modifiers(f.getModifiers()) + f.getGenericType().getTypeName() + " "
                + f.getName();
        boolean constant = Modifier.isStatic(f.getModifiers()) && Modifier.isFinal(f.getModifiers())
                && (f.getType().isPrimitive() || f.getType() == String.class);
        // A constant is compiled into its callers: its value is part of the API.
        return constant ? s + " = " + f.get(null) : s;
    }

    private static String executable(Executable e, Type returnType, String name) {
        int mask = Modifier.PUBLIC | Modifier.PROTECTED | Modifier.STATIC | Modifier.FINAL
                | Modifier.ABSTRACT | Modifier.SYNCHRONIZED;
        StringBuilder s = new StringBuilder(modifiers(e.getModifiers() & mask));
        if (e instanceof Method m && m.isDefault()) {
            s.append("default ");
        }
        String typeParameters = typeParameters(e.getTypeParameters());
        if (!typeParameters.isEmpty()) {
            s.append(typeParameters).append(' ');
        }
        if (returnType != null) {
            s.append(returnType.getTypeName()).append(' ');
        }
        String parameters = names(e.getGenericParameterTypes());
        if (e.isVarArgs()) {
            parameters = parameters.substring(0, parameters.length() - 2) + "...";
        }
        s.append(name).append('(').append(parameters).append(')');
        if (e.getGenericExceptionTypes().length > 0) {
            s.append(" throws ").append(names(e.getGenericExceptionTypes()));
        }
        return s.toString();
    }

    private static String typeParameters(TypeVariable<?>[] variables) {
        if (variables.length == 0) {
            return "";
        }
        return Arrays.stream(variables).map(v -> {
            Type[] bounds = v.getBounds();
            boolean plain = bounds.length == 1 && bounds[0] == Object.class;
            return plain ? v.getName() : v.getName() + " extends " + Arrays.stream(bounds)
                    .map(Type::getTypeName).collect(Collectors.joining(" & "));
        }).collect(Collectors.joining(", ", "<", ">"));
    }

    private static String names(Type[] types) {
        return Arrays.stream(types).map(Type::getTypeName).collect(Collectors.joining(", "));
    }

    private static String modifiers(int modifiers) {
        String s = Modifier.toString(modifiers);
        return s.isEmpty() ? "" : s + " ";
    }
}
