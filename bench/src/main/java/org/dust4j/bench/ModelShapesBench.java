package org.dust4j.bench;

import java.util.concurrent.TimeUnit;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.GemmPack;
import org.dust4j.tensor.Parallel;
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
 * The hot ops of a batch-1 DUST forward at the models' real shapes, each timed alone (average time per call, us):
 * the linears {@code x @ W^T + b} of dust-small (D 256, FF 1024, AdaLN rows 6D) and dust-gr00t (D 1536, FF 6144, VL
 * width 2048) at 1 (AdaLN), 17 (action stream), 64 (VL tokens) and 81 (action + vision) rows; attention with 17 or 81
 * queries against 81 or 145 keys (4 heads of 64 / 32 heads of 48); AdaLN modulate (LayerNorm + scale/shift) on
 * [1, T, D]. {@code threads} is a parameter, so the thread count is in every result line and in the JSON ({@code
 * bench/run-all} keeps {@code -rf json} results under docs/bench/).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar ModelShapesBench -rf json
 * -rff docs/bench/model-shapes.json}.
 */
public class ModelShapesBench {
    private ModelShapesBench() {}

    static Backend cpu(int threads) {
        Parallel.setThreads(threads);
        return Backends.cpu();
    }

    static int[] dims(String spec) {
        String[] p = spec.substring(spec.indexOf(':') + 1).split("x");
        int[] d = new int[p.length];
        for (int i = 0; i < p.length; i++) d[i] = Integer.parseInt(p[i]);
        return d;
    }

    /** {@code x [M, K] @ W[N, K]^T + b[N]} as the model's F.linear runs it (bias through the gemm epilogue). */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 5, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public static class Linear {
        /** model:MxNxK. */
        @Param({"small:1x1536x256", "small:17x256x256", "small:17x1024x256", "small:17x256x1024", "small:64x256x256",
                "small:81x256x256", "small:81x768x256", "small:81x1024x256", "small:81x256x1024",
                "gr00t:1x9216x1536", "gr00t:17x1536x1536", "gr00t:64x1536x2048", "gr00t:81x1536x1536", "gr00t:81x6144x1536",
                "gr00t:81x1536x6144"})
        public String shape;

        @Param({"2"})
        public int threads;

        /** Whether W^T stays packed across calls ({@link GemmPack}, as in the model's forward and sample). */
        @Param({"true", "false"})
        public boolean packed;

        Backend be;
        Tensor x, w, b, y;

        @Setup
        public void setup() {
            be = cpu(threads);
            int[] d = dims(shape);
            x = be.random(1, true, d[0], d[2]);
            w = be.random(2, true, d[1], d[2]);
            b = be.random(3, true, d[1]);
            y = Tensor.zeros(d[0], d[1]);
        }

        @Benchmark
        public Tensor linear() {
            be.copyInto(b, y);
            try (var p = packed ? GemmPack.open() : null) {
                be.gemm(1f, x, false, w, true, 1f, y);
            }
            return y;
        }
    }

    /** Fused attention, q [1,H,Tq,dh] and k, v [1,H,Tk,dh] as transposed views of [1,T,H,dh] projections. */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 5, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public static class Attention {
        /** model:Tq x Tk x heads x dh. */
        @Param({"small:17x81x4x64", "small:17x145x4x64", "small:81x81x4x64", "small:81x145x4x64",
                "gr00t:17x81x32x48", "gr00t:17x145x32x48", "gr00t:81x81x32x48", "gr00t:81x145x32x48"})
        public String shape;

        @Param({"2"})
        public int threads;

        Backend be;
        Tensor q, k, v;
        float scale;

        @Setup
        public void setup() {
            be = cpu(threads);
            int[] d = dims(shape);
            q = be.random(1, true, 1, d[0], d[2], d[3]).transpose(1, 2);
            k = be.random(2, true, 1, d[1], d[2], d[3]).transpose(1, 2);
            v = be.random(3, true, 1, d[1], d[2], d[3]).transpose(1, 2);
            scale = (float) (1.0 / Math.sqrt(d[3]));
        }

        @Benchmark
        public Backend.AttentionResult attention() { return be.attention(q, k, v, scale); }
    }

    /** AdaLN modulate LN(x) * (1 + scale) + shift on x [1, T, D], scale and shift chunks of one [1, 6D] row. */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 5, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
    public static class AdaLn {
        /** model:T x D. */
        @Param({"small:17x256", "small:81x256", "gr00t:17x1536", "gr00t:81x1536"})
        public String shape;

        @Param({"2"})
        public int threads;

        Backend be;
        Tensor x, scale, shift;

        @Setup
        public void setup() {
            be = cpu(threads);
            int[] d = dims(shape);
            x = be.random(1, true, 1, d[0], d[1]);
            Tensor mod = be.random(2, true, 1, 6 * d[1]);
            scale = mod.narrow(1, 0, d[1]);
            shift = mod.narrow(1, d[1], d[1]);
        }

        @Benchmark
        public Backend.NormResult adaLn() { return be.adaLn(x, scale, shift, 1e-6f); }
    }
}
