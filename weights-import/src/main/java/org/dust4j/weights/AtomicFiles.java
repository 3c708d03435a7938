package org.dust4j.weights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * The one crash-consistent file writer of the project: every JSON, PNG and safetensors file is written to a temp
 * file in the target directory, fsynced, renamed over the target and the directory fsynced, so after a crash at
 * any instant the target holds either the old or the new complete content. Also: bounded reads of small files
 * (regular files only, size checked before reading), SHA-256 of files, and the fault points that the crash and
 * fault-injection tests hook into ({@link #hook}).
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Body of an atomic write: writes the whole content into {@code ch}. */
    @FunctionalInterface
    public interface ChannelBody {
        void write(FileChannel ch) throws IOException;
    }

    /** Body that writes a file by path (for libraries that only write paths, e.g. image encoders). */
    @FunctionalInterface
    public interface PathBody {
        void write(Path tmp) throws IOException;
    }

    /**
     * A fault point: called with a name (e.g. {@code "write:model.safetensors"}, {@code "rename:trainer.json"},
     * {@code "ckpt:commit"}) before each step of every durable write. Tests install one to throw an
     * {@link IOException} (disk full, I/O error) or an {@link Error} (a simulated kill: no cleanup runs).
     */
    @FunctionalInterface
    public interface FaultHook {
        void at(String point) throws IOException;
    }

    private static volatile FaultHook hook;

    /** Installs (or with null removes) the fault hook; tests only. */
    public static void hook(FaultHook h) {
        hook = h;
    }

    /** Calls the installed fault hook, if any. */
    public static void faultPoint(String point) throws IOException {
        FaultHook h = hook;
        if (h != null) h.at(point);
    }

    /** Writes {@code bytes} to {@code file} atomically (temp, fsync, rename, directory fsync). */
    public static void write(Path file, byte[] bytes) throws IOException {
        write(file, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    /** Writes UTF-8 {@code text} to {@code file} atomically. */
    public static void writeString(Path file, String text) throws IOException {
        write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code file} through a temp file in the same directory, fsync, atomic rename, directory fsync. */
    public static void write(Path file, ChannelBody body) throws IOException {
        writeVia(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
            }
        });
    }

    /** As {@link #write(Path, ChannelBody)} for a body that writes the temp file by path. */
    public static void writeVia(Path file, PathBody body) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        String name = abs.getFileName().toString();
        createDirectories(dir);
        faultPoint("create:" + name);
        Path tmp = Files.createTempFile(dir, "." + name + ".", ".tmp");
        try {
            faultPoint("write:" + name);
            body.write(tmp);
            faultPoint("fsync:" + name);
            fsync(tmp);
            faultPoint("rename:" + name);
            move(tmp, abs);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        faultPoint("dirsync:" + name);
        fsyncDir(dir);
    }

    /**
     * Creates {@code dir} and its missing ancestors, fsyncing the parent of each directory created, so a new file's
     * directory entry chain is durable too.
     */
    public static void createDirectories(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        if (Files.isDirectory(abs)) return;
        Path parent = abs.getParent();
        if (parent != null) createDirectories(parent);
        try {
            Files.createDirectory(abs);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (!Files.isDirectory(abs)) throw e;
            return;
        }
        fsyncDir(parent);
    }

    /** Atomic rename (replacing {@code to}) followed by an fsync of the target's directory. */
    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDir(to.toAbsolutePath().getParent());
    }

    /** fsync of a regular file's content and metadata. */
    public static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /**
     * fsync of a directory, so that renames and creations inside it are durable. Platforms that cannot open a
     * directory for reading (Windows) make the rename durable by themselves; there the call is a no-op.
     */
    public static void fsyncDir(Path dir) throws IOException {
        if (dir == null) return;
        FileChannel d;
        try {
            d = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException | UnsupportedOperationException e) {
            if (System.getProperty("os.name", "").startsWith("Windows")) return;
            throw e instanceof IOException io ? io : new IOException(dir + ": cannot open directory for fsync", e);
        }
        try (d) {
            d.force(true);
        } catch (IOException e) {
            // Linux reports EINVAL/EBADF for fsync on some file systems (e.g. tmpfs) that need none; others are errors
            if (!String.valueOf(e.getMessage()).contains("Invalid argument") && !String.valueOf(e.getMessage()).contains("Bad file")) throw e;
        }
    }

    /**
     * Reads a small file whole after checking that it is a regular file (not a device, FIFO or directory; links
     * are followed) of at most {@code maxBytes}; the errors name {@code what} and the file.
     */
    public static byte[] readCapped(Path file, long maxBytes, String what) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new IOException(file + ": cannot read " + what + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        if (!a.isRegularFile()) throw new IOException(file + ": " + what + " is not a regular file");
        if (a.size() > maxBytes) {
            throw new IOException(file + ": " + what + " is " + a.size() + " bytes, more than the limit of " + maxBytes);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes((int) maxBytes + 1);
            if (b.length > maxBytes) throw new IOException(file + ": " + what + " grew beyond the limit of " + maxBytes + " bytes while reading");
            return b;
        }
    }

    /** {@link #readCapped} as UTF-8 text. */
    public static String readStringCapped(Path file, long maxBytes, String what) throws IOException {
        return new String(readCapped(file, maxBytes, what), StandardCharsets.UTF_8);
    }

    /** Lower-case hex SHA-256 of a file's content (streamed). */
    public static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Deletes a file or a directory tree (no error when absent; links are deleted, not followed). */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
