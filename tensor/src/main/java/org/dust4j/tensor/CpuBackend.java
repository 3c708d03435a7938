package org.dust4j.tensor;

import java.util.List;

/**
 * The default CPU backend: Vector API kernels (FloatVector, SPECIES_PREFERRED) on the shared
 * {@link Parallel} pool. Each op family lives in its own class (CpuGemm, CpuElementwise, CpuReduce,
 * CpuNorm, CpuAttention, CpuIndex); all are tested against {@link ReferenceBackend}.
 */
public final class CpuBackend implements Backend {

    @Override
    public String name() { return "cpu"; }

    @Override
    public Device device() { return Device.CPU; }

    @Override
    public Tensor zeros(DType dtype, int... shape) { return Tensor.zeros(dtype, shape); }

    @Override
    public Tensor copy(Tensor x) { return CpuElementwise.copy(x); }

    @Override
    public void copyInto(Tensor src, Tensor dst) {
        try { CpuElementwise.copyInto(src, dst); } finally { GemmPack.written(dst); }
    }

    @Override
    public Tensor convert(Tensor x, DType target) { return CpuElementwise.convert(x, target); }

    @Override
    public void fill(Tensor dst, float value) {
        try { CpuElementwise.fill(dst, value); } finally { GemmPack.written(dst); }
    }

    @Override
    public Tensor random(long seed, boolean normal, int... shape) { return CpuElementwise.random(seed, normal, shape); }

    @Override
    public void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        try { CpuGemm.gemm(alpha, a, transA, b, transB, beta, c); } finally { GemmPack.written(c); }
    }

    @Override
    public Tensor binary(Ops.Binary op, Tensor a, Tensor b) { return CpuElementwise.binary(op, a, b); }

    @Override
    public Tensor scalar(Ops.Scalar op, Tensor x, float s) { return CpuElementwise.scalar(op, x, s); }

    @Override
    public Tensor unary(Ops.Unary op, Tensor x) { return CpuElementwise.unary(op, x); }

    @Override
    public Tensor unaryBackward(Ops.Unary op, Tensor x, Tensor gradOut) { return CpuElementwise.unaryBackward(op, x, gradOut); }

    @Override
    public void addInPlace(Tensor dst, Tensor src) {
        try { CpuElementwise.addInPlace(dst, src); } finally { GemmPack.written(dst); }
    }

    @Override
    public Tensor reduce(Ops.Reduce op, Tensor x, int axis, boolean keepDim) { return CpuReduce.reduce(op, x, axis, keepDim); }

    @Override
    public Tensor sumTo(Tensor x, int[] shape) { return CpuReduce.sumTo(x, shape); }

    @Override
    public double sumAll(Tensor x) { return CpuReduce.sumAll(x); }

    @Override
    public double sumSquares(Tensor x) { return CpuReduce.sumSquares(x); }

    @Override
    public Tensor softmax(Tensor x) { return CpuReduce.softmax(x); }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor gradOut) { return CpuReduce.softmaxBackward(y, gradOut); }

    @Override
    public NormResult layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) { return CpuNorm.layerNorm(x, weight, bias, eps); }

    @Override
    public NormGrads layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, boolean hasBias) {
        return CpuNorm.layerNormBackward(x, weight, mean, rstd, gradOut, hasBias);
    }

    @Override
    public NormResult rmsNorm(Tensor x, Tensor weight, float eps) { return CpuNorm.rmsNorm(x, weight, eps); }

    @Override
    public NormGrads rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gradOut) {
        return CpuNorm.rmsNormBackward(x, weight, rstd, gradOut);
    }

    @Override
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, float scale) { return CpuAttention.attention(q, k, v, scale); }

    @Override
    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gradOut, float scale) {
        return CpuAttention.attentionBackward(q, k, v, out, lse, gradOut, scale);
    }

    @Override
    public Tensor embedding(Tensor table, Tensor indices) { return CpuIndex.embedding(table, indices); }

    @Override
    public Tensor scatterAddRows(Tensor src, Tensor indices, int numRows) { return CpuIndex.scatterAddRows(src, indices, numRows); }

    @Override
    public Tensor concat(List<Tensor> parts, int axis) { return CpuIndex.concat(parts, axis); }

    @Override
    public NormResult adaLn(Tensor x, Tensor scale, Tensor shift, float eps) { return CpuNorm.adaLn(x, scale, shift, eps); }

    @Override
    public Tensor gatedResidual(Tensor x, Tensor h, Tensor gate) { return CpuFused.gatedResidual(x, h, gate); }

    @Override
    public Tensor categoryLinear(Tensor x, Tensor w, Tensor bias, Tensor ids) { return CpuFused.categoryLinear(x, w, bias, ids); }

    @Override
    public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        try {
            CpuElementwise.adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
        } finally {
            GemmPack.written(param);
            GemmPack.written(m);
            GemmPack.written(v);
        }
    }
}
