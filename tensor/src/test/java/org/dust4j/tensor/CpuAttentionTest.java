package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The online-softmax attention kernel against the double-accumulating {@link ReferenceBackend}. */
class CpuAttentionTest {

    private static final Backend REF = Backends.reference();
    private static final Backend CPU = Backends.cpu();

    /** {B, H, Tq, Tk, dh}: sizes 1, 7, 33, 1000, the model's 81x300 heads of 48, and dh 128. */
    private static final int[][] SHAPES = {
        {1, 1, 1, 1, 1}, {2, 3, 7, 33, 7}, {1, 2, 33, 1000, 48}, {1, 4, 81, 300, 48}, {1, 1, 33, 7, 33},
        {2, 1, 5, 129, 128}, {1, 1, 1000, 7, 1},
    };

    // Float32 scores over dh <= 128 terms of N(0,1) inputs (error ~1e-6 absolute), exp within 2 ulp, and out a
    // convex combination of O(1) rows of V. Observed max |err| at unit-scale inputs: out 3.4e-7, lse 9.5e-7,
    // dq/dk/dv 8e-7 (gradients sum up to 4096 float32 terms), so these are about 10x the observed error.
    private static final double OUT_ATOL = 5e-6, OUT_RTOL = 1e-4;
    private static final double LSE_ATOL = 1e-5, LSE_RTOL = 1e-6;
    private static final double GRAD_ATOL = 1e-5, GRAD_RTOL = 1e-4;

    /** q/k/v stored as [B,T,H,dh] and transposed to [B,H,T,dh] (a strided view, as after a QKV projection). */
    private static Tensor headsView(long seed, float scale, int b, int h, int t, int dh) {
        return Check.randn(seed, scale, b, t, h, dh).transpose(1, 2);
    }

    private static Tensor input(long seed, float scale, int layout, int b, int h, int t, int dh) {
        return switch (layout) {
            case 0 -> Check.randn(seed, scale, b, h, t, dh);
            case 1 -> headsView(seed, scale, b, h, t, dh);
            default -> Check.randnStrided(seed, scale, b, h, t, dh); // last axis not unit stride
        };
    }

    /**
     * Compares forward and backward for one shape. {@code inScale} scales q and k (scores grow by its square, and
     * their float32 rounding error with them); {@code tolFactor} widens every tolerance accordingly.
     */
    private static void compare(String what, int[] s, int layout, float inScale, double tolFactor, long seed) {
        int b = s[0], h = s[1], tq = s[2], tk = s[3], dh = s[4];
        Tensor q = input(seed, inScale, layout, b, h, tq, dh), k = input(seed + 1, inScale, layout, b, h, tk, dh);
        Tensor v = input(seed + 2, 1f, layout, b, h, tk, dh), go = input(seed + 3, 1f, layout, b, h, tq, dh);
        float scale = (float) (1.0 / Math.sqrt(dh));
        String tag = what + " " + java.util.Arrays.toString(s) + " layout=" + layout;
        var ref = REF.attention(q, k, v, scale);
        var got = CPU.attention(q, k, v, scale);
        Check.close(tag + " out", ref.out(), got.out(), OUT_ATOL * tolFactor, OUT_RTOL * tolFactor);
        Check.close(tag + " lse", ref.lse(), got.lse(), LSE_ATOL * tolFactor, LSE_RTOL * tolFactor);
        var rg = REF.attentionBackward(q, k, v, ref.out(), ref.lse(), go, scale);
        var gg = CPU.attentionBackward(q, k, v, ref.out(), ref.lse(), go, scale);
        Check.close(tag + " dq", rg.dq(), gg.dq(), GRAD_ATOL * tolFactor, GRAD_RTOL * tolFactor);
        Check.close(tag + " dk", rg.dk(), gg.dk(), GRAD_ATOL * tolFactor, GRAD_RTOL * tolFactor);
        Check.close(tag + " dv", rg.dv(), gg.dv(), GRAD_ATOL * tolFactor, GRAD_RTOL * tolFactor);
    }

    @Test
    void forwardAndBackwardMatchReference() {
        long seed = 1;
        for (int[] s : SHAPES) {
            compare("attention", s, 0, 1f, 1, seed);
            seed += 10;
        }
    }

    @Test
    void stridedInputsMatchReference() {
        long seed = 500;
        for (int[] s : new int[][] {{2, 3, 7, 33, 7}, {1, 4, 81, 300, 48}, {1, 1, 1, 1, 1}}) {
            for (int layout = 1; layout <= 2; layout++) {
                compare("attention", s, layout, 1f, 1, seed);
                seed += 10;
            }
        }
    }

    @Test
    void peakedScoresAcrossTilesMatchReference() {
        // q, k x2 give scores ~N(0, 16): the running max changes between key tiles and many weights underflow.
        // Score errors grow with |score| (observed max |err| 2e-5 on the gradients), hence 10x wider tolerances.
        compare("peaked attention", new int[] {1, 2, 33, 1000, 48}, 1, 2f, 10, 900);
        compare("peaked attention", new int[] {1, 4, 81, 300, 48}, 0, 2f, 10, 910);
    }

