package org.dust4j.bench;

import java.util.concurrent.TimeUnit;

import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Tensor;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fused attention forward at the DUST head's shape: B=1, 32 heads, dh=48, Tq=81 queries against Tk keys, with
 * q, k, v as [B,T,H,dh] tensors transposed to [B,H,T,dh] views (as produced by a QKV projection). The
 * {@code gflop} counter is the rate of 4*B*H*Tq*Tk*dh flops (two matmuls) in GFLOP/s; {@code backend=reference}
 * is the scalar oracle, the baseline in the same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AttentionBench {

    static final int B = 1, H = 32, DH = 48, TQ = 81;

    @Param({"81", "300"})
    public int tk;

    @Param({"cpu", "reference"})
    public String backend;

    Backend be;
    Tensor q, k, v;
    float scale;
    double gflopPerOp;

    /** Work done, reported by JMH as a rate per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() { gflop = 0; }
    }

    @Setup
    public void setup() {
        be = backend.equals("cpu") ? Backends.cpu() : Backends.reference();
        Backend r = Backends.reference();
        q = r.random(1, true, B, TQ, H, DH).transpose(1, 2);
        k = r.random(2, true, B, tk, H, DH).transpose(1, 2);
        v = r.random(3, true, B, tk, H, DH).transpose(1, 2);
        scale = (float) (1.0 / Math.sqrt(DH));
        gflopPerOp = 4.0 * B * H * TQ * tk * DH / 1e9;
    }

    @Benchmark
    public Backend.AttentionResult forward(Flops f) {
        f.gflop += gflopPerOp;
        return be.attention(q, k, v, scale);
    }
}
