package org.dust4j.tensor;

import java.util.Arrays;

/**
 * The scalar oracle: every op written the plainest way, on logical row-major float copies of its
 * inputs, accumulating in double where a sum is involved. Slow by design; every fast backend is
 * tested against it.
 */
public class ReferenceBackend implements Backend {

    @Override
    public String name() { return "reference"; }

    @Override
    public Device device() { return Device.CPU; }

    // ------------------------------------------------------------ memory (argument checks: Checks, shared with every backend)

    @Override
    public Tensor zeros(DType dtype, int... shape) { return Tensor.zeros(dtype, shape); }

    @Override
    public Tensor copy(Tensor x) {
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        copyInto(x, out);
        return out;
    }

    @Override
    public void copyInto(Tensor src, Tensor dst) {
        try { copyIntoUnhooked(src, dst); } finally { GemmPack.written(dst); }
    }

    /** {@link #copyInto} without the {@link GemmPack#written} hook. */
    private void copyIntoUnhooked(Tensor src, Tensor dst) {
        Tensor s = src.expand(Shape.broadcast("copyInto", src.shape(), dst.shape()));
        if (!Arrays.equals(s.shape(), dst.shape())) {
            throw new IllegalArgumentException("copyInto: source " + Shape.str(src.shape()) + " does not broadcast to "
                    + Shape.str(dst.shape()));
        }
        int[] shape = dst.shape();
        int n = dst.numel();
        int[] idx = new int[shape.length];
        boolean ints = !dst.dtype().isFloating() && !src.dtype().isFloating();
        long[] lv = ints ? s.toLongArray() : null;
        float[] fv = ints ? null : s.toFloatArray();
        for (int i = 0; i < n; i++) {
            int p = dst.offset();
            for (int d = 0; d < shape.length; d++) p += idx[d] * dst.stride(d);
            switch (dst.storage()) {
                case CpuStorage.Floats f -> f.data()[p] = fv[i];
                case CpuStorage.Shorts h -> h.data()[p] = h.dtype() == DType.BF16 ? Half.floatToBf16(fv[i]) : Half.floatToF16(fv[i]);
                case CpuStorage.Longs l -> l.data()[p] = ints ? lv[i] : (long) fv[i];
                case CpuStorage.Ints t -> t.data()[p] = ints ? (int) lv[i] : (int) fv[i];
                default -> throw new IllegalArgumentException("copyInto: destination on " + dst.device() + " is not a CPU tensor");
            }
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
    }

    @Override
    public Tensor convert(Tensor x, DType target) {
        Tensor out = Tensor.zeros(target, x.shape());
        copyInto(x, out);
        return out;
    }

    @Override
    public void fill(Tensor dst, float value) {
        copyInto(Tensor.scalar(value).reshape(), dst);
    }

    @Override
    public Tensor random(long seed, boolean normal, int... shape) {
        float[] d = new float[Shape.numelInt(shape)];
        for (int i = 0; i < d.length; i++) d[i] = normal ? Rng.normal(seed, i) : Rng.uniform(seed, i);
        return Tensor.of(d, shape);
    }

    // ------------------------------------------------------------ gemm

    @Override
    public void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        try { gemmUnhooked(alpha, a, transA, b, transB, beta, c); } finally { GemmPack.written(c); }
    }

    /** {@link #gemm} without the {@link GemmPack#written} hook. */
    private void gemmUnhooked(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        Checks.GemmDims g = Checks.gemmF32(a, transA, b, transB, c);
        for (int bi = 0; bi < g.batch(); bi++) {
            Tensor a2 = a.rank() == 3 ? a.select(0, bi) : a, b2 = b.rank() == 3 ? b.select(0, bi) : b;
            Tensor c2 = c.rank() == 3 ? c.select(0, bi) : c;
            if (transA) a2 = a2.mT();
            if (transB) b2 = b2.mT();
            float[] av = a2.toFloatArray(), bv = b2.toFloatArray(), cv = c2.toFloatArray();
            float[] out = new float[g.m() * g.n()];
            for (int i = 0; i < g.m(); i++) {
                for (int j = 0; j < g.n(); j++) {
                    double s = 0;
                    for (int k = 0; k < g.k(); k++) s += (double) av[i * g.k() + k] * bv[k * g.n() + j];
                    double prev = beta == 0f ? 0 : (double) beta * cv[i * g.n() + j];
                    out[i * g.n() + j] = (float) (alpha * s + prev);
                }
            }
            copyInto(Tensor.of(out, g.m(), g.n()), c2);
        }
    }