    @Test
    void longKeySequenceMatchesReference() {
        compare("long attention", new int[] {1, 2, 9, 4096, 32}, 0, 1f, 1, 1000);
    }

    @Test
    void emptyKeySequenceGivesZeroOutputAndMinusInfinityLse() {
        Tensor q = Check.randn(1200, 1f, 1, 2, 3, 8), k = Tensor.zeros(1, 2, 0, 8), go = Check.randn(1201, 1f, 1, 2, 3, 8);
        var ref = REF.attention(q, k, k, 0.5f);
        var got = CPU.attention(q, k, k, 0.5f);
        Check.identical("out", ref.out(), got.out());
        Check.identical("lse", ref.lse(), got.lse());
        var rg = REF.attentionBackward(q, k, k, ref.out(), ref.lse(), go, 0.5f);
        var gg = CPU.attentionBackward(q, k, k, ref.out(), ref.lse(), go, 0.5f);
        Check.identical("dq", rg.dq(), gg.dq());
        Check.identical("dk", rg.dk(), gg.dk());
    }

    @Test
    void resultsAreBitIdenticalAtAnyThreadCount() {
        int b = 2, h = 3, tq = 70, tk = 300, dh = 48;
        Tensor q = headsView(1100, 1f, b, h, tq, dh), k = headsView(1101, 1f, b, h, tk, dh);
        Tensor v = headsView(1102, 1f, b, h, tk, dh), go = Check.randn(1103, 1f, b, h, tq, dh);
        int saved = Parallel.threads();
        try {
            Backend.AttentionResult f1 = null;
            Backend.AttentionGrads g1 = null;
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                var f = CPU.attention(q, k, v, 0.125f);
                var g = CPU.attentionBackward(q, k, v, f.out(), f.lse(), go, 0.125f);
                if (f1 == null) {
                    f1 = f;
                    g1 = g;
                    continue;
                }
                String t = " threads=" + threads;
                Check.identical("out" + t, f1.out(), f.out());
                Check.identical("lse" + t, f1.lse(), f.lse());
                Check.identical("dq" + t, g1.dq(), g.dq());
                Check.identical("dk" + t, g1.dk(), g.dk());
                Check.identical("dv" + t, g1.dv(), g.dv());
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void vectorExpIsWithinTwoUlp() {
        int n = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[n], y = new float[n];
        for (float start = -87f; start < 88f; start += 0.37f * n) {
            for (int i = 0; i < n; i++) x[i] = start + 0.37f * i;
            System.arraycopy(x, 0, y, 0, n);
            CpuAttention.expShifted(y, 0, n, 0f);
            for (int i = 0; i < n; i++) {
                if (x[i] < -87f || x[i] > 88f) continue;
                float ref = (float) StrictMath.exp(x[i]);
                assertTrue(Math.abs(y[i] - ref) <= 2 * Math.ulp(ref), "exp(" + x[i] + ") = " + y[i] + ", expected " + ref);
            }
        }
        float[] edge = new float[n];
        java.util.Arrays.fill(edge, Float.NEGATIVE_INFINITY);
        edge[0] = 0f;
        System.arraycopy(edge, 0, y, 0, n);
        CpuAttention.expShifted(y, 0, n, 0f);
        assertTrue(y[0] == 1f && (n == 1 || y[1] == 0f), "exp(0) = " + y[0] + ", exp(-inf) = " + (n > 1 ? y[1] : 0));
    }

    @Test
    void badShapesGiveClearErrors() {
        Tensor q = Tensor.zeros(1, 2, 3, 8), k = Tensor.zeros(1, 2, 5, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> CPU.attention(Tensor.zeros(2, 3, 8), k, k, 1f));
        assertTrue(e.getMessage().contains("attention") && e.getMessage().contains("[2, 3, 8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CPU.attention(q, Tensor.zeros(1, 2, 5, 7), k, 1f));
        assertTrue(e.getMessage().contains("[1, 2, 3, 8]") && e.getMessage().contains("[1, 2, 5, 7]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CPU.attention(q, k, Tensor.zeros(1, 2, 6, 8), 1f));
        assertTrue(e.getMessage().contains("[1, 2, 6, 8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CPU.attentionBackward(q, k, k, q, Tensor.zeros(1, 2, 4), q, 1f));
        assertTrue(e.getMessage().contains("attention backward") && e.getMessage().contains("lse")
                && e.getMessage().contains("[1, 2, 4]") && e.getMessage().contains("[1, 2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CPU.attentionBackward(q, k, k, q, Tensor.zeros(1, 2, 3), Tensor.zeros(1, 2, 3, 7), 1f));
        assertTrue(e.getMessage().contains("gradOut") && e.getMessage().contains("[1, 2, 3, 7]"), e.getMessage());
    }
}
