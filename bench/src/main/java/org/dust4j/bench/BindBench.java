package org.dust4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Half;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.Gr00tCheckpoint;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.ShardedWriter;
import org.dust4j.weights.StateDict;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to bind a GR00T-N1.5 action head from a sharded BF16 checkpoint into F32 parameters: open the model
 * directory (config.json + index), map and validate the shards, and decode every {@code action_head.*} tensor
 * into a new F32 tensor set into its slot, as {@link Gr00tCheckpoint#loadActionHead} does for a real model
 * (strict: every name and shape must match). Names and shapes are dust-spec b.7; values are cheap generated
 * BF16 patterns. {@code part=dit} is the flow-matching DiT ({@code model.*}, about 545M parameters);
 * {@code part=full} is all of b.7 (about 1.07B: DiT, VL self-attention and the 32-embodiment encoders and
 * decoder). The shards are freshly written, so they are read from the page cache (warm), not from disk.
 * GB/s = BF16 bytes (printed at setup) / seconds. Run:
 * {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar BindBench}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
@State(Scope.Benchmark)
public class BindBench {

    @Param({"dit", "full"})
    public String part;

    /** The published config (dust-spec b.1), the keys {@link Gr00tCheckpoint#open} checks. */
    static final String CONFIG = """
            {"model_type": "gr00t_n1_5", "hidden_size": 2048,
             "action_head_cfg": {"action_dim": 32, "action_horizon": 16, "add_pos_embed": true,
               "backbone_embedding_dim": 2048, "hidden_size": 1024, "input_embedding_dim": 1536,
               "max_action_dim": 32, "max_state_dim": 64, "num_inference_timesteps": 4, "use_vlln": true,
               "diffusion_model_cfg": {"attention_head_dim": 48, "num_attention_heads": 32, "num_layers": 16,
                 "cross_attention_dim": 2048, "interleave_self_attention": true, "norm_type": "ada_norm",
                 "output_dim": 1024, "positional_embeddings": null},
               "vl_self_attention_cfg": {"attention_head_dim": 64, "num_attention_heads": 32, "num_layers": 4,
                 "positional_embeddings": null}}}
            """;

    private Path dir;
    private Map<String, int[]> shapes;
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private Map<String, StateDict.Slot> slots;
    private long elements;

    /** Action-head tensor names (without {@code action_head.}) and shapes, dust-spec b.7. */
    static Map<String, int[]> shapes(boolean full) {
        Map<String, int[]> m = new LinkedHashMap<>();
        linear(m, "model.timestep_encoder.timestep_embedder.linear_1", 1536, 256);
        linear(m, "model.timestep_encoder.timestep_embedder.linear_2", 1536, 1536);
        for (int i = 0; i < 16; i++) {
            String b = "model.transformer_blocks." + i + ".";
            int kv = i % 2 == 0 ? 2048 : 1536;   // even blocks cross-attend to the 2048-wide VL tokens
            linear(m, b + "norm1.linear", 3072, 1536);
            linear(m, b + "attn1.to_q", 1536, 1536);
            linear(m, b + "attn1.to_k", 1536, kv);
            linear(m, b + "attn1.to_v", 1536, kv);
            linear(m, b + "attn1.to_out.0", 1536, 1536);
            linear(m, b + "ff.net.0.proj", 6144, 1536);
            linear(m, b + "ff.net.2", 1536, 6144);
        }
        linear(m, "model.proj_out_1", 3072, 1536);
        linear(m, "model.proj_out_2", 1024, 1536);
        if (!full) return m;
        for (int j = 0; j < 4; j++) {
            String b = "vl_self_attention.transformer_blocks." + j + ".";
            m.put(b + "norm1.weight", new int[] {2048});
            m.put(b + "norm1.bias", new int[] {2048});
            for (String p : new String[] {"to_q", "to_k", "to_v", "to_out.0"}) linear(m, b + "attn1." + p, 2048, 2048);
            m.put(b + "norm3.weight", new int[] {2048});
            m.put(b + "norm3.bias", new int[] {2048});
            linear(m, b + "ff.net.0.proj", 8192, 2048);
            linear(m, b + "ff.net.2", 2048, 8192);
        }
        m.put("vlln.weight", new int[] {2048});
        m.put("vlln.bias", new int[] {2048});
        category(m, "state_encoder.layer1", 64, 1024);
        category(m, "state_encoder.layer2", 1024, 1536);
        category(m, "action_encoder.W1", 32, 1536);
        category(m, "action_encoder.W2", 3072, 1536);
        category(m, "action_encoder.W3", 1536, 1536);
        category(m, "action_decoder.layer1", 1024, 1024);
        category(m, "action_decoder.layer2", 1024, 32);
        m.put("future_tokens.weight", new int[] {32, 1536});
        m.put("position_embedding.weight", new int[] {1024, 1536});
        return m;
    }

    private static void linear(Map<String, int[]> m, String name, int out, int in) {
        m.put(name + ".weight", new int[] {out, in});
        m.put(name + ".bias", new int[] {out});
    }

    /** Per-embodiment linear: W [32, in, out], b [32, out]. */
    private static void category(Map<String, int[]> m, String name, int in, int out) {
        m.put(name + ".W", new int[] {32, in, out});
        m.put(name + ".b", new int[] {32, out});
    }

    /** Cheap BF16 pattern for element {@code i} of tensor {@code t}: magnitudes in [2^-7, 2^-6), either sign. */
    static short bf16(int t, long i) {
        long h = (i + ((long) t << 40)) * 0x9E3779B97F4A7C15L;
        return (short) (((h >>> 48) & 0x807f) | 0x3c00);
    }

    @Setup(Level.Trial)
    public void write() throws IOException {
        shapes = shapes(part.equals("full"));
        dir = Files.createTempDirectory("dust4j-bind-");
        ShardedWriter w = new ShardedWriter(1L << 30);   // 1 GiB shards
        int t = 0;
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            int id = t++;
            long[] s = new long[e.getValue().length];
            long numel = 1;
            for (int k = 0; k < s.length; k++) numel *= s[k] = e.getValue()[k];
            elements += numel;
            w.putStreamed(Gr00tCheckpoint.HEAD_PREFIX + e.getKey(), SafeDType.BF16, s, (off, buf) -> {
                for (long i = off / 2; buf.hasRemaining(); i++) buf.putShort(bf16(id, i));
            });
        }
        long t0 = System.nanoTime();
        w.write(dir);
        long t1 = System.nanoTime();
        Files.writeString(dir.resolve("config.json"), CONFIG);
        long shards;
        try (Stream<Path> l = Files.list(dir)) {
            shards = l.filter(p -> p.toString().endsWith(".safetensors")).count();
        }
        System.out.printf("%nBindBench part=%s: %d tensors, %d parameters, BF16 %.3f GB in %d shards (written in %.1f s),"
                + " F32 %.3f GB%n", part, shapes.size(), elements, 2e-9 * elements, shards, (t1 - t0) / 1e9, 4e-9 * elements);
        for (String n : shapes.keySet()) params.put(n, null);
        slots = StateDict.slots(params);
    }

    /** Parameters start as F32 zero-stride placeholders of the right shape, so only the loaded tensors hold memory. */
    @Setup(Level.Invocation)
    public void reset() {
        Tensor zero = Tensor.scalar(0f);
        shapes.forEach((n, s) -> params.put(n, zero.expand(s)));
        System.gc();
    }

    @Benchmark
    public StateDict.Report bind() throws Exception {
        try (Gr00tCheckpoint g = Gr00tCheckpoint.open(dir)) {
            return g.loadActionHead(slots, true);
        }
    }

    /** Spot-checks the bound values against the generator, then deletes the checkpoint. */
    @TearDown(Level.Trial)
    public void check() throws IOException {
        int t = 0;
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            Tensor p = params.get(e.getKey());
            if (p.dtype() != DType.F32 || !java.util.Arrays.equals(p.shape(), e.getValue())) {
                throw new IllegalStateException(e.getKey() + " was not bound: " + p.dtype() + " " + java.util.Arrays.toString(p.shape()));
            }
            float[] f = p.floatData();
            int off = p.offset();
            long n = p.numel();
            for (long i : new long[] {0, n / 2, n - 1}) {
                float want = Half.bf16ToFloat(bf16(t, i));
                if (Float.floatToRawIntBits(f[off + (int) i]) != Float.floatToRawIntBits(want)) {
                    throw new IllegalStateException(e.getKey() + "[" + i + "] = " + f[off + (int) i] + ", expected " + want);
                }
            }
            t++;
        }
        try (Stream<Path> l = Files.walk(dir)) {
            for (Path p : l.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
