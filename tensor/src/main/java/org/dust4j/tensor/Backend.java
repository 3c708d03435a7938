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

    // ------------------------------------------------------------ optimiser

    /**
     * One AdamW update exactly as torch.optim.AdamW (decoupled decay, bias correction, eps outside the
     * square root), in place on param, m and v (all contiguous F32 of one shape). step counts from 1.
     */
    void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
               float weightDecay, int step);
}
