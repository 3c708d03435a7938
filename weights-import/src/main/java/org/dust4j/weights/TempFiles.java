package org.dust4j.weights;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * Temporary files and directories for atomic writes (write a temp, then rename it into place) that get the
 * default permissions, i.e. respect the user's umask. {@link Files#createTempFile} makes 0600 files and
 * {@link Files#createTempDirectory} 0700 directories, which the rename would carry over to the final outputs.
 */
public final class TempFiles {
    private TempFiles() {}

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Creates a new empty file {@code dir/prefix<random>suffix} with default permissions. */
    public static Path createFile(Path dir, String prefix, String suffix) throws IOException {
        for (int i = 0; i < 100; i++) {
            Path p = dir.resolve(prefix + Long.toUnsignedString(RANDOM.nextLong(), 36) + suffix);
            try {
                return Files.createFile(p);
            } catch (FileAlreadyExistsException taken) {
                // another name
            }
        }
        throw new IOException("could not create a temporary file in " + dir);
    }

    /** Creates a new directory {@code dir/prefix<random>} with default permissions. */
    public static Path createDirectory(Path dir, String prefix) throws IOException {
        for (int i = 0; i < 100; i++) {
            Path p = dir.resolve(prefix + Long.toUnsignedString(RANDOM.nextLong(), 36));
            try {
                return Files.createDirectory(p);
            } catch (FileAlreadyExistsException taken) {
                // another name
            }
        }
        throw new IOException("could not create a temporary directory in " + dir);
    }
}
