package org.dust4j.tensor;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused attention {@code softmax(Q K^T * scale) V} on the CPU, flash-attention style.
 *
 * <p>Forward: K of each (batch, head) is packed transposed ([dh][Tk], keys along the vector lanes) and V
 * row-major with dh padded to the vector length, into per-thread buffers, once per head and chunk. Tasks are
 * (batch, head, block of {@link #QB} queries); each walks the keys in tiles of {@link #TILE_K}, computing a 4-query
 * x tile score block with a register-tiled micro-kernel (4 queries x 4 vectors of keys), then updates a running
 * max, a running sum and the rescaled output accumulator (online softmax). Only a [4, TILE_K] tile of scores
 * ever exists.
 *
 * <p>Backward: one task per (batch, head), so dK and dV are accumulated in a fixed order. P is recomputed per tile
 * from the saved log-sum-exp; dV += P^T dO, dP = dO V^T, dS = P * (dP - rowsum(dO * O)), dQ = dS K * scale,
 * dK = dS^T Q * scale.
 *
 * <p>All lane reductions used are exact (max) or done in a fixed order, and exp is a polynomial built from exactly
 * specified operations, so results are bit-identical at any thread count and before or after JIT compilation.
 * Inputs may be any strided views; they are read through their strides while packing.
 */
final class CpuAttention {
    private CpuAttention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Queries per forward task. */
    static final int QB = 32;
    /** Queries per micro-kernel call. */
    private static final int MR = 4;
    /** Keys per tile (a multiple of the vector length). */
    static final int TILE_K = Math.max(2 * L, 128 / (2 * L) * (2 * L));

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    /** A rank-4 F32 view read through its strides. */
    private record View(float[] a, int off, int s0, int s1, int s2, int s3) {
        static View of(Tensor t) {
            int[] st = t.strides();
            return new View(t.floatData(), t.offset(), st[0], st[1], st[2], st[3]);
        }

        int base(int b, int h) {
            return off + b * s0 + h * s1;
        }
    }

    /** A rank-3 [B,H,T] F32 view read through its strides. */
    private record View3(float[] a, int off, int s0, int s1, int s2) {
        static View3 of(Tensor t) {
            int[] st = t.strides();
            return new View3(t.floatData(), t.offset(), st[0], st[1], st[2]);
        }
    }

    // ------------------------------------------------------------ exp

    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND_MAGIC = 12582912f; // 1.5 * 2^23: adding it rounds to an integer in the low bits

    /**
     * s[off, off+n) = e^(s - shift) in place, n a multiple of the vector length: e^x for x in about [-87, 88], 0 below
     * -87. Range reduction x = n ln2 + r, |r| &lt;= ln2/2, and a degree-7 Taylor polynomial (relative error ~1e-8
     * before rounding, so within 2 ulp); built only from exactly specified operations, so it gives the same bits
     * compiled or interpreted. Arrays in and out, never a vector (see {@link CpuElementwiseMath}).
     */
    static void expShifted(float[] s, int off, int n, float shift) {
        FloatVector sh = FloatVector.broadcast(S, shift);
        for (int j = 0; j < n; j += L) {
            FloatVector x = FloatVector.fromArray(S, s, off + j).sub(sh);
            VectorMask<Float> under = x.compare(VectorOperators.LT, -87f);
            FloatVector xc = x.max(-87f).min(88f);
            FloatVector tm = xc.mul(LOG2E).add(ROUND_MAGIC);
            FloatVector nf = tm.sub(ROUND_MAGIC);
            FloatVector r = nf.mul(-LN2_HI).add(xc); // n * LN2_HI is exact (LN2_HI has 9 significant bits)
            r = nf.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = FloatVector.broadcast(S, 1f / 5040f);
            p = p.fma(r, FloatVector.broadcast(S, 1f / 720f));
            p = p.fma(r, FloatVector.broadcast(S, 1f / 120f));
            p = p.fma(r, FloatVector.broadcast(S, 1f / 24f));
            p = p.fma(r, FloatVector.broadcast(S, 1f / 6f));
            p = p.fma(r, FloatVector.broadcast(S, 0.5f));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            IntVector bits = tm.reinterpretAsInts().sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
            p.mul(bits.reinterpretAsFloats()).blend(0f, under).intoArray(s, off + j);
        }
    }

    // ------------------------------------------------------------ micro-kernel

    /**
     * {@code s[i*sStride + j] = sum_c a[aOff + i*aStride + c] * bt[c*btStride + j0 + j]} for 4 rows i and
     * j in [0, jnp) (jnp a multiple of the vector length): 4 rows x 2 vectors of accumulators.
     */
    private static void dots4(float[] a, int aOff, int aStride, int dh, float[] bt, int btStride, int j0, int jnp,
                              float[] s, int sStride) {
        int a0 = aOff, a1 = aOff + aStride, a2 = aOff + 2 * aStride, a3 = aOff + 3 * aStride;
        int j = 0;
        for (; j + 4 * L <= jnp; j += 4 * L) {
            FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S), c03 = FloatVector.zero(S);
            FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S), c13 = FloatVector.zero(S);
            FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S), c23 = FloatVector.zero(S);
            FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S), c33 = FloatVector.zero(S);
            int b0 = j0 + j;
            for (int c = 0; c < dh; c++) {
                int bp = b0 + c * btStride;
                FloatVector k0 = FloatVector.fromArray(S, bt, bp), k1 = FloatVector.fromArray(S, bt, bp + L);
                FloatVector k2 = FloatVector.fromArray(S, bt, bp + 2 * L), k3 = FloatVector.fromArray(S, bt, bp + 3 * L);
                FloatVector q = FloatVector.broadcast(S, a[a0 + c]);
                c00 = k0.fma(q, c00);
                c01 = k1.fma(q, c01);
                c02 = k2.fma(q, c02);
                c03 = k3.fma(q, c03);
                q = FloatVector.broadcast(S, a[a1 + c]);
                c10 = k0.fma(q, c10);
                c11 = k1.fma(q, c11);
                c12 = k2.fma(q, c12);
                c13 = k3.fma(q, c13);
                q = FloatVector.broadcast(S, a[a2 + c]);
                c20 = k0.fma(q, c20);
                c21 = k1.fma(q, c21);
                c22 = k2.fma(q, c22);
                c23 = k3.fma(q, c23);
                q = FloatVector.broadcast(S, a[a3 + c]);
                c30 = k0.fma(q, c30);
                c31 = k1.fma(q, c31);
                c32 = k2.fma(q, c32);
                c33 = k3.fma(q, c33);
            }
            c00.intoArray(s, j);
            c01.intoArray(s, j + L);
            c02.intoArray(s, j + 2 * L);
            c03.intoArray(s, j + 3 * L);
            c10.intoArray(s, sStride + j);
            c11.intoArray(s, sStride + j + L);
            c12.intoArray(s, sStride + j + 2 * L);
            c13.intoArray(s, sStride + j + 3 * L);
            c20.intoArray(s, 2 * sStride + j);
            c21.intoArray(s, 2 * sStride + j + L);
            c22.intoArray(s, 2 * sStride + j + 2 * L);
            c23.intoArray(s, 2 * sStride + j + 3 * L);
            c30.intoArray(s, 3 * sStride + j);
            c31.intoArray(s, 3 * sStride + j + L);
            c32.intoArray(s, 3 * sStride + j + 2 * L);
            c33.intoArray(s, 3 * sStride + j + 3 * L);
        }
        for (; j + 2 * L <= jnp; j += 2 * L) {
            FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
            FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
            FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
            FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
            int bp = j0 + j;
            for (int c = 0; c < dh; c++, bp += btStride) {
                FloatVector k0 = FloatVector.fromArray(S, bt, bp), k1 = FloatVector.fromArray(S, bt, bp + L);
                FloatVector q = FloatVector.broadcast(S, a[a0 + c]);
                c00 = k0.fma(q, c00);
                c01 = k1.fma(q, c01);
                q = FloatVector.broadcast(S, a[a1 + c]);
                c10 = k0.fma(q, c10);
                c11 = k1.fma(q, c11);
                q = FloatVector.broadcast(S, a[a2 + c]);
                c20 = k0.fma(q, c20);
                c21 = k1.fma(q, c21);
                q = FloatVector.broadcast(S, a[a3 + c]);
                c30 = k0.fma(q, c30);
                c31 = k1.fma(q, c31);
            }
            c00.intoArray(s, j);
            c01.intoArray(s, j + L);
            c10.intoArray(s, sStride + j);
            c11.intoArray(s, sStride + j + L);
            c20.intoArray(s, 2 * sStride + j);
            c21.intoArray(s, 2 * sStride + j + L);
            c30.intoArray(s, 3 * sStride + j);
            c31.intoArray(s, 3 * sStride + j + L);
        }
        if (j < jnp) {
            FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
            FloatVector c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
            int bp = j0 + j;
            for (int c = 0; c < dh; c++, bp += btStride) {
                FloatVector k0 = FloatVector.fromArray(S, bt, bp);
                c0 = k0.fma(FloatVector.broadcast(S, a[a0 + c]), c0);
                c1 = k0.fma(FloatVector.broadcast(S, a[a1 + c]), c1);
                c2 = k0.fma(FloatVector.broadcast(S, a[a2 + c]), c2);
                c3 = k0.fma(FloatVector.broadcast(S, a[a3 + c]), c3);
            }
            c0.intoArray(s, j);
            c1.intoArray(s, sStride + j);
            c2.intoArray(s, 2 * sStride + j);
            c3.intoArray(s, 3 * sStride + j);
        }
    }

    /**
     * {@code acc[i*accStride + c] = acc[i*accStride + c] * alpha[i] + sum_{j<jn} p[i*pStride + j] * m[(j0+j)*mStride + c]}
     * for 4 rows i and c in [0, dhp) (dhp a multiple of the vector length); alpha null means 1.
     */
    private static void accumulate4(float[] acc, int accOff, int accStride, float[] alpha, float[] p, int pStride,
                                    float[] m, int mStride, int j0, int jn, int dhp) {
        int c = 0;
        int r0 = accOff, r1 = accOff + accStride, r2 = accOff + 2 * accStride, r3 = accOff + 3 * accStride;
        for (; c + 2 * L <= dhp; c += 2 * L) {
            FloatVector a00 = FloatVector.fromArray(S, acc, r0 + c), a01 = FloatVector.fromArray(S, acc, r0 + c + L);
            FloatVector a10 = FloatVector.fromArray(S, acc, r1 + c), a11 = FloatVector.fromArray(S, acc, r1 + c + L);
            FloatVector a20 = FloatVector.fromArray(S, acc, r2 + c), a21 = FloatVector.fromArray(S, acc, r2 + c + L);
            FloatVector a30 = FloatVector.fromArray(S, acc, r3 + c), a31 = FloatVector.fromArray(S, acc, r3 + c + L);
            if (alpha != null) {
                a00 = a00.mul(alpha[0]);
                a01 = a01.mul(alpha[0]);
                a10 = a10.mul(alpha[1]);
                a11 = a11.mul(alpha[1]);
                a20 = a20.mul(alpha[2]);
                a21 = a21.mul(alpha[2]);
                a30 = a30.mul(alpha[3]);
                a31 = a31.mul(alpha[3]);
            }
            int mp = j0 * mStride + c;
            for (int j = 0; j < jn; j++, mp += mStride) {
                FloatVector v0 = FloatVector.fromArray(S, m, mp), v1 = FloatVector.fromArray(S, m, mp + L);
                FloatVector w = FloatVector.broadcast(S, p[j]);
                a00 = v0.fma(w, a00);
                a01 = v1.fma(w, a01);
                w = FloatVector.broadcast(S, p[pStride + j]);
                a10 = v0.fma(w, a10);
                a11 = v1.fma(w, a11);
                w = FloatVector.broadcast(S, p[2 * pStride + j]);
                a20 = v0.fma(w, a20);
                a21 = v1.fma(w, a21);
                w = FloatVector.broadcast(S, p[3 * pStride + j]);
                a30 = v0.fma(w, a30);
                a31 = v1.fma(w, a31);
            }
            a00.intoArray(acc, r0 + c);
            a01.intoArray(acc, r0 + c + L);
            a10.intoArray(acc, r1 + c);
            a11.intoArray(acc, r1 + c + L);
            a20.intoArray(acc, r2 + c);
            a21.intoArray(acc, r2 + c + L);
            a30.intoArray(acc, r3 + c);
            a31.intoArray(acc, r3 + c + L);
        }
        if (c < dhp) {
            FloatVector a0 = FloatVector.fromArray(S, acc, r0 + c), a1 = FloatVector.fromArray(S, acc, r1 + c);
            FloatVector a2 = FloatVector.fromArray(S, acc, r2 + c), a3 = FloatVector.fromArray(S, acc, r3 + c);
            if (alpha != null) {
                a0 = a0.mul(alpha[0]);
                a1 = a1.mul(alpha[1]);
                a2 = a2.mul(alpha[2]);
                a3 = a3.mul(alpha[3]);
            }
            int mp = j0 * mStride + c;
            for (int j = 0; j < jn; j++, mp += mStride) {
                FloatVector v0 = FloatVector.fromArray(S, m, mp);
                a0 = v0.fma(FloatVector.broadcast(S, p[j]), a0);
                a1 = v0.fma(FloatVector.broadcast(S, p[pStride + j]), a1);
                a2 = v0.fma(FloatVector.broadcast(S, p[2 * pStride + j]), a2);
                a3 = v0.fma(FloatVector.broadcast(S, p[3 * pStride + j]), a3);
            }
            a0.intoArray(acc, r0 + c);
            a1.intoArray(acc, r1 + c);
            a2.intoArray(acc, r2 + c);
            a3.intoArray(acc, r3 + c);
        }
    }

    // ------------------------------------------------------------ packing

    /**
     * K of one head transposed into dst[c*tkp + j] (keys along the lanes; padding stays as it is, zero or masked).
     * Blocks of 16 keys keep both the source rows and the destination lines in L1.
     */
    private static void packTransposed(View x, int base, int t, int dh, float[] dst, int tkp) {
        for (int jb = 0; jb < t; jb += 16) {
            int je = Math.min(t, jb + 16);
            for (int c = 0; c < dh; c++) {
                int src = base + c * x.s3, d = c * tkp;
                for (int j = jb; j < je; j++) dst[d + j] = x.a[src + j * x.s2];
            }
        }
    }

    /** Rows of one head into dst[j*dhp + c] (row-major, dh padded with zeros), each multiplied by {@code mul}. */
    private static void packRows(View x, int base, int row0, int rows, int dh, float[] dst, int dhp, float mul) {
        for (int j = 0; j < rows; j++) {
            int src = base + (row0 + j) * x.s2, d = j * dhp;
            if (x.s3 == 1) {
                System.arraycopy(x.a, src, dst, d, dh);
                if (mul != 1f) for (int c = 0; c < dh; c++) dst[d + c] *= mul;
            } else {
                for (int c = 0; c < dh; c++) dst[d + c] = x.a[src + c * x.s3] * mul;
            }
        }
    }

    // ------------------------------------------------------------ forward

    static Backend.AttentionResult attention(Tensor q, Tensor k, Tensor v, float scale) {
        int[] g = Checks.attentionF32("attention", q, k, v);
        int nb = g[0], nh = g[1], tq = g[2], tk = g[3], dh = g[4], bh = nb * nh;
        float[] out = new float[bh * tq * dh], lse = new float[bh * tq];
        Tensor outT = Tensor.of(out, nb, nh, tq, dh), lseT = Tensor.of(lse, nb, nh, tq);
        if (bh == 0 || tq == 0) return new Backend.AttentionResult(outT, lseT);
        if (tk == 0 || dh == 0) {
            // empty softmax (tk == 0): out 0 and lse -inf as the oracle; dh == 0: all scores 0, lse = log(tk)
            Arrays.fill(lse, tk == 0 ? Float.NEGATIVE_INFINITY : (float) StrictMath.log(tk));
            return new Backend.AttentionResult(outT, lseT);
        }
        View qv = View.of(q), kv = View.of(k), vv = View.of(v);
        int tkp = roundUp(tk, L), dhp = roundUp(dh, L), nqb = (tq + QB - 1) / QB;
        // Each output row depends only on its own query, so the chunking may follow the thread count: whole heads
        // per chunk when there are enough of them (K and V are packed once per head), else single query blocks.
        int grain = bh >= 2 * Parallel.threads() ? nqb : 1;
        Parallel.forRange(bh * nqb, grain, (t0, t1) -> {
            Scratch sc = Scratch.get(dh, dhp, tkp, tk);
            int packed = -1;
            for (int t = t0; t < t1; t++) {
                int p = t / nqb, qb = t % nqb, b = p / nh, h = p % nh;
                if (p != packed) {
                    packTransposed(kv, kv.base(b, h), tk, dh, sc.kt, tkp);
                    packRows(vv, vv.base(b, h), 0, tk, dh, sc.vp, dhp, 1f);
                    packed = p;
                }
                forwardBlock(sc, qv, qv.base(b, h), qb * QB, Math.min(QB, tq - qb * QB), sc.kt, tkp, sc.vp, tk, dh, dhp,
                        scale, out, lse, (p * tq) + qb * QB);
            }
        });
        return new Backend.AttentionResult(outT, lseT);
    }

    /**
     * Per-thread forward buffers, grown on demand and reused across calls: packed K^T [dh][tkp] and V [tk][dhp] of
     * one head, the query block, one score tile and the online-softmax state. Padding lanes of kt and vp are never
     * read into a result (padded keys are masked to -inf, padded dh columns are not copied out).
     */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> LOCAL = new ThreadLocal<>();

        float[] kt = new float[0], vp = new float[0], q = new float[0], acc = new float[0];
        final float[] s = new float[MR * TILE_K], m = new float[QB], lsum = new float[QB * L], alpha = new float[MR], one = new float[L];

        static Scratch get(int dh, int dhp, int tkp, int tk) {
            Scratch sc = LOCAL.get();
            if (sc == null) LOCAL.set(sc = new Scratch());
            if (sc.kt.length < dh * tkp) sc.kt = new float[dh * tkp];
            if (sc.vp.length < tk * dhp) sc.vp = new float[tk * dhp];
            if (sc.q.length < QB * dh) sc.q = new float[QB * dh];
            if (sc.acc.length < QB * dhp) sc.acc = new float[QB * dhp];
            return sc;
        }
    }

    /** Rows [i0, i0+nrows) of one head; writes out rows and lse starting at row {@code outRow} of the [B*H*Tq] rows. */
    private static void forwardBlock(Scratch sc, View qv, int qBase, int i0, int nrows, float[] kt, int tkp, float[] vp,
                                     int tk, int dh, int dhp, float scale, float[] out, float[] lse, int outRow) {
        int rowsPadded = roundUp(nrows, MR);
        float[] qb = sc.q, s = sc.s, m = sc.m, lsum = sc.lsum, acc = sc.acc, alpha = sc.alpha, one = sc.one;
        // Q rows pre-multiplied by the scale; padding rows are zero and their results are dropped
        Arrays.fill(qb, 0, rowsPadded * dh, 0f);
        packRows(qv, qBase, i0, nrows, dh, qb, dh, scale);
        Arrays.fill(m, Float.NEGATIVE_INFINITY);
        Arrays.fill(lsum, 0f);
        Arrays.fill(acc, 0, rowsPadded * dhp, 0f);
        FloatVector negInf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j0 = 0; j0 < tk; j0 += TILE_K) {
            int jn = Math.min(TILE_K, tk - j0), jnp = roundUp(jn, L);
            for (int r0 = 0; r0 < rowsPadded; r0 += MR) {
                dots4(qb, r0 * dh, dh, dh, kt, tkp, j0, jnp, s, TILE_K);
                for (int i = 0; i < MR; i++) {
                    int so = i * TILE_K, row = r0 + i;
                    for (int j = jn; j < jnp; j++) s[so + j] = Float.NEGATIVE_INFINITY; // padded keys
                    FloatVector mx = negInf;
                    for (int j = 0; j < jnp; j += L) mx = mx.max(FloatVector.fromArray(S, s, so + j));
                    float mOld = m[row], mNew = Math.max(mOld, mx.reduceLanes(VectorOperators.MAX));
                    float a;
                    if (mOld == mNew) a = 1f;
                    else if (mOld == Float.NEGATIVE_INFINITY) a = 0f;
                    else {
                        one[0] = mOld;
                        expShifted(one, 0, L, mNew);   // lane 0: e^(mOld - mNew), the other lanes unused
                        a = one[0];
                    }
                    m[row] = mNew;
                    alpha[i] = a;
                    FloatVector sum = FloatVector.fromArray(S, lsum, row * L).mul(a);
                    expShifted(s, so, jnp, mNew);
                    for (int j = 0; j < jnp; j += L) sum = sum.add(FloatVector.fromArray(S, s, so + j));
                    sum.intoArray(lsum, row * L);
                }
                accumulate4(acc, r0 * dhp, dhp, alpha, s, TILE_K, vp, dhp, j0, jn, dhp);
            }
        }
        for (int i = 0; i < nrows; i++) {
            float l = CpuNorm.sumLanes(FloatVector.fromArray(S, lsum, i * L).toArray());
            float inv = 1f / l;
            int o = (outRow + i) * dh, a = i * dhp;
            for (int c = 0; c < dh; c++) out[o + c] = acc[a + c] * inv;
            lse[outRow + i] = (float) (m[i] + StrictMath.log(l));
        }
    }

    // ------------------------------------------------------------ backward

    static Backend.AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gradOut,
                                                    float scale) {
        String op = "attention backward";
        int[] g = Checks.attentionF32(op, q, k, v);
        Checks.requireF32(op, out, lse, gradOut);
        Checks.requireShape(op, "gradOut", gradOut, q.shape());
        Checks.requireShape(op, "out", out, q.shape());
        Checks.requireShape(op, "lse", lse, g[0], g[1], g[2]);
        int nb = g[0], nh = g[1], tq = g[2], tk = g[3], dh = g[4], bh = nb * nh;
        float[] dq = new float[bh * tq * dh], dk = new float[bh * tk * dh], dv = new float[bh * tk * dh];
        if (bh > 0 && tq > 0 && tk > 0 && dh > 0) {
            View qv = View.of(q), kv = View.of(k), vv = View.of(v), ov = View.of(out), gv = View.of(gradOut);
            View3 lv = View3.of(lse);
            Parallel.forRange(bh, 1, (p0, p1) -> {
                for (int p = p0; p < p1; p++) {
                    int b = p / nh, h = p % nh;
                    backwardHead(qv.base(b, h), kv.base(b, h), vv.base(b, h), ov.base(b, h), gv.base(b, h),
                            lv.off + b * lv.s0 + h * lv.s1, qv, kv, vv, ov, gv, lv, tq, tk, dh, scale,
                            dq, dk, dv, p * tq * dh, p * tk * dh);
                }
            });
        }
        return new Backend.AttentionGrads(Tensor.of(dq, q.shape()), Tensor.of(dk, k.shape()), Tensor.of(dv, v.shape()));
    }

    private static void backwardHead(int qBase, int kBase, int vBase, int oBase, int gBase, int lBase, View qv, View kv,
                                     View vv, View ov, View gv, View3 lv, int tq, int tk, int dh, float scale,
                                     float[] dq, float[] dk, float[] dv, int qOut, int kOut) {
        int dhp = roundUp(dh, L), tkp = roundUp(tk, L), tqp = roundUp(tq, MR);
        float[] qp = new float[tqp * dhp], gp = new float[tqp * dhp], kp = new float[tk * dhp];
        float[] kt = new float[dh * tkp], vt = new float[dh * tkp];
        packRows(qv, qBase, 0, tq, dh, qp, dhp, 1f);
        packRows(gv, gBase, 0, tq, dh, gp, dhp, 1f);
        packRows(kv, kBase, 0, tk, dh, kp, dhp, 1f);
        packTransposed(kv, kBase, tk, dh, kt, tkp);
        packTransposed(vv, vBase, tk, dh, vt, tkp);
        // delta_i = rowsum(dO * O) and lse, padded rows: delta 0, lse +inf (so P = 0 there)
        float[] delta = new float[tqp], l = new float[tqp];
        Arrays.fill(l, Float.POSITIVE_INFINITY);
        for (int i = 0; i < tq; i++) {
            float d = 0f;
            int o = oBase + i * ov.s2, gq = i * dhp;
            for (int c = 0; c < dh; c++) d += ov.a[o + c * ov.s3] * gp[gq + c];
            delta[i] = d;
            l[i] = lv.a[lBase + i * lv.s2];
        }
        float[] dqa = new float[tqp * dhp], dka = new float[tkp * dhp], dva = new float[tkp * dhp];
        float[] pt = new float[MR * TILE_K], dpt = new float[MR * TILE_K];
        float[] ptT = new float[TILE_K * MR], dsT = new float[TILE_K * MR];
        FloatVector vscale = FloatVector.broadcast(S, scale);
        for (int j0 = 0; j0 < tk; j0 += TILE_K) {
            int jn = Math.min(TILE_K, tk - j0), jnp = roundUp(jn, L);
            for (int r0 = 0; r0 < tqp; r0 += MR) {
                dots4(qp, r0 * dhp, dhp, dh, kt, tkp, j0, jnp, pt, TILE_K);
                dots4(gp, r0 * dhp, dhp, dh, vt, tkp, j0, jnp, dpt, TILE_K);
                for (int i = 0; i < MR; i++) {
                    int so = i * TILE_K;
                    FloatVector negL = FloatVector.broadcast(S, -l[r0 + i]), vdelta = FloatVector.broadcast(S, delta[r0 + i]);
                    for (int j = 0; j < jnp; j += L) FloatVector.fromArray(S, pt, so + j).fma(vscale, negL).intoArray(pt, so + j);
                    expShifted(pt, so, jnp, 0f);
                    for (int j = 0; j < jnp; j += L) {
                        FloatVector pr = FloatVector.fromArray(S, pt, so + j);
                        pr.mul(FloatVector.fromArray(S, dpt, so + j).sub(vdelta)).mul(vscale).intoArray(dpt, so + j);
                    }
                }
                // dQ[rows] += dS K (dS already includes the scale)
                accumulate4(dqa, r0 * dhp, dhp, null, dpt, TILE_K, kp, dhp, j0, jn, dhp);
                // dV[keys] += P^T dO, dK[keys] += dS^T Q: transpose the tiles to [key][4] for the same micro-kernel
                for (int i = 0; i < MR; i++) {
                    for (int j = 0; j < jn; j++) {
                        ptT[j * MR + i] = pt[i * TILE_K + j];
                        dsT[j * MR + i] = dpt[i * TILE_K + j];
                    }
                }
                accumulateKeys(dva, j0, jn, dhp, ptT, gp, r0);
                accumulateKeys(dka, j0, jn, dhp, dsT, qp, r0);
            }
        }
        for (int i = 0; i < tq; i++) System.arraycopy(dqa, i * dhp, dq, qOut + i * dh, dh);
        for (int j = 0; j < tk; j++) {
            System.arraycopy(dka, j * dhp, dk, kOut + j * dh, dh);
            System.arraycopy(dva, j * dhp, dv, kOut + j * dh, dh);
        }
    }

    /** {@code acc[(j0+j)*dhp + c] += sum_{i<4} w[j*4 + i] * rows[(r0+i)*dhp + c]} for j < jn. */
    private static void accumulateKeys(float[] acc, int j0, int jn, int dhp, float[] w, float[] rows, int r0) {
        int x0 = r0 * dhp, x1 = x0 + dhp, x2 = x1 + dhp, x3 = x2 + dhp;
        for (int c = 0; c < dhp; c += L) {
            FloatVector y0 = FloatVector.fromArray(S, rows, x0 + c), y1 = FloatVector.fromArray(S, rows, x1 + c);
            FloatVector y2 = FloatVector.fromArray(S, rows, x2 + c), y3 = FloatVector.fromArray(S, rows, x3 + c);
            int ap = j0 * dhp + c;
            for (int j = 0; j < jn; j++, ap += dhp) {
                FloatVector a = FloatVector.fromArray(S, acc, ap);
                a = y0.fma(FloatVector.broadcast(S, w[j * MR]), a);
                a = y1.fma(FloatVector.broadcast(S, w[j * MR + 1]), a);
                a = y2.fma(FloatVector.broadcast(S, w[j * MR + 2]), a);
                a = y3.fma(FloatVector.broadcast(S, w[j * MR + 3]), a);
                a.intoArray(acc, ap);
            }
        }
    }
}
