package org.dust4j.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.dust4j.weights.AtomicFiles;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsFile;
import org.dust4j.weights.TensorInfo;

/**
 * Reads a dataset written by {@link DatasetWriter}. Opening checks the manifest and every shard (header,
 * each episode's tensors present with the dtype and shape the manifest implies) so a corrupt, truncated or
 * empty shard is a one-line {@link DatasetException} naming the file, before training starts. Shards stay
 * memory-mapped; frames are decoded on demand, so a dataset larger than memory streams from disk.
 */
public final class DatasetReader implements AutoCloseable {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path dir;
    private final boolean actionFree;
    private final int topSize, wristSize;
    private final List<EpisodeInfo> episodes;
    private final Map<String, SafetensorsFile> shards;
    private final MemorySegment[][] segs;   // per episode: top, wrist, state, actions

    private DatasetReader(Path dir, boolean actionFree, int topSize, int wristSize, List<EpisodeInfo> episodes,
                          Map<String, SafetensorsFile> shards, MemorySegment[][] segs) {
        this.dir = dir;
        this.actionFree = actionFree;
        this.topSize = topSize;
        this.wristSize = wristSize;
        this.episodes = episodes;
        this.shards = shards;
        this.segs = segs;
    }

    /** The largest manifest read (about 150 bytes per episode). */
    public static final long MAX_MANIFEST_BYTES = 64L << 20;

    /** The largest image side a manifest may declare. */
    static final int MAX_IMAGE = 4096;

