package org.dust4j.kernels.cuda;

import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Tensor;

/**
 * Fused ops beyond the {@link Backend} SPI, implemented by {@link CudaBackend} (one kernel pass each) and by
 * {@link FusedReference}, the CPU oracle they are tested against. Shapes: x [B, T, D]; modulation rows
 * scale / shift / gate [B, D] (may be column chunks of one [B, k*D] tensor: row stride free, column stride 1).
 */
public interface FusedOps {

    /** AdaLN: {@code LN(x, eps) * (1 + scale[b]) + shift[b]} (LayerNorm without affine); mean/rstd are [B, T]. */
    Backend.NormResult adaLn(Tensor x, Tensor scale, Tensor shift, float eps);

    record AdaLnGrads(Tensor dx, Tensor dscale, Tensor dshift) {}

    AdaLnGrads adaLnBackward(Tensor x, Tensor scale, Tensor mean, Tensor rstd, Tensor gradOut);

    /** AdaLN-Zero residual: {@code x += gate[b] * h}, in place on x (contiguous). */
    void gatedResidual(Tensor x, Tensor h, Tensor gate);

    /** Gradients of the gated residual given dL/d(out): dx is gradOut itself; dh = gate * gradOut; dgate [B, D]. */
    record GatedGrads(Tensor dh, Tensor dgate) {}

    GatedGrads gatedResidualBackward(Tensor gradOut, Tensor h, Tensor gate);

    /**
     * Flow-matching loss {@code sum((v - (data - eps))^2 m) / sum(m)} with {@code m = elemMask * sampleMask[b]} (either
     * may be null; sampleMask is [B] over v's first dim), and its gradient {@code gradScale * 2 r m / sum(m)}.
     */
    record FlowLoss(float loss, float maskSum, Tensor grad) {}

    FlowLoss flowLoss(Tensor v, Tensor data, Tensor eps, Tensor elemMask, Tensor sampleMask, float gradScale);

    /** Per-embodiment linear: {@code y[b] = x[b] @ W[id[b]] + bias[id[b]]}; x [B,T,in], W [C,in,out], bias [C,out] or null, ids [B]. */
    Tensor categoryLinear(Tensor x, Tensor w, Tensor bias, Tensor ids);

    record CategoryLinearGrads(Tensor dx, Tensor dw, Tensor dbias) {}

    CategoryLinearGrads categoryLinearBackward(Tensor x, Tensor w, Tensor ids, Tensor gradOut, boolean hasBias);
}
