package org.dust4j.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.AtomicFiles;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsWriter;

/**
 * Writes episodes as a dataset directory: safetensors shards plus {@code manifest.json}.
 *
 * <p>Shard {@code shard-NNNNN.safetensors} holds, per episode {@code ep<index>} with T actions:
 * {@code .top} U8 {@code [T+1, Ht, Wt, 3]}, {@code .wrist} U8 {@code [T+1, Hw, Ww, 3]}, and unless the dataset is
 * action-free {@code .state} F32 {@code [T+1, STATE_DIM]} (raw, unpadded) and {@code .actions} F32 {@code [T, 4]}.
 * The manifest records the format, image sizes, dims, the generator settings, the size and SHA-256 of every
 * shard ({@code checksums}, verified by {@link DatasetReader#open}) and per episode its shard, task,
 * instruction, seed, length and success.
 *
 * <p>Nothing is half-written: everything goes into a hidden temporary directory beside the target, which is
 * renamed to the target by {@link #finish()}; {@link #close()} without {@code finish()} deletes it. The target
 * must not exist.
 */
public final class DatasetWriter implements AutoCloseable {
    /** The manifest file name. */
    public static final String MANIFEST = "manifest.json";
    /** The manifest format tag. */
    public static final String FORMAT = "dust4j-sim-dataset";
    /** The manifest format version. */
    public static final int VERSION = 1;

    private final Path out;
    private final Path tmp;
    private final boolean actionFree;
    private final int topSize, wristSize, episodesPerShard;
    private final Map<String, Object> settings;
    private final List<Episode> pending = new ArrayList<>();
    private final List<EpisodeInfo> infos = new ArrayList<>();
    private final List<String> shards = new ArrayList<>();
    private boolean finished;

    /**
     * @param out              the dataset directory to create (must not exist)
     * @param actionFree       store video only (no state, no actions)
     * @param topSize          top view side in pixels
     * @param wristSize        wrist view side in pixels
     * @param episodesPerShard episodes per shard file
     * @param settings         generator settings recorded in the manifest (seed, noise, ...)
     */
    public DatasetWriter(Path out, boolean actionFree, int topSize, int wristSize, int episodesPerShard, Map<String, Object> settings)
            throws IOException {
        if (episodesPerShard < 1) throw new IllegalArgumentException("DatasetWriter: episodes per shard must be >= 1, got " + episodesPerShard);
        this.out = out.toAbsolutePath().normalize();
        if (Files.exists(this.out)) throw new DatasetException("output " + out + " already exists (remove it or choose another path)");
        Path parent = this.out.getParent();
        Files.createDirectories(parent);
        this.tmp = Files.createTempDirectory(parent, "." + this.out.getFileName() + ".tmp-");
        this.actionFree = actionFree;
        this.topSize = topSize;
        this.wristSize = wristSize;
        this.episodesPerShard = episodesPerShard;
        this.settings = settings;
    }

    /** Adds one episode (written when its shard fills up). */
    public void add(Episode ep) throws IOException {
        if (finished) throw new IllegalStateException("DatasetWriter: already finished");
        if (ep.frames().isEmpty()) throw new IllegalArgumentException("DatasetWriter: episode of " + ep.task() + " has no frames");
        Frame f0 = ep.frames().get(0);
        if (f0.topSize() != topSize || f0.wristSize() != wristSize)
            throw new IllegalArgumentException("DatasetWriter: episode images are " + f0.topSize() + "/" + f0.wristSize()
                    + ", dataset is " + topSize + "/" + wristSize);
        if (!actionFree && (ep.actions() == null || ep.actions().size() != ep.length()))
            throw new IllegalArgumentException("DatasetWriter: episode of " + ep.task() + " has no actions for an action-labelled dataset");
        pending.add(ep);
        if (pending.size() == episodesPerShard) flush();
    }

    /** Number of episodes added so far. */
    public int size() { return infos.size() + pending.size(); }

