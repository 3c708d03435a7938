package org.dust4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small-M GEMM without packing, for {@code y = x @ W^T} with K-contiguous operands (rows of op(A) and columns of
 * op(B) contiguous along k, as for a torch-layout linear weight W [N, K]): each output element is a dot product
 * of two contiguous k runs. A 2 x 8 register tile of vector accumulators runs fma along the whole vectors of k,
 * a fixed tree of lane additions reduces the 16 accumulators, a scalar fma chain adds the k tail in order, then the alpha/beta epilogue of
 * {@link CpuGemm} ({@code alpha*acc} when beta is 0, which overwrites NaN; else {@code fma(acc, alpha, beta*c)}).
 *
 * <p>Every element's arithmetic depends only on k (not on its tile position, the tiling or the thread count),
 * so results are bit-identical at any thread count. They differ in rounding from the packed path, which is why
 * the choice ({@link #applies}) depends on the shapes and strides only.
 */
final class CpuGemmSmallM {
    private CpuGemmSmallM() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Largest M (rows per batch entry) taken by this path: measured faster than the packed path (single-thread
     * CPU time, GemmSmallMCompare) up to M = 7 (1.2-3.2x: packing W then serves too few rows), about even at
     * M = 8 (0.9-1.2x, the packed 8-row kernel is full from there), slower at 12..81 rows (0.43-0.79x: the lane
     * reductions and the A and W loads per fma cost more than packing W once). {@code -Ddust4j.gemm.smallm.maxm}
     * overrides it, for tuning only.
     */
    static final int MAX_M = Integer.getInteger("dust4j.gemm.smallm.maxm", 7);
    /** Output columns (W rows) per parallel task. */
    private static final int COLS_PER_TASK = 32;
    /** Lane-swap shuffles (lane i to i^h) and masks of the lanes with bit h set, h = 8, 4, 2, 1 (16-lane species only). */
    private static final VectorShuffle<Float> SW8 = VectorShuffle.fromArray(S, swap(8), 0), SW4 = VectorShuffle.fromArray(S, swap(4), 0),
            SW2 = VectorShuffle.fromArray(S, swap(2), 0), SW1 = VectorShuffle.fromArray(S, swap(1), 0);
    private static final VectorMask<Float> HI8 = VectorMask.fromArray(S, high(8), 0), HI4 = VectorMask.fromArray(S, high(4), 0),
            HI2 = VectorMask.fromArray(S, high(2), 0), HI1 = VectorMask.fromArray(S, high(1), 0);

    private static int[] swap(int h) {
        int[] idx = new int[L];
        for (int i = 0; i < L; i++) idx[i] = (i ^ h) % L;
        return idx;
    }

    private static boolean[] high(int h) {
        boolean[] bits = new boolean[L];
        for (int i = 0; i < L; i++) bits[i] = (i & h) != 0;
        return bits;
    }

    /** Whether the fast path takes a problem: K-contiguous A rows and op(B) columns, m &lt;= MAX_M, 16-lane vectors. */
    static boolean applies(int m, int aColStride, int bRowStride) {
        return L == 16 && m <= MAX_M && aColStride == 1 && bRowStride == 1 && !Boolean.getBoolean("dust4j.gemm.nosmallm");
    }

    /**
     * C[bi] = alpha * A[bi] @ B[bi] + beta * C[bi]. Element (i, p) of op(A) entry bi is {@code a[aOff + bi*aBs +
     * i*aRs + p]}, element (p, j) of op(B) is {@code b[bOff + bi*bBs + j*bCs + p]}, element (i, j) of C is
     * {@code c[cOff + bi*cBs + i*cRs + j*cCs]}.
     */
    static void gemm(float alpha, float beta, int batch, int m, int n, int k,
                     float[] a, int aOff, int aBs, int aRs, float[] b, int bOff, int bBs, int bCs,
                     float[] c, int cOff, int cBs, int cRs, int cCs, boolean parallel) {
        int tiles = (n + COLS_PER_TASK - 1) / COLS_PER_TASK;
        RangeTask body = (from, to) -> {
            float[] sums = new float[16 * L];
            for (int t = from; t < to; t++) {
                int bi = t / tiles, j0 = t % tiles * COLS_PER_TASK, j1 = Math.min(n, j0 + COLS_PER_TASK);
                block(alpha, beta, m, k, a, aOff + bi * aBs, aRs, b, bOff + bi * bBs, bCs, j0, j1,
                        c, cOff + bi * cBs, cRs, cCs, sums);
            }
        };
        if (parallel) Parallel.forRange(batch * tiles, 1, body::run);
        else body.run(0, batch * tiles);
    }

    private interface RangeTask { void run(int from, int to); }

    /** Columns [j0, j1) of one batch entry: 8 W rows at a time (the last group repeats its last row), all rows of A. */
    private static void block(float alpha, float beta, int m, int k, float[] a, int ao, int aRs, float[] b, int bo, int bCs,
                              int j0, int j1, float[] c, int co, int cRs, int cCs, float[] sums) {
        int[] w = new int[8];
        for (int j = j0; j < j1; j += 8) {
            int cols = Math.min(8, j1 - j);
            for (int q = 0; q < 8; q++) w[q] = bo + (j + Math.min(q, cols - 1)) * bCs;
            int i = 0;
            for (; i + 2 <= m; i += 2) {
                int r0 = ao + i * aRs;
                tile(k, a, r0, r0 + aRs, true, b, w, sums);
                store(alpha, beta, sums, 2, cols, c, co + i * cRs + j * cCs, cRs, cCs);
            }
            if (i < m) {
                tile(k, a, ao + i * aRs, 0, false, b, w, sums);
                store(alpha, beta, sums, 1, cols, c, co + i * cRs + j * cCs, cRs, cCs);
            }
        }
    }

    /** The epilogue on sums[8*r + col] for the valid rows x cols. */
    private static void store(float alpha, float beta, float[] sums, int rows, int cols, float[] c, int co, int rs, int cs) {
        for (int r = 0; r < rows; r++) {
            for (int q = 0; q < cols; q++) {
                float v = sums[8 * r + q];
                int idx = co + r * rs + q * cs;
                c[idx] = beta == 0f ? v * alpha : Math.fma(v, alpha, beta * c[idx]);
            }
        }
    }

    /** Sums of row a0 (and a1 when two) x the 8 W rows at w[] over k into s[8*row + col]. */
    private static void tile(int k, float[] a, int a0, int a1, boolean two, float[] b, int[] w, float[] s) {
        int kv = k - k % L;
        if (two) tile2x8(kv, a, a0, a1, b, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], s);
        else tile1x8(kv, a, a0, b, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], s);
        reduce16(s, two ? 16 : 8);
        tail(k, kv, a, a0, b, w, s, 0);
        if (two) tail(k, kv, a, a1, b, w, s, 8);
    }

    /** Vector accumulators of rows a0, a1 x rows w0..w7 over k [0, kv) to s[16*(8*row + col)..]. */
    private static void tile2x8(int kv, float[] a, int a0, int a1, float[] b, int w0, int w1, int w2, int w3, int w4, int w5,
                                int w6, int w7, float[] s) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c04 = FloatVector.zero(S), c05 = FloatVector.zero(S), c06 = FloatVector.zero(S), c07 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
        FloatVector c14 = FloatVector.zero(S), c15 = FloatVector.zero(S), c16 = FloatVector.zero(S), c17 = FloatVector.zero(S);
        for (int p = 0; p < kv; p += L) {
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + p), x1 = FloatVector.fromArray(S, a, a1 + p);
            FloatVector v = FloatVector.fromArray(S, b, w0 + p);
            c00 = x0.fma(v, c00); c10 = x1.fma(v, c10);
            v = FloatVector.fromArray(S, b, w1 + p);
            c01 = x0.fma(v, c01); c11 = x1.fma(v, c11);
            v = FloatVector.fromArray(S, b, w2 + p);
            c02 = x0.fma(v, c02); c12 = x1.fma(v, c12);
            v = FloatVector.fromArray(S, b, w3 + p);
            c03 = x0.fma(v, c03); c13 = x1.fma(v, c13);
            v = FloatVector.fromArray(S, b, w4 + p);
            c04 = x0.fma(v, c04); c14 = x1.fma(v, c14);
            v = FloatVector.fromArray(S, b, w5 + p);
            c05 = x0.fma(v, c05); c15 = x1.fma(v, c15);
            v = FloatVector.fromArray(S, b, w6 + p);
            c06 = x0.fma(v, c06); c16 = x1.fma(v, c16);
            v = FloatVector.fromArray(S, b, w7 + p);
            c07 = x0.fma(v, c07); c17 = x1.fma(v, c17);
        }
        c00.intoArray(s, 0); c01.intoArray(s, L); c02.intoArray(s, 2 * L); c03.intoArray(s, 3 * L);
        c04.intoArray(s, 4 * L); c05.intoArray(s, 5 * L); c06.intoArray(s, 6 * L); c07.intoArray(s, 7 * L);
        c10.intoArray(s, 8 * L); c11.intoArray(s, 9 * L); c12.intoArray(s, 10 * L); c13.intoArray(s, 11 * L);
        c14.intoArray(s, 12 * L); c15.intoArray(s, 13 * L); c16.intoArray(s, 14 * L); c17.intoArray(s, 15 * L);
    }

    /** Vector accumulators of row a0 x rows w0..w7 over k [0, kv) to s[16*col..] (same per-element arithmetic as {@link #tile2x8}). */
    private static void tile1x8(int kv, float[] a, int a0, float[] b, int w0, int w1, int w2, int w3, int w4, int w5,
                                int w6, int w7, float[] s) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
        FloatVector c04 = FloatVector.zero(S), c05 = FloatVector.zero(S), c06 = FloatVector.zero(S), c07 = FloatVector.zero(S);
        for (int p = 0; p < kv; p += L) {
            FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
            c00 = x0.fma(FloatVector.fromArray(S, b, w0 + p), c00);
            c01 = x0.fma(FloatVector.fromArray(S, b, w1 + p), c01);
            c02 = x0.fma(FloatVector.fromArray(S, b, w2 + p), c02);
            c03 = x0.fma(FloatVector.fromArray(S, b, w3 + p), c03);
            c04 = x0.fma(FloatVector.fromArray(S, b, w4 + p), c04);
            c05 = x0.fma(FloatVector.fromArray(S, b, w5 + p), c05);
            c06 = x0.fma(FloatVector.fromArray(S, b, w6 + p), c06);
            c07 = x0.fma(FloatVector.fromArray(S, b, w7 + p), c07);
        }
        c00.intoArray(s, 0); c01.intoArray(s, L); c02.intoArray(s, 2 * L); c03.intoArray(s, 3 * L);
        c04.intoArray(s, 4 * L); c05.intoArray(s, 5 * L); c06.intoArray(s, 6 * L); c07.intoArray(s, 7 * L);
    }

    /** Adds the k tail [kv, k) of row a0 x the 8 W rows at w[] to the sums s[o..o+7] in k order (scalar fma). */
    private static void tail(int k, int kv, float[] a, int a0, float[] b, int[] w, float[] s, int o) {
        for (int q = 0; q < 8; q++) {
            float acc = s[o + q];
            for (int p = kv, wq = w[q]; p < k; p++) acc = Math.fma(a[a0 + p], b[wq + p], acc);
            s[o + q] = acc;
        }
    }

    /**
     * Replaces the first {@code count} (8 or 16) vectors of 16 lanes in s[16*i ..] by their lane sums in s[i], by
     * a fixed tree: at each level pairs of vectors merge so that one holds the pairwise lane sums of both (the
     * first in the lanes with bit h clear). Missing inputs (count 8) are zeros.
     */
    private static void reduce16(float[] s, int count) {
        if (count == 8) java.util.Arrays.fill(s, 8 * L, 16 * L, 0f);
        // level h: vector i becomes the pair of vectors 2i and 2i+1 (in place: slot i is read before it is written);
        // pair(x, y) in lane i with bit h clear: x[i] + x[i^h], with bit h set: y[i^h] + y[i]
        for (int i = 0; i < 8; i++) {
            FloatVector x = FloatVector.fromArray(S, s, 2 * i * L), y = FloatVector.fromArray(S, s, (2 * i + 1) * L);
            x.blend(y.rearrange(SW8), HI8).add(x.rearrange(SW8).blend(y, HI8)).intoArray(s, i * L);
        }
        for (int i = 0; i < 4; i++) {
            FloatVector x = FloatVector.fromArray(S, s, 2 * i * L), y = FloatVector.fromArray(S, s, (2 * i + 1) * L);
            x.blend(y.rearrange(SW4), HI4).add(x.rearrange(SW4).blend(y, HI4)).intoArray(s, i * L);
        }
        for (int i = 0; i < 2; i++) {
            FloatVector x = FloatVector.fromArray(S, s, 2 * i * L), y = FloatVector.fromArray(S, s, (2 * i + 1) * L);
            x.blend(y.rearrange(SW2), HI2).add(x.rearrange(SW2).blend(y, HI2)).intoArray(s, i * L);
        }
        FloatVector x = FloatVector.fromArray(S, s, 0), y = FloatVector.fromArray(S, s, L);
        x.blend(y.rearrange(SW1), HI1).add(x.rearrange(SW1).blend(y, HI1)).intoArray(s, 0);
        // input i (bits b3 b2 b1 b0) ends in lane b0*8 + b1*4 + b2*2 + b3: undo the bit reversal
        float t;
        t = s[1]; s[1] = s[8]; s[8] = t;
        t = s[2]; s[2] = s[4]; s[4] = t;
        t = s[3]; s[3] = s[12]; s[12] = t;
        t = s[5]; s[5] = s[10]; s[10] = t;
        t = s[7]; s[7] = s[14]; s[14] = t;
        t = s[11]; s[11] = s[13]; s[13] = t;
    }
}
