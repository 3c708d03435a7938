package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Reductions and softmax against the oracle, plus bit-identical results at 1, 2 and 3 threads. */
class CpuReduceTest {
    static final CpuBackend CPU = Backends.cpu();
    static final ReferenceBackend REF = Backends.reference();

    static final int[][] SHAPES = {{1}, {7}, {33}, {1000}, {7, 33}, {33, 1000}, {3, 7, 33}, {2, 70, 5}};

    /**
     * Float sum of n randn terms against the oracle's double sum: each of the n float additions errs by at most
     * 2^-24·|running sum|, and a running sum of up to n N(0,1) terms stays below 4·sqrt(n) + 4 (4 sigma).
     */
    static double sumTol(int n) {
        return 0x1p-24 * n * (4 * Math.sqrt(n) + 4);
    }

    @Test
    void reduceAllAxesAndLayouts() {
        for (Ops.Reduce op : Ops.Reduce.values()) {
            for (int[] shape : SHAPES) {
                for (CpuElementwiseTest.In x : CpuElementwiseTest.layouts(3, 1f, shape)) {
                    for (int axis = -shape.length; axis < shape.length; axis++) {
                        int n = shape[axis < 0 ? axis + shape.length : axis];
                        // MAX is exact; SUM carries float accumulation error over n terms; MEAN that divided by n
                        double atol = op == Ops.Reduce.MAX ? 0 : op == Ops.Reduce.SUM ? sumTol(n) : sumTol(n) / n;
                        for (boolean keep : new boolean[] {false, true}) {
                            String what = op + " " + x.name() + " axis " + axis + " keep " + keep;
                            Check.close(what, REF.reduce(op, x.t(), axis, keep), CPU.reduce(op, x.t(), axis, keep), atol, 1e-6);
                        }
                    }
                }
            }
        }
    }

    @Test
    void maxPropagatesNaNAndHandlesInfinities() {
        float[] v = {1f, Float.NaN, 3f, -0f, 0f, -2f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 5f,
                -0f, -0f, 7f, 8f, 9f, 10f, 11f, 12f, 13f, 14f, 15f, 16f, 17f, Float.NaN};
        Tensor x = Tensor.of(v, 8, 3);
        for (int axis = 0; axis < 2; axis++) {
            float[] r = REF.reduce(Ops.Reduce.MAX, x, axis, false).toFloatArray(), g = CPU.reduce(Ops.Reduce.MAX, x, axis, false).toFloatArray();
            for (int i = 0; i < r.length; i++) assertEquals(Float.floatToIntBits(r[i]), Float.floatToIntBits(g[i]), "max axis " + axis + " at " + i);
        }
        Tensor wide = Check.randn(5, 1f, 3, 1000);
        wide.setFloat(Float.NaN, 1, 517);
        float[] m = CPU.reduce(Ops.Reduce.MAX, wide, 1, false).toFloatArray();
        assertTrue(!Float.isNaN(m[0]) && Float.isNaN(m[1]) && !Float.isNaN(m[2]), java.util.Arrays.toString(m));
        String msg = CpuElementwiseTest.sameError(IllegalArgumentException.class, () -> REF.reduce(Ops.Reduce.MAX, Tensor.zeros(3, 0), 1, false),
                () -> CPU.reduce(Ops.Reduce.MAX, Tensor.zeros(3, 0), 1, false));
        assertTrue(msg.contains("max") && msg.contains("[3, 0]"), msg);
        msg = CpuElementwiseTest.sameError(IllegalArgumentException.class, () -> REF.reduce(Ops.Reduce.SUM, Tensor.zeros(3, 4), 2, false),
                () -> CPU.reduce(Ops.Reduce.SUM, Tensor.zeros(3, 4), 2, false));
        assertTrue(msg.contains("sum") && msg.contains("axis 2"), msg);
        // empty axes: sum 0, mean NaN, as in the oracle
        Check.close("empty sum", REF.reduce(Ops.Reduce.SUM, Tensor.zeros(3, 0), 1, false), CPU.reduce(Ops.Reduce.SUM, Tensor.zeros(3, 0), 1, false), 0, 0);
        Check.close("empty mean", REF.reduce(Ops.Reduce.MEAN, Tensor.zeros(3, 0, 2), 1, true), CPU.reduce(Ops.Reduce.MEAN, Tensor.zeros(3, 0, 2), 1, true), 0, 0);
    }

