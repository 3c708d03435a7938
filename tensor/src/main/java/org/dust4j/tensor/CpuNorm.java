package org.dust4j.tensor;

/** LayerNorm / RMSNorm on the CPU (placeholder: delegates to the reference until the Vector API kernels land). */
final class CpuNorm {
    private CpuNorm() {}

    static Backend.NormResult layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) { return Backends.reference().layerNorm(x, weight, bias, eps); }

    static Backend.NormGrads layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, boolean hasBias) {
        return Backends.reference().layerNormBackward(x, weight, mean, rstd, gradOut, hasBias);
    }

    static Backend.NormResult rmsNorm(Tensor x, Tensor weight, float eps) { return Backends.reference().rmsNorm(x, weight, eps); }

    static Backend.NormGrads rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gradOut) {
        return Backends.reference().rmsNormBackward(x, weight, rstd, gradOut);
    }
}