    private void flush() throws IOException {
        if (pending.isEmpty()) return;
        String shard = String.format("shard-%05d.safetensors", shards.size());
        SafetensorsWriter w = new SafetensorsWriter();
        w.metadata(Map.of("format", FORMAT, "version", Integer.toString(VERSION)));
        for (Episode ep : pending) {
            EpisodeInfo info = new EpisodeInfo(infos.size(), shard, ep.task(), ep.instruction(), ep.seed(), ep.length(), ep.success());
            int n = ep.frames().size();
            byte[] top = new byte[n * topSize * topSize * 3];
            byte[] wrist = new byte[n * wristSize * wristSize * 3];
            for (int t = 0; t < n; t++) {
                Frame f = ep.frames().get(t);
                System.arraycopy(f.top(), 0, top, t * f.top().length, f.top().length);
                System.arraycopy(f.wrist(), 0, wrist, t * f.wrist().length, f.wrist().length);
            }
            w.putRaw(info.key() + ".top", SafeDType.U8, new long[] {n, topSize, topSize, 3}, top);
            w.putRaw(info.key() + ".wrist", SafeDType.U8, new long[] {n, wristSize, wristSize, 3}, wrist);
            if (!actionFree) {
                float[] st = new float[n * World.STATE_DIM];
                for (int t = 0; t < n; t++) System.arraycopy(ep.states().get(t), 0, st, t * World.STATE_DIM, World.STATE_DIM);
                float[] ac = new float[ep.length() * World.ACTION_DIM];
                for (int t = 0; t < ep.length(); t++) System.arraycopy(ep.actions().get(t), 0, ac, t * World.ACTION_DIM, World.ACTION_DIM);
                w.put(info.key() + ".state", Tensor.of(st, n, World.STATE_DIM));
                w.put(info.key() + ".actions", Tensor.of(ac, Math.max(ep.length(), 0), World.ACTION_DIM));
            }
            infos.add(info);
        }
        w.write(tmp.resolve(shard));
        shards.add(shard);
        pending.clear();
    }

    /** Writes the last shard and the manifest and moves the dataset into place; returns its path. */
    public Path finish() throws IOException {
        if (finished) throw new IllegalStateException("DatasetWriter: already finished");
        flush();
        if (infos.isEmpty()) throw new DatasetException("DatasetWriter: no episodes to write to " + out);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode m = json.createObjectNode();
        m.put("format", FORMAT);
        m.put("version", VERSION);
        m.put("action_free", actionFree);
        m.put("top_size", topSize);
        m.put("wrist_size", wristSize);
        m.put("state_dim", World.STATE_DIM);
        m.put("action_dim", World.ACTION_DIM);
        m.set("settings", json.valueToTree(settings));
        ArrayNode sh = m.putArray("shards");
        shards.forEach(sh::add);
        ObjectNode sums = m.putObject("checksums");
        for (String shard : shards) {
            ObjectNode c = sums.putObject(shard);
            c.put("bytes", Files.size(tmp.resolve(shard)));
            c.put("sha256", AtomicFiles.sha256(tmp.resolve(shard)));
        }
        ArrayNode eps = m.putArray("episodes");
        for (EpisodeInfo e : infos) {
            ObjectNode o = eps.addObject();
            o.put("index", e.index());
            o.put("shard", e.shard());
            o.put("task", e.task());
            o.put("instruction", e.instruction());
            o.put("seed", e.seed());
            o.put("length", e.length());
            o.put("success", e.success());
        }
        AtomicFiles.writeString(tmp.resolve(MANIFEST), json.writeValueAsString(m) + "\n");
        AtomicFiles.fsyncDir(tmp);
        if (Files.exists(out)) throw new DatasetException("output " + out + " appeared while writing (left untouched)");
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.fsyncDir(out.getParent());
        finished = true;
        return out;
    }

    /** Deletes the temporary directory unless {@link #finish()} succeeded. */
    @Override
    public void close() throws IOException {
        if (finished || !Files.exists(tmp)) return;
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
