package org.dust4j.tensor;

import java.util.List;

/**
 * The op set every backend implements. Inputs may be any view (strided, broadcast); float ops
 * take F32 inputs and return fresh contiguous F32 tensors on the backend's device unless stated.
 * {@link ReferenceBackend} is the plain scalar oracle every fast implementation is tested against.
 */
public interface Backend {

    String name();

    Device device();

    // ------------------------------------------------------------ memory

    Tensor zeros(DType dtype, int... shape);

    /** Dense copy of any view, same dtype. */
    Tensor copy(Tensor x);

    /** Writes {@code src} (broadcast to {@code dst}'s shape) into the view {@code dst}. */
    void copyInto(Tensor src, Tensor dst);

    /**
     * A dense copy of {@code x} on the CPU: x lives on this backend's device (or the CPU). The CPU backends copy;
     * device backends download. {@link Tensor#to(Device)} goes through it.
     */
    default Tensor toCpu(Tensor x) {
        return Backends.cpu().copy(x);
    }

    /** A dense copy of the CPU tensor {@code x} on this backend's device (an upload for device backends). */
    default Tensor fromCpu(Tensor x) {
        return copy(x);
    }

    /** Converted copy: BF16/F16 {@literal <->} F32 with round to nearest even, integer {@literal <->} float. */
    Tensor convert(Tensor x, DType target);

    void fill(Tensor dst, float value);

    /**
     * Counter-based random numbers: element i of the result depends only on (seed, i), never on thread
     * count. {@code normal} false gives U[0,1), true gives N(0,1).
     */
    Tensor random(long seed, boolean normal, int... shape);

    // ------------------------------------------------------------ linear algebra

