package org.dust4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dust4j.weights.AtomicFiles;

/**
 * A directory of training checkpoints that survives a kill at any instant. Each checkpoint is a sub-directory
 * {@code ckpt-<seq>-step-<step>} written as {@code .tmp-<name>} (every file atomically and fsynced), completed by
 * a commit marker {@value #COMMIT} written last (the SHA-256 and size of every file), fsynced, and then renamed to
 * its name. Only then are older checkpoints beyond the newest {@code keep} deleted (commit marker first), so the
 * directory always holds at least one complete checkpoint once the first was committed. Resume takes the complete
 * checkpoint with the highest sequence number and verifies every checksum before anything is loaded.
 */
public final class Checkpoints {
    private Checkpoints() {}

    /** The commit marker, written last. */
    public static final String COMMIT = "COMMIT.json";

    /** Complete checkpoints kept by default. */
    public static final int KEEP = 2;

    /** The largest commit marker read. */
    static final long MAX_COMMIT_BYTES = 1L << 20;

    private static final String FORMAT = "dust4j-checkpoint-v1";
    private static final Pattern NAME = Pattern.compile("ckpt-(\\d{9})-step-(\\d{1,19})");
    private static final String TMP = ".tmp-";

    /** Writes the content of a checkpoint into an (empty, new) directory. */
    @FunctionalInterface
    public interface Body {
        void write(Path dir) throws IOException;
    }

    /** One checkpoint directory: its sequence number, step, and whether its commit marker is there. */
    public record Entry(Path dir, long seq, long step, boolean complete) {}

    /**
     * Writes a new checkpoint of {@code step} into {@code root} and keeps the newest {@code keep} complete ones.
     * On an I/O error the partial temp directory is removed and the earlier checkpoints are untouched.
     */
    public static Path save(Path root, long step, int keep, Body body) throws IOException {
        if (keep < 1) throw new IllegalArgumentException("checkpoints: keep must be >= 1, got " + keep);
        Path r = root.toAbsolutePath();
        AtomicFiles.createDirectories(r);
        List<Entry> all = list(r);
        long seq = all.isEmpty() ? 1 : all.getLast().seq() + 1;
        String name = String.format(Locale.ROOT, "ckpt-%09d-step-%d", seq, step);
        Path tmp = r.resolve(TMP + name), dst = r.resolve(name);
        AtomicFiles.deleteTree(tmp);
        try {
            AtomicFiles.faultPoint("ckpt:mkdir");
            Files.createDirectory(tmp);
            body.write(tmp);
            writeCommit(tmp, step);
            AtomicFiles.faultPoint("ckpt:fsync-dir");
            AtomicFiles.fsyncDir(tmp);
            AtomicFiles.faultPoint("ckpt:rename");
            Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.faultPoint("ckpt:fsync-root");
            AtomicFiles.fsyncDir(r);
        } catch (IOException | RuntimeException e) {
            try {
                AtomicFiles.deleteTree(tmp);
            } catch (IOException s) {
                e.addSuppressed(s);
            }
            throw e;
        }
        prune(r, keep);
        return dst;
    }

    /** The commit marker: format, step and {name: {bytes, sha256}} of every file in {@code dir}. */
    private static void writeCommit(Path dir, long step) throws IOException {
        ObjectNode c = ModelConfig.JSON.createObjectNode();
        c.put("format", FORMAT);
        c.put("step", step);
        ObjectNode files = c.putObject("files");
        List<Path> list;
        try (Stream<Path> s = Files.list(dir)) {
            list = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : list) {
            String n = f.getFileName().toString();
            if (n.equals(COMMIT) || n.startsWith(".")) continue;
            ObjectNode e = files.putObject(n);
            e.put("bytes", Files.size(f));
            e.put("sha256", AtomicFiles.sha256(f));
        }
        AtomicFiles.faultPoint("ckpt:commit");
        AtomicFiles.writeString(dir.resolve(COMMIT), ModelConfig.JSON.writeValueAsString(c) + "\n");
    }

