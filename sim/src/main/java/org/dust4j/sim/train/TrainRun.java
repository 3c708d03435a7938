package org.dust4j.sim.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.dust4j.model.Checkpoints;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.tensor.Device;
import org.dust4j.model.Trainer;
import org.dust4j.sim.BatchSampler;
import org.dust4j.sim.DatasetReader;
import org.dust4j.sim.VisionLanguageEncoder;
import org.dust4j.tensor.Rng;
import org.dust4j.weights.AtomicFiles;

/**
 * One training run on a simulator dataset, laid out in a run directory:
 * <pre>
 *   run.json        settings (config, dataset, steps, batch, lr, seed): a resume must match them
 *   sim.json        encoder and camera settings ({@link SimSpec})
 *   checkpoint/     resumable checkpoints (Trainer.save: model + AdamW state + step), ckpt-*-step-N with a COMMIT.json, newest 2 kept
 *   metrics.jsonl   one JSON line per optimizer step (loss, loss_action, loss_wm, lr, grad_norm, elapsed_s)
 *   model/          the final model (config.json, model.safetensors, sim.json), written when training ends
 * </pre>
 * Batches are a pure function of (seed, step): the sampler of step s is seeded with {@code Rng.bits(seed', s)},
 * so a resumed run sees the same data and noise as an uninterrupted one and ends with identical weights.
 */
