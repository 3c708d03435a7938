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
 * LayerNorm forward with weight and bias on [81, 1536] (the DUST head's token rows x width). The {@code gb}
 * counter is the rate of bytes moved in GB/s: x read + out written + weight and bias read (4 bytes each);
 * {@code backend=reference} is the scalar oracle, the baseline in the same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LayerNormBench {

    static final int ROWS = 81, D = 1536;

    @Param({"cpu", "reference"})
    public String backend;

    Backend be;
    Tensor x, w, b;
    double gbPerOp;

    /** Bytes moved, reported by JMH as a rate per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public double gb;

        @Setup(Level.Iteration)
        public void reset() { gb = 0; }
    }

    @Setup
    public void setup() {
        be = backend.equals("cpu") ? Backends.cpu() : Backends.reference();
        Backend r = Backends.reference();
        x = r.random(1, true, ROWS, D);
        w = r.random(2, true, D);
        b = r.random(3, true, D);
        gbPerOp = 4.0 * (2.0 * ROWS * D + 2.0 * D) / 1e9;
    }

    @Benchmark
    public Backend.NormResult forward(Bytes c) {
        c.gb += gbPerOp;
        return be.layerNorm(x, w, b, 1e-5f);
    }
}