    /**
     * Checks the size and SHA-256 of every shard in the manifest's {@code checksums} (datasets written before
     * checksums were recorded have none; they are read unverified).
     */
    private static void verifyChecksums(Path dir, JsonNode sums) throws IOException {
        if (sums.isMissingNode()) return;
        if (!sums.isObject()) throw new DatasetException("dataset " + dir + ": \"checksums\" must be an object of shard to {bytes, sha256}");
        for (var e : sums.properties()) {
            String shard = e.getKey();
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith("."))
                throw new DatasetException("dataset " + dir + ": checksums name a bad shard '" + firstLine(shard) + "'");
            Path p = dir.resolve(shard);
            if (!Files.isRegularFile(p)) throw new DatasetException("dataset " + dir + ": shard " + shard + " is missing");
            long size = Files.size(p);
            if (size != e.getValue().path("bytes").asLong(-1))
                throw new DatasetException("dataset shard " + p + ": " + size + " bytes, the manifest records " + e.getValue().path("bytes") + " (truncated or replaced?)");
            String sha = AtomicFiles.sha256(p);
            if (!sha.equals(e.getValue().path("sha256").asText()))
                throw new DatasetException("dataset shard " + p + ": SHA-256 " + sha + " differs from the manifest's " + firstLine(e.getValue().path("sha256").asText())
                        + " (the file is corrupted)");
        }
    }

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /**
     * Opens and validates the dataset in {@code dir}: the manifest (a regular file of at most
     * {@link #MAX_MANIFEST_BYTES}, no duplicate keys), the size and SHA-256 of every shard it records, and every
     * episode's tensors.
     */
    public static DatasetReader open(Path dir) throws IOException {
        Path mf = dir.resolve(DatasetWriter.MANIFEST);
        JsonNode m;
        if (!Files.exists(mf)) throw new DatasetException("dataset " + dir + ": no " + DatasetWriter.MANIFEST + " (not a dust4j dataset directory?)");
        byte[] text;
        try {
            text = AtomicFiles.readCapped(mf, MAX_MANIFEST_BYTES, "dataset manifest");
        } catch (IOException e) {
            throw new DatasetException("dataset " + dir + ": " + firstLine(e.getMessage()), e);
        }
        try {
            m = STRICT.readTree(text);
        } catch (IOException e) {
            throw new DatasetException("dataset " + dir + ": " + DatasetWriter.MANIFEST + " is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (m == null || !m.isObject() || !DatasetWriter.FORMAT.equals(m.path("format").asText()))
            throw new DatasetException("dataset " + dir + ": " + DatasetWriter.MANIFEST + " has format '" + (m == null ? "" : m.path("format").asText())
                    + "', expected '" + DatasetWriter.FORMAT + "'");
        if (m.path("version").asInt(-1) != DatasetWriter.VERSION)
            throw new DatasetException("dataset " + dir + ": unsupported version " + m.path("version") + " (this build reads " + DatasetWriter.VERSION + ")");
        if (m.path("state_dim").asInt() != World.STATE_DIM || m.path("action_dim").asInt() != World.ACTION_DIM)
            throw new DatasetException("dataset " + dir + ": state/action dims " + m.path("state_dim") + "/" + m.path("action_dim")
                    + " differ from this simulator's " + World.STATE_DIM + "/" + World.ACTION_DIM);
        boolean actionFree = m.path("action_free").asBoolean(false);
        int top = m.path("top_size").asInt(0), wrist = m.path("wrist_size").asInt(0);
        if (top < 1 || wrist < 1 || top > MAX_IMAGE || wrist > MAX_IMAGE)
            throw new DatasetException("dataset " + dir + ": bad image sizes " + top + "/" + wrist + " (1 to " + MAX_IMAGE + " px)");
        if (!m.path("episodes").isArray()) throw new DatasetException("dataset " + dir + ": " + DatasetWriter.MANIFEST + " has no \"episodes\" array");
        verifyChecksums(dir, m.path("checksums"));
        List<EpisodeInfo> eps = new ArrayList<>();
        for (JsonNode e : m.path("episodes")) {
            eps.add(new EpisodeInfo(e.path("index").asInt(), e.path("shard").asText(), e.path("task").asText(), e.path("instruction").asText(),
                    e.path("seed").asLong(), e.path("length").asInt(-1), e.path("success").asBoolean()));
        }
        if (eps.isEmpty()) throw new DatasetException("dataset " + dir + " has no episodes");
        Map<String, SafetensorsFile> files = new HashMap<>();
        MemorySegment[][] segs = new MemorySegment[eps.size()][];
        try {
            for (int i = 0; i < eps.size(); i++) {
                EpisodeInfo e = eps.get(i);
                if (e.length() < 0) throw new DatasetException("dataset " + dir + ": episode " + e.index() + " has no valid length");
                if (e.shard().isEmpty() || e.shard().contains("/") || e.shard().contains("\\"))
                    throw new DatasetException("dataset " + dir + ": episode " + e.index() + " names a bad shard '" + firstLine(e.shard()) + "'");
                SafetensorsFile f = files.get(e.shard());
                if (f == null) {
                    Path p = dir.resolve(e.shard());
                    if (!Files.isRegularFile(p)) throw new DatasetException("dataset " + dir + ": shard " + firstLine(e.shard()) + " is missing");
                    try {
                        f = SafetensorsFile.open(p);
                    } catch (IOException ex) {
                        throw new DatasetException("dataset shard " + p + " is unreadable: " + firstLine(ex.getMessage()), ex);
                    }
                    files.put(e.shard(), f);
                }
                int n = e.length() + 1;
                MemorySegment[] s = new MemorySegment[4];
                s[0] = expect(f, e.key() + ".top", SafeDType.U8, n, top, top, 3);
                s[1] = expect(f, e.key() + ".wrist", SafeDType.U8, n, wrist, wrist, 3);
                if (!actionFree) {
                    s[2] = expect(f, e.key() + ".state", SafeDType.F32, n, World.STATE_DIM);
                    s[3] = expect(f, e.key() + ".actions", SafeDType.F32, e.length(), World.ACTION_DIM);
                }
                segs[i] = s;
            }
        } catch (IOException | RuntimeException ex) {
            files.values().forEach(SafetensorsFile::close);
            throw ex;
        }
        return new DatasetReader(dir, actionFree, top, wrist, List.copyOf(eps), files, segs);
    }

    private static MemorySegment expect(SafetensorsFile f, String name, SafeDType dt, long... shape) throws DatasetException {
        if (!f.names().contains(name))
            throw new DatasetException("dataset shard " + f.path() + ": tensor " + name + " is missing");
        try {
            TensorInfo info = f.info(name);
            if (info.dtype() != dt || !Arrays.equals(info.shape(), shape))
                throw new DatasetException("dataset shard " + f.path() + ": tensor " + name + " is " + info.dtype() + " " + info.shapeString()
                        + ", expected " + dt + " " + Arrays.toString(shape));
            return f.segment(name);
        } catch (DatasetException e) {
            throw e;
        } catch (IOException e) {
            throw new DatasetException("dataset shard " + f.path() + ": " + firstLine(e.getMessage()), e);
        }
    }

    /** The first line of a message, cut to 300 characters (manifests may quote long values). */
    private static String firstLine(String s) {
        String l = s == null ? "" : s.lines().findFirst().orElse("");
        return l.length() > 300 ? l.substring(0, 300) + "..." : l;
    }

    /** The dataset directory. */
    public Path dir() { return dir; }
    /** True for a video-only dataset. */
    public boolean actionFree() { return actionFree; }
    /** Top view side in pixels. */
    public int topSize() { return topSize; }
    /** Wrist view side in pixels. */
    public int wristSize() { return wristSize; }
    /** The manifest entries, in index order. */
    public List<EpisodeInfo> episodes() { return episodes; }
    /** Total number of actions (steps) over all episodes. */
    public long totalSteps() { return episodes.stream().mapToLong(EpisodeInfo::length).sum(); }

    /** Frame {@code t} (0..T) of episode {@code ep}. */
    public Frame frame(int ep, int t) {
        EpisodeInfo e = episodes.get(ep);
        checkIndex(t, e.length() + 1, "frame");
        int nt = topSize * topSize * 3, nw = wristSize * wristSize * 3;
        byte[] top = segs[ep][0].asSlice((long) t * nt, nt).toArray(ValueLayout.JAVA_BYTE);
        byte[] wrist = segs[ep][1].asSlice((long) t * nw, nw).toArray(ValueLayout.JAVA_BYTE);
        return new Frame(top, topSize, wrist, wristSize);
    }

    /** Raw state {@code t} (0..T) of episode {@code ep}; zeros for an action-free dataset. */
    public float[] state(int ep, int t) {
        checkIndex(t, episodes.get(ep).length() + 1, "state");
        return floats(segs[ep][2], t, World.STATE_DIM);
    }

    /** Raw action {@code t} (0..T-1) of episode {@code ep}; zeros for an action-free dataset. */
    public float[] action(int ep, int t) {
        checkIndex(t, episodes.get(ep).length(), "action");
        return floats(segs[ep][3], t, World.ACTION_DIM);
    }

    private static float[] floats(MemorySegment s, int row, int n) {
        float[] out = new float[n];
        if (s == null) return out;
        for (int i = 0; i < n; i++) out[i] = s.getAtIndex(F32_LE, (long) row * n + i);
        return out;
    }

    /** The whole episode {@code ep} (actions null when action-free). */
    public Episode load(int ep) {
        EpisodeInfo e = episodes.get(ep);
        List<Frame> frames = new ArrayList<>();
        List<float[]> states = new ArrayList<>();
        List<float[]> actions = actionFree ? null : new ArrayList<>();
        for (int t = 0; t <= e.length(); t++) {
            frames.add(frame(ep, t));
            states.add(state(ep, t));
            if (!actionFree && t < e.length()) actions.add(action(ep, t));
        }
        return new Episode(e.task(), e.instruction(), e.seed(), frames, states, actions, e.success());
    }

    @Override
    public void close() {
        shards.values().forEach(SafetensorsFile::close);
    }

    private static void checkIndex(int i, int n, String what) {
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("dataset " + what + " index " + i + " out of range [0, " + n + ")");
    }
}