public final class TrainRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads metrics lines, including the bare NaN that files written before the Jackson writer may hold. */
    private static final ObjectMapper LENIENT = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /** Training settings. */
    public record Settings(int steps, int batchSize, float lr, long seed, int checkpointEvery) {
        public Settings {
            if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
            if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
            if (!(lr > 0)) throw new IllegalArgumentException("--lr must be > 0, got " + lr);
            if (checkpointEvery < 1) throw new IllegalArgumentException("--checkpoint-every must be >= 1, got " + checkpointEvery);
        }
    }

    /** Progress callbacks (all optional). */
    public interface Listener {
        /** After each optimizer step; {@code stepsPerSecond} over the recent steps. */
        default void onStep(Trainer.StepResult r, double stepsPerSecond) {}

        /** After each checkpoint was written (metrics.jsonl is flushed up to {@code step}). */
        default void onCheckpoint(long step) {}
    }

    /** What a run did. */
    public record Summary(Path modelDir, long steps, long resumedFrom, double seconds, long parameters, double finalLoss) {}

    private TrainRun() {}

    /** The settings document stored in run.json. */
    static ObjectNode settingsJson(ModelConfig cfg, Path data, Settings s) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", "dust4j-train-run-v1");
        n.set("config", JSON.readTree(cfg.toJson()));
        n.put("dataset", data.toAbsolutePath().normalize().toString());
        n.put("steps", s.steps());
        n.put("batch_size", s.batchSize());
        n.put("lr", Double.parseDouble(Float.toString(s.lr())));
        n.put("seed", s.seed());
        return n;
    }

    /** The largest run.json read. */
    static final long MAX_RUN_JSON_BYTES = 1L << 20;

    /**
     * Trains (or, with {@code resume}, continues) the run in {@code out}. A fresh run refuses an existing
     * non-empty {@code out}, except the leftovers of a run with the same settings that was killed before its first
     * checkpoint: that one restarts in place. A resume refuses a run whose settings differ, cleans what a kill left
     * behind (temp files and folders) and continues from the newest complete checkpoint (or, if the run was killed
     * before its first checkpoint, from the start). Training stops with a one-line error on a non-finite loss or
     * gradient, keeping the checkpoints.
     */
    public static Summary run(Path data, ModelConfig cfg, SimSpec spec, Settings s, Path out, boolean resume, Listener listener) throws IOException {
        return run(data, cfg, spec, s, out, resume, listener, Device.CPU);
    }

    /** As {@link #run(Path, ModelConfig, SimSpec, Settings, Path, boolean, Listener)} with the model trained on {@code device}. */
    public static Summary run(Path data, ModelConfig cfg, SimSpec spec, Settings s, Path out, boolean resume, Listener listener, Device device)
            throws IOException {
        Listener l = listener == null ? new Listener() {} : listener;
        spec.checkAgainst(cfg, "train");
        Path ckpt = out.resolve("checkpoint"), runJson = out.resolve("run.json"), metrics = out.resolve("metrics.jsonl");
        ObjectNode settings = (ObjectNode) JSON.readTree(settingsJson(cfg, data, s).toString());   // node types as they read back
        boolean hasRun = Files.isRegularFile(runJson);
        Optional<Path> latest = hasRun ? Trainer.checkpointIn(ckpt) : Optional.empty();
        if (resume) {
            if (!hasRun) {
                throw new IllegalArgumentException("--resume: " + out + " holds no checkpoint (expected " + runJson + " and " + ckpt + "/ckpt-*/"
                        + Checkpoints.COMMIT + ")");
            }
            String diff = firstDifference(readRunJson(runJson), settings);
            if (diff != null) throw new IllegalArgumentException("--resume: the checkpoint in " + out + " was made with other settings (" + diff + ")");
        } else if (Files.exists(out) && (!Files.isDirectory(out) || hasEntries(out))) {
            boolean restartable = onlyTempFiles(out)
                    || (hasRun && latest.isEmpty() && !Files.exists(out.resolve("model")) && firstDifference(readRunJson(runJson), settings) == null);
            if (!restartable) {
                throw new IllegalArgumentException(out + " already exists and is not empty (use --resume to continue it, or another --out)");
            }
        }
        try (DatasetReader reader = DatasetReader.open(data)) {
            if (reader.actionFree()) throw new IllegalArgumentException("dataset " + data + " is action-free (video only); train needs actions");
            if (reader.topSize() != spec.topSize() || reader.wristSize() != spec.wristSize())
                throw new IllegalArgumentException("dataset " + data + " has " + reader.topSize() + "/" + reader.wristSize() + " px images, the encoder expects "
                        + spec.topSize() + "/" + spec.wristSize());
            Trainer trainer;
            long resumedFrom = 0;
            double elapsedBefore = 0;
            cleanTemp(out);
            Checkpoints.cleanStale(ckpt);
            if (latest.isPresent()) {
                trainer = Trainer.resume(ckpt);
                if (!trainer.model().config().toJson().equals(cfg.toJson()))
                    throw new IllegalArgumentException("--resume: the checkpoint in " + ckpt + " is for another model config");
                resumedFrom = trainer.step();
                elapsedBefore = truncateMetrics(metrics, resumedFrom);
            } else {
                // a fresh run, or one killed before its first checkpoint: (re)start in place
                PolicyModel.requireMemory(cfg, 4, "train");
                AtomicFiles.createDirectories(out);
                AtomicFiles.writeString(runJson, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(settings) + "\n");
                spec.write(out);
                PolicyModel m = PolicyModel.create(cfg, s.seed());
                m.zeroAdaLn();
                trainer = new Trainer(m, s.seed(), Trainer.Options.defaults(s.steps(), s.seed()).withLr(s.lr()));
                Files.deleteIfExists(metrics);
            }
            trainer.model().to(device);                          // parameters on the device; AdamW's moments follow on the first step
            VisionLanguageEncoder enc = spec.newEncoder();
            BatchSampler.Spec bs = spec.samplerSpec();
            long dataSeed = Rng.bits(s.seed(), 0x5EEDL);
            Trainer.Data d = (step, micro) -> new BatchSampler(reader, bs, enc, Rng.bits(dataSeed, step)).next(s.batchSize()).asMap();
            long t0 = System.nanoTime();
            double lastLoss = Double.NaN;
            long[] window = new long[16];
            int wn = 0;
            try (FileChannel w = FileChannel.open(metrics, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                while (trainer.step() < s.steps()) {
                    Trainer.StepResult r = trainer.trainStep(d);
                    long now = System.nanoTime();
                    window[wn++ % window.length] = now;
                    int k = Math.min(wn, window.length);
                    long first = k < window.length ? t0 : window[wn % window.length];
                    double sps = (k < window.length ? k : k - 1) / Math.max(1e-9, (now - first) / 1e9);
                    double elapsed = elapsedBefore + (now - t0) / 1e9;
                    lastLoss = r.loss();
                    ByteBuffer line = ByteBuffer.wrap(metricsLine(r, elapsed).getBytes(StandardCharsets.UTF_8));
                    while (line.hasRemaining()) w.write(line);
                    l.onStep(r, sps);
                    if (r.step() % s.checkpointEvery() == 0 || r.step() == s.steps()) {
                        w.force(true);                     // the metrics of every checkpointed step are on disk first
                        trainer.save(ckpt);
                        l.onCheckpoint(r.step());
                    }
                }
            }
            Path model = out.resolve("model");
            Path tmp = out.resolve(".model.tmp-" + System.nanoTime());
            trainer.model().save(tmp);
            spec.write(tmp);
            AtomicFiles.fsyncDir(tmp);
            if (Files.exists(model)) {
                Path old = out.resolve(".model.old-" + System.nanoTime());
                Files.move(model, old, StandardCopyOption.ATOMIC_MOVE);
                AtomicFiles.move(tmp, model);
                AtomicFiles.deleteTree(old);
            } else {
                AtomicFiles.move(tmp, model);
            }
            long params = trainer.model().parameters().stream().mapToLong(p -> p.value().numel()).sum();
            return new Summary(model, trainer.step(), resumedFrom, elapsedBefore + (System.nanoTime() - t0) / 1e9, params, lastLoss);
        }
    }

    /** One metrics.jsonl line, written by Jackson (a NaN or Infinity becomes the string "NaN" / "Infinity": valid JSON). */
    static String metricsLine(Trainer.StepResult r, double elapsed) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", r.step());
        n.put("loss", r.loss());
        n.put("loss_action", r.lossAction());
        n.put("loss_wm", r.lossWm());
        n.put("lr", r.lr());
        n.put("grad_norm", r.gradNorm());
        n.put("elapsed_s", Math.round(elapsed * 1000) / 1000.0);
        return JSON.writeValueAsString(n) + "\n";
    }

    private static JsonNode readRunJson(Path runJson) throws IOException {
        JsonNode n = JSON.readTree(AtomicFiles.readCapped(runJson, MAX_RUN_JSON_BYTES, "run settings"));
        if (n == null || !n.isObject()) throw new IOException(runJson + ": not a run settings object");
        return n;
    }

    /** True when every entry of {@code dir} is a temp file of an interrupted atomic write. */
    private static boolean onlyTempFiles(Path dir) throws IOException {
        try (Stream<Path> st = Files.list(dir)) {
            return st.allMatch(TrainRun::isTemp);
        }
    }

    private static boolean isTemp(Path p) {
        String n = p.getFileName().toString();
        return n.startsWith(".") && (n.endsWith(".tmp") || n.contains(".tmp-") || n.contains(".old-"));
    }

    /** Removes the temp files and folders an interrupted run left in its directory. */
    private static void cleanTemp(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> st = Files.list(dir)) {
            for (Path p : st.filter(TrainRun::isTemp).toList()) AtomicFiles.deleteTree(p);
        }
    }

    /**
     * Keeps the metrics lines with step &lt;= {@code step}; returns the elapsed_s of the last kept line. Only a torn
     * last line (a kill mid-write) is dropped; an unreadable line before it is an error naming the line, and lines
     * holding NaN (older files wrote it bare) are kept.
     */
    static double truncateMetrics(Path metrics, long step) throws IOException {
        if (!Files.exists(metrics)) return 0;
        List<String> lines = Files.readAllLines(metrics);
        List<String> keep = new ArrayList<>();
        double elapsed = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            JsonNode n;
            try {
                n = LENIENT.readTree(line);
            } catch (IOException e) {
                if (i == lines.size() - 1) break;       // a torn last line
                throw new IOException(metrics + ": line " + (i + 1) + " is not valid JSON and not the last line; not truncating it away", e);
            }
            if (n.path("step").asLong() > step) break;
            keep.add(line);
            elapsed = n.path("elapsed_s").asDouble();
        }
        StringBuilder sb = new StringBuilder();
        for (String k : keep) sb.append(k).append('\n');
        AtomicFiles.writeString(metrics, sb.toString());
        return elapsed;
    }

    /** Reads metrics.jsonl as parallel arrays {steps, loss, loss_action, loss_wm}. */
    public static double[][] readMetrics(Path metrics) throws IOException {
        List<double[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            if (line.isBlank()) continue;
            JsonNode n = LENIENT.readTree(line);
            rows.add(new double[] {n.path("step").asDouble(), n.path("loss").asDouble(), n.path("loss_action").asDouble(), n.path("loss_wm").asDouble()});
        }
        double[][] out = new double[4][rows.size()];
        for (int i = 0; i < rows.size(); i++) for (int c = 0; c < 4; c++) out[c][i] = rows.get(i)[c];
        return out;
    }

    private static String firstDifference(JsonNode old, JsonNode now) {
        for (String k : new String[] {"config", "dataset", "steps", "batch_size", "lr", "seed"}) {
            if (!old.path(k).equals(now.path(k))) {
                return k.equals("config") ? "model config differs" : k + " " + old.path(k) + " vs " + now.path(k);
            }
        }
        return null;
    }

    private static boolean hasEntries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        }
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
