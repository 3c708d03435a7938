package org.dust4j.tensor;

/**
 * Walks several same-shape views (strided, broadcast) row by row: the shape is first coalesced to the
 * fewest dims (size-1 dims dropped, adjacent dims merged where every view is dense across them), then
 * the innermost dim is a "row" and the outer dims are iterated. Long rows are cut into segments of
 * {@link #BLOCK} elements. Work items (row segments) are spread over {@link Parallel} in chunks whose
 * boundaries depend only on the shape, never on the thread count.
 */
final class CpuElementwiseRows {
    private CpuElementwiseRows() {}

    /** Elements per parallel work item: fixed, so chunk boundaries never depend on the thread count. */
    static final int BLOCK = 16384;
    /** Fewest elements one parallel task of {@link #forEachRow} handles (results do not depend on it). */
    static final int PAR_MIN = 4 * BLOCK;

    /** Coalesced geometry: {@code shape} (rank >= 1), per-view {@code strides[view][dim]} and offsets. */
    record Layout(int[] shape, int[][] strides, int[] offsets) {
        int rank() { return shape.length; }

        /** Elements per row (the innermost dim). */
        int len() { return shape[shape.length - 1]; }

        /** Stride of view t along the row. */
        int inner(int t) { return strides[t][shape.length - 1]; }

        long numel() { return Shape.numel(shape); }
    }

    /** Coalesces the views {@code ts}, all of logical shape {@code shape}. */
    static Layout layout(int[] shape, Tensor... ts) {
        int r = shape.length, nt = ts.length;
        int[][] st = new int[nt][];
        int[] offs = new int[nt];
        for (int t = 0; t < nt; t++) {
            st[t] = ts[t].strides();
            offs[t] = ts[t].offset();
        }
        int[] s = new int[Math.max(1, r)];
        int[][] ss = new int[nt][Math.max(1, r)];
        int k = 0;
        for (int d = 0; d < r; d++) {
            if (shape[d] == 1) continue;
            boolean merge = k > 0;
            for (int t = 0; t < nt && merge; t++) merge = ss[t][k - 1] == st[t][d] * shape[d];
            if (merge) {
                s[k - 1] *= shape[d];
                for (int t = 0; t < nt; t++) ss[t][k - 1] = st[t][d];
            } else {
                s[k] = shape[d];
                for (int t = 0; t < nt; t++) ss[t][k] = st[t][d];
                k++;
            }
        }
        if (k == 0) { // every dim is 1: one element
            s[0] = 1;
            for (int t = 0; t < nt; t++) ss[t][0] = 1;
            k = 1;
        }
        int[] shp = java.util.Arrays.copyOf(s, k);
        int[][] str = new int[nt][];
        for (int t = 0; t < nt; t++) str[t] = java.util.Arrays.copyOf(ss[t], k);
        return new Layout(shp, str, offs);
    }

    /** Body for one row segment: {@code off[t]} is where view t's segment starts, {@code n} its length. */
    @FunctionalInterface
    interface RowBody {
        void row(int[] off, int n);
    }

    /** Calls {@code body} once per row segment of the layout, in parallel. {@code off} is reused: do not keep it. */
    static void forEachRow(Layout l, RowBody body) {
        if (l.numel() == 0) return;
        int r = l.rank(), len = l.len(), nt = l.offsets().length;
        int rows = (int) (l.numel() / len);
        int segs = (len + BLOCK - 1) / BLOCK;
        int items = rows * segs;
        // at least PAR_MIN elements per parallel task: smaller ops cost more in fork/join wake-ups than they gain
        int grain = segs > 1 ? Math.max(1, PAR_MIN / BLOCK) : Math.max(1, PAR_MIN / len);
        int[] inner = new int[nt];
        for (int t = 0; t < nt; t++) inner[t] = l.inner(t);
        Parallel.forRange(items, grain, (from, to) -> {
            int[] idx = new int[r];      // odometer over the outer dims 0..r-2
            int[] base = l.offsets().clone();
            int row = from / segs, seg = from % segs;
            for (int d = r - 2, rem = row; d >= 0; d--) {
                idx[d] = rem % l.shape()[d];
                rem /= l.shape()[d];
                for (int t = 0; t < nt; t++) base[t] += idx[d] * l.strides()[t][d];
            }
            int[] off = new int[nt];
            for (int it = from; it < to; it++) {
                int start = seg * BLOCK, n = Math.min(BLOCK, len - start);
                for (int t = 0; t < nt; t++) off[t] = base[t] + start * inner[t];
                body.row(off, n);
                if (++seg == segs) {
                    seg = 0;
                    for (int d = r - 2; d >= 0; d--) {
                        for (int t = 0; t < nt; t++) base[t] += l.strides()[t][d];
                        if (++idx[d] < l.shape()[d]) break;
                        for (int t = 0; t < nt; t++) base[t] -= l.strides()[t][d] * l.shape()[d];
                        idx[d] = 0;
                    }
                }
            }
        });
    }

    /** Copies {@code n} elements at stride {@code s} from {@code src[o]} into a fresh dense array. */
    static float[] gather(float[] src, int o, int s, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = src[o + i * s];
        return out;
    }

    /** Writes a dense array to {@code dst[o]} at stride {@code s}. */
    static void scatter(float[] src, float[] dst, int o, int s, int n) {
        for (int i = 0; i < n; i++) dst[o + i * s] = src[i];
    }
}