    @Test
    void sumToMatchesOracle() {
        Object[][] cases = {
                {new int[] {33, 1000}, new int[] {1000}}, {new int[] {33, 1000}, new int[] {33, 1}}, {new int[] {33, 1000}, new int[] {1, 1000}},
                {new int[] {33, 1000}, new int[] {}}, {new int[] {7, 33, 5}, new int[] {33, 1}}, {new int[] {2, 7, 3, 5}, new int[] {7, 1, 1}},
                {new int[] {2, 7, 3, 5}, new int[] {1, 7, 1, 5}}, {new int[] {7, 33}, new int[] {7, 33}}, {new int[] {1, 7}, new int[] {7}},
                {new int[] {1000}, new int[] {1}},
        };
        for (Object[] c : cases) {
            int[] xs = (int[]) c[0], ts = (int[]) c[1];
            int n = (int) (Shape.numel(xs) / Math.max(1, Shape.numel(ts)));
            for (CpuElementwiseTest.In x : CpuElementwiseTest.layouts(7, 1f, xs)) {
                Tensor r = REF.sumTo(x.t(), ts), g = CPU.sumTo(x.t(), ts);
                assertArrayEquals(ts, g.shape(), "sumTo shape");
                Check.close("sumTo " + x.name() + " -> " + Shape.str(ts), r, g, sumTol(n), 1e-6);
            }
        }
        String msg = CpuElementwiseTest.sameError(IllegalArgumentException.class, () -> REF.sumTo(Tensor.zeros(7, 33), new int[] {7, 32}),
                () -> CPU.sumTo(Tensor.zeros(7, 33), new int[] {7, 32}));
        assertTrue(msg.contains("sumTo") && msg.contains("[7, 32]") && msg.contains("[7, 33]"), msg);
        msg = CpuElementwiseTest.sameError(IllegalArgumentException.class, () -> REF.sumTo(Tensor.zeros(7), new int[] {3, 7}),
                () -> CPU.sumTo(Tensor.zeros(7), new int[] {3, 7}));
        assertTrue(msg.contains("does not broadcast"), msg);
    }

    @Test
    void sumAllAndSumSquares() {
        for (int[] shape : new int[][] {{1}, {7}, {33}, {1000}, {33, 1000}, {100_003}}) {
            for (CpuElementwiseTest.In x : CpuElementwiseTest.layouts(9, 1f, shape)) {
                // both add exact float (or float*float) terms in double, in different orders; the oracle's recursive
                // double sum of n terms errs by up to n·2^-53·Σ|term|
                float[] v = x.t().toFloatArray();
                double abs = 0, sq = 0;
                for (float f : v) {
                    abs += Math.abs(f);
                    sq += (double) f * f;
                }
                double bound = 2 * v.length * 0x1p-53;
                assertEquals(REF.sumAll(x.t()), CPU.sumAll(x.t()), bound * abs, "sumAll " + x.name());
                assertEquals(REF.sumSquares(x.t()), CPU.sumSquares(x.t()), bound * sq, "sumSquares " + x.name());
                assertEquals(sq, CPU.sumSquares(x.t()), bound * sq, "sumSquares vs a plain double loop " + x.name());
            }
        }
        assertEquals(0.0, CPU.sumAll(Tensor.zeros(0)));
        assertTrue(Double.isNaN(CPU.sumAll(Tensor.of(new float[] {1, Float.NaN}, 2))));
        String msg = CpuElementwiseTest.sameError(IllegalArgumentException.class, () -> REF.sumSquares(Tensor.zeros(DType.BF16, 3)),
                () -> CPU.sumSquares(Tensor.zeros(DType.BF16, 3)));
        assertTrue(msg.contains("sumSquares") && msg.contains("BF16"), msg);
    }

