package org.dust4j.kernels.cuda;

import java.io.IOException;
import java.nio.file.Files;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.ReferenceBackend;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * attention_tc.cu's three kernels run lane by lane on the CPU: the warp's fragments as the PTX ISA lays them out for
 * mma.m16n8k16 (A row-major, B column-major, C; lane = 4g + t), an mma that rebuilds the 16x16 / 16x8 tiles from the
 * fragments, multiplies and scatters the result back, and the kernels' loops (A fragments from global rows, smem
 * tiles with padded rows, the C-to-A register reuse for P and dS, masking of key/query tails, the online softmax,
 * lse, the backward statistics). Checked against ReferenceBackend on the same BF16-rounded inputs with the GPU
 * test's tolerances, on odd Tq/Tk (block tails, tile tails) for head dims 16, 48 and 128 (tile 32). This checks the
 * kernels' index and fragment bookkeeping without a GPU; the hardware's mma semantics are checked on a GPU
 * ({@code CudaKernelsGpuTest.tensorCoreAttentionAgainstReferenceAndF32Kernel}).
 */
class AttentionTcEmulationTest {
    static final ReferenceBackend R = Backends.reference();
    static final float LOG2E = 1.4426950408889634f, LN2 = 0.6931471805599453f;

    // ---------------------------------------------------------------- BF16 bits and the mma

    static int bits(float v) { return org.dust4j.tensor.Half.floatToBf16(v) & 0xffff; }

    static float val(int b) { return Float.intBitsToFloat((b & 0xffff) << 16); }

    static int pack2(float lo, float hi) { return bits(lo) | (bits(hi) << 16); }

    static float lo(int r) { return val(r); }

    static float hi(int r) { return val(r >>> 16); }

    static float exp2(float x) { return (float) Math.pow(2, x); }

    /** d[lane] += A . B for one warp: a[lane][4] (A fragment), b0/b1[lane] (B fragment), d[lane][4] (C fragment). */
    static void mma(float[][] d, int[][] a, int[] b0, int[] b1) {
        float[][] A = new float[16][16], B = new float[16][8];
        for (int lane = 0; lane < 32; lane++) {
            int g = lane >> 2, t = lane & 3;
            A[g][2 * t] = lo(a[lane][0]);
            A[g][2 * t + 1] = hi(a[lane][0]);
            A[g + 8][2 * t] = lo(a[lane][1]);
            A[g + 8][2 * t + 1] = hi(a[lane][1]);
            A[g][2 * t + 8] = lo(a[lane][2]);
            A[g][2 * t + 9] = hi(a[lane][2]);
            A[g + 8][2 * t + 8] = lo(a[lane][3]);
            A[g + 8][2 * t + 9] = hi(a[lane][3]);
            B[2 * t][g] = lo(b0[lane]);
            B[2 * t + 1][g] = hi(b0[lane]);
            B[2 * t + 8][g] = lo(b1[lane]);
            B[2 * t + 9][g] = hi(b1[lane]);
        }
        for (int lane = 0; lane < 32; lane++) {
            int g = lane >> 2, t = lane & 3;
            for (int e = 0; e < 4; e++) {
                int row = g + (e >= 2 ? 8 : 0), col = 2 * t + (e & 1);
                float acc = d[lane][e];
                for (int k = 0; k < 16; k++) acc += A[row][k] * B[k][col];
                d[lane][e] = acc;
            }
        }
    }

    // ---------------------------------------------------------------- the kernels' helpers

    /** One head's [T, D] slab as BF16 bits (row stride D). */
    record Slab(int[] v, int T, int D) {
        int at(int r, int c) { return v[r * D + c]; }

        int pair(int r, int c) { return at(r, c) | (at(r, c + 1) << 16); }
    }

    static Slab slab(Tensor x, int bh) {   // x: [BH, T, D] F32 holding BF16 values
        int T = x.size(1), D = x.size(2);
        float[] f = x.toFloatArray();
        int[] v = new int[T * D];
        for (int i = 0; i < v.length; i++) v[i] = bits(f[bh * T * D + i]);
        return new Slab(v, T, D);
    }

