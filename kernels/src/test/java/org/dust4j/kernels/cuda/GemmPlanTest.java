package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * GemmPlan (row-major views -> cuBLAS column-major arguments) run through a Java emulation of the cublasGemmEx /
 * cublasGemmStridedBatchedEx contract on the views' storage arrays, compared with ReferenceBackend.gemm.
 */
class GemmPlanTest {

    /** What cuBLAS computes for the plan: column-major, op per slot, leading dims and batch strides. */
    static void emulate(GemmPlan p, float alpha, float[] aMem, long aOff, float[] bMem, long bOff, float beta, float[] cMem, long cOff) {
        for (int z = 0; z < p.batch(); z++) {
            for (int i = 0; i < p.m(); i++) {
                for (int j = 0; j < p.n(); j++) {
                    double s = 0;
                    for (int l = 0; l < p.k(); l++) {
                        long ai = aOff + z * p.strideA() + (p.transA() ? l + i * p.lda() : i + l * p.lda());
                        long bi = bOff + z * p.strideB() + (p.transB() ? j + l * p.ldb() : l + j * p.ldb());
                        s += (double) aMem[(int) ai] * bMem[(int) bi];
                    }
                    int ci = (int) (cOff + z * p.strideC() + i + j * p.ldc());
                    cMem[ci] = (float) (alpha * s + (beta == 0 ? 0 : beta * cMem[ci]));
                }
            }
        }
    }

    static void check(Tensor a, boolean ta, Tensor b, boolean tb, Tensor c) {
        Tensor expected = Backends.reference().copy(c);
        Backends.reference().gemm(0.5f, a, ta, b, tb, 2f, expected);
        Tensor la = ta ? a.mT() : a, lb = tb ? b.mT() : b;
        int batch = c.rank() == 3 ? c.size(0) : 1;
        GemmPlan p = GemmPlan.of(CudaBackend.mat(la), CudaBackend.mat(lb), CudaBackend.mat(c), batch);
        assertNotNull(p, "plan for A " + java.util.Arrays.toString(a.shape()) + " B " + java.util.Arrays.toString(b.shape()));
        assertTrue(p.lda() >= 1 && p.ldb() >= 1 && p.ldc() >= 1);
        assertTrue(p.ldc() >= p.m(), "ldc >= rows of the column-major C");
        Tensor sa = p.swap() ? lb : la, sb = p.swap() ? la : lb;
        emulate(p, 0.5f, sa.floatData(), sa.offset(), sb.floatData(), sb.offset(), 2f, c.floatData(), c.offset());
        // float32 products summed in double on both sides: only rounding of the final float differs
        TestData.close("gemm plan", expected, c, 1e-5, 1e-5);
    }

    @Test
    void everyTransposeAndOddShape() {
        int seed = 10;
        for (int[] mnk : new int[][] {{1, 1, 1}, {7, 33, 5}, {33, 7, 1000}, {1, 1000, 7}, {1000, 1, 3}}) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Tensor a = ta ? TestData.randn(seed++, k, m) : TestData.randn(seed++, m, k);
                    Tensor b = tb ? TestData.randn(seed++, n, k) : TestData.randn(seed++, k, n);
                    check(a, ta, b, tb, TestData.randn(seed++, m, n));
                }
            }
        }
    }

    @Test
    void stridedViewsBatchesAndColumnMajorC() {
        // narrowed rows/cols (ld > extent), a transposed C (column-major), batched with a shared rank-2 B
        Tensor a = TestData.randn(20, 9, 40).narrow(1, 3, 33);               // [9, 33] with row stride 40
        Tensor b = TestData.randn(21, 33, 12).narrow(1, 2, 7);               // [33, 7], ld 12
        check(a, false, b, false, TestData.randn(22, 9, 7));
        check(a, false, b, false, TestData.randn(23, 7, 9).mT());             // C column-major
        Tensor ab = TestData.randn(24, 3, 7, 5);
        Tensor bb = TestData.randn(25, 5, 6);
        check(ab, false, bb, false, TestData.randn(26, 3, 7, 6));
        check(TestData.randn(27, 3, 5, 7), true, TestData.randn(28, 3, 6, 5), true, TestData.randn(29, 3, 7, 6));
        check(ab.permute(0, 2, 1), true, bb, false, TestData.randn(30, 3, 7, 6));   // A^T of a transposed view
    }

    @Test
    void viewsWithoutAUnitStrideNeedACopy() {
        Tensor a = TestData.randn(31, 6, 8).narrow(1, 0, 4).expand(6, 4);
        Tensor everyOther = TestData.randn(32, 8, 10).permute(1, 0).narrow(0, 0, 5);   // fine: unit stride on rows
        assertNotNull(GemmPlan.of(CudaBackend.mat(a), CudaBackend.mat(everyOther.narrow(0, 0, 4)), CudaBackend.mat(TestData.randn(33, 6, 8)), 1));
        Tensor noUnit = TestData.randn(34, 4, 3, 5).select(2, 1);                      // [4, 3] strides (15, 5)
        assertNull(GemmPlan.of(CudaBackend.mat(noUnit), CudaBackend.mat(TestData.randn(35, 3, 2)), CudaBackend.mat(TestData.randn(36, 4, 2)), 1));
        assertNull(GemmPlan.of(CudaBackend.mat(TestData.randn(37, 4, 3)), CudaBackend.mat(TestData.randn(38, 3, 2)), CudaBackend.mat(noUnit.narrow(1, 0, 2)), 1));
    }
}
