package org.dust4j.tensor;

/** CPU GEMM (placeholder: delegates to the reference until the packed Vector API kernel lands). */
final class CpuGemm {
    private CpuGemm() {}

    static void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        Backends.reference().gemm(alpha, a, transA, b, transB, beta, c);
    }
}
