package org.dust4j.tensor;

import static org.dust4j.tensor.CpuElementwiseRows.BLOCK;

import java.util.Arrays;
import java.util.List;

/**
 * Gather, scatter-add and concat on the CPU: row copies with System.arraycopy, in parallel. scatterAddRows
 * is deterministic: the source rows of each destination row are summed in double in index order (exactly
 * the oracle's arithmetic, so bit-identical to it), one destination row per work item.
 */
final class CpuIndex {
    private CpuIndex() {}

    static Tensor embedding(Tensor table, Tensor indices) {
        Checks.requireF32("embedding", table);
        if (table.rank() != 2) throw new IllegalArgumentException("embedding: table must be [N,D], got " + Shape.str(table.shape()));
        int n = table.size(0), d = table.size(1);
        long[] idx = Checks.indices("embedding", indices, n);
        Tensor t = table.contiguous();
        float[] tv = t.floatData(), out = new float[idx.length * d];
        int to = t.offset();
        Parallel.forRange(idx.length, Math.max(1, BLOCK / Math.max(1, d)), (from, end) -> {
            for (int r = from; r < end; r++) System.arraycopy(tv, to + (int) idx[r] * d, out, r * d, d);
        });
        int[] os = Arrays.copyOf(indices.shape(), indices.rank() + 1);
        os[indices.rank()] = d;
        return Tensor.of(out, os);
    }

    static Tensor scatterAddRows(Tensor src, Tensor indices, int numRows) {
        Checks.requireF32("scatterAddRows", src);
        long[] idx = Checks.indices("scatterAddRows", indices, numRows);
        int d = Checks.lastDim("scatterAddRows", src);
        if ((long) idx.length * d != src.numel()) {
            throw new IllegalArgumentException("scatterAddRows: source " + Shape.str(src.shape()) + " does not hold one row per index of "
                    + Shape.str(indices.shape()));
        }
        // bucket the source rows by destination row, keeping index order inside each bucket (counting sort)
        int[] start = new int[numRows + 1];
        for (long i : idx) start[(int) i + 1]++;
        for (int r = 0; r < numRows; r++) start[r + 1] += start[r];
        int[] order = new int[idx.length], fillAt = Arrays.copyOf(start, numRows);
        for (int r = 0; r < idx.length; r++) order[fillAt[(int) idx[r]]++] = r;

        Tensor s = src.contiguous();
        float[] sv = s.floatData(), out = new float[numRows * d];
        int so = s.offset();
        Parallel.forRange(numRows, Math.max(1, BLOCK / Math.max(1, d)), (from, to) -> {
            double[] acc = null;
            for (int row = from; row < to; row++) {
                int b = start[row], e = start[row + 1], o = row * d;
                if (b == e) continue;
                if (e - b == 1) {   // one source row: 0 + x, which is the oracle's (float) (0.0 + x)
                    int p = so + order[b] * d;
                    for (int c = 0; c < d; c++) out[o + c] = 0f + sv[p + c];
                    continue;
                }
                if (e - b == 2) {   // two: a float add rounds a+b once, as (float) (0.0 + a + b) does (53 >= 2*24+2 bits)
                    int p = so + order[b] * d, q = so + order[b + 1] * d;
                    for (int c = 0; c < d; c++) out[o + c] = (0f + sv[p + c]) + sv[q + c];
                    continue;
                }
                if (acc == null) acc = new double[d];
                Arrays.fill(acc, 0.0);
                for (int k = b; k < e; k++) {
                    int p = so + order[k] * d;
                    for (int c = 0; c < d; c++) acc[c] += sv[p + c];
                }
                for (int c = 0; c < d; c++) out[o + c] = (float) acc[c];
            }
        });
        return Tensor.of(out, numRows, d);
    }

    static Tensor concat(List<Tensor> parts, int axis) {
        int[] os = Shape.concat(parts, axis);
        Tensor first = parts.get(0);
        int a = Shape.axis("concat", axis, first.rank());
        Tensor out = Tensor.zeros(first.dtype(), os);
        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= os[i];
        for (int i = a + 1; i < os.length; i++) inner *= os[i];
        Object dst = array(out.storage());
        int at = 0;
        for (Tensor t : parts) {
            Object src = array(t.storage());
            if (src != null && t.isContiguous() && t.numel() > 0) {   // block copies: one per outer index
                int w = t.size(a) * inner, rowOut = os[a] * inner, dstAt = at * inner, so = t.offset();
                Parallel.forRange(outer, Math.max(1, BLOCK / w), (from, to) -> {
                    for (int o = from; o < to; o++) System.arraycopy(src, so + o * w, dst, o * rowOut + dstAt, w);
                });
            } else {
                CpuElementwise.copyInto(t, out.narrow(a, at, t.size(a)));
            }
            at += t.size(a);
        }
        return out;
    }

    /** The primitive array behind CPU storage, or null for other devices. */
    private static Object array(Storage s) {
        return switch (s) {
            case CpuStorage.Floats f -> f.data();
            case CpuStorage.Shorts h -> h.data();
            case CpuStorage.Longs l -> l.data();
            case CpuStorage.Ints i -> i.data();
            default -> null;
        };
    }
}
