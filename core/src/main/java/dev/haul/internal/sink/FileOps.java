package dev.haul.internal.sink;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.util.Set;

/**
 * The file operations of the file destination, behind a seam so tests can inject disk-full,
 * failing {@code force()} and failing renames.
 */
public interface FileOps {
    FileOps DEFAULT = new FileOps() {
    };

    default FileChannel open(Path path, Set<? extends OpenOption> options,
            FileAttribute<?>... attributes) throws IOException {
        return FileChannel.open(path, options, attributes);
    }

    default void move(Path source, Path target, CopyOption... options) throws IOException {
        Files.move(source, target, options);
    }
}
