package org.dust4j.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/**
 * Differentiable ops. Each computes its value on the backend of its input's device and, when grad mode
 * is on and an input requires grad, records a node whose closure maps the output gradient to input
 * gradients. Binary ops broadcast like torch; their gradients are summed back to each input's shape.
 * Errors name the op and the shapes involved.
 */
public final class F {
    private F() {}

    private static final ThreadLocal<Backend> OVERRIDE = new ThreadLocal<>();

    /**
     * The backend ops on {@code t} run on: the thread's override if one is set, else
     * {@code Backends.forDevice(t.device())}.
     */
    public static Backend backend(Tensor t) {
        Backend b = OVERRIDE.get();
        return b != null ? b : Backends.forDevice(t.device());
    }

    /** Runs every op on this thread on {@code b} until the scope closes (tests use the reference backend). */
    public static GradMode.Scope withBackend(Backend b) {
        Backend previous = OVERRIDE.get();
        OVERRIDE.set(b);
        return new GradMode.Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    if (previous == null) OVERRIDE.remove();
                    else OVERRIDE.set(previous);
                }
            }
        };
    }

    private static Backend be(Var v) {
        return backend(v.value());
    }

    /** Records a node when grad mode is on and an input requires grad; else a constant. */
    private static Var record(String op, Tensor out, Node.Backward bw, Var... inputs) {
        if (GradMode.isEnabled()) {
            for (Var v : inputs) {
                if (v != null && v.requiresGrad()) return Var.ofNode(out, new Node(op, inputs, bw));
            }
        }
        return Var.constant(out);
    }

    private static Tensor reduceTo(Backend b, Tensor g, int[] shape) {
        return Arrays.equals(g.shape(), shape) ? g : b.sumTo(g, shape);
    }

    private static int[] broadcastShape(String op, Var a, Var b) {
        return Shape.broadcast(op, a.value().shape(), b.value().shape());
    }

    // ------------------------------------------------------------ binary

    public static Var add(Var a, Var b) {
        broadcastShape("add", a, b);
        Backend bk = be(a);
        int[] sa = a.shape(), sb = b.shape();
        return record("add", bk.binary(Ops.Binary.ADD, a.value(), b.value()),
                (g, n) -> new Tensor[] {n[0] ? reduceTo(bk, g, sa) : null, n[1] ? reduceTo(bk, g, sb) : null}, a, b);
    }

    public static Var sub(Var a, Var b) {
        broadcastShape("sub", a, b);
        Backend bk = be(a);
        int[] sa = a.shape(), sb = b.shape();
        return record("sub", bk.binary(Ops.Binary.SUB, a.value(), b.value()),
                (g, n) -> new Tensor[] {n[0] ? reduceTo(bk, g, sa) : null,
                        n[1] ? reduceTo(bk, bk.unary(Ops.Unary.NEG, g), sb) : null}, a, b);
    }

    public static Var mul(Var a, Var b) {
        broadcastShape("mul", a, b);
        Backend bk = be(a);
        Tensor av = a.value(), bv = b.value();
        return record("mul", bk.binary(Ops.Binary.MUL, av, bv),
                (g, n) -> new Tensor[] {n[0] ? reduceTo(bk, bk.binary(Ops.Binary.MUL, g, bv), av.shape()) : null,
                        n[1] ? reduceTo(bk, bk.binary(Ops.Binary.MUL, g, av), bv.shape()) : null}, a, b);
    }

    public static Var div(Var a, Var b) {
        broadcastShape("div", a, b);
        Backend bk = be(a);
        Tensor av = a.value(), bv = b.value();
        Tensor out = bk.binary(Ops.Binary.DIV, av, bv);
        return record("div", out, (g, n) -> {
            Tensor gOverB = bk.binary(Ops.Binary.DIV, g, bv);
            return new Tensor[] {n[0] ? reduceTo(bk, gOverB, av.shape()) : null,
                    // d(a/b)/db = -a/b^2 = -(a/b)/b
                    n[1] ? reduceTo(bk, bk.unary(Ops.Unary.NEG, bk.binary(Ops.Binary.MUL, gOverB, out)), bv.shape()) : null};
        }, a, b);
    }

    // ------------------------------------------------------------ with a scalar

    public static Var add(Var x, float s) {
        Backend bk = be(x);
        return record("add", bk.scalar(Ops.Scalar.ADD, x.value(), s), (g, n) -> new Tensor[] {g}, x);
    }

    public static Var mul(Var x, float s) {
        Backend bk = be(x);
        return record("mul", bk.scalar(Ops.Scalar.MUL, x.value(), s),
                (g, n) -> new Tensor[] {bk.scalar(Ops.Scalar.MUL, g, s)}, x);
    }

    /** {@code x^p} element-wise; the gradient is {@code p * x^(p-1)}. */
    public static Var pow(Var x, float p) {
        Backend bk = be(x);
        Tensor xv = x.value();
        return record("pow", bk.scalar(Ops.Scalar.POW, xv, p), (g, n) -> {
            Tensor d = bk.scalar(Ops.Scalar.MUL, bk.scalar(Ops.Scalar.POW, xv, p - 1f), p);
            return new Tensor[] {bk.binary(Ops.Binary.MUL, g, d)};
        }, x);
    }

    // ------------------------------------------------------------ unary

    private static Var unary(String name, Ops.Unary op, Var x) {
        Backend bk = be(x);
        Tensor xv = x.value();
        return record(name, bk.unary(op, xv), (g, n) -> new Tensor[] {bk.unaryBackward(op, xv, g)}, x);
    }

    public static Var neg(Var x) { return unary("neg", Ops.Unary.NEG, x); }

    public static Var exp(Var x) { return unary("exp", Ops.Unary.EXP, x); }

    public static Var log(Var x) { return unary("log", Ops.Unary.LOG, x); }

    public static Var sqrt(Var x) { return unary("sqrt", Ops.Unary.SQRT, x); }

    public static Var rsqrt(Var x) { return unary("rsqrt", Ops.Unary.RSQRT, x); }

    public static Var tanh(Var x) { return unary("tanh", Ops.Unary.TANH, x); }

    public static Var sigmoid(Var x) { return unary("sigmoid", Ops.Unary.SIGMOID, x); }

    public static Var silu(Var x) { return unary("silu", Ops.Unary.SILU, x); }

    public static Var relu(Var x) { return unary("relu", Ops.Unary.RELU, x); }

    /** GELU with the tanh approximation (torch {@code approximate="tanh"}). */
    public static Var gelu(Var x) { return unary("gelu", Ops.Unary.GELU_TANH, x); }

    public static Var square(Var x) { return unary("square", Ops.Unary.SQUARE, x); }

    // ------------------------------------------------------------ reductions

    /** Sum of all elements as a 0-d variable. */
    public static Var sum(Var x) {
        Backend bk = be(x);
        int[] shape = x.shape();
        Tensor flat = x.value().contiguous().reshape(-1);
        Tensor out = bk.reduce(Ops.Reduce.SUM, flat, 0, false);
        return record("sum", out, (g, n) -> new Tensor[] {g.reshape(ones(shape.length)).expand(shape)}, x);
    }

    /** Mean of all elements as a 0-d variable. */
    public static Var mean(Var x) {
        Backend bk = be(x);
        int[] shape = x.shape();
        int count = x.value().numel();
        Tensor flat = x.value().contiguous().reshape(-1);
        Tensor out = bk.reduce(Ops.Reduce.MEAN, flat, 0, false);
        return record("mean", out, (g, n) -> new Tensor[] {
                bk.scalar(Ops.Scalar.DIV, g, count).reshape(ones(shape.length)).expand(shape)}, x);
    }

    public static Var sum(Var x, int axis, boolean keepDim) {
        Backend bk = be(x);
        int[] shape = x.shape();
        int a = Shape.axis("sum", axis, shape.length);
        return record("sum", bk.reduce(Ops.Reduce.SUM, x.value(), a, keepDim),
                (g, n) -> new Tensor[] {(keepDim ? g : g.unsqueeze(a)).expand(shape)}, x);
    }

    public static Var mean(Var x, int axis, boolean keepDim) {
        Backend bk = be(x);
        int[] shape = x.shape();
        int a = Shape.axis("mean", axis, shape.length);
        int count = shape[a];
        return record("mean", bk.reduce(Ops.Reduce.MEAN, x.value(), a, keepDim), (g, n) -> {
            Tensor s = bk.scalar(Ops.Scalar.DIV, g, count);
            return new Tensor[] {(keepDim ? s : s.unsqueeze(a)).expand(shape)};
        }, x);
    }

    /**
     * Maximum over an axis (torch.amax): the gradient goes to every position equal to the maximum,
     * split evenly among ties.
     */
    public static Var max(Var x, int axis, boolean keepDim) {
        Backend bk = be(x);
        Tensor xv = x.value();
        int[] shape = x.shape();
        int a = Shape.axis("max", axis, shape.length);
        Tensor mk = bk.reduce(Ops.Reduce.MAX, xv, a, true);
        Tensor out = keepDim ? mk : mk.squeeze(a);
        return record("max", out, (g, n) -> {
            // below = 1 where x < max (relu'(max - x) is 1 exactly where max - x > 0), at = 1 - below
            Tensor below = bk.unaryBackward(Ops.Unary.RELU, bk.binary(Ops.Binary.SUB, mk.expand(shape), xv), full(bk, 1f, shape));
            Tensor at = bk.scalar(Ops.Scalar.RSUB, below, 1f);
            Tensor count = bk.reduce(Ops.Reduce.SUM, at, a, true);
            Tensor share = bk.binary(Ops.Binary.DIV, keepDim ? g : g.unsqueeze(a), count);
            return new Tensor[] {bk.binary(Ops.Binary.MUL, at, share)};
        }, x);
    }

    // ------------------------------------------------------------ softmax and norms

    /** Softmax over the last axis. */
    public static Var softmax(Var x) {
        if (x.value().rank() == 0) throw new IllegalArgumentException("softmax: needs rank >= 1, got a scalar");
        Backend bk = be(x);
        Tensor y = bk.softmax(x.value());
        return record("softmax", y, (g, n) -> new Tensor[] {bk.softmaxBackward(y, g)}, x);
    }

    private static void checkNormParam(String op, String what, Var x, Var p) {
        if (p == null) return;
        int d = x.value().rank() == 0 ? -1 : x.value().size(-1);
        if (p.value().rank() != 1 || p.value().size(0) != d) {
            throw new IllegalArgumentException(op + ": " + what + " " + Shape.str(p.shape()) + " does not match input "
                    + Shape.str(x.shape()) + " (expected [" + d + "])");
        }
    }

    /** LayerNorm over the last axis; {@code weight} and {@code bias} ([D]) are optional. */
    public static Var layerNorm(Var x, Var weight, Var bias, float eps) {
        if (x.value().rank() == 0) throw new IllegalArgumentException("layerNorm: needs rank >= 1, got a scalar");
        checkNormParam("layerNorm", "weight", x, weight);
        checkNormParam("layerNorm", "bias", x, bias);
        Backend bk = be(x);
        Tensor xv = x.value(), wv = weight == null ? null : weight.value();
        Backend.NormResult r = bk.layerNorm(xv, wv, bias == null ? null : bias.value(), eps);
        boolean hasBias = bias != null;
        return record("layerNorm", r.out(), (g, n) -> {
            Backend.NormGrads d = bk.layerNormBackward(xv, wv, r.mean(), r.rstd(), g, hasBias);
            return new Tensor[] {d.dx(), d.dweight(), d.dbias()};
        }, x, weight, bias);
    }

    /** RMSNorm over the last axis: {@code x * rsqrt(mean(x^2) + eps) * weight}; weight ([D]) optional. */
    public static Var rmsNorm(Var x, Var weight, float eps) {
        if (x.value().rank() == 0) throw new IllegalArgumentException("rmsNorm: needs rank >= 1, got a scalar");
        checkNormParam("rmsNorm", "weight", x, weight);
        Backend bk = be(x);
        Tensor xv = x.value(), wv = weight == null ? null : weight.value();
        Backend.NormResult r = bk.rmsNorm(xv, wv, eps);
        return record("rmsNorm", r.out(), (g, n) -> {
            Backend.NormGrads d = bk.rmsNormBackward(xv, wv, r.rstd(), g);
            return new Tensor[] {d.dx(), d.dweight()};
        }, x, weight);
    }

    // ------------------------------------------------------------ linear algebra

    /**
     * Matrix product: [M,K] @ [K,N], batched [B,M,K] @ [B,K,N], or [B,M,K] @ [K,N] / [M,K] @ [B,K,N]
     * with the rank-2 operand shared by every batch entry.
     */
    public static Var matmul(Var a, Var b) {
        Tensor av = a.value(), bv = b.value();
        int ra = av.rank(), rb = bv.rank();
        String desc = Shape.str(av.shape()) + " and " + Shape.str(bv.shape());
        if (ra < 2 || ra > 3 || rb < 2 || rb > 3) {
            throw new IllegalArgumentException("matmul: operands must be rank 2 or 3, got " + desc);
        }
        if (av.size(-1) != bv.size(-2)) {
            throw new IllegalArgumentException("matmul: inner dimensions differ (" + av.size(-1) + " vs " + bv.size(-2) + ") for " + desc);
        }
        if (ra == 3 && rb == 3 && av.size(0) != bv.size(0)) {
            throw new IllegalArgumentException("matmul: batch sizes differ (" + av.size(0) + " vs " + bv.size(0) + ") for " + desc);
        }
        Backend bk = be(a);
        Tensor out = bk.matmul(av, false, bv, false);
        return record("matmul", out, (g, n) -> {
            Tensor da = null, db = null;
            if (n[0]) {
                da = bk.matmul(g, false, bv, true);                       // g @ B^T
                if (ra == 2 && rb == 3) da = bk.reduce(Ops.Reduce.SUM, da, 0, false);
            }
            if (n[1]) {
                if (ra == 3 && rb == 2) {
                    // shared B: sum over the batch of A_b^T g_b = (A as [B*M,K])^T (g as [B*M,N])
                    Tensor a2 = av.contiguous().reshape(-1, av.size(-1));
                    Tensor g2 = g.contiguous().reshape(-1, g.size(-1));
                    db = bk.matmul(a2, true, g2, false);
                } else {
                    db = bk.matmul(av, true, g, false);                   // A^T @ g (batched or shared A)
                }
            }
            return new Tensor[] {da, db};
        }, a, b);
    }

    /** {@code x @ w^T + b} with x [..., in], w [out, in] (torch layout), b [out] or null. */
    public static Var linear(Var x, Var w, Var b) {
        Tensor xv = x.value(), wv = w.value();
        if (wv.rank() != 2 || xv.rank() == 0 || xv.size(-1) != wv.size(1)) {
            throw new IllegalArgumentException("linear: input " + Shape.str(xv.shape()) + " does not match weight "
                    + Shape.str(wv.shape()) + " (weight must be [out, in] with in = the input's last dim)");
        }
        int in = wv.size(1), outF = wv.size(0);
        if (b != null && (b.value().rank() != 1 || b.value().size(0) != outF)) {
            throw new IllegalArgumentException("linear: bias " + Shape.str(b.shape()) + " does not match weight "
                    + Shape.str(wv.shape()) + " (expected [" + outF + "])");
        }
        Backend bk = be(x);
        int[] xs = xv.shape();
        int[] os = xs.clone();
        os[os.length - 1] = outF;
        int rows = (int) Shape.numel(java.util.Arrays.copyOf(xs, xs.length - 1));
        Tensor x2 = xv.contiguous().reshape(rows, in);
        Tensor y = bk.zeros(DType.F32, rows, outF);
        // the bias is pre-filled (broadcast over rows) and accumulated by the gemm epilogue (beta 1): one pass less
        if (b != null) bk.copyInto(b.value(), y);
        bk.gemm(1f, x2, false, wv, true, b != null ? 1f : 0f, y);
        return record("linear", y.reshape(os), (g, n) -> {
            Tensor g2 = g.contiguous().reshape(rows, outF);
            Tensor dx = null, dw = null, db = null;
            if (n[0]) {
                dx = bk.zeros(DType.F32, rows, in);
                bk.gemm(1f, g2, false, wv, false, 0f, dx);
                dx = dx.reshape(xs);
            }
            if (n[1]) {
                dw = bk.zeros(DType.F32, outF, in);
                bk.gemm(1f, g2, true, x2, false, 0f, dw);
            }
            if (n[2]) db = bk.reduce(Ops.Reduce.SUM, g2, 0, false);
            return new Tensor[] {dx, dw, db};
        }, x, w, b);
    }

    /** Scaled dot-product attention softmax(q k^T * scale) v over q [B,H,Tq,dh], k and v [B,H,Tk,dh]. */
    public static Var attention(Var q, Var k, Var v, float scale) {
        Tensor qv = q.value(), kv = k.value(), vv = v.value();
        if (qv.rank() != 4 || kv.rank() != 4 || vv.rank() != 4 || !Arrays.equals(kv.shape(), vv.shape())
                || kv.size(0) != qv.size(0) || kv.size(1) != qv.size(1) || kv.size(3) != qv.size(3)) {
            throw new IllegalArgumentException("attention: q " + Shape.str(qv.shape()) + ", k " + Shape.str(kv.shape())
                    + ", v " + Shape.str(vv.shape()) + " must be [B,H,Tq,dh], [B,H,Tk,dh], [B,H,Tk,dh]");
        }
        Backend bk = be(q);
        Backend.AttentionResult r = bk.attention(qv, kv, vv, scale);
        return record("attention", r.out(), (g, n) -> {
            Backend.AttentionGrads d = bk.attentionBackward(qv, kv, vv, r.out(), r.lse(), g, scale);
            return new Tensor[] {d.dq(), d.dk(), d.dv()};
        }, q, k, v);
    }

    // ------------------------------------------------------------ fused ops (Backend SPI; CUDA runs each as one kernel)

    /**
     * AdaLN modulate {@code LN(x, eps) * (1 + scale[b]) + shift[b]} with LayerNorm without affine parameters: x [B,T,D],
     * scale and shift [B,D] (column chunks of one [B,k*D] modulation tensor are fine).
     */
    public static Var adaLn(Var x, Var scale, Var shift, float eps) {
        Tensor xv = x.value(), sv = scale.value(), hv = shift.value();
        Checks.modulation("adaLn", xv, sv, hv);
        Backend bk = be(x);
        Backend.NormResult r = bk.adaLn(xv, sv, hv, eps);
        return record("adaLn", r.out(), (g, n) -> {
            Backend.AdaLnGrads d = bk.adaLnBackward(xv, sv, r.mean(), r.rstd(), g);
            return new Tensor[] {d.dx(), d.dscale(), d.dshift()};
        }, x, scale, shift);
    }

    /** Gated residual (AdaLN-Zero) {@code x + gate[b] * h}: x and h [B,T,D], gate [B,D]. */
    public static Var gatedResidual(Var x, Var h, Var gate) {
        Tensor hv = h.value(), gv = gate.value();
        Backend bk = be(x);
        Tensor out = bk.gatedResidual(x.value(), hv, gv);
        return record("gatedResidual", out, (g, n) -> {
            Backend.GatedGrads d = bk.gatedResidualBackward(g, hv, gv);
            return new Tensor[] {g, d.dh(), d.dgate()};
        }, x, h, gate);
    }

    /**
     * Flow-matching loss (contract section 5): {@code sum((v - (data - eps))^2 m) / sum(m)} with {@code m = elemMask *
     * sampleMask[b]} (either optional), 0 when {@code sum(m) = 0}; a 0-d variable. Only v receives a gradient.
     */
    public static Var flowLoss(Var v, Tensor data, Tensor eps, Tensor elemMask, Tensor sampleMask) {
        Backend bk = be(v);
        Backend.FlowLoss r = bk.flowLoss(v.value(), data, eps, elemMask, sampleMask, 1f);
        return record("flowLoss", r.loss(), (g, n) -> new Tensor[] {bk.binary(Ops.Binary.MUL, r.grad(), g)}, v);
    }

    /**
     * Per-category (per-embodiment) linear {@code y[b] = x[b] @ W[id[b]] + bias[id[b]]}: x [B,T,in], W [C,in,out], bias
     * [C,out] or null, ids [B] (I64/I32, in [0, C)).
     */
    public static Var categoryLinear(Var x, Var w, Var bias, Tensor ids) {
        Tensor xv = x.value(), wv = w.value();
        Checks.categoryLinear("categoryLinear", xv, wv, bias == null ? null : bias.value(), ids);
        Backend bk = be(x);
        Tensor y = bk.categoryLinear(xv, wv, bias == null ? null : bias.value(), ids);
        boolean hasBias = bias != null;
        return record("categoryLinear", y, (g, n) -> {
            Backend.CategoryLinearGrads d = bk.categoryLinearBackward(xv, wv, ids, g, hasBias);
            return new Tensor[] {d.dx(), d.dw(), d.dbias()};
        }, x, w, bias);
    }

    // ------------------------------------------------------------ indexing and shape

    /** Rows of {@code table} [N,D] at integer {@code indices}: result indices.shape + [D]. */
    public static Var embedding(Var table, Tensor indices) {
        Tensor tv = table.value();
        if (tv.rank() != 2) throw new IllegalArgumentException("embedding: table must be [N,D], got " + Shape.str(tv.shape()));
        if (indices.dtype().isFloating()) {
            throw new IllegalArgumentException("embedding: indices must be I64 or I32, got " + indices.dtype()
                    + " of shape " + Shape.str(indices.shape()));
        }
        Backend bk = be(table);
        int rows = tv.size(0);
        return record("embedding", bk.embedding(tv, indices),
                (g, n) -> new Tensor[] {bk.scatterAddRows(g, indices, rows)}, table);
    }

    /** Concatenation along an axis; all other dims must match. */
    public static Var concat(List<Var> parts, int axis) {
        if (parts.isEmpty()) throw new IllegalArgumentException("concat: no inputs");
        Tensor first = parts.get(0).value();
        int a = Shape.axis("concat", axis, first.rank());
        List<Tensor> values = new ArrayList<>(parts.size());
        int[] starts = new int[parts.size()], lens = new int[parts.size()];
        int at = 0;
        for (int i = 0; i < parts.size(); i++) {
            Tensor t = parts.get(i).value();
            boolean ok = t.rank() == first.rank();
            for (int d = 0; ok && d < t.rank(); d++) ok = d == a || t.size(d) == first.size(d);
            if (!ok) {
                throw new IllegalArgumentException("concat: shapes " + Shape.str(first.shape()) + " and " + Shape.str(t.shape())
                        + " differ outside axis " + a);
            }
            values.add(t);
            starts[i] = at;
            lens[i] = t.size(a);
            at += lens[i];
        }
        Backend bk = be(parts.get(0));
        return record("concat", bk.concat(values, a), (g, n) -> {
            Tensor[] r = new Tensor[n.length];
            for (int i = 0; i < n.length; i++) if (n[i]) r[i] = g.narrow(a, starts[i], lens[i]);
            return r;
        }, parts.toArray(new Var[0]));
    }

    /** Elements {@code start .. start+len-1} along an axis (a view). */
    public static Var narrow(Var x, int axis, int start, int len) {
        int[] shape = x.shape();
        int a = Shape.axis("narrow", axis, shape.length);
        Tensor out = x.value().narrow(a, start, len);
        Backend bk = be(x);
        return record("narrow", out, (g, n) -> {
            Tensor z = bk.zeros(DType.F32, shape);
            bk.copyInto(g, z.narrow(a, start, len));
            return new Tensor[] {z};
        }, x);
    }

    /** Reshape (one dim may be -1); a non-contiguous value is made contiguous first. */
    public static Var reshape(Var x, int... shape) {
        int[] in = x.shape();
        Tensor out = x.value().contiguous().reshape(shape);
        return record("reshape", out, (g, n) -> new Tensor[] {g.contiguous().reshape(in)}, x);
    }

    public static Var transpose(Var x, int a, int b) {
        int ax = Shape.axis("transpose", a, x.value().rank()), bx = Shape.axis("transpose", b, x.value().rank());
        return record("transpose", x.value().transpose(ax, bx), (g, n) -> new Tensor[] {g.transpose(ax, bx)}, x);
    }

    public static Var permute(Var x, int... order) {
        Tensor out = x.value().permute(order);
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) inverse[Shape.axis("permute", order[i], order.length)] = i;
        return record("permute", out, (g, n) -> new Tensor[] {g.permute(inverse)}, x);
    }

    public static Var unsqueeze(Var x, int axis) {
        Tensor out = x.value().unsqueeze(axis);
        int a = axis < 0 ? axis + out.rank() : axis;
        return record("unsqueeze", out, (g, n) -> new Tensor[] {g.squeeze(a)}, x);
    }

    public static Var squeeze(Var x, int axis) {
        int a = Shape.axis("squeeze", axis, x.value().rank());
        Tensor out = x.value().squeeze(a);
        return record("squeeze", out, (g, n) -> new Tensor[] {g.unsqueeze(a)}, x);
    }

    // ------------------------------------------------------------ regularisation and losses

    /**
     * Inverted dropout: element i is zeroed when {@code Rng.uniform(seed, i) < p} and otherwise scaled by
     * {@code 1/(1-p)}. Identity when not training or p = 0.
     */
    public static Var dropout(Var x, float p, long seed, boolean training) {
        if (!(p >= 0f && p <= 1f)) throw new IllegalArgumentException("dropout: p must be in [0, 1], got " + p);
        if (!training || p == 0f) return x;
        Backend bk = be(x);
        int[] shape = x.shape();
        Tensor mask = dropoutMask(bk, p, seed, shape);
        return record("dropout", bk.binary(Ops.Binary.MUL, x.value(), mask),
                (g, n) -> new Tensor[] {bk.binary(Ops.Binary.MUL, g, mask)}, x);
    }

    /** The dropout mask: 0 where {@code Rng.uniform(seed, i) < p}, else {@code 1/(1-p)} (all 0 when p = 1). */
    public static Tensor dropoutMask(Backend bk, float p, long seed, int... shape) {
        if (p >= 1f) return bk.zeros(DType.F32, shape);
        Tensor u = bk.random(seed, false, shape);
        // p - u is > 0 exactly when u < p (float subtraction keeps the sign), so relu'(p - u) is the drop mask
        Tensor drop = bk.unaryBackward(Ops.Unary.RELU, bk.scalar(Ops.Scalar.RSUB, u, p), full(bk, 1f, shape));
        return bk.scalar(Ops.Scalar.MUL, bk.scalar(Ops.Scalar.RSUB, drop, 1f), 1f / (1f - p));
    }

    /** Mean of the squared difference (torch mse_loss, reduction "mean"); shapes must match. */
    public static Var mseLoss(Var pred, Var target) {
        if (!Arrays.equals(pred.shape(), target.shape())) {
            throw new IllegalArgumentException("mseLoss: prediction " + Shape.str(pred.shape()) + " and target "
                    + Shape.str(target.shape()) + " differ");
        }
        return mean(square(sub(pred, target)));
    }

    // ------------------------------------------------------------ helpers

    private static int[] ones(int n) {
        int[] s = new int[n];
        Arrays.fill(s, 1);
        return s;
    }

    private static Tensor full(Backend bk, float v, int[] shape) {
        Tensor one = bk.zeros(DType.F32, ones(shape.length));
        bk.fill(one, v);
        return one.expand(shape);
    }
}