    // ------------------------------------------------------------ element-wise

    @Override
    public Tensor binary(Ops.Binary op, Tensor a, Tensor b) {
        Checks.requireF32(op.name().toLowerCase(), a, b);
        int[] shape = Shape.broadcast(op.name().toLowerCase(), a.shape(), b.shape());
        float[] x = a.expand(shape).toFloatArray(), y = b.expand(shape).toFloatArray();
        float[] out = new float[x.length];
        for (int i = 0; i < out.length; i++) out[i] = applyBinary(op, x[i], y[i]);
        return Tensor.of(out, shape);
    }

    static float applyBinary(Ops.Binary op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case MAX -> Float.isNaN(x) || Float.isNaN(y) ? Float.NaN : Math.max(x, y);
            case MIN -> Float.isNaN(x) || Float.isNaN(y) ? Float.NaN : Math.min(x, y);
        };
    }

    @Override
    public Tensor scalar(Ops.Scalar op, Tensor x, float s) {
        Checks.requireF32("scalar " + op.name().toLowerCase(), x);
        float[] v = x.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] = applyScalar(op, v[i], s);
        return Tensor.of(v, x.shape());
    }

    static float applyScalar(Ops.Scalar op, float x, float s) {
        return switch (op) {
            case ADD -> x + s;
            case SUB -> x - s;
            case MUL -> x * s;
            case DIV -> x / s;
            case RSUB -> s - x;
            case RDIV -> s / x;
            case POW -> (float) Math.pow(x, s);
            case MAX -> Float.isNaN(x) ? x : Math.max(x, s);
            case MIN -> Float.isNaN(x) ? x : Math.min(x, s);
        };
    }

    static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** f(x) in double, rounded once. */
    static float applyUnary(Ops.Unary op, float xf) {
        double x = xf;
        return (float) switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SQUARE -> x * x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1.0 / Math.sqrt(x);
            case RECIPROCAL -> 1.0 / x;
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1.0 / (1.0 + Math.exp(-x));
            case SILU -> x / (1.0 + Math.exp(-x));
            case RELU -> x < 0 ? 0.0 : x;             // as PyTorch: NaN and -0.0 pass through
            case GELU_TANH -> 0.5 * x * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
        };
    }

    /** f'(x) in double. */
    static double unaryDerivative(Ops.Unary op, double x) {
        return switch (op) {
            case NEG -> -1.0;
            case ABS -> x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
            case SQUARE -> 2.0 * x;
            case EXP -> Math.exp(x);
            case LOG -> 1.0 / x;
            case SQRT -> 0.5 / Math.sqrt(x);
            case RSQRT -> -0.5 / (x * Math.sqrt(x));
            case RECIPROCAL -> -1.0 / (x * x);
            case TANH -> {
                double t = Math.tanh(x);
                yield 1.0 - t * t;
            }
            case SIGMOID -> {
                double s = 1.0 / (1.0 + Math.exp(-x));
                yield s * (1.0 - s);
            }
            case SILU -> {
                double s = 1.0 / (1.0 + Math.exp(-x));
                yield s * (1.0 + x * (1.0 - s));
            }
            case RELU -> x <= 0 ? 0.0 : 1.0;          // PyTorch's threshold_backward: the gradient passes where x is NaN
            case GELU_TANH -> {
                double u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
                double t = Math.tanh(u);
                yield 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x);
            }
        };
    }

    @Override
    public Tensor unary(Ops.Unary op, Tensor x) {
        Checks.requireF32(op.name().toLowerCase(), x);
        float[] v = x.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] = applyUnary(op, v[i]);
        return Tensor.of(v, x.shape());
    }

    @Override
    public Tensor unaryBackward(Ops.Unary op, Tensor x, Tensor gradOut) {
        String name = op.name().toLowerCase() + " backward";
        Checks.requireF32(name, x, gradOut);
        Checks.requireShape(name, "gradOut", gradOut, x.shape());
        float[] v = x.toFloatArray(), g = gradOut.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] = (float) (g[i] * unaryDerivative(op, v[i]));
        return Tensor.of(v, x.shape());
    }

    @Override
    public void addInPlace(Tensor dst, Tensor src) {
        try { addInPlaceUnhooked(dst, src); } finally { GemmPack.written(dst); }
    }

    /** {@link #addInPlace} without the {@link GemmPack#written} hook. */
    private void addInPlaceUnhooked(Tensor dst, Tensor src) {
        Checks.requireF32("addInPlace", dst, src);
        Tensor s = src.expand(Shape.broadcast("addInPlace", src.shape(), dst.shape()));
        if (!Arrays.equals(s.shape(), dst.shape())) {
            throw new IllegalArgumentException("addInPlace: " + Shape.str(src.shape()) + " does not broadcast to " + Shape.str(dst.shape()));
        }
        float[] d = dst.toFloatArray(), v = s.toFloatArray();
        for (int i = 0; i < d.length; i++) d[i] += v[i];
        copyInto(Tensor.of(d, dst.shape()), dst);
    }

    // ------------------------------------------------------------ reductions

    @Override
    public Tensor reduce(Ops.Reduce op, Tensor x, int axis, boolean keepDim) {
        String name = op.name().toLowerCase();
        Checks.requireF32(name, x);
        int a = Shape.axis(name, axis, x.rank());
        int[] shape = x.shape();
        int outer = 1, inner = 1, n = shape[a];
        for (int i = 0; i < a; i++) outer *= shape[i];
        for (int i = a + 1; i < shape.length; i++) inner *= shape[i];
        if (n == 0 && op == Ops.Reduce.MAX) throw new IllegalArgumentException("max: axis " + a + " of shape " + Shape.str(shape) + " is empty");
        float[] v = x.toFloatArray();
        float[] out = new float[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                double acc = op == Ops.Reduce.MAX ? Double.NEGATIVE_INFINITY : 0;
                for (int i = 0; i < n; i++) {
                    float e = v[(o * n + i) * inner + in];
                    if (op == Ops.Reduce.MAX) acc = Float.isNaN(e) || Double.isNaN(acc) ? Double.NaN : Math.max(acc, e);
                    else acc += e;
                }
                out[o * inner + in] = (float) (op == Ops.Reduce.MEAN ? acc / n : acc);
            }
        }
        int[] os = shape.clone();
        os[a] = 1;
        Tensor r = Tensor.of(out, os);
        return keepDim ? r : r.squeeze(a);
    }

    @Override
    public Tensor sumTo(Tensor x, int[] shape) {
        Checks.requireF32("sumTo", x);
        int[] xs = x.shape();
        if (!Arrays.equals(Shape.broadcast("sumTo", shape, xs), xs)) {
            throw new IllegalArgumentException("sumTo: " + Shape.str(shape) + " does not broadcast to " + Shape.str(xs));
        }
        Tensor r = x;
        int lead = xs.length - shape.length;
        for (int i = 0; i < lead; i++) r = reduce(Ops.Reduce.SUM, r, 0, false);
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1 && r.size(i) != 1) r = reduce(Ops.Reduce.SUM, r, i, true);
        }
        return r.isContiguous() && r.offset() == 0 ? r.reshape(shape) : copy(r).reshape(shape);
    }

    @Override
    public double sumAll(Tensor x) {
        Checks.requireF32("sumAll", x);
        double s = 0;
        for (float f : x.toFloatArray()) s += f;
        return s;
    }

    @Override
    public double sumSquares(Tensor x) {
        Checks.requireF32("sumSquares", x);
        double s = 0;
        for (float f : x.toFloatArray()) s += (double) f * f;
        return s;
    }

    // ------------------------------------------------------------ softmax, norms

    @Override
    public Tensor softmax(Tensor x) {
        Checks.requireF32("softmax", x);
        int d = Checks.lastDim("softmax", x);
        float[] v = x.toFloatArray();
        for (int r = 0; r < (d == 0 ? 0 : v.length / d); r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < d; i++) max = Math.max(max, v[r * d + i]);
            double sum = 0;
            for (int i = 0; i < d; i++) sum += Math.exp(v[r * d + i] - max);
            for (int i = 0; i < d; i++) v[r * d + i] = (float) (Math.exp(v[r * d + i] - max) / sum);
        }
        return Tensor.of(v, x.shape());
    }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor gradOut) {
        Checks.requireF32("softmax backward", y, gradOut);
        Checks.requireShape("softmax backward", "gradOut", gradOut, y.shape());
        int d = Checks.lastDim("softmax backward", y);
        float[] yv = y.toFloatArray(), g = gradOut.toFloatArray(), out = new float[yv.length];
        for (int r = 0; r < (d == 0 ? 0 : yv.length / d); r++) {
            double dot = 0;
            for (int i = 0; i < d; i++) dot += (double) yv[r * d + i] * g[r * d + i];
            for (int i = 0; i < d; i++) out[r * d + i] = (float) (yv[r * d + i] * (g[r * d + i] - dot));
        }
        return Tensor.of(out, y.shape());
    }

    @Override
    public NormResult layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        Checks.normParamsF32("layerNorm", x, weight, bias);
        int d = x.size(-1), rows = d == 0 ? 0 : x.numel() / d;
        float[] v = x.toFloatArray(), out = new float[v.length], mean = new float[rows], rstd = new float[rows];
        float[] w = weight == null ? null : weight.toFloatArray(), b = bias == null ? null : bias.toFloatArray();
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < d; i++) s += v[r * d + i];
            double mu = s / d, var = 0;
            for (int i = 0; i < d; i++) var += (v[r * d + i] - mu) * (v[r * d + i] - mu);
            double rs = 1.0 / Math.sqrt(var / d + eps);
            mean[r] = (float) mu;
            rstd[r] = (float) rs;
            for (int i = 0; i < d; i++) {
                double y = (v[r * d + i] - mu) * rs;
                if (w != null) y *= w[i];
                if (b != null) y += b[i];
                out[r * d + i] = (float) y;
            }
        }
        int[] rs = Checks.withoutLast(x.shape());
        return new NormResult(Tensor.of(out, x.shape()), Tensor.of(mean, rs), Tensor.of(rstd, rs));
    }

    @Override
    public NormGrads layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, boolean hasBias) {
        Checks.normParamsF32("layerNorm backward", x, weight, null);
        Checks.requireShape("layerNorm backward", "gradOut", gradOut, x.shape());
        int d = x.size(-1), rows = d == 0 ? 0 : x.numel() / d;
        float[] v = x.toFloatArray(), g = gradOut.toFloatArray(), mu = mean.toFloatArray(), rs = rstd.toFloatArray();
        float[] w = weight == null ? null : weight.toFloatArray();
        float[] dx = new float[v.length];
        double[] dw = new double[d], db = new double[d];
        for (int r = 0; r < rows; r++) {
            double sumDy = 0, sumDyXhat = 0;
            for (int i = 0; i < d; i++) {
                double xhat = (v[r * d + i] - mu[r]) * (double) rs[r];
                double dy = g[r * d + i] * (w == null ? 1.0 : w[i]);
                sumDy += dy;
                sumDyXhat += dy * xhat;
                dw[i] += g[r * d + i] * xhat;
                db[i] += g[r * d + i];
            }
            for (int i = 0; i < d; i++) {
                double xhat = (v[r * d + i] - mu[r]) * (double) rs[r];
                double dy = g[r * d + i] * (w == null ? 1.0 : w[i]);
                dx[r * d + i] = (float) (rs[r] * (dy - sumDy / d - xhat * sumDyXhat / d));
            }
        }
        return new NormGrads(Tensor.of(dx, x.shape()), w == null ? null : Tensor.of(toFloat(dw), d),
                hasBias ? Tensor.of(toFloat(db), d) : null);
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    @Override
    public NormResult rmsNorm(Tensor x, Tensor weight, float eps) {
        Checks.normParamsF32("rmsNorm", x, weight, null);
        int d = x.size(-1), rows = d == 0 ? 0 : x.numel() / d;
        float[] v = x.toFloatArray(), out = new float[v.length], rstd = new float[rows];
        float[] w = weight == null ? null : weight.toFloatArray();
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = 0; i < d; i++) ss += (double) v[r * d + i] * v[r * d + i];
            double rs = 1.0 / Math.sqrt(ss / d + eps);
            rstd[r] = (float) rs;
            for (int i = 0; i < d; i++) out[r * d + i] = (float) (v[r * d + i] * rs * (w == null ? 1.0 : w[i]));
        }
        return new NormResult(Tensor.of(out, x.shape()), null, Tensor.of(rstd, Checks.withoutLast(x.shape())));
    }

    @Override
    public NormGrads rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gradOut) {
        Checks.normParamsF32("rmsNorm backward", x, weight, null);
        Checks.requireShape("rmsNorm backward", "gradOut", gradOut, x.shape());
        int d = x.size(-1), rows = d == 0 ? 0 : x.numel() / d;
        float[] v = x.toFloatArray(), g = gradOut.toFloatArray(), rs = rstd.toFloatArray();
        float[] w = weight == null ? null : weight.toFloatArray();
        float[] dx = new float[v.length];
        double[] dw = new double[d];
        for (int r = 0; r < rows; r++) {
            double sumDyXhat = 0;
            for (int i = 0; i < d; i++) {
                double xhat = v[r * d + i] * (double) rs[r];
                double dy = g[r * d + i] * (w == null ? 1.0 : w[i]);
                sumDyXhat += dy * xhat;
                dw[i] += g[r * d + i] * xhat;
            }
            for (int i = 0; i < d; i++) {
                double xhat = v[r * d + i] * (double) rs[r];
                double dy = g[r * d + i] * (w == null ? 1.0 : w[i]);
                dx[r * d + i] = (float) (rs[r] * (dy - xhat * sumDyXhat / d));
            }
        }
        return new NormGrads(Tensor.of(dx, x.shape()), w == null ? null : Tensor.of(toFloat(dw), d), null);
    }

    // ------------------------------------------------------------ attention

    @Override
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, float scale) {
        int[] g = Checks.attentionF32("attention", q, k, v);
        int bh = g[0] * g[1], tq = g[2], tk = g[3], dh = g[4];
        float[] qv = q.toFloatArray(), kv = k.toFloatArray(), vv = v.toFloatArray();
        float[] out = new float[bh * tq * dh], lse = new float[bh * tq];
        double[] s = new double[tk];
        for (int p = 0; p < bh; p++) {
            for (int i = 0; i < tq; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tk; j++) {
                    double dot = 0;
                    for (int c = 0; c < dh; c++) dot += (double) qv[(p * tq + i) * dh + c] * kv[(p * tk + j) * dh + c];
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < tk; j++) sum += Math.exp(s[j] - max);
                lse[p * tq + i] = (float) (max + Math.log(sum));
                for (int c = 0; c < dh; c++) {
                    double acc = 0;
                    for (int j = 0; j < tk; j++) acc += Math.exp(s[j] - max) / sum * vv[(p * tk + j) * dh + c];
                    out[(p * tq + i) * dh + c] = (float) acc;
                }
            }
        }
        return new AttentionResult(Tensor.of(out, g[0], g[1], tq, dh), Tensor.of(lse, g[0], g[1], tq));
    }

    @Override
    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gradOut, float scale) {
        int[] g = Checks.attentionF32("attention backward", q, k, v);
        Checks.requireShape("attention backward", "gradOut", gradOut, q.shape());
        int bh = g[0] * g[1], tq = g[2], tk = g[3], dh = g[4];
        float[] qv = q.toFloatArray(), kv = k.toFloatArray(), vv = v.toFloatArray();
        float[] ov = out.toFloatArray(), lv = lse.toFloatArray(), go = gradOut.toFloatArray();
        double[] dq = new double[qv.length], dk = new double[kv.length], dv = new double[vv.length];
        for (int p = 0; p < bh; p++) {
            for (int i = 0; i < tq; i++) {
                double delta = 0;
                for (int c = 0; c < dh; c++) delta += (double) go[(p * tq + i) * dh + c] * ov[(p * tq + i) * dh + c];
                for (int j = 0; j < tk; j++) {
                    double dot = 0;
                    for (int c = 0; c < dh; c++) dot += (double) qv[(p * tq + i) * dh + c] * kv[(p * tk + j) * dh + c];
                    double pr = Math.exp(dot * scale - lv[p * tq + i]);
                    double dp = 0;
                    for (int c = 0; c < dh; c++) dp += (double) go[(p * tq + i) * dh + c] * vv[(p * tk + j) * dh + c];
                    double ds = pr * (dp - delta) * scale;
                    for (int c = 0; c < dh; c++) {
                        dv[(p * tk + j) * dh + c] += pr * go[(p * tq + i) * dh + c];
                        dq[(p * tq + i) * dh + c] += ds * kv[(p * tk + j) * dh + c];
                        dk[(p * tk + j) * dh + c] += ds * qv[(p * tq + i) * dh + c];
                    }
                }
            }
        }
        return new AttentionGrads(Tensor.of(toFloat(dq), q.shape()), Tensor.of(toFloat(dk), k.shape()),
                Tensor.of(toFloat(dv), v.shape()));
    }

    // ------------------------------------------------------------ indexing

    @Override
    public Tensor embedding(Tensor table, Tensor indices) {
        Checks.requireF32("embedding", table);
        if (table.rank() != 2) throw new IllegalArgumentException("embedding: table must be [N,D], got " + Shape.str(table.shape()));
        int n = table.size(0), d = table.size(1);
        long[] idx = Checks.indices("embedding", indices, n);
        float[] t = table.toFloatArray(), out = new float[idx.length * d];
        for (int r = 0; r < idx.length; r++) System.arraycopy(t, (int) idx[r] * d, out, r * d, d);
        int[] os = Arrays.copyOf(indices.shape(), indices.rank() + 1);
        os[indices.rank()] = d;
        return Tensor.of(out, os);
    }

    @Override
    public Tensor scatterAddRows(Tensor src, Tensor indices, int numRows) {
        Checks.requireF32("scatterAddRows", src);
        long[] idx = Checks.indices("scatterAddRows", indices, numRows);
        int d = Checks.lastDim("scatterAddRows", src);
        if ((long) idx.length * d != src.numel()) {
            throw new IllegalArgumentException("scatterAddRows: source " + Shape.str(src.shape()) + " does not hold one row per index of "
                    + Shape.str(indices.shape()));
        }
        float[] s = src.toFloatArray();
        double[] out = new double[numRows * d];
        for (int r = 0; r < idx.length; r++) {
            for (int c = 0; c < d; c++) out[(int) idx[r] * d + c] += s[r * d + c];
        }
        return Tensor.of(toFloat(out), numRows, d);
    }

    // ------------------------------------------------------------ optimiser

    @Override
    public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        try { adamwUnhooked(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step); } finally { GemmPack.written(param); GemmPack.written(m); GemmPack.written(v); }
    }

    /** {@link #adamw} without the {@link GemmPack#written} hook. */
    private void adamwUnhooked(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        Checks.adamw(param, grad, m, v);
        AdamScalars s = AdamScalars.of(lr, beta1, beta2, weightDecay, step);
        float[] p = param.floatData(), g = grad.floatData(), mm = m.floatData(), vv = v.floatData();
        int po = param.offset(), go = grad.offset(), mo = m.offset(), vo = v.offset();
        for (int i = 0; i < param.numel(); i++) {
            float gi = g[go + i];
            float pi = p[po + i] * s.decay();
            float mi = mm[mo + i] * beta1 + gi * s.oneMinusBeta1();
            float vi = vv[vo + i] * beta2 + gi * gi * s.oneMinusBeta2();
            float denom = (float) Math.sqrt(vi) / s.bc2Sqrt() + eps;
            p[po + i] = pi - s.stepSize() * (mi / denom);
            mm[mo + i] = mi;
            vv[vo + i] = vi;
        }
    }

    /** The scalars torch.optim.AdamW computes in double per step, rounded to float as torch does. */
    public record AdamScalars(float decay, float oneMinusBeta1, float oneMinusBeta2, float stepSize, float bc2Sqrt) {
        public static AdamScalars of(float lr, float beta1, float beta2, float weightDecay, int step) {
            if (step < 1) throw new IllegalArgumentException("adamw: step counts from 1, got " + step);
            double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
            return new AdamScalars((float) (1 - (double) lr * weightDecay), (float) (1 - (double) beta1),
                    (float) (1 - (double) beta2), (float) (lr / bc1), (float) Math.sqrt(bc2));
        }
    }
}
