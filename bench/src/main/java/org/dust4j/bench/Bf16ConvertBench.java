package org.dust4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.dust4j.weights.Convert;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * BF16 -> F32 and F16 -> F32 decoding from a mapped-style (native) little-endian segment into a float[], the
 * load path of safetensors weights ({@code vector}/{@code scalar} are BF16; {@code f16Vector}/{@code f16Scalar}
 * decode the same random 16-bit patterns as IEEE halves, NaNs and subnormals included). The {@code gbps} counter is BF16 input bytes per second (divide the reported
 * "ops/s" by 1e9 for GB/s); {@code f32Copy} (4 bytes in per element) is the memory-bandwidth peer.
 * Run: {@code java -jar bench/target/benchmarks.jar Bf16ConvertBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class Bf16ConvertBench {

    /** Elements: in L1/L2 (16K), in L3 (1M), DRAM-bound (16M). */
    @Param({"16384", "1048576", "16777216"})
    public int n;

    private Arena arena;
    private MemorySegment bf16;
    private MemorySegment f32;
    private float[] dst;

    /** Input bytes converted, reported per second. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        public long inputBytes;

        @Setup(Level.Iteration)
        public void reset() { inputBytes = 0; }
    }

    @Setup
    public void setup() {
        arena = Arena.ofShared();
        bf16 = arena.allocate(2L * n, 64);
        f32 = arena.allocate(4L * n, 64);
        SplittableRandom r = new SplittableRandom(7);
        ValueLayout.OfShort s = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) bf16.set(s, 2L * i, (short) r.nextInt(1 << 16));
        dst = new float[n];
    }

    @TearDown
    public void tearDown() { arena.close(); }

    @Benchmark
    public float[] vector(Bytes b) {
        Convert.bf16ToF32(bf16, 0, dst, 0, n);
        b.inputBytes += 2L * n;
        return dst;
    }

    @Benchmark
    public float[] scalar(Bytes b) {
        Convert.bf16ToF32Scalar(bf16, 0, dst, 0, n);
        b.inputBytes += 2L * n;
        return dst;
    }

    @Benchmark
    public float[] f16Vector(Bytes b) {
        Convert.f16ToF32(bf16, 0, dst, 0, n);
        b.inputBytes += 2L * n;
        return dst;
    }

    @Benchmark
    public float[] f16Scalar(Bytes b) {
        Convert.f16ToF32Scalar(bf16, 0, dst, 0, n);
        b.inputBytes += 2L * n;
        return dst;
    }

    @Benchmark
    public float[] f32Copy(Bytes b) {
        Convert.f32(f32, 0, dst, 0, n);
        b.inputBytes += 4L * n;
        return dst;
    }
}
