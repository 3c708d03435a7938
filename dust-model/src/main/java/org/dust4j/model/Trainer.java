package org.dust4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.autograd.AdamW;
import org.dust4j.autograd.CosineSchedule;
import org.dust4j.autograd.GradClip;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Dropout;
import org.dust4j.autograd.nn.Module;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.AtomicFiles;
import org.dust4j.weights.SafetensorsFile;
import org.dust4j.weights.SafetensorsWriter;
import org.dust4j.weights.StateDict;

/**
 * Flow-matching trainer: AdamW (no decay on biases, category biases and 1-D weights), cosine schedule with linear
 * warm-up, L2 gradient clipping, gradient accumulation, dropout in train mode. Deterministic: the noise of
 * micro-batch m of step s comes from {@code Rng.bits(seed, s·accumulation + m)} and dropout masks from per-module
 * counters, so a run resumed from a checkpoint (model + optimizer moments + step + dropout counters) continues
 * bit for bit.
 */
public final class Trainer {

    /** Supplies the training batches: a deterministic function of (step, micro-batch). */
    @FunctionalInterface
    public interface Data {
        /**
         * vl, state, embodiment_id, actions, future (dust), optional action_mask / has_action (default all 1) and
         * optionally fixed eps_* / tau_* (else drawn).
         */
        Map<String, Tensor> batch(long step, int micro);
    }