    /** load_a_rows: [ks][lane][4]. */
    static int[][][] loadARows(Slab s, int r0) {
        int KS = s.D / 16;
        int[][][] a = new int[KS][32][4];
        for (int lane = 0; lane < 32; lane++) {
            int g = lane >> 2, t = lane & 3, ra = r0 + g, rb = r0 + g + 8;
            for (int ks = 0; ks < KS; ks++) {
                int c = ks * 16 + 2 * t;
                a[ks][lane][0] = ra < s.T ? s.pair(ra, c) : 0;
                a[ks][lane][1] = rb < s.T ? s.pair(rb, c) : 0;
                a[ks][lane][2] = ra < s.T ? s.pair(ra, c + 8) : 0;
                a[ks][lane][3] = rb < s.T ? s.pair(rb, c + 8) : 0;
            }
        }
        return a;
    }

    /** stage: TILE padded rows (LD = D + 8), zero beyond T. */
    static int[] stage(Slab s, int t0, int tile) {
        int LD = s.D + 8;
        int[] sm = new int[tile * LD];
        for (int j = 0; j < tile; j++) {
            for (int c = 0; c < s.D; c++) sm[j * LD + c] = t0 + j < s.T ? s.at(t0 + j, c) : 0;
        }
        return sm;
    }

    static int ldPairS(int[] sm, int off) { return sm[off] | (sm[off + 1] << 16); }

    /** mma_rows_by_tile: acc[nt][lane][4] = rows(A) x rows(smem)^T. */
    static float[][][] rowsByTile(int[][][] a, int[] sm, int D, int tile) {
        int LD = D + 8, TN = tile / 8;
        float[][][] acc = new float[TN][32][4];
        for (int nt = 0; nt < TN; nt++) {
            for (int ks = 0; ks < D / 16; ks++) {
                int[] b0 = new int[32], b1 = new int[32];
                for (int lane = 0; lane < 32; lane++) {
                    int g = lane >> 2, t = lane & 3, row = (nt * 8 + g) * LD;
                    b0[lane] = ldPairS(sm, row + ks * 16 + 2 * t);
                    b1[lane] = ldPairS(sm, row + ks * 16 + 2 * t + 8);
                }
                mma(acc[nt], a[ks], b0, b1);
            }
        }
        return acc;
    }

    /** mma_frag_by_tile: out[nt] += P (C fragments, BF16-rounded) x smem tile. */
    static void fragByTile(float[][][] out, float[][][] p, int[] sm, int D, int tile) {
        int LD = D + 8;
        for (int kk = 0; kk < tile / 16; kk++) {
            int[][] a = new int[32][4];
            for (int lane = 0; lane < 32; lane++) {
                a[lane][0] = pack2(p[2 * kk][lane][0], p[2 * kk][lane][1]);
                a[lane][1] = pack2(p[2 * kk][lane][2], p[2 * kk][lane][3]);
                a[lane][2] = pack2(p[2 * kk + 1][lane][0], p[2 * kk + 1][lane][1]);
                a[lane][3] = pack2(p[2 * kk + 1][lane][2], p[2 * kk + 1][lane][3]);
            }
            for (int nt = 0; nt < D / 8; nt++) {
                int[] b0 = new int[32], b1 = new int[32];
                for (int lane = 0; lane < 32; lane++) {
                    int g = lane >> 2, t = lane & 3, r = kk * 16 + 2 * t, c = nt * 8 + g;
                    b0[lane] = sm[r * LD + c] | (sm[(r + 1) * LD + c] << 16);
                    b1[lane] = sm[(r + 8) * LD + c] | (sm[(r + 9) * LD + c] << 16);
                }
                mma(out[nt], a, b0, b1);
            }
        }
    }

    static void storeRows(float[] dst, int T, int D, int r0, float[][][] acc, float mul0, float mul1) {
        float[] m0 = new float[32], m1 = new float[32];
        java.util.Arrays.fill(m0, mul0);
        java.util.Arrays.fill(m1, mul1);
        storeRows(dst, T, D, r0, acc, m0, m1);
    }

