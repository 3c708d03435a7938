package org.dust4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm / RMSNorm over the last axis on the CPU: Vector API loops over each row (float32 accumulation in
 * {@code SPECIES_PREFERRED} lanes), parallel over rows with {@link Parallel#forRange}. Strided inputs are made
 * contiguous first. Weight and bias gradients are summed per fixed chunk of rows (chunk boundaries depend only
 * on the shape) and the chunk partials are added in chunk order, so every result is bit-identical at any
 * thread count.
 */
final class CpuNorm {
    private CpuNorm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Roughly this many elements per parallel chunk. */
    private static final int CHUNK_ELEMS = 16384;

    /** Most chunks the weight/bias gradient is split into (fixed: independent of the thread count). */
    private static final int MAX_GRAD_CHUNKS = 32;

    /**
     * Sum of the lanes in a fixed order. {@code reduceLanes(ADD)} leaves the order unspecified and the JIT
     * intrinsic and the interpreter fallback do differ, which would make results depend on warm-up.
     */
    static float sumLanes(float[] a) {
        float s = 0f;
        for (float x : a) s += x;
        return s;
    }

    /** A contiguous F32 tensor's backing array and offset. */
    private record Flat(float[] a, int off) {
        static Flat of(Tensor t) {
            if (t == null) return null;
            Tensor c = t.contiguous();
            return new Flat(c.floatData(), c.offset());
        }
    }

    private static int rows(Tensor x) {
        return (int) Shape.numel(Checks.withoutLast(x.shape()));
    }

    private static void requireStats(String op, String what, Tensor t, int[] rowShape) {
        if (t == null) throw new IllegalArgumentException(op + ": " + what + " is null, expected shape " + Shape.str(rowShape));
        Checks.requireF32(op, t);
        Checks.requireShape(op, what, t, rowShape);
    }

    // ------------------------------------------------------------ LayerNorm

    static Backend.NormResult layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        Checks.normParamsF32("layerNorm", x, weight, bias);
        int d = x.size(-1), rows = rows(x);
        Flat xv = Flat.of(x), wv = Flat.of(weight), bv = Flat.of(bias);
        float[] out = new float[x.numel()], mean = new float[rows], rstd = new float[rows];
        Parallel.forRange(rows, Parallel.grain(rows, Math.max(1, CHUNK_ELEMS / Math.max(1, d))), (r0, r1) -> {
            for (int r = r0; r < r1; r++) layerNormRow(xv, wv, bv, eps, d, r, out, mean, rstd);
        });
        int[] rs = Checks.withoutLast(x.shape());
        return new Backend.NormResult(Tensor.of(out, x.shape()), Tensor.of(mean, rs), Tensor.of(rstd, rs));
    }

    /**
     * AdaLN modulate in one pass per row: the LayerNorm row (no affine) of {@link #layerNormRow}, then, while the row is
     * in L1, {@code y * (1 + scale[b]) + shift[b]} with the same float operations as the default composition
     * (LayerNorm, scalar add, multiply, add), so the result is the composition's to the bit.
     */
    static Backend.NormResult adaLn(Tensor x, Tensor scale, Tensor shift, float eps) {
        int[] g = Checks.modulation("adaLn", x, scale, shift);
        Checks.requireF32("adaLn", x, scale, shift);
        int t = g[1], d = g[2], rows = g[0] * t;
        Flat xv = Flat.of(x), sc = Flat.of(scale), sh = Flat.of(shift);
        float[] out = new float[x.numel()], mean = new float[rows], rstd = new float[rows];
        Parallel.forRange(rows, Parallel.grain(rows, Math.max(1, CHUNK_ELEMS / Math.max(1, d))), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                layerNormRow(xv, null, null, eps, d, r, out, mean, rstd);
                int b = t == 0 ? 0 : r / t;
                modulateRow(out, r * d, sc.a, sc.off + b * d, sh.a, sh.off + b * d, d);
            }
        });
        return new Backend.NormResult(Tensor.of(out, x.shape()), Tensor.of(mean, g[0], t), Tensor.of(rstd, g[0], t));
    }

    /** y[o, o+d) = y * (1 + s) + h, rounded after each operation. */
    private static void modulateRow(float[] y, int o, float[] s, int so, float[] h, int ho, int d) {
        int i = 0, ub = S.loopBound(d);
        for (; i < ub; i += L) {
            FloatVector one = FloatVector.fromArray(S, s, so + i).add(1f);
            FloatVector.fromArray(S, y, o + i).mul(one).add(FloatVector.fromArray(S, h, ho + i)).intoArray(y, o + i);
        }
        for (; i < d; i++) y[o + i] = y[o + i] * (s[so + i] + 1f) + h[ho + i];
    }

    private static void layerNormRow(Flat xv, Flat wv, Flat bv, float eps, int d, int r, float[] out, float[] mean,
                                     float[] rstd) {
        float[] x = xv.a;
        int xo = xv.off + r * d, oo = r * d, ub = S.loopBound(d);
        // pass 1: mean
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * L <= d; i += 2 * L) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i));
            s1 = s1.add(FloatVector.fromArray(S, x, xo + i + L));
        }
        for (; i < ub; i += L) s0 = s0.add(FloatVector.fromArray(S, x, xo + i));
        float sum = sumLanes(s0.add(s1).toArray());
        for (; i < d; i++) sum += x[xo + i];
        float mu = sum / d;
        // pass 2: variance around the first mean, plus the residual sum(x - mu) that corrects mu for the
        // rounding of the float sum (the corrected two-pass algorithm): rows with a large offset and a small
        // spread, e.g. mean 10 and std 0.5, otherwise lose ~1e-6 absolute in the mean.
        FloatVector vmu0 = FloatVector.broadcast(S, mu);
        FloatVector q0 = FloatVector.zero(S), q1 = FloatVector.zero(S), c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        i = 0;
        for (; i + 2 * L <= d; i += 2 * L) {
            FloatVector a = FloatVector.fromArray(S, x, xo + i).sub(vmu0);
            FloatVector b = FloatVector.fromArray(S, x, xo + i + L).sub(vmu0);
            q0 = a.fma(a, q0);
            q1 = b.fma(b, q1);
            c0 = c0.add(a);
            c1 = c1.add(b);
        }
        for (; i < ub; i += L) {
            FloatVector a = FloatVector.fromArray(S, x, xo + i).sub(vmu0);
            q0 = a.fma(a, q0);
            c0 = c0.add(a);
        }
        float sq = sumLanes(q0.add(q1).toArray()), resid = sumLanes(c0.add(c1).toArray());
        for (; i < d; i++) {
            float a = x[xo + i] - mu;
            sq += a * a;
            resid += a;
        }
        double var = Math.max(0.0, ((double) sq - (double) resid * resid / d) / d);
        mu += resid / d;
        FloatVector vmu = FloatVector.broadcast(S, mu);
        float rs = (float) (1.0 / Math.sqrt(var + eps));
        mean[r] = mu;
        rstd[r] = rs;
        // pass 3: normalise, scale, shift
        FloatVector vrs = FloatVector.broadcast(S, rs);
        i = 0;
        if (wv != null && bv != null) {
            float[] w = wv.a, b = bv.a;
            int wo = wv.off, bo = bv.off;
            for (; i < ub; i += L) {
                FloatVector y = FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs);
                y.fma(FloatVector.fromArray(S, w, wo + i), FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
            for (; i < d; i++) out[oo + i] = (x[xo + i] - mu) * rs * w[wo + i] + b[bo + i];
        } else if (wv != null) {
            float[] w = wv.a;
            int wo = wv.off;
            for (; i < ub; i += L) {
                FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs).mul(FloatVector.fromArray(S, w, wo + i)).intoArray(out, oo + i);
            }
            for (; i < d; i++) out[oo + i] = (x[xo + i] - mu) * rs * w[wo + i];
        } else if (bv != null) {
            float[] b = bv.a;
            int bo = bv.off;
            for (; i < ub; i += L) {
                FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs).add(FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
            }
            for (; i < d; i++) out[oo + i] = (x[xo + i] - mu) * rs + b[bo + i];
        } else {
            for (; i < ub; i += L) FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs).intoArray(out, oo + i);
            for (; i < d; i++) out[oo + i] = (x[xo + i] - mu) * rs;
        }
    }

    /**
     * Fixed chunking of rows for the weight/bias gradient: at most {@link #MAX_GRAD_CHUNKS} chunks of at least
     * ~{@link #CHUNK_ELEMS} elements. Depends only on (rows, d), never on the thread count.
     */
    private static int gradGrain(int rows, int d) {
        int byCount = (rows + MAX_GRAD_CHUNKS - 1) / MAX_GRAD_CHUNKS;
        int bySize = Math.max(1, CHUNK_ELEMS / Math.max(1, d));
        return Math.max(1, Math.max(byCount, bySize));
    }

    /** Adds the chunk partials [chunks][d] in chunk order (double accumulation) into a fresh [d] tensor. */
    private static Tensor combine(float[][] partials, int d) {
        double[] acc = new double[d];
        for (float[] p : partials) {
            for (int i = 0; i < d; i++) acc[i] += p[i];
        }
        return Tensor.of(ReferenceBackend.toFloat(acc), d);
    }

    static Backend.NormGrads layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut,
                                               boolean hasBias) {
        String op = "layerNorm backward";
        Checks.normParamsF32(op, x, weight, null);
        Checks.requireF32(op, gradOut);
        Checks.requireShape(op, "gradOut", gradOut, x.shape());
        int[] rowShape = Checks.withoutLast(x.shape());
        requireStats(op, "mean", mean, rowShape);
        requireStats(op, "rstd", rstd, rowShape);
        int d = x.size(-1), rows = rows(x);
        Flat xv = Flat.of(x), gv = Flat.of(gradOut), wv = Flat.of(weight), mv = Flat.of(mean), rv = Flat.of(rstd);
        float[] dx = new float[x.numel()];
        boolean wantW = weight != null;
        int grain = gradGrain(rows, d);
        int chunks = rows == 0 ? 0 : (rows + grain - 1) / grain;
        float[][] dw = wantW ? new float[chunks][d] : null;
        float[][] db = hasBias ? new float[chunks][d] : null;
        Parallel.forRange(rows, grain, (r0, r1) -> {
            int c = r0 / grain;
            float[] dwc = wantW ? dw[c] : null, dbc = hasBias ? db[c] : null;
            float[] tmp = new float[d];
            for (int r = r0; r < r1; r++) {
                normBackwardRow(xv, gv, wv, mv.a[mv.off + r], rv.a[rv.off + r], true, d, r, dx, dwc, dbc, tmp);
            }
        });
        return new Backend.NormGrads(Tensor.of(dx, x.shape()), wantW ? combine(dw, d) : null,
                hasBias ? combine(db, d) : null);
    }

    /**
     * One row of the LayerNorm (centered) or RMSNorm (not centered) backward. With xhat = (x - mu) * rs and
     * dy = g * w: dx = rs * (dy - [mean(dy)] - xhat * mean(dy * xhat)); dw += g * xhat; db += g. {@code xhat}
     * for the row is kept in {@code tmp}.
     */
    private static void normBackwardRow(Flat xv, Flat gv, Flat wv, float mu, float rs, boolean centered, int d, int r,
                                        float[] dx, float[] dw, float[] db, float[] tmp) {
        float[] x = xv.a, g = gv.a, w = wv == null ? null : wv.a;
        int xo = xv.off + r * d, go = gv.off + r * d, wo = wv == null ? 0 : wv.off, oo = r * d;
        int ub = S.loopBound(d);
        FloatVector vmu = FloatVector.broadcast(S, mu), vrs = FloatVector.broadcast(S, rs);
        FloatVector sDy = FloatVector.zero(S), sDyX = FloatVector.zero(S);
        int i = 0;
        for (; i < ub; i += L) {
            FloatVector xh = FloatVector.fromArray(S, x, xo + i).sub(vmu).mul(vrs);
            xh.intoArray(tmp, i);
            FloatVector gg = FloatVector.fromArray(S, g, go + i);
            FloatVector dy = w == null ? gg : gg.mul(FloatVector.fromArray(S, w, wo + i));
            sDy = sDy.add(dy);
            sDyX = dy.fma(xh, sDyX);
            if (dw != null) gg.fma(xh, FloatVector.fromArray(S, dw, i)).intoArray(dw, i);
            if (db != null) gg.add(FloatVector.fromArray(S, db, i)).intoArray(db, i);
        }
        float sumDy = sumLanes(sDy.toArray()), sumDyX = sumLanes(sDyX.toArray());
        for (; i < d; i++) {
            float xh = (x[xo + i] - mu) * rs;
            tmp[i] = xh;
            float dy = w == null ? g[go + i] : g[go + i] * w[wo + i];
            sumDy += dy;
            sumDyX += dy * xh;
            if (dw != null) dw[i] += g[go + i] * xh;
            if (db != null) db[i] += g[go + i];
        }
        float a = centered ? sumDy / d : 0f, b = sumDyX / d;
        FloatVector va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
        i = 0;
        for (; i < ub; i += L) {
            FloatVector gg = FloatVector.fromArray(S, g, go + i);
            FloatVector dy = w == null ? gg : gg.mul(FloatVector.fromArray(S, w, wo + i));
            FloatVector xh = FloatVector.fromArray(S, tmp, i);
            dy.sub(va).sub(xh.mul(vb)).mul(vrs).intoArray(dx, oo + i);
        }
        for (; i < d; i++) {
            float dy = w == null ? g[go + i] : g[go + i] * w[wo + i];
            dx[oo + i] = rs * (dy - a - tmp[i] * b);
        }
    }

    // ------------------------------------------------------------ RMSNorm

    static Backend.NormResult rmsNorm(Tensor x, Tensor weight, float eps) {
        Checks.normParamsF32("rmsNorm", x, weight, null);
        int d = x.size(-1), rows = rows(x);
        Flat xv = Flat.of(x), wv = Flat.of(weight);
        float[] out = new float[x.numel()], rstd = new float[rows];
        Parallel.forRange(rows, Parallel.grain(rows, Math.max(1, CHUNK_ELEMS / Math.max(1, d))), (r0, r1) -> {
            for (int r = r0; r < r1; r++) rmsNormRow(xv, wv, eps, d, r, out, rstd);
        });
        return new Backend.NormResult(Tensor.of(out, x.shape()), null,
                Tensor.of(rstd, Checks.withoutLast(x.shape())));
    }

    private static void rmsNormRow(Flat xv, Flat wv, float eps, int d, int r, float[] out, float[] rstd) {
        float[] x = xv.a;
        int xo = xv.off + r * d, oo = r * d, ub = S.loopBound(d);
        FloatVector q0 = FloatVector.zero(S), q1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * L <= d; i += 2 * L) {
            FloatVector a = FloatVector.fromArray(S, x, xo + i), b = FloatVector.fromArray(S, x, xo + i + L);
            q0 = a.fma(a, q0);
            q1 = b.fma(b, q1);
        }
        for (; i < ub; i += L) {
            FloatVector a = FloatVector.fromArray(S, x, xo + i);
            q0 = a.fma(a, q0);
        }
        float sq = sumLanes(q0.add(q1).toArray());
        for (; i < d; i++) sq += x[xo + i] * x[xo + i];
        float rs = (float) (1.0 / Math.sqrt((double) sq / d + eps));
        rstd[r] = rs;
        FloatVector vrs = FloatVector.broadcast(S, rs);
        i = 0;
        if (wv != null) {
            float[] w = wv.a;
            int wo = wv.off;
            for (; i < ub; i += L) {
                FloatVector.fromArray(S, x, xo + i).mul(vrs).mul(FloatVector.fromArray(S, w, wo + i)).intoArray(out, oo + i);
            }
            for (; i < d; i++) out[oo + i] = x[xo + i] * rs * w[wo + i];
        } else {
            for (; i < ub; i += L) FloatVector.fromArray(S, x, xo + i).mul(vrs).intoArray(out, oo + i);
            for (; i < d; i++) out[oo + i] = x[xo + i] * rs;
        }
    }

    static Backend.NormGrads rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gradOut) {
        String op = "rmsNorm backward";
        Checks.normParamsF32(op, x, weight, null);
        Checks.requireF32(op, gradOut);
        Checks.requireShape(op, "gradOut", gradOut, x.shape());
        requireStats(op, "rstd", rstd, Checks.withoutLast(x.shape()));
        int d = x.size(-1), rows = rows(x);
        Flat xv = Flat.of(x), gv = Flat.of(gradOut), wv = Flat.of(weight), rv = Flat.of(rstd);
        float[] dx = new float[x.numel()];
        boolean wantW = weight != null;
        int grain = gradGrain(rows, d);
        int chunks = rows == 0 ? 0 : (rows + grain - 1) / grain;
        float[][] dw = wantW ? new float[chunks][d] : null;
        Parallel.forRange(rows, grain, (r0, r1) -> {
            float[] dwc = wantW ? dw[r0 / grain] : null;
            float[] tmp = new float[d];
            for (int r = r0; r < r1; r++) normBackwardRow(xv, gv, wv, 0f, rv.a[rv.off + r], false, d, r, dx, dwc, null, tmp);
        });
        return new Backend.NormGrads(Tensor.of(dx, x.shape()), wantW ? combine(dw, d) : null, null);
    }
}
