package org.dust4j.bench;

import java.util.concurrent.TimeUnit;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
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
 * JMH benchmark of the CPU backend's F32 GEMM ({@code C = A @ B}, or {@code A @ B^T} for shapes ending in
 * {@code :nt}) on square and DUST-sized shapes {@code MxNxK}. The score is milliseconds per call;
 * GFLOP/s = 2*M*N*K / (score * 1e6).
 * Run: {@code java -jar bench/target/benchmarks.jar GemmBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 6, time = 1) // on a busy machine C2 needs several seconds to compile the kernels
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBench {
    /** M x N x K; the :nt suffix stores B as [N, K] and passes it transposed (a Linear layer's x @ W^T). */
    @Param({"512x512x512", "1024x1024x1024", "2048x2048x2048", "81x1536x1536", "81x6144x1536", "648x1536x1536",
            "81x1536x1536:nt"})
    public String shape;

    private final Backend cpu = Backends.cpu();
    private Tensor a, b, c;
    private boolean transB;

    /** Allocates random operands for the shape. */
    @Setup
    public void setup() {
        transB = shape.endsWith(":nt");
        String[] d = shape.replace(":nt", "").split("x");
        int m = Integer.parseInt(d[0]), n = Integer.parseInt(d[1]), k = Integer.parseInt(d[2]);
        a = cpu.random(1, true, m, k);
        b = transB ? cpu.random(2, true, n, k) : cpu.random(2, true, k, n);
        c = Tensor.zeros(m, n);
    }

    /** One GEMM call, C overwritten (beta = 0). */
    @Benchmark
    public Tensor gemm() {
        cpu.gemm(1f, a, false, b, transB, 0f, c);
        return c;
    }
}