    /** store_rows into a [T, D] float array (BF16-rounded), rows >= T skipped; per-lane multipliers of rows g, g+8. */
    static void storeRows(float[] dst, int T, int D, int r0, float[][][] acc, float[] mul0, float[] mul1) {
        for (int lane = 0; lane < 32; lane++) {
            int g = lane >> 2, t = lane & 3, ra = r0 + g, rb = r0 + g + 8;
            for (int nt = 0; nt < D / 8; nt++) {
                int c = nt * 8 + 2 * t;
                if (ra < T) {
                    dst[ra * D + c] = val(bits(acc[nt][lane][0] * mul0[lane]));
                    dst[ra * D + c + 1] = val(bits(acc[nt][lane][1] * mul0[lane]));
                }
                if (rb < T) {
                    dst[rb * D + c] = val(bits(acc[nt][lane][2] * mul1[lane]));
                    dst[rb * D + c + 1] = val(bits(acc[nt][lane][3] * mul1[lane]));
                }
            }
        }
    }

    /** A quad-uniform reduction (shfl_xor 1, 2) of per-lane values. */
    static float[] quad(float[] v, boolean max) {
        float[] r = new float[32];
        for (int lane = 0; lane < 32; lane++) {
            int b = lane & ~3;
            float acc = v[b];
            for (int i = 1; i < 4; i++) acc = max ? Math.max(acc, v[b + i]) : acc + v[b + i];
            r[lane] = acc;
        }
        return r;
    }

    static int tile(int D) { return D == 128 ? 32 : 64; }

    // ---------------------------------------------------------------- the kernels

