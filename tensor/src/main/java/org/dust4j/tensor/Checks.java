package org.dust4j.tensor;

import java.util.Arrays;

/**
 * Argument checks of the {@link Backend} ops, written once and shared by every backend (reference, CPU, CUDA):
 * shapes, ranks and dtypes are validated before any work, and each error names the op and the offending shapes.
 * Checks that only concern shapes accept any dtype; the scalar and Vector API backends add {@link #requireF32}.
 */
public final class Checks {
    private Checks() {}

    public static void require(boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException(msg);
    }

    /** Every non-null tensor is F32. */
    public static void requireF32(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.dtype() != DType.F32) {
                throw new IllegalArgumentException(op + ": expects F32 input, got " + t.dtype() + " of shape "
                        + Shape.str(t.shape()) + " (convert with to(DType.F32))");
            }
        }
    }

    /** F32 or BF16 (the float dtypes with kernels); returns the dtype. */
    public static DType requireFloat(String op, Tensor t) {
        if (t.dtype() != DType.F32 && t.dtype() != DType.BF16) {
            throw new IllegalArgumentException(op + ": expects F32 or BF16 input, got " + t.dtype() + " of shape " + Shape.str(t.shape()));
        }
        return t.dtype();
    }

    public static void requireShape(String op, String what, Tensor t, int... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + what + " has shape " + Shape.str(t.shape())
                    + ", expected " + Shape.str(shape));
        }
    }

    public static int lastDim(String op, Tensor x) {
        if (x.rank() == 0) throw new IllegalArgumentException(op + ": needs rank >= 1, got a scalar");
        return x.size(-1);
    }

    public static int[] withoutLast(int[] s) {
        return Arrays.copyOf(s, s.length - 1);
    }

    // ------------------------------------------------------------ gemm

    /** Validated gemm geometry: batch count (1 for rank-2 C) and M, N, K. */
    public record GemmDims(int batch, int m, int n, int k) {}

    /** Ranks 2/3, inner and output dims and batch sizes of {@code C = op(A) op(B)}; dtypes are the caller's. */
    public static GemmDims gemm(Tensor a, boolean ta, Tensor b, boolean tb, Tensor c) {
        for (Tensor t : new Tensor[] {a, b, c}) {
            if (t.rank() < 2 || t.rank() > 3) {
                throw new IllegalArgumentException("gemm: operands must be rank 2 or 3, got A " + Shape.str(a.shape())
                        + ", B " + Shape.str(b.shape()) + ", C " + Shape.str(c.shape()));
            }
        }
        int m = ta ? a.size(-1) : a.size(-2), ka = ta ? a.size(-2) : a.size(-1);
        int kb = tb ? b.size(-1) : b.size(-2), n = tb ? b.size(-2) : b.size(-1);
        String desc = "A " + Shape.str(a.shape()) + (ta ? "^T" : "") + ", B " + Shape.str(b.shape()) + (tb ? "^T" : "")
                + ", C " + Shape.str(c.shape());
        if (ka != kb) throw new IllegalArgumentException("gemm: inner dimensions differ (" + ka + " vs " + kb + "): " + desc);
        if (c.size(-2) != m || c.size(-1) != n) throw new IllegalArgumentException("gemm: C must be [" + m + ", " + n + "]: " + desc);
        int batch = c.rank() == 3 ? c.size(0) : 1;
        if ((a.rank() == 3 && (c.rank() != 3 || a.size(0) != batch)) || (b.rank() == 3 && (c.rank() != 3 || b.size(0) != batch))) {
            throw new IllegalArgumentException("gemm: batch sizes differ: " + desc);
        }
        return new GemmDims(batch, m, n, ka);
    }

    /** {@link #gemm} with every operand F32 (the CPU backends). */
    public static GemmDims gemmF32(Tensor a, boolean ta, Tensor b, boolean tb, Tensor c) {
        requireF32("gemm", a, b, c);
        return gemm(a, ta, b, tb, c);
    }

    // ------------------------------------------------------------ norms, attention

    /** weight/bias [D] (or null) matching x's last dim and dtype; returns D. */
    public static int normParams(String op, Tensor x, Tensor weight, Tensor bias) {
        int d = lastDim(op, x);
        for (Tensor p : new Tensor[] {weight, bias}) {
            if (p == null) continue;
            requireShape(op, p == weight ? "weight" : "bias", p, d);
            if (p.dtype() != x.dtype()) throw new IllegalArgumentException(op + ": parameter dtype " + p.dtype() + " differs from x " + x.dtype());
        }
        return d;
    }

    /** {@link #normParams} with F32 tensors (the CPU backends). */
    public static int normParamsF32(String op, Tensor x, Tensor weight, Tensor bias) {
        requireF32(op, x, weight, bias);
        return normParams(op, x, weight, bias);
    }

    /** {@link #attention} with F32 tensors (the CPU backends). */
    public static int[] attentionF32(String op, Tensor q, Tensor k, Tensor v) {
        requireF32(op, q, k, v);
        return attention(op, q, k, v);
    }

    /** q [B,H,Tq,dh], k and v [B,H,Tk,dh] of one dtype; returns {B, H, Tq, Tk, dh}. */
    public static int[] attention(String op, Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException(op + ": q, k, v must be [B,H,T,dh], got " + Shape.str(q.shape()) + ", "
                    + Shape.str(k.shape()) + ", " + Shape.str(v.shape()));
        }
        int b = q.size(0), h = q.size(1), tq = q.size(2), dh = q.size(3), tk = k.size(2);
        if (k.size(0) != b || k.size(1) != h || k.size(3) != dh || !Arrays.equals(k.shape(), v.shape())) {
            throw new IllegalArgumentException(op + ": q " + Shape.str(q.shape()) + " does not match k " + Shape.str(k.shape())
                    + " and v " + Shape.str(v.shape()));
        }
        if (q.dtype() != k.dtype() || q.dtype() != v.dtype()) {
            throw new IllegalArgumentException(op + ": q, k, v dtypes differ: " + q.dtype() + ", " + k.dtype() + ", " + v.dtype());
        }
        return new int[] {b, h, tq, tk, dh};
    }

    // ------------------------------------------------------------ indexing, optimiser

    /** Integer indices (a CPU tensor) all in [0, bound), as longs. */
    public static long[] indices(String op, Tensor indices, int bound) {
        if (indices.dtype().isFloating()) {
            throw new IllegalArgumentException(op + ": indices must be I64 or I32, got " + indices.dtype());
        }
        long[] idx = indices.toLongArray();
        for (long i : idx) {
            if (i < 0 || i >= bound) {
                throw new IndexOutOfBoundsException(op + ": index " + i + " out of range [0, " + bound + ")");
            }
        }
        return idx;
    }

    /** AdamW operands: F32, one shape, contiguous. */
    public static void adamw(Tensor param, Tensor grad, Tensor m, Tensor v) {
        requireF32("adamw", param, grad, m, v);
        for (Tensor t : new Tensor[] {grad, m, v}) {
            requireShape("adamw", "state", t, param.shape());
            if (!t.isContiguous()) throw new IllegalArgumentException("adamw: tensors must be contiguous");
        }
        if (!param.isContiguous()) throw new IllegalArgumentException("adamw: param must be contiguous");
    }

    // ------------------------------------------------------------ fused ops

    /** x [B, T, D] and modulation rows [B, D]; returns {B, T, D}. */
    public static int[] modulation(String op, Tensor x, Tensor... mods) {
        require(x.rank() == 3, op + ": x must be [B,T,D], got " + Shape.str(x.shape()));
        int b = x.size(0), d = x.size(2);
        for (Tensor m : mods) {
            require(m.rank() == 2 && m.size(0) == b && m.size(1) == d,
                    op + ": modulation must be [" + b + ", " + d + "], got " + Shape.str(m.shape()) + " for x " + Shape.str(x.shape()));
        }
        return new int[] {b, x.size(1), d};
    }

    /** data, eps and elemMask (each optional) shaped like v; sampleMask one value per row of v. */
    public static void flowLoss(Tensor v, Tensor data, Tensor eps, Tensor elemMask, Tensor sampleMask) {
        for (Tensor o : new Tensor[] {data, eps, elemMask}) {
            if (o != null) require(o.sameShape(v), "flowLoss: " + Shape.str(o.shape()) + " does not match v " + Shape.str(v.shape()));
        }
        if (sampleMask != null) {
            require(v.rank() >= 1 && sampleMask.numel() == v.size(0),
                    "flowLoss: sample mask " + Shape.str(sampleMask.shape()) + " must hold one value per row of v " + Shape.str(v.shape()));
        }
    }

    /**
     * x [B,T,in], W [C,in,out], bias [C,out] or null, ids [B] (integer); returns {B, T, in, out, C}. Id ranges are
     * checked where the ids are read ({@link #indices} on the host, or the kernel's error flag).
     */
    public static int[] categoryLinear(String op, Tensor x, Tensor w, Tensor bias, Tensor ids) {
        require(x.rank() == 3 && w.rank() == 3 && x.size(2) == w.size(1),
                op + ": x must be [B,T,in] and W [C,in,out], got " + Shape.str(x.shape()) + " and " + Shape.str(w.shape()));
        require(ids.numel() == x.size(0), op + ": ids " + Shape.str(ids.shape()) + " must hold one id per sample of " + Shape.str(x.shape()));
        if (ids.dtype().isFloating()) throw new IllegalArgumentException(op + ": ids must be I64 or I32, got " + ids.dtype());
        int cats = w.size(0), out = w.size(2);
        if (bias != null) {
            require(bias.rank() == 2 && bias.size(0) == cats && bias.size(1) == out,
                    op + ": bias must be [" + cats + ", " + out + "], got " + Shape.str(bias.shape()));
        }
        return new int[] {x.size(0), x.size(1), x.size(2), out, cats};
    }
}