    /** Deletes complete checkpoints older than the newest {@code keep}, and incomplete ones older than those. */
    static void prune(Path root, int keep) throws IOException {
        List<Entry> all = list(root);
        List<Entry> complete = all.stream().filter(Entry::complete).toList();
        if (complete.isEmpty()) return;
        long oldestKept = complete.get(Math.max(0, complete.size() - keep)).seq();
        for (Entry e : all) {
            if (e.seq() >= oldestKept) continue;
            AtomicFiles.faultPoint("ckpt:prune");
            Files.deleteIfExists(e.dir().resolve(COMMIT));       // incomplete first: never chosen half-deleted
            AtomicFiles.fsyncDir(e.dir());
            AtomicFiles.deleteTree(e.dir());
        }
        AtomicFiles.fsyncDir(root);
    }

    /** Every checkpoint directory in {@code root} (complete or not), by sequence number. */
    public static List<Entry> list(Path root) throws IOException {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.toList()) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (!m.matches() || !Files.isDirectory(p)) continue;
                long step;
                try {
                    step = Long.parseLong(m.group(2));
                } catch (NumberFormatException e) {
                    continue;                                    // not one of ours
                }
                out.add(new Entry(p, Long.parseLong(m.group(1)), step, Files.isRegularFile(p.resolve(COMMIT))));
            }
        }
        out.sort(Comparator.comparingLong(Entry::seq));
        return out;
    }

    /** The newest complete checkpoint, if any (not yet verified). */
    public static Optional<Path> latest(Path root) throws IOException {
        List<Entry> c = list(root).stream().filter(Entry::complete).toList();
        return c.isEmpty() ? Optional.empty() : Optional.of(c.getLast().dir());
    }

    /**
     * Removes what a kill left behind: temp directories and checkpoint directories without a commit marker.
     * Returns how many were removed.
     */
    public static int cleanStale(Path root) throws IOException {
        if (!Files.isDirectory(root)) return 0;
        int n = 0;
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.toList()) if (p.getFileName().toString().startsWith(TMP)) stale.add(p);
        }
        for (Entry e : list(root)) if (!e.complete()) stale.add(e.dir());
        for (Path p : stale) {
            AtomicFiles.deleteTree(p);
            n++;
        }
        if (n > 0) AtomicFiles.fsyncDir(root);
        return n;
    }

    /**
     * Checks every file recorded in {@code dir}'s commit marker (present, same size, same SHA-256); one line naming
     * the file otherwise. Returns the step the marker records.
     */
    public static long verify(Path dir) throws IOException {
        Path commit = dir.resolve(COMMIT);
        JsonNode c;
        try {
            c = ModelConfig.JSON.readTree(AtomicFiles.readCapped(commit, MAX_COMMIT_BYTES, "checkpoint commit marker"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(commit + ": not a valid commit marker (" + ModelConfig.firstLine(e.getOriginalMessage()) + ")", e);
        }
        if (c == null || !FORMAT.equals(c.path("format").asText()) || !c.path("files").isObject() || !c.path("step").canConvertToExactIntegral()) {
            throw new IOException(commit + ": not a dust4j checkpoint commit marker (format " + FORMAT + ")");
        }
        for (var e : c.get("files").properties()) {
            String name = e.getKey();
            if (name.contains("/") || name.contains("\\") || name.startsWith(".")) throw new IOException(commit + ": bad file name '" + name + "'");
            Path f = dir.resolve(name);
            JsonNode want = e.getValue();
            if (!Files.isRegularFile(f)) throw new IOException(f + ": missing from the checkpoint (" + COMMIT + " lists it)");
            long size = Files.size(f);
            if (size != want.path("bytes").asLong(-1)) {
                throw new IOException(f + ": size " + size + " bytes, but " + COMMIT + " records " + want.path("bytes") + ": the checkpoint is corrupted");
            }
            String sha = AtomicFiles.sha256(f);
            if (!sha.equals(want.path("sha256").asText())) {
                throw new IOException(f + ": SHA-256 " + sha + " differs from " + want.path("sha256").asText() + " recorded in " + COMMIT
                        + ": the checkpoint is corrupted");
            }
        }
        return c.get("step").asLong();
    }
}