    /** Hyper-parameters (defaults: DUST / GR00T-N1.5 fine-tuning recipe). */
    public record Options(float lr, float beta1, float beta2, float eps, float weightDecay, int totalSteps,
                          double warmupRatio, double clipNorm, int accumulation, long seed, boolean dropout) {
        public Options {
            if (totalSteps <= 0) throw new IllegalArgumentException("trainer: total steps must be positive, got " + totalSteps);
            if (accumulation <= 0) throw new IllegalArgumentException("trainer: accumulation must be positive, got " + accumulation);
            if (!(warmupRatio >= 0 && warmupRatio <= 1)) throw new IllegalArgumentException("trainer: warmup ratio must be in [0, 1], got " + warmupRatio);
            if (!(Float.isFinite(lr) && lr > 0)) throw new IllegalArgumentException("trainer: lr must be a finite number > 0, got " + lr);
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("trainer: betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (!(Float.isFinite(eps) && eps > 0)) throw new IllegalArgumentException("trainer: eps must be a finite number > 0, got " + eps);
            if (!(Float.isFinite(weightDecay) && weightDecay >= 0)) throw new IllegalArgumentException("trainer: weight decay must be finite and >= 0, got " + weightDecay);
            if (!(Double.isFinite(clipNorm))) throw new IllegalArgumentException("trainer: clip norm must be finite (0 = off), got " + clipNorm);
        }

        /** lr 1e-4, betas 0.95/0.999, eps 1e-8, wd 1e-5, 5% warm-up, clip 1.0, no accumulation, dropout on. */
        public static Options defaults(int totalSteps, long seed) {
            return new Options(1e-4f, 0.95f, 0.999f, 1e-8f, 1e-5f, totalSteps, 0.05, 1.0, 1, seed, true);
        }

        public Options withLr(float v) { return new Options(v, beta1, beta2, eps, weightDecay, totalSteps, warmupRatio, clipNorm, accumulation, seed, dropout); }

        public Options withWarmup(double v) { return new Options(lr, beta1, beta2, eps, weightDecay, totalSteps, v, clipNorm, accumulation, seed, dropout); }

        public Options withAccumulation(int v) { return new Options(lr, beta1, beta2, eps, weightDecay, totalSteps, warmupRatio, clipNorm, v, seed, dropout); }

        public Options withDropout(boolean v) { return new Options(lr, beta1, beta2, eps, weightDecay, totalSteps, warmupRatio, clipNorm, accumulation, seed, v); }

        public Options withClip(double v) { return new Options(lr, beta1, beta2, eps, weightDecay, totalSteps, warmupRatio, v, accumulation, seed, dropout); }

        public int warmupSteps() { return (int) Math.ceil(totalSteps * warmupRatio); }
    }

    /** What one optimizer step did (losses averaged over the micro-batches). */
    public record StepResult(long step, float lr, double loss, double lossAction, double lossWm, double gradNorm) {}

    private final PolicyModel model;
    private final long initSeed;
    private final Options options;
    private final AdamW opt;
    private final CosineSchedule schedule;
    private final List<Dropout> dropouts;
    private long step;

    /**
     * Trains {@code model}; {@code initSeed} is the seed it was created with ({@link PolicyModel#create}), which also
     * seeded its dropout modules, and is stored in checkpoints so a resumed run rebuilds the same modules.
     */
    public Trainer(PolicyModel model, long initSeed, Options options) {
        this.model = model;
        this.initSeed = initSeed;
        this.options = options;
        this.opt = new AdamW(paramGroups(model, options.weightDecay()), options.lr(), options.beta1(), options.beta2(), options.eps());
        this.schedule = new CosineSchedule(options.lr(), options.warmupSteps(), options.totalSteps());
        this.dropouts = dropouts(model);
    }

    public PolicyModel model() { return model; }

    public Options options() { return options; }

    /** Number of optimizer steps done. */
    public long step() { return step; }

    public AdamW optimizer() { return opt; }

    /**
     * AdamW groups: weight decay for matrices, category {@code .W} and the embedding tables; none for names
     * ending in {@code .bias}, category-specific biases {@code .b} ([C, out], a bias although 2-D) and every 1-D
     * parameter (LayerNorm weights).
     */
    public static List<AdamW.ParamGroup> paramGroups(PolicyModel m, float weightDecay) {
        return AdamW.groupsNoDecayOnBiasAndNorm(m.namedParameters(), weightDecay);
    }

    /** One optimizer step over {@code accumulation} micro-batches (each loss scaled by 1/accumulation). */
    public StepResult trainStep(Data data) {
        if (options.dropout()) model.train();
        else model.eval();
        opt.zeroGrad();
        int acc = options.accumulation();
        List<PolicyModel.Losses> parts = new ArrayList<>(acc);
        for (int micro = 0; micro < acc; micro++) {
            long noiseSeed = Rng.bits(options.seed(), step * acc + micro);
            PolicyModel.Losses l;
            try {
                // noise drawn on the host like every input (validated there, e.g. finite), uploaded once by the model
                l = model.loss(FlowNoise.complete(data.batch(step, micro), model.config(), noiseSeed));
            } catch (InputSpec.InputException e) {
                throw new InputSpec.InputException("training step " + (step + 1) + ": " + e.getMessage());
            }
            Var scaled = acc == 1 ? l.loss() : org.dust4j.autograd.F.mul(l.loss(), 1f / acc);
            if (scaled.requiresGrad()) scaled.backward();
            parts.add(l);
        }
        // the 0-d losses stay where they were computed until the step is done: three scalar reads per micro-batch, for the log
        double loss = 0, la = 0, lw = 0;
        for (PolicyModel.Losses l : parts) {
            loss += l.loss().value().item() / acc;
            la += l.lossAction().value().item() / acc;
            lw += l.lossWm().value().item() / acc;
        }
        if (!Double.isFinite(loss)) throw new NonFiniteException(step + 1, "loss", loss);
        double norm = options.clipNorm() > 0 ? GradClip.clipGradNorm(model.parameters(), options.clipNorm()) : gradNorm(model);
        if (!Double.isFinite(norm)) throw new NonFiniteException(step + 1, "gradient norm", norm);
        float lr = schedule.lr((int) step);
        opt.setLr(lr);
        opt.step();
        opt.zeroGrad();
        step++;
        model.eval();
        return new StepResult(step, lr, loss, la, lw, norm);
    }

    /**
     * A non-finite loss or gradient: training stops before the optimizer step (the parameters and the last
     * checkpoint stay as they were). The message is one line naming the step.
     */
    public static final class NonFiniteException extends ArithmeticException {
        private final long step;

        public NonFiniteException(long step, String what, double value) {
            super("training step " + step + ": the " + what + " is " + value + " (non-finite); stopped before the update, "
                    + "the last checkpoint is kept (check the data for NaN/Inf, or lower --lr)");
            this.step = step;
        }

        /** The 1-based step whose update was refused. */
        public long step() { return step; }
    }

    /**
     * L2 norm over every gradient (when clipping is off): {@link GradClip#clipGradNorm} with an infinite bound, which
     * never scales; in double on the CPU, summed on the device with one scalar read otherwise.
     */
    private static double gradNorm(PolicyModel m) {
        return GradClip.clipGradNorm(m.parameters(), Double.POSITIVE_INFINITY);
    }

    // ------------------------------------------------------------------ checkpoints

    /**
     * Writes a checkpoint into the checkpoint directory {@code root} ({@link Checkpoints}: a new sub-directory with
     * a commit marker, the newest {@link Checkpoints#KEEP} kept) and returns the new checkpoint's directory. Each
     * checkpoint holds config.json + model.safetensors (a loadable model directory), optimizer.safetensors (AdamW
     * moments {@code m.<name>}, {@code v.<name>}) and trainer.json (step, seeds, options, per-parameter AdamW step
     * counts, dropout counters).
     */
    public Path save(Path root) throws IOException {
        return save(root, Checkpoints.KEEP);
    }

    /** As {@link #save(Path)} keeping the newest {@code keep} complete checkpoints. */
    public Path save(Path root, int keep) throws IOException {
        return Checkpoints.save(root, step, keep, this::writeState);
    }

    private void writeState(Path dir) throws IOException {
        model.save(dir);
        Map<String, Var> named = model.namedParameters();
        SafetensorsWriter w = new SafetensorsWriter();
        ObjectNode state = ModelConfig.JSON.createObjectNode();
        state.put("format", "dust4j-trainer-v1");
        state.put("step", step);
        state.put("init_seed", initSeed);
        state.set("options", ModelConfig.JSON.valueToTree(options));
        ObjectNode steps = state.putObject("adam_steps");
        state.put("adam_step_count", opt.stepCount());
        for (Map.Entry<String, Var> e : named.entrySet()) {
            AdamW.State s = opt.state().get(e.getValue());
            if (s == null) continue;
            w.put("m." + e.getKey(), s.m());
            w.put("v." + e.getKey(), s.v());
            steps.put(e.getKey(), s.step());
        }
        ArrayNode calls = state.putArray("dropout_calls");
        for (Dropout d : dropouts) calls.add(d.calls());
        w.write(dir.resolve("optimizer.safetensors"));
        PolicyModel.writeAtomically(dir.resolve("trainer.json"), ModelConfig.JSON.writeValueAsString(state) + "\n");
    }

    /**
     * The checkpoint that {@link #resume} would load from {@code path}: the newest complete checkpoint in the
     * checkpoint directory, else {@code path} itself when it holds a trainer.json (one checkpoint directory, or the
     * single-directory layout of earlier versions); empty if none.
     */
    public static java.util.Optional<Path> checkpointIn(Path path) throws IOException {
        java.util.Optional<Path> latest = Checkpoints.latest(path);
        if (latest.isEmpty() && Files.isRegularFile(path.resolve("trainer.json"))) return java.util.Optional.of(path);
        return latest;
    }

    /** The largest trainer.json read (one line per parameter name). */
    static final long MAX_STATE_BYTES = 64L << 20;

    /** Rebuilds a trainer from {@link #save}: same model (incl. dropout seeds), optimizer state, step and options. */
    public static Trainer resume(Path path) throws IOException {
        Path dir = checkpointIn(path).orElseThrow(() -> new IOException(path + ": holds no complete checkpoint (no "
                + Checkpoints.COMMIT + " in any ckpt-* directory)"));
        if (Files.isRegularFile(dir.resolve(Checkpoints.COMMIT))) Checkpoints.verify(dir);
        Path stateFile = dir.resolve("trainer.json");
        JsonNode state = ModelConfig.JSON.readTree(AtomicFiles.readCapped(stateFile, MAX_STATE_BYTES, "trainer state"));
        if (state == null || !"dust4j-trainer-v1".equals(state.path("format").asText())) {
            throw new IOException(stateFile + ": not a dust4j trainer checkpoint");
        }
        for (String k : new String[] {"init_seed", "step", "adam_step_count"}) {
            if (!state.path(k).canConvertToExactIntegral()) throw new IOException(stateFile + ": \"" + k + "\" is missing or not an integer");
        }
        if (!state.path("options").isObject() || !state.path("adam_steps").isObject() || !state.path("dropout_calls").isArray()) {
            throw new IOException(stateFile + ": \"options\", \"adam_steps\" or \"dropout_calls\" is missing");
        }
        long initSeed = state.get("init_seed").asLong();
        PolicyModel m = PolicyModel.load(dir, initSeed);
        Options o = ModelConfig.JSON.treeToValue(state.get("options"), Options.class);
        Trainer t = new Trainer(m, initSeed, o);
        t.step = state.get("step").asLong();
        t.opt.setStepCount(state.get("adam_step_count").asInt());
        Map<String, Var> named = m.namedParameters();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("optimizer.safetensors"))) {
            var it = state.get("adam_steps").fields();
            while (it.hasNext()) {
                var e = it.next();
                Var p = named.get(e.getKey());
                if (p == null) throw new IOException(dir + ": optimizer state for unknown parameter " + e.getKey());
                t.opt.setState(p, f.toTensor("m." + e.getKey()), f.toTensor("v." + e.getKey()), e.getValue().asInt());
            }
        }
        JsonNode calls = state.get("dropout_calls");
        if (calls.size() != t.dropouts.size()) {
            throw new IOException(dir + ": checkpoint has " + calls.size() + " dropout counters, the model " + t.dropouts.size());
        }
        for (int i = 0; i < calls.size(); i++) t.dropouts.get(i).setCalls(calls.get(i).asLong());
        return t;
    }

    /** Every Dropout module in registration order. */
    static List<Dropout> dropouts(Module m) {
        List<Dropout> out = new ArrayList<>();
        if (m instanceof Dropout d) out.add(d);
        for (Module c : m.children().values()) out.addAll(dropouts(c));
        return out;
    }

    /** Parameter values by name (tests, tools). */
    public Map<String, Tensor> parameterValues() {
        return StateDict.tensors(model.slots(), "");
    }

    static Map<String, Tensor> copy(Map<String, Tensor> m) {
        return new LinkedHashMap<>(m);
    }
}
