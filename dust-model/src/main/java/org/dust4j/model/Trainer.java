package org.dust4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dust4j.autograd.AdamW;
import org.dust4j.autograd.CosineSchedule;
import org.dust4j.autograd.GradClip;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Dropout;
import org.dust4j.autograd.nn.Module;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;
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
            Map<String, Tensor> batch = FlowNoise.complete(data.batch(step, micro), model.config(), noiseSeed, model.device());
            PolicyModel.Losses l = model.loss(batch);
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
        double norm = options.clipNorm() > 0 ? GradClip.clipGradNorm(model.parameters(), options.clipNorm()) : Double.NaN;
        float lr = schedule.lr((int) step);
        opt.setLr(lr);
        opt.step();
        opt.zeroGrad();
        step++;
        model.eval();
        return new StepResult(step, lr, loss, la, lw, norm);
    }

    // ------------------------------------------------------------------ checkpoints

    /**
     * Writes a checkpoint directory: config.json + model.safetensors (a loadable model directory),
     * optimizer.safetensors (AdamW moments {@code m.<name>}, {@code v.<name>}) and trainer.json (step, seeds,
     * options, per-parameter AdamW step counts, dropout counters). Written into a temporary sibling directory
     * and moved into place, so {@code dir} is always either the old or the new complete checkpoint.
     */
    public void save(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp-" + System.nanoTime());
        model.save(tmp);
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
        w.write(tmp.resolve("optimizer.safetensors"));
        PolicyModel.writeAtomically(tmp.resolve("trainer.json"), ModelConfig.JSON.writeValueAsString(state) + "\n");
        Path old = null;
        if (Files.exists(abs)) {
            old = abs.resolveSibling(abs.getFileName() + ".old-" + System.nanoTime());
            Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        if (old != null) deleteTree(old);
    }

    /** Rebuilds a trainer from {@link #save}: same model (incl. dropout seeds), optimizer state, step and options. */
    public static Trainer resume(Path dir) throws IOException {
        JsonNode state = ModelConfig.JSON.readTree(Files.readString(dir.resolve("trainer.json")));
        if (!"dust4j-trainer-v1".equals(state.path("format").asText())) {
            throw new IOException(dir + "/trainer.json: not a dust4j trainer checkpoint");
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

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }

    /** Parameter values by name (tests, tools). */
    public Map<String, Tensor> parameterValues() {
        return StateDict.tensors(model.slots(), "");
    }

    static Map<String, Tensor> copy(Map<String, Tensor> m) {
        return new LinkedHashMap<>(m);
    }
}
