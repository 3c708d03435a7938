package org.dust4j.kernels.cuda;

/**
 * Maps a row-major-semantics GEMM {@code C[M,N] = alpha * La[M,K] @ Lb[K,N] + beta * C} over strided views onto
 * cuBLAS's column-major {@code cublasGemm(Strided)BatchedEx} arguments, without copies whenever each operand has a
 * unit stride in one of its two dims. A row-major C is computed as {@code C^T = Lb^T La^T} (operands swap slots);
 * a column-major C directly. Pure arithmetic: {@code GemmPlanTest} runs the plan through a Java emulation of the
 * column-major contract and compares with ReferenceBackend.gemm.
 *
 * @param swap     true when cuBLAS slot A holds tensor b (row-major C)
 * @param transA   op of cuBLAS slot A (true = CUBLAS_OP_T)
 * @param transB   op of cuBLAS slot B
 * @param m        cuBLAS m, n, k
 * @param lda      leading dimensions, in elements
 * @param strideA  batch strides of slot A, slot B and C, in elements (0 = shared by the batch)
 */
public record GemmPlan(boolean swap, boolean transA, boolean transB, int m, int n, int k, long lda, long ldb, long ldc,
                       long strideA, long strideB, long strideC, int batch) {

    /** A logical matrix view: element (r, c) at offset r*rs + c*cs (+ batch index * bs). */
    public record Mat(int rows, int cols, long rs, long cs, long bs) {
        Mat t() { return new Mat(cols, rows, cs, rs, bs); }
    }

    /** How cuBLAS reads one operand: op and leading dimension; null when the view has no usable unit stride. */
    record Operand(boolean trans, long ld) {}

    /** The operand reading {@code L} as given: col-major memory (op N) or row-major memory (op T). */
    static Operand operand(Mat l) {
        if ((l.rs() == 1 || l.rows() == 1) && (l.cs() >= Math.max(1, l.rows()) || l.cols() == 1)) {
            return new Operand(false, l.cols() == 1 ? Math.max(Math.max(1, l.rows()), l.cs()) : l.cs());
        }
        if ((l.cs() == 1 || l.cols() == 1) && (l.rs() >= Math.max(1, l.cols()) || l.rows() == 1)) {
            return new Operand(true, l.rows() == 1 ? Math.max(Math.max(1, l.cols()), l.rs()) : l.rs());
        }
        return null;
    }

    /** The plan, or null when an operand or C must first be copied to a dense layout. */
    public static GemmPlan of(Mat a, Mat b, Mat c, int batch) {
        int mm = c.rows(), nn = c.cols(), kk = a.cols();
        // C as col-major memory: directly; as row-major: compute C^T
        boolean cColMajor = (c.rs() == 1 || mm == 1) && (c.cs() >= Math.max(1, mm) || nn == 1);
        boolean cRowMajor = (c.cs() == 1 || nn == 1) && (c.rs() >= Math.max(1, nn) || mm == 1);
        if (cRowMajor) {
            Operand oa = operand(b.t()), ob = operand(a.t());
            if (oa == null || ob == null) return null;
            long ldc = mm == 1 ? Math.max(Math.max(1, nn), c.rs()) : c.rs();
            return new GemmPlan(true, oa.trans(), ob.trans(), nn, mm, kk, oa.ld(), ob.ld(), ldc, b.bs(), a.bs(), c.bs(), batch);
        }
        if (cColMajor) {
            Operand oa = operand(a), ob = operand(b);
            if (oa == null || ob == null) return null;
            long ldc = nn == 1 ? Math.max(Math.max(1, mm), c.cs()) : c.cs();
            return new GemmPlan(false, oa.trans(), ob.trans(), mm, nn, kk, oa.ld(), ob.ld(), ldc, a.bs(), b.bs(), c.bs(), batch);
        }
        return null;
    }
}
