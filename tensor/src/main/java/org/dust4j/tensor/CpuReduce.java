package org.dust4j.tensor;

import static org.dust4j.tensor.CpuElementwiseMath.L;
import static org.dust4j.tensor.CpuElementwiseMath.SP;
import static org.dust4j.tensor.CpuElementwiseRows.BLOCK;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions and softmax on the CPU with the Vector API. Non-contiguous inputs are made dense first.
 * Every output element is produced by one work item in a fixed order of float operations (lanes summed
 * in a fixed tree), so results are bit-identical at any thread count. Sums accumulate in float (four
 * vector accumulators along a row, one running sum per column down an axis); {@link #sumAll} and
 * {@link #sumSquares} accumulate in double over fixed segments.
 */
final class CpuReduce {
    private CpuReduce() {}

    private static final VectorSpecies<Double> DSP = SP.withLanes(double.class);
    /** Width of the column strip one work item reduces down a non-last axis: four vectors kept in registers. */
    private static final int STRIP = 4 * L;

    static Tensor reduce(Ops.Reduce op, Tensor x, int axis, boolean keepDim) {
        String name = op.name().toLowerCase();
        Checks.requireF32(name, x);
        int a = Shape.axis(name, axis, x.rank());
        int[] shape = x.shape();
        int outer = 1, inner = 1, n = shape[a];
        for (int i = 0; i < a; i++) outer *= shape[i];
        for (int i = a + 1; i < shape.length; i++) inner *= shape[i];
        if (n == 0 && op == Ops.Reduce.MAX) throw new IllegalArgumentException("max: axis " + a + " of shape " + Shape.str(shape) + " is empty");
        Tensor c = x.contiguous();
        float[] out = new float[outer * inner];
        reduceDense(op, c.floatData(), c.offset(), outer, n, inner, out);
        int[] os = shape.clone();
        os[a] = 1;
        Tensor r = Tensor.of(out, os);
        return keepDim ? r : r.squeeze(a);
    }

    /** out[o, j] = reduce over i of v[base + (o*n + i)*inner + j]. */
    static void reduceDense(Ops.Reduce op, float[] v, int base, int outer, int n, int inner, float[] out) {
        if (out.length == 0) return;
        if (n == 0) {   // empty sum is 0; empty mean is 0/0
            Arrays.fill(out, op == Ops.Reduce.MEAN ? Float.NaN : 0f);
            return;
        }
        if (inner == 1) {
            Parallel.forRange(outer, Math.max(1, BLOCK / n), (from, to) -> {
                for (int o = from; o < to; o++) out[o] = reduceRow(op, v, base + o * n, n);
            });
            return;
        }
        int strips = (inner + STRIP - 1) / STRIP;
        Parallel.forRange(outer * strips, (int) Math.max(1, BLOCK / ((long) n * Math.min(inner, STRIP))), (from, to) -> {
            for (int it = from; it < to; it++) {
                int o = it / strips, c0 = (it % strips) * STRIP;
                reduceColumns(op, v, base + o * n * inner, n, inner, c0, Math.min(inner, c0 + STRIP), out, o * inner);
            }
        });
    }

    /** Reduces one dense row of n > 0 elements. */
    private static float reduceRow(Ops.Reduce op, float[] v, int off, int n) {
        int i = 0;
        if (op == Ops.Reduce.MAX) {
            FloatVector m0 = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY), m1 = m0;
            for (; i + 2 * L <= n; i += 2 * L) {
                m0 = m0.max(FloatVector.fromArray(SP, v, off + i));
                m1 = m1.max(FloatVector.fromArray(SP, v, off + i + L));
            }
            for (; i < n; i += L) {
                VectorMask<Float> k = SP.indexInRange(i, n);
                m0 = m0.max(FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY).blend(FloatVector.fromArray(SP, v, off + i, k), k));
            }
            return m0.max(m1).reduceLanes(VectorOperators.MAX);   // max is exact: lane order does not matter
        }
        FloatVector a0 = FloatVector.zero(SP), a1 = a0, a2 = a0, a3 = a0;
        for (; i + 4 * L <= n; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(SP, v, off + i));
            a1 = a1.add(FloatVector.fromArray(SP, v, off + i + L));
            a2 = a2.add(FloatVector.fromArray(SP, v, off + i + 2 * L));
            a3 = a3.add(FloatVector.fromArray(SP, v, off + i + 3 * L));
        }
        for (; i < n; i += L) a0 = a0.add(FloatVector.fromArray(SP, v, off + i, SP.indexInRange(i, n)));   // 0 past n
        float s = sumLanes(a0.add(a1).add(a2.add(a3)).toArray());
        return op == Ops.Reduce.MEAN ? s / n : s;
    }

    /** Sum of the lanes in a fixed pairwise order (the Vector API leaves the order of reduceLanes(ADD) open). */
    static float sumLanes(float[] lanes) {
        float[] t = lanes.clone();
        for (int w = t.length / 2; w >= 1; w /= 2) {
            for (int j = 0; j < w; j++) t[j] += t[j + w];
        }
        return t[0];
    }

    /** Columns [c0, c1) of a [n, inner] block at v[base], each reduced down its n rows in order. */
    private static void reduceColumns(Ops.Reduce op, float[] v, int base, int n, int inner, int c0, int c1, float[] out, int oo) {
        boolean max = op == Ops.Reduce.MAX;
        float init = max ? Float.NEGATIVE_INFINITY : 0f;
        if (c1 - c0 == STRIP) {
            FloatVector a0 = FloatVector.broadcast(SP, init), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0, p = base + c0; i < n; i++, p += inner) {
                FloatVector x0 = FloatVector.fromArray(SP, v, p), x1 = FloatVector.fromArray(SP, v, p + L);
                FloatVector x2 = FloatVector.fromArray(SP, v, p + 2 * L), x3 = FloatVector.fromArray(SP, v, p + 3 * L);
                if (max) {
                    a0 = a0.max(x0);
                    a1 = a1.max(x1);
                    a2 = a2.max(x2);
                    a3 = a3.max(x3);
                } else {
                    a0 = a0.add(x0);
                    a1 = a1.add(x1);
                    a2 = a2.add(x2);
                    a3 = a3.add(x3);
                }
            }
            if (op == Ops.Reduce.MEAN) {
                a0 = a0.div(n);
                a1 = a1.div(n);
                a2 = a2.div(n);
                a3 = a3.div(n);
            }
            a0.intoArray(out, oo + c0);
            a1.intoArray(out, oo + c0 + L);
            a2.intoArray(out, oo + c0 + 2 * L);
            a3.intoArray(out, oo + c0 + 3 * L);
            return;
        }
        for (int c = c0; c < c1; c += L) {
            VectorMask<Float> m = SP.indexInRange(c, c1);
            FloatVector a = FloatVector.broadcast(SP, init);
            for (int i = 0, p = base + c; i < n; i++, p += inner) {
                FloatVector x = FloatVector.fromArray(SP, v, p, m);
                a = max ? a.max(x) : a.add(x);
            }
            if (op == Ops.Reduce.MEAN) a = a.div(n);
            a.intoArray(out, oo + c, m);
        }
    }

    static Tensor sumTo(Tensor x, int[] shape) {
        Checks.requireF32("sumTo", x);
        int[] xs = x.shape();
        if (!Arrays.equals(Shape.broadcast("sumTo", shape, xs), xs)) {
            throw new IllegalArgumentException("sumTo: " + Shape.str(shape) + " does not broadcast to " + Shape.str(xs));
        }
        // merge x's dims into alternating groups that are kept or summed away (size-1 dims of x drop out)
        int lead = xs.length - shape.length;
        List<int[]> groups = new ArrayList<>();   // {size, summed ? 1 : 0}
        for (int d = 0; d < xs.length; d++) {
            if (xs[d] == 1) continue;
            int summed = d < lead || shape[d - lead] == 1 ? 1 : 0;
            if (!groups.isEmpty() && groups.getLast()[1] == summed) groups.getLast()[0] *= xs[d];
            else groups.add(new int[] {xs[d], summed});
        }
        if (groups.stream().noneMatch(g -> g[1] == 1)) {   // nothing to sum: a reshape, as in the oracle
            return x.isContiguous() && x.offset() == 0 ? x.reshape(shape) : CpuElementwise.copy(x).reshape(shape);
        }
        Tensor c = x.contiguous();
        float[] v = c.floatData();
        int base = c.offset();
        while (true) {   // sum the summed groups away one at a time, left to right
            int g = 0;
            while (g < groups.size() && groups.get(g)[1] == 0) g++;
            if (g == groups.size()) break;
            int outer = 1, inner = 1;
            for (int i = 0; i < g; i++) outer *= groups.get(i)[0];
            for (int i = g + 1; i < groups.size(); i++) inner *= groups.get(i)[0];
            float[] out = new float[outer * inner];
            reduceDense(Ops.Reduce.SUM, v, base, outer, groups.get(g)[0], inner, out);
            v = out;
            base = 0;
            groups.remove(g);
        }
        return Tensor.of(v, shape);
    }

    /** Elements per partial sum of sumAll / sumSquares: fixed, so the result does not depend on the thread count. */
    private static final int SEGMENT = 16384;

    static double sumAll(Tensor x) {
        Checks.requireF32("sumAll", x);
        return segmentedSum(x, false);
    }

    static double sumSquares(Tensor x) {
        Checks.requireF32("sumSquares", x);
        return segmentedSum(x, true);
    }

    /** Sum (of squares) in double: each fixed segment with double vector accumulators, segments added in order. */
    private static double segmentedSum(Tensor x, boolean squares) {
        Tensor c = x.contiguous();
        float[] v = c.floatData();
        int off = c.offset(), n = c.numel();
        double[] part = new double[(n + SEGMENT - 1) / SEGMENT];
        Parallel.forRange(part.length, 1, (from, to) -> {
            for (int s = from; s < to; s++) {
                part[s] = segmentSum(v, off + s * SEGMENT, Math.min(SEGMENT, n - s * SEGMENT), squares);
            }
        });
        double total = 0;
        for (double p : part) total += p;
        return total;
    }

    private static double segmentSum(float[] v, int off, int n, boolean squares) {
        DoubleVector a0 = DoubleVector.zero(DSP), a1 = a0;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector f = FloatVector.fromArray(SP, v, off + i);
            DoubleVector d0 = (DoubleVector) f.convertShape(VectorOperators.F2D, DSP, 0);
            DoubleVector d1 = (DoubleVector) f.convertShape(VectorOperators.F2D, DSP, 1);
            if (squares) {
                a0 = d0.fma(d0, a0);   // float*float is exact in double, as in the oracle
                a1 = d1.fma(d1, a1);
            } else {
                a0 = a0.add(d0);
                a1 = a1.add(d1);
            }
        }
        double[] t = a0.add(a1).toArray();
        double s = 0;
        for (double d : t) s += d;
        for (; i < n; i++) s += squares ? (double) v[off + i] * v[off + i] : v[off + i];
        return s;
    }

    // ------------------------------------------------------------ softmax

    static Tensor softmax(Tensor x) {
        Checks.requireF32("softmax", x);
        int d = Checks.lastDim("softmax", x);
        Tensor c = x.contiguous();
        float[] v = c.floatData(), out = new float[c.numel()];
        int off = c.offset(), rows = d == 0 ? 0 : out.length / d;
        Parallel.forRange(rows, Math.max(1, BLOCK / Math.max(1, d)), (from, to) -> {
            for (int r = from; r < to; r++) softmaxRow(v, off + r * d, out, r * d, d);
        });
        return Tensor.of(out, x.shape());
    }

    /** out = exp(x - max) / sum over one row; a NaN anywhere in the row makes the whole row NaN, as in the oracle. */
    private static void softmaxRow(float[] v, int vo, float[] out, int oo, int d) {
        FloatVector mx = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < d; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, d);
            mx = mx.max(FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY).blend(FloatVector.fromArray(SP, v, vo + i, k), k));
        }
        FloatVector m = FloatVector.broadcast(SP, mx.reduceLanes(VectorOperators.MAX));
        for (int i = 0; i < d; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, d);
            FloatVector.fromArray(SP, v, vo + i, k).sub(m).intoArray(out, oo + i, k);
        }
        CpuElementwiseMath.exp(out, oo, out, oo, d);
        FloatVector acc = FloatVector.zero(SP);
        for (int i = 0; i < d; i += L) acc = acc.add(FloatVector.fromArray(SP, out, oo + i, SP.indexInRange(i, d)));
        float sum = sumLanes(acc.toArray());
        int i = 0;
        for (; i + L <= d; i += L) FloatVector.fromArray(SP, out, oo + i).div(sum).intoArray(out, oo + i);
        for (; i < d; i++) out[oo + i] /= sum;
    }

    static Tensor softmaxBackward(Tensor y, Tensor gradOut) {
        Checks.requireF32("softmax backward", y, gradOut);
        Checks.requireShape("softmax backward", "gradOut", gradOut, y.shape());
        int d = Checks.lastDim("softmax backward", y);
        Tensor yc = y.contiguous(), gc = gradOut.contiguous();
        float[] yv = yc.floatData(), gv = gc.floatData(), out = new float[yc.numel()];
        int yo = yc.offset(), go = gc.offset(), rows = d == 0 ? 0 : out.length / d;
        Parallel.forRange(rows, Math.max(1, BLOCK / Math.max(1, d)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int ya = yo + r * d, ga = go + r * d, oa = r * d;
                FloatVector acc = FloatVector.zero(SP);
                for (int i = 0; i < d; i += L) {
                    VectorMask<Float> k = SP.indexInRange(i, d);   // lanes past d load as 0
                    acc = FloatVector.fromArray(SP, yv, ya + i, k).fma(FloatVector.fromArray(SP, gv, ga + i, k), acc);
                }
                FloatVector dot = FloatVector.broadcast(SP, sumLanes(acc.toArray()));
                int i = 0;
                for (; i + L <= d; i += L) {
                    FloatVector yy = FloatVector.fromArray(SP, yv, ya + i);
                    yy.mul(FloatVector.fromArray(SP, gv, ga + i).sub(dot)).intoArray(out, oa + i);
                }
                if (i < d) {
                    VectorMask<Float> k = SP.indexInRange(i, d);
                    FloatVector yy = FloatVector.fromArray(SP, yv, ya + i, k);
                    yy.mul(FloatVector.fromArray(SP, gv, ga + i, k).sub(dot)).intoArray(out, oa + i, k);
                }
            }
        });
        return Tensor.of(out, y.shape());
    }
}