    /**
     * Softmax tolerance: exp within 2 ulp, the float row sum (relative error ~ d/16·2^-24 for d <= 1000 spread over
     * 16 lanes) and one division: rtol 1e-6; atol 1e-9 for entries that are near 0 after max subtraction.
     */
    @Test
    void softmaxMatchesOracle() {
        for (int[] shape : SHAPES) {
            for (float scale : new float[] {1f, 30f}) {
                for (CpuElementwiseTest.In x : CpuElementwiseTest.layouts(13, scale, shape)) {
                    Check.close("softmax " + x.name() + " scale " + scale, REF.softmax(x.t()), CPU.softmax(x.t()), 1e-9, 1e-6);
                }
            }
        }
        float inf = Float.POSITIVE_INFINITY;
        Tensor odd = Tensor.of(new float[] {-inf, -inf, -inf, 1, 2, -inf, Float.NaN, 0, 1, 1e30f, 0, -1e30f}, 4, 3);
        Check.close("softmax with infinities and NaN", REF.softmax(odd), CPU.softmax(odd), 1e-9, 1e-6);
        Check.close("softmax of an empty last axis", REF.softmax(Tensor.zeros(3, 0)), CPU.softmax(Tensor.zeros(3, 0)), 0, 0);
        String msg = CpuElementwiseTest.sameError(IllegalArgumentException.class, () -> REF.softmax(Tensor.scalar(1f).reshape()),
                () -> CPU.softmax(Tensor.scalar(1f).reshape()));
        assertTrue(msg.contains("softmax"), msg);
    }

    /**
     * softmax backward: y·(g - Σ y·g) with the dot in float: the dot carries about one ulp of max|g| (g ~ randn,
     * |g| < 4.5: ulp 4.8e-7), which survives the cancellation in g - dot and is scaled by y <= 1: atol 5e-7.
     */
    @Test
    void softmaxBackwardMatchesOracle() {
        for (int[] shape : SHAPES) {
            List<CpuElementwiseTest.In> gs = CpuElementwiseTest.layouts(15, 1f, shape);
            int k = 0;
            for (CpuElementwiseTest.In x : CpuElementwiseTest.layouts(14, 2f, shape)) {
                Tensor y = REF.softmax(x.t());
                if (!x.name().startsWith("dense")) y = strided(y);
                Tensor g = gs.get(k++ % gs.size()).t();
                Check.close("softmax backward " + x.name(), REF.softmaxBackward(y, g), CPU.softmaxBackward(y, g), 5e-7, 1e-6);
            }
        }
        String msg = CpuElementwiseTest.sameError(IllegalArgumentException.class,
                () -> REF.softmaxBackward(Tensor.zeros(3, 4), Tensor.zeros(3, 5)), () -> CPU.softmaxBackward(Tensor.zeros(3, 4), Tensor.zeros(3, 5)));
        assertTrue(msg.contains("softmax backward") && msg.contains("[3, 5]") && msg.contains("[3, 4]"), msg);
    }

    /** The same values as a non-contiguous view (last axis stride 2). */
    static Tensor strided(Tensor y) {
        int[] s = y.shape();
        int[] wide = java.util.Arrays.copyOf(s, s.length + 1);
        wide[s.length] = 2;
        Tensor w = Tensor.zeros(wide);
        REF.copyInto(y.unsqueeze(s.length), w.narrow(s.length, 1, 1));
        return w.select(s.length, 1);
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        int saved = Parallel.threads();
        Tensor x = Check.randn(21, 3f, 300, 1000), xs = Check.randnStrided(22, 3f, 300, 1000), big = Check.randn(23, 1f, 200_003);
        Tensor[][] results = new Tensor[3][];
        double[][] sums = new double[3][];
        try {
            for (int t = 1; t <= 3; t++) {
                Parallel.setThreads(t);
                results[t - 1] = new Tensor[] {CPU.reduce(Ops.Reduce.SUM, x, 0, false), CPU.reduce(Ops.Reduce.SUM, x, 1, false),
                        CPU.reduce(Ops.Reduce.MEAN, xs, 0, true), CPU.sumTo(x.reshape(30, 10, 1000), new int[] {10, 1}),
                        CPU.softmax(x), CPU.softmax(xs), CPU.softmaxBackward(CPU.softmax(x), xs), CPU.unary(Ops.Unary.GELU_TANH, x),
                        CPU.binary(Ops.Binary.ADD, x, xs)};
                sums[t - 1] = new double[] {CPU.sumAll(big), CPU.sumSquares(big)};
            }
        } finally {
            Parallel.setThreads(saved);
        }
        for (int t = 1; t < 3; t++) {
            for (int i = 0; i < results[0].length; i++) Check.identical("result " + i + " at " + (t + 1) + " threads vs 1", results[0][i], results[t][i]);
            assertEquals(sums[0][0], sums[t][0], 0.0, "sumAll");
            assertEquals(sums[0][1], sums[t][1], 0.0, "sumSquares");
        }
        assertEquals(saved, Parallel.threads());
    }
}
