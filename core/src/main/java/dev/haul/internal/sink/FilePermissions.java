package dev.haul.internal.sink;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Modes of the files Haul writes. A part file and its sidecar are owner-only while a download is
 * in progress (they may hold a private body); the finished file gets the mode a newly created file
 * gets from the process umask, or keeps the mode of the file it replaces.
 */
public final class FilePermissions {
    private static final Set<PosixFilePermission> OWNER_ONLY =
            PosixFilePermissions.fromString("rw-------");
    private static volatile Set<PosixFilePermission> umaskDefault;

    private FilePermissions() {
    }

    public static FileAttribute<?>[] ownerOnly(Path path) {
        return posix(path)
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                : new FileAttribute<?>[0];
    }

    /** Gives {@code part} the mode the destination should end up with. Best effort. */
    public static void applyFinal(Path part, Path target) {
        if (!posix(part)) {
            return;
        }
        try {
            Set<PosixFilePermission> mode = Files.isRegularFile(target)
                    ? Files.getPosixFilePermissions(target) : defaultMode(part.getParent());
            Files.setPosixFilePermissions(part, mode);
        } catch (IOException | UnsupportedOperationException e) {
            // the part stays owner-only: narrower than intended, never wider
        }
    }

    /** The mode of a new file under this process's umask, found once by creating one. */
    private static Set<PosixFilePermission> defaultMode(Path dir) throws IOException {
        Set<PosixFilePermission> mode = umaskDefault;
        if (mode == null) {
            Path probe = dir.resolve(".haul-umask-" + ProcessHandle.current().pid() + "-"
                    + System.nanoTime());
            Files.newByteChannel(probe,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS)).close();
            try {
                mode = Files.getPosixFilePermissions(probe);
            } finally {
                Files.deleteIfExists(probe);
            }
            umaskDefault = mode;
        }
        return mode;
    }

    private static boolean posix(Path path) {
        return (path.getFileSystem() == FileSystems.getDefault() ? FileSystems.getDefault()
                : path.getFileSystem()).supportedFileAttributeViews().contains("posix");
    }
}
