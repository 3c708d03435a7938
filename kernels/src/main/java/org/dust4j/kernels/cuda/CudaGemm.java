package org.dust4j.kernels.cuda;

import static org.dust4j.kernels.cuda.CudaBackend.*;

import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/** GEMM: cuBLAS when it loaded, else the gemm.cu tile kernel (gemm.cu, gemm_tile.cuh). Part of {@link CudaBackend}, which delegates to it. */
final class CudaGemm {
    private final CudaBackend cb;

    CudaGemm(CudaBackend cb) { this.cb = cb; }

    public void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        Checks.GemmDims dims = Checks.gemm(a, transA, b, transB, c);
        if (c.dtype() != DType.F32) throw new IllegalArgumentException("gemm: C must be F32, got " + c.dtype());
        if (a.dtype() != b.dtype() || (a.dtype() != DType.F32 && a.dtype() != DType.BF16)) {
            throw new IllegalArgumentException("gemm: A and B must both be F32 or both BF16, got " + a.dtype() + " and " + b.dtype());
        }
        Tensor la = transA ? a.mT() : a, lb = transB ? b.mT() : b;
        int m = dims.m(), k = dims.k(), n = dims.n(), batch = dims.batch();
        if (m == 0 || n == 0 || batch == 0) return;
        la = cb.onDevice(la);
        lb = cb.onDevice(lb);
        if (!(c.storage() instanceof CudaStorage)) {
            Tensor cd = cb.toDevice(c);
            gemm(alpha, la, false, lb, false, beta, cd);
            cb.copyInto(cd, c);
            return;
        }
        GemmPlan.Mat ma = mat(la), mb = mat(lb), mc = mat(c);
        if (cb.cublas() != null) {
            GemmPlan p = GemmPlan.of(ma, mb, mc, batch);
            if (p == null || mc.bs() == 0 && batch > 1) {
                // an operand without a unit stride (or an aliased C): dense copies, then the plan always exists
                Tensor ad = la.isContiguous() ? la : cb.copy(la), bd = lb.isContiguous() ? lb : cb.copy(lb);
                if (GemmPlan.of(mat(ad), mat(bd), mc, batch) == null || mc.bs() == 0 && batch > 1) {
                    Tensor cd = cb.copy(c);
                    gemm(alpha, ad, false, bd, false, beta, cd);
                    cb.copyInto(cd, c);
                    return;
                }
                la = ad;
                lb = bd;
                p = GemmPlan.of(mat(la), mat(lb), mc, batch);
            }
            Cublas.Type type = la.dtype() == DType.F32 ? Cublas.Type.F32 : Cublas.Type.BF16;
            cb.cublas().gemm(p, type, alpha, p.swap() ? at(lb) : at(la), p.swap() ? at(la) : at(lb), beta, at(c));
            return;
        }
        String kern = la.dtype() == DType.F32 ? "dust_gemm_f32" : "dust_gemm_bf16_f32";
        byte[] strides = Structs.gemmStrides(new long[] {ma.bs(), ma.rs(), ma.cs()}, new long[] {mb.bs(), mb.rs(), mb.cs()},
                new long[] {mc.bs(), mc.rs(), mc.cs()});
        cb.launch(kern, LaunchGeometry.gemmTiles(m, n, batch), new KernelArgs().i32(m).i32(n).i32(k).f32(alpha).ptr(at(la)).ptr(at(lb))
                .f32(beta).ptr(at(c)).struct(strides));
    }
}
