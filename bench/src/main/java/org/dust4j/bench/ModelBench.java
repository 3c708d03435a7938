package org.dust4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.dust4j.model.DustConfig;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.model.Trainer;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The DUST head end to end on dust-small (a random init; run from the repository root, or set {@code -p
 * config=...}): one forward (batch 1, S = 64 VL tokens), a 4-step sample (N_A = 4, q = 1), the asynchronous
 * sampler with N_A = 4, q = 16 (64 forwards), and one training step at batch 8 (loss + backward + clip + AdamW,
 * no dropout). Threads: {@code DUST4J_THREADS} (compare-torch uses 2). PyTorch's numbers on the same shapes come
 * from {@code bench/compare-torch}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class ModelBench {

    /** Path of the model config (relative to the working directory). */
    @Param({"configs/dust-small.json"})
    public String config;

    /** VL sequence length S. */
    @Param({"64"})
    public int seq;

    /** Batch of the training step. */
    @Param({"8"})
    public int trainBatch;

    PolicyModel model;
    Map<String, Tensor> forwardIn, sampleIn, lossIn;
    Trainer trainer;
    static final SamplerOptions SAMPLE4 = new SamplerOptions(4, 1, SamplerOptions.Variant.START);
    static final SamplerOptions Q16 = new SamplerOptions(4, 16, SamplerOptions.Variant.START);

    @Setup
    public void setup() throws IOException {
        ModelConfig c = ModelConfig.parse(Files.readString(Path.of(config)));
        if (!(c instanceof DustConfig d)) throw new IllegalArgumentException("ModelBench: " + config + " is not a dust config");
        model = PolicyModel.create(d, 0L);
        model.eval();
        int ta = d.actionHorizon(), da = d.actionDim(), to = d.numVisionTokens(), dv = d.visionTokenDim();
        forwardIn = new LinkedHashMap<>();
        forwardIn.put("vl", normal(1, 1, seq, d.backboneEmbeddingDim()));
        forwardIn.put("state", normal(2, 1, 1, d.maxStateDim()));
        forwardIn.put("actions_noisy", normal(3, 1, ta, da));
        forwardIn.put("vision_noisy", normal(4, 1, to, dv));
        forwardIn.put("t_action", Tensor.ofLongs(new long[] {500}, 1));
        forwardIn.put("t_vision", Tensor.ofLongs(new long[] {250}, 1));
        forwardIn.put("embodiment_id", Tensor.ofLongs(new long[] {3}, 1));
        sampleIn = new LinkedHashMap<>();
        sampleIn.put("vl", forwardIn.get("vl"));
        sampleIn.put("state", forwardIn.get("state"));
        sampleIn.put("embodiment_id", forwardIn.get("embodiment_id"));
        sampleIn.put("noise_action", normal(5, 1, ta, da));
        sampleIn.put("noise_vision", normal(6, 1, to, dv));
        int b = trainBatch;
        long[] ids = new long[b];
        for (int i = 0; i < b; i++) ids[i] = i % d.maxNumEmbodiments();
        lossIn = new LinkedHashMap<>();
        lossIn.put("vl", normal(7, b, seq, d.backboneEmbeddingDim()));
        lossIn.put("state", normal(8, b, 1, d.maxStateDim()));
        lossIn.put("embodiment_id", Tensor.ofLongs(ids, b));
        lossIn.put("actions", normal(9, b, ta, da));
        lossIn.put("future", normal(10, b, to, dv));
        Trainer.Options o = new Trainer.Options(1e-4f, 0.95f, 0.999f, 1e-8f, 1e-5f, 1_000_000, 0.0, 1.0, 1, 0L, false);
        trainer = new Trainer(model, 0L, o);
    }

    private static Tensor normal(long seed, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = Rng.normal(seed, i);
        return Tensor.of(v, shape);
    }

    /** One forward, no tape. */
    @Benchmark
    public Object forward() {
        return model.forward(forwardIn);
    }

    /** Sampler N_A = 4, q = 1 (VL processed once, 4 forwards). */
    @Benchmark
    public Object sample4() {
        return model.sample(sampleIn, SAMPLE4);
    }

    /** Asynchronous sampler N_A = 4, q = 16 (64 forwards, 4 of them with the action head). */
    @Benchmark
    @Warmup(iterations = 2, time = 5)
    @Measurement(iterations = 3, time = 5)
    public Object sampleQ16() {
        return model.sample(sampleIn, Q16);
    }

    /** One optimizer step at batch {@link #trainBatch}: loss, backward, clip 1.0, AdamW (noise drawn per step). */
    @Benchmark
    public Object trainStep() {
        return trainer.trainStep((step, micro) -> lossIn);
    }
}