    /** tc_fwd for one head: out [Tq, D], lse [Tq]. */
    static void forward(Slab q, Slab k, Slab v, float scale, float[] out, float[] lse) {
        int D = q.D, Tq = q.T, Tk = k.T, TILE = tile(D), TN = TILE / 8;
        float c2 = scale * LOG2E;
        for (int r0 = 0; r0 < Tq; r0 += 16) {           // every warp of every block
            int[][][] qa = loadARows(q, r0);
            float[][][] acc = new float[D / 8][32][4];
            float[] m0 = new float[32], m1 = new float[32], l0 = new float[32], l1 = new float[32];
            java.util.Arrays.fill(m0, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(m1, Float.NEGATIVE_INFINITY);
            for (int kt = 0; kt < Tk; kt += TILE) {
                int[] ks = stage(k, kt, TILE), vs = stage(v, kt, TILE);
                float[][][] s = rowsByTile(qa, ks, D, TILE);
                float[] x0 = new float[32], x1 = new float[32];
                for (int lane = 0; lane < 32; lane++) {
                    int t = lane & 3;
                    x0[lane] = x1[lane] = Float.NEGATIVE_INFINITY;
                    for (int nt = 0; nt < TN; nt++) {
                        int key = kt + nt * 8 + 2 * t;
                        for (int e = 0; e < 4; e++) s[nt][lane][e] = key + (e & 1) < Tk ? s[nt][lane][e] * c2 : Float.NEGATIVE_INFINITY;
                        x0[lane] = Math.max(x0[lane], Math.max(s[nt][lane][0], s[nt][lane][1]));
                        x1[lane] = Math.max(x1[lane], Math.max(s[nt][lane][2], s[nt][lane][3]));
                    }
                }
                float[] q0 = quad(x0, true), q1 = quad(x1, true);
                for (int lane = 0; lane < 32; lane++) {
                    float n0 = Math.max(m0[lane], q0[lane]), n1 = Math.max(m1[lane], q1[lane]);
                    float a0 = exp2(m0[lane] - n0), a1 = exp2(m1[lane] - n1);
                    l0[lane] *= a0;
                    l1[lane] *= a1;
                    for (int nt = 0; nt < D / 8; nt++) {
                        acc[nt][lane][0] *= a0;
                        acc[nt][lane][1] *= a0;
                        acc[nt][lane][2] *= a1;
                        acc[nt][lane][3] *= a1;
                    }
                    for (int nt = 0; nt < TN; nt++) {
                        for (int e = 0; e < 4; e++) s[nt][lane][e] = val(bits(exp2(s[nt][lane][e] - (e < 2 ? n0 : n1))));
                        l0[lane] += s[nt][lane][0] + s[nt][lane][1];
                        l1[lane] += s[nt][lane][2] + s[nt][lane][3];
                    }
                    m0[lane] = n0;
                    m1[lane] = n1;
                }
                fragByTile(acc, s, vs, D, TILE);
            }
            float[] s0 = quad(l0, false), s1 = quad(l1, false);
            for (int lane = 0; lane < 32; lane += 4) {      // the t == 0 lanes write lse; the store is per lane
                int g = lane >> 2;
                if (r0 + g < Tq) lse[r0 + g] = (float) ((m0[lane] + Math.log(s0[lane]) / Math.log(2)) * LN2);
                if (r0 + g + 8 < Tq) lse[r0 + g + 8] = (float) ((m1[lane] + Math.log(s1[lane]) / Math.log(2)) * LN2);
            }
            float[] inv0 = new float[32], inv1 = new float[32];
            for (int lane = 0; lane < 32; lane++) {
                inv0[lane] = 1f / s0[lane];
                inv1[lane] = 1f / s1[lane];
            }
            storeRows(out, Tq, D, r0, acc, inv0, inv1);
        }
    }

    /** tc_bwd_dkdv for one head. */
    static void backwardDkDv(Slab q, Slab k, Slab v, Slab dout, float[] lse, float[] delta, float scale, float[] dk, float[] dv) {
        int D = q.D, Tq = q.T, Tk = k.T, TILE = tile(D), TN = TILE / 8;
        float c2 = scale * LOG2E;
        for (int r0 = 0; r0 < Tk; r0 += 16) {
            int[][][] ka = loadARows(k, r0), va = loadARows(v, r0);
            float[][][] dka = new float[D / 8][32][4], dva = new float[D / 8][32][4];
            for (int qt = 0; qt < Tq; qt += TILE) {
                int[] qs = stage(q, qt, TILE), gs = stage(dout, qt, TILE);
                float[] l2 = new float[TILE], dl = new float[TILE];
                for (int i = 0; i < TILE; i++) {
                    l2[i] = qt + i < Tq ? lse[qt + i] * LOG2E : Float.POSITIVE_INFINITY;
                    dl[i] = qt + i < Tq ? delta[qt + i] : 0f;
                }
                float[][][] p = rowsByTile(ka, qs, D, TILE), ds = rowsByTile(va, gs, D, TILE);
                for (int nt = 0; nt < TN; nt++) {
                    for (int lane = 0; lane < 32; lane++) {
                        for (int e = 0; e < 4; e++) {
                            int i = nt * 8 + 2 * (lane & 3) + (e & 1);
                            float pe = exp2(p[nt][lane][e] * c2 - l2[i]);
                            p[nt][lane][e] = pe;
                            ds[nt][lane][e] = pe * (ds[nt][lane][e] - dl[i]);
                        }
                    }
                }
                fragByTile(dva, p, gs, D, TILE);
                fragByTile(dka, ds, qs, D, TILE);
            }
            storeRows(dk, Tk, D, r0, dka, scale, scale);
            storeRows(dv, Tk, D, r0, dva, 1f, 1f);
        }
    }

    /** tc_bwd_dq for one head. */
    static void backwardDq(Slab q, Slab k, Slab v, Slab dout, float[] lse, float[] delta, float scale, float[] dq) {
        int D = q.D, Tq = q.T, Tk = k.T, TILE = tile(D), TN = TILE / 8;
        float c2 = scale * LOG2E;
        for (int r0 = 0; r0 < Tq; r0 += 16) {
            int[][][] qa = loadARows(q, r0), ga = loadARows(dout, r0);
            float[][][] dqa = new float[D / 8][32][4];
            for (int kt = 0; kt < Tk; kt += TILE) {
                int[] ks = stage(k, kt, TILE), vs = stage(v, kt, TILE);
                float[][][] p = rowsByTile(qa, ks, D, TILE), ds = rowsByTile(ga, vs, D, TILE);
                for (int nt = 0; nt < TN; nt++) {
                    for (int lane = 0; lane < 32; lane++) {
                        int g = lane >> 2, key = kt + nt * 8 + 2 * (lane & 3);
                        for (int e = 0; e < 4; e++) {
                            int row = r0 + g + (e < 2 ? 0 : 8);
                            float l2 = row < Tq ? lse[row] * LOG2E : Float.POSITIVE_INFINITY, dl = row < Tq ? delta[row] : 0f;
                            float pe = key + (e & 1) < Tk ? exp2(p[nt][lane][e] * c2 - l2) : 0f;
                            ds[nt][lane][e] = pe * (ds[nt][lane][e] - dl);
                        }
                    }
                }
                fragByTile(dqa, ds, ks, D, TILE);
            }
            storeRows(dq, Tq, D, r0, dqa, scale, scale);
        }
    }

    // ---------------------------------------------------------------- the test

    static Tensor bf16(long seed, int... shape) {
        return Backends.cpu().convert(Backends.cpu().convert(TestData.randn(seed, shape), DType.BF16), DType.F32);
    }

    static Tensor head(Tensor t) { return t.reshape(t.size(0) * t.size(1), t.size(2), t.size(3)); }

    @Test
    void emulatedKernelsMatchTheReference() {
        long seed = 500;
        int[][] cases = {{16, 70, 97}, {48, 17, 130}, {128, 33, 45}, {48, 1, 1}};   // dh, Tq, Tk
        for (int[] c : cases) {
            int D = c[0], Tq = c[1], Tk = c[2];
            Tensor q = bf16(seed++, 1, 1, Tq, D), k = bf16(seed++, 1, 1, Tk, D), v = bf16(seed++, 1, 1, Tk, D), g = bf16(seed++, 1, 1, Tq, D);
            float scale = (float) (1 / Math.sqrt(D));
            Backend.AttentionResult ref = R.attention(q, k, v, scale);
            Backend.AttentionGrads rg = R.attentionBackward(q, k, v, ref.out(), ref.lse(), g, scale);
            Slab qs = slab(head(q), 0), ks = slab(head(k), 0), vs = slab(head(v), 0), gs = slab(head(g), 0);
            float[] out = new float[Tq * D], lse = new float[Tq];
            forward(qs, ks, vs, scale, out, lse);
            String at = "emulated tc attention dh=" + D + " Tq=" + Tq + " Tk=" + Tk;
            // tolerances as CudaKernelsGpuTest.tensorCoreAttentionAgainstReferenceAndF32Kernel (P, dS, outputs in BF16)
            CudaKernelsGpuTest.closeTc(at + " out", ref.out(), Tensor.of(out, 1, 1, Tq, D), 2e-2);
            TestData.close(at + " lse", ref.lse(), Tensor.of(lse, 1, 1, Tq), 1e-2, 1e-3);
            // delta = rowsum(dO * O) from the BF16 output, as dust_attn_bwd_delta_bf16
            float[] gv = g.toFloatArray(), delta = new float[Tq];
            for (int i = 0; i < Tq; i++) for (int d = 0; d < D; d++) delta[i] += gv[i * D + d] * out[i * D + d];
            float[] dq = new float[Tq * D], dk = new float[Tk * D], dv = new float[Tk * D];
            backwardDkDv(qs, ks, vs, gs, lse, delta, scale, dk, dv);
            backwardDq(qs, ks, vs, gs, lse, delta, scale, dq);
            CudaKernelsGpuTest.closeTc(at + " dq", rg.dq(), Tensor.of(dq, 1, 1, Tq, D), 2e-2);
            CudaKernelsGpuTest.closeTc(at + " dk", rg.dk(), Tensor.of(dk, 1, 1, Tk, D), 2e-2);
            CudaKernelsGpuTest.closeTc(at + " dv", rg.dv(), Tensor.of(dv, 1, 1, Tk, D), 2e-2);
        }
    }

    /** The emulation follows attention_tc.cu: the lines it transcribes are there (edit both together). */
    @Test
    void emulatedLinesAreInTheKernel() throws IOException {
        String src = Files.readString(TestData.cudaSources().resolve("attention_tc.cu"));
        for (String line : new String[] {
                "a[ks][0] = ld_pair_g(pa, va, c);", "a[ks][1] = ld_pair_g(pb, vb, c);", "a[ks][2] = ld_pair_g(pa, va, c + 8);",
                "unsigned a[4] = {pack2(p[2 * kk][0], p[2 * kk][1]), pack2(p[2 * kk][2], p[2 * kk][3]), pack2(p[2 * kk + 1][0], p[2 * kk + 1][1]),",
                "mma_bf16(out[nt], a, ld_col_pair_s(s, C::LD, r, c), ld_col_pair_s(s, C::LD, r + 8, c));",
                "static constexpr int TILE = D == 128 ? 32 : 64;", "static constexpr int LD = D + 8;",
                "int i = nt * 8 + 2 * t + (e & 1);", "s[nt][0] = bf16_round(exp2f(s[nt][0] - n0));"}) {
            org.junit.jupiter.api.Assertions.assertTrue(src.contains(line), "attention_tc.cu changed (update the emulation): " + line);
        }
    }
}