    /**
     * {@code C = alpha * op(A) @ op(B) + beta * C}, in place on {@code c}. A is [M,K] (or [K,M] with
     * transA), B is [K,N] (or [N,K] with transB), C is [M,N]; rank-3 operands are a batch, and a rank-2
     * A or B is shared by every batch entry. Operands may be strided views.
     */
    void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c);

    /** {@code op(A) @ op(B)} into a fresh tensor (rank 2 or batched rank 3). */
    default Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        int ra = a.rank(), rb = b.rank();
        if (ra < 2 || ra > 3 || rb < 2 || rb > 3) {
            throw new IllegalArgumentException("matmul: operands must be rank 2 or 3, got " + Shape.str(a.shape())
                    + " and " + Shape.str(b.shape()));
        }
        int m = transA ? a.size(-1) : a.size(-2);
        int n = transB ? b.size(-2) : b.size(-1);
        int batch = ra == 3 ? a.size(0) : rb == 3 ? b.size(0) : -1;
        Tensor c = batch < 0 ? zeros(DType.F32, m, n) : zeros(DType.F32, batch, m, n);
        gemm(1f, a, transA, b, transB, 0f, c);
        return c;
    }

    // ------------------------------------------------------------ element-wise

    Tensor binary(Ops.Binary op, Tensor a, Tensor b);

    Tensor scalar(Ops.Scalar op, Tensor x, float s);

    Tensor unary(Ops.Unary op, Tensor x);

    /** Gradient of a unary op with respect to its input: {@code gradOut * f'(x)}. */
    Tensor unaryBackward(Ops.Unary op, Tensor x, Tensor gradOut);

    /** {@code dst += src} in place (dst contiguous F32, src broadcastable to it): gradient accumulation. */
    void addInPlace(Tensor dst, Tensor src);

    // ------------------------------------------------------------ reductions

    Tensor reduce(Ops.Reduce op, Tensor x, int axis, boolean keepDim);

    /** Sums {@code x} down to {@code shape} (the inverse of broadcasting {@code shape} to x's shape). */
    Tensor sumTo(Tensor x, int[] shape);

    /** Sum of all elements as a double (for norms and losses). */
    double sumAll(Tensor x);

    /** Sum of squares of all elements as a double (global gradient norm). */
    double sumSquares(Tensor x);

    // ------------------------------------------------------------ normalisation, softmax

    /** Softmax over the last axis. */
    Tensor softmax(Tensor x);

    /** Gradient of softmax over the last axis given its output y: {@code y * (g - sum(g*y))}. */
    Tensor softmaxBackward(Tensor y, Tensor gradOut);

    /** Output of a normalisation over the last axis plus the saved statistics per row. */
    record NormResult(Tensor out, Tensor mean, Tensor rstd) {}

    /** LayerNorm over the last axis; weight and bias are optional ([D] or null). mean/rstd are [rows]. */
    NormResult layerNorm(Tensor x, Tensor weight, Tensor bias, float eps);

    /** Gradients of LayerNorm: input, weight (null if weight null), bias (null if bias null). */
    record NormGrads(Tensor dx, Tensor dweight, Tensor dbias) {}

    NormGrads layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, boolean hasBias);

    /** RMSNorm over the last axis: x * rsqrt(mean(x^2) + eps) * weight (weight optional); mean is null. */
    NormResult rmsNorm(Tensor x, Tensor weight, float eps);

    NormGrads rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gradOut);

    // ------------------------------------------------------------ attention

    /** Output [B,H,Tq,dh] and the per-row log-sum-exp of the scaled scores [B,H,Tq] (saved for backward). */
    record AttentionResult(Tensor out, Tensor lse) {}

    /**
     * softmax(Q K^T * scale) V over q [B,H,Tq,dh], k,v [B,H,Tk,dh] with an online softmax: no [Tq,Tk]
     * matrix is kept beyond one tile.
     */
    AttentionResult attention(Tensor q, Tensor k, Tensor v, float scale);

    record AttentionGrads(Tensor dq, Tensor dk, Tensor dv) {}

    AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gradOut, float scale);

    // ------------------------------------------------------------ indexing

    /** Rows of {@code table} [N,D] at integer {@code indices} (any shape): result is indices.shape + [D]. */
    Tensor embedding(Tensor table, Tensor indices);

    /** Adds rows of {@code src} [..., D] into a fresh [numRows, D] at {@code indices}: the gradient of embedding. */
    Tensor scatterAddRows(Tensor src, Tensor indices, int numRows);

    /**
     * Concatenation along an axis; all other dims must match ({@link Shape#concat}). The default copies each part
     * into its slice of a fresh tensor with {@link #copyInto}; backends override it where block copies pay.
     */
    default Tensor concat(List<Tensor> parts, int axis) {
        int[] os = Shape.concat(parts, axis);
        int a = Shape.axis("concat", axis, os.length);
        Tensor out = zeros(parts.get(0).dtype(), os);
        int at = 0;
        for (Tensor t : parts) {
            copyInto(t, out.narrow(a, at, t.size(a)));
            at += t.size(a);
        }
        return out;
    }

    // ------------------------------------------------------------ fused ops
    // Defaults composed from the ops above (so every backend has them, and the reference backend's composition is their
    // oracle); device backends override them with one-pass kernels. Shapes: x [B, T, D]; modulation rows scale, shift,
    // gate [B, D] (may be column chunks of one [B, k*D] tensor).

    /** AdaLN modulate: {@code LN(x, eps) * (1 + scale[b]) + shift[b]} (LayerNorm without affine); mean/rstd are [B, T]. */
    default NormResult adaLn(Tensor x, Tensor scale, Tensor shift, float eps) {
        Checks.modulation("adaLn", x, scale, shift);
        NormResult n = layerNorm(x, null, null, eps);
        Tensor scaled = binary(Ops.Binary.MUL, n.out(), scalar(Ops.Scalar.ADD, scale.unsqueeze(1), 1f));
        return new NormResult(binary(Ops.Binary.ADD, scaled, shift.unsqueeze(1)), n.mean(), n.rstd());
    }

    /** Gradients of {@link #adaLn}: input [B,T,D], scale and shift [B,D]. */
    record AdaLnGrads(Tensor dx, Tensor dscale, Tensor dshift) {}

    default AdaLnGrads adaLnBackward(Tensor x, Tensor scale, Tensor mean, Tensor rstd, Tensor gradOut) {
        int[] g = Checks.modulation("adaLn backward", x, scale);
        Checks.requireShape("adaLn backward", "gradOut", gradOut, x.shape());
        int[] mod = {g[0], 1, g[2]};
        Tensor xhat = binary(Ops.Binary.MUL, binary(Ops.Binary.SUB, x, mean.unsqueeze(-1)), rstd.unsqueeze(-1));
        Tensor dn = binary(Ops.Binary.MUL, gradOut, scalar(Ops.Scalar.ADD, scale.unsqueeze(1), 1f));
        Tensor dx = layerNormBackward(x, null, mean, rstd, dn, false).dx();
        Tensor dscale = sumTo(binary(Ops.Binary.MUL, gradOut, xhat), mod).reshape(g[0], g[2]);
        Tensor dshift = sumTo(gradOut, mod).reshape(g[0], g[2]);
        return new AdaLnGrads(dx, dscale, dshift);
    }

    /** Gated residual (AdaLN-Zero): {@code x + gate[b] * h}, a fresh tensor. */
    default Tensor gatedResidual(Tensor x, Tensor h, Tensor gate) {
        Checks.modulation("gatedResidual", x, gate);
        Checks.requireShape("gatedResidual", "h", h, x.shape());
        return binary(Ops.Binary.ADD, x, binary(Ops.Binary.MUL, gate.unsqueeze(1), h));
    }

    /** Gradients of the gated residual given dL/d(out): dx is gradOut itself; dh = gate * gradOut; dgate [B, D]. */
    record GatedGrads(Tensor dh, Tensor dgate) {}

    default GatedGrads gatedResidualBackward(Tensor gradOut, Tensor h, Tensor gate) {
        int[] g = Checks.modulation("gatedResidual backward", h, gate);
        Checks.requireShape("gatedResidual backward", "gradOut", gradOut, h.shape());
        Tensor dh = binary(Ops.Binary.MUL, gradOut, gate.unsqueeze(1));
        Tensor dgate = sumTo(binary(Ops.Binary.MUL, gradOut, h), new int[] {g[0], 1, g[2]}).reshape(g[0], g[2]);
        return new GatedGrads(dh, dgate);
    }

    /**
     * Flow-matching loss {@code sum((v - (data - eps))^2 m) / sum(m)} with {@code m = elemMask * sampleMask[b]} (either may
     * be null; sampleMask has one value per row of v), 0 when {@code sum(m) = 0}; and its gradient with respect to v,
     * {@code gradScale * 2 r m / sum(m)}. loss and maskSum are 0-d F32 tensors on this backend's device (no host read).
     */
    record FlowLoss(Tensor loss, Tensor maskSum, Tensor grad) {}

    default FlowLoss flowLoss(Tensor v, Tensor data, Tensor eps, Tensor elemMask, Tensor sampleMask, float gradScale) {
        Checks.flowLoss(v, data, eps, elemMask, sampleMask);
        Checks.requireF32("flowLoss", v, data, eps, elemMask, sampleMask);
        Tensor r = binary(Ops.Binary.SUB, v, binary(Ops.Binary.SUB, data, eps));
        Tensor m = elemMask;
        if (sampleMask != null) {
            int[] ps = new int[v.rank()];
            java.util.Arrays.fill(ps, 1);
            ps[0] = v.size(0);
            Tensor sm = sampleMask.isContiguous() ? sampleMask.reshape(ps) : copy(sampleMask).reshape(ps);
            m = m == null ? sm.expand(v.shape()) : binary(Ops.Binary.MUL, m, sm);
        }
        Tensor sq = unary(Ops.Unary.SQUARE, r), rm = r;
        if (m != null) {
            sq = binary(Ops.Binary.MUL, sq, m);
            rm = binary(Ops.Binary.MUL, r, m);
        }
        Tensor num = reduce(Ops.Reduce.SUM, sq.reshape(-1), 0, false);
        Tensor den;
        if (m == null) {
            den = zeros(DType.F32);
            fill(den, v.numel());
        } else {
            den = reduce(Ops.Reduce.SUM, (m.isContiguous() ? m : copy(m)).reshape(-1), 0, false);
        }
        // sum(m) = 0 means every m is 0, so num is 0 too: dividing by the smallest positive float then gives the loss 0
        Tensor safe = scalar(Ops.Scalar.MAX, den, Float.MIN_VALUE);
        Tensor loss = binary(Ops.Binary.DIV, num, safe);
        Tensor grad = binary(Ops.Binary.DIV, scalar(Ops.Scalar.MUL, rm, 2f * gradScale), safe);
        return new FlowLoss(loss, den, grad);
    }

    /**
     * Per-category (per-embodiment) linear: {@code y[b] = x[b] @ W[id[b]] + bias[id[b]]}; x [B,T,in], W [C,in,out],
     * bias [C,out] or null, ids [B] (I64/I32) -> [B,T,out]. The default gathers W[id] and runs one batched matmul.
     */
    default Tensor categoryLinear(Tensor x, Tensor w, Tensor bias, Tensor ids) {
        int[] g = Checks.categoryLinear("categoryLinear", x, w, bias, ids);
        Tensor id = ids.rank() == 1 ? ids : ids.contiguous().reshape(g[0]);
        Tensor y = matmul(x, false, gatherCategories(w, id, g), false);
        return bias == null ? y : binary(Ops.Binary.ADD, y, embedding(bias, id).unsqueeze(1));
    }

    /** W[id[b]] for every sample: [B, in, out]. */
    private Tensor gatherCategories(Tensor w, Tensor id, int[] g) {
        Tensor flat = (w.isContiguous() ? w : copy(w)).reshape(g[4], g[2] * g[3]);
        return embedding(flat, id).reshape(g[0], g[2], g[3]);
    }

    record CategoryLinearGrads(Tensor dx, Tensor dw, Tensor dbias) {}

    default CategoryLinearGrads categoryLinearBackward(Tensor x, Tensor w, Tensor ids, Tensor gradOut, boolean hasBias) {
        int[] g = Checks.categoryLinear("categoryLinear backward", x, w, null, ids);
        int b = g[0], in = g[2], out = g[3], cats = g[4];
        Checks.requireShape("categoryLinear backward", "gradOut", gradOut, b, g[1], out);
        Tensor id = ids.rank() == 1 ? ids : ids.contiguous().reshape(b);
        Tensor dx = matmul(gradOut, false, gatherCategories(w, id, g), true);
        Tensor dwSel = matmul(x, true, gradOut, false);                              // [B, in, out]
        Tensor dw = scatterAddRows(dwSel.reshape(b, in * out), id, cats).reshape(cats, in, out);
        Tensor db = hasBias ? scatterAddRows(sumTo(gradOut, new int[] {b, 1, out}).reshape(b, out), id, cats) : null;
        return new CategoryLinearGrads(dx, dw, db);
    }

    // ------------------------------------------------------------ optimiser

    /**
     * One AdamW update exactly as torch.optim.AdamW (decoupled decay, bias correction, eps outside the
     * square root), in place on param, m and v (all contiguous F32 of one shape). step counts from 1.
     */
    void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
               float weightDecay, int step);
}
