package org.dust4j.tensor;

/** Element-wise CPU kernels (placeholder: delegates to the reference until the Vector API kernels land). */
final class CpuElementwise {
    private CpuElementwise() {}

    static Tensor copy(Tensor x) { return Backends.reference().copy(x); }

    static void copyInto(Tensor src, Tensor dst) { Backends.reference().copyInto(src, dst); }

    static Tensor convert(Tensor x, DType target) { return Backends.reference().convert(x, target); }

    static void fill(Tensor dst, float value) { Backends.reference().fill(dst, value); }

    static Tensor random(long seed, boolean normal, int... shape) { return Backends.reference().random(seed, normal, shape); }

    static Tensor binary(Ops.Binary op, Tensor a, Tensor b) { return Backends.reference().binary(op, a, b); }

    static Tensor scalar(Ops.Scalar op, Tensor x, float s) { return Backends.reference().scalar(op, x, s); }

    static Tensor unary(Ops.Unary op, Tensor x) { return Backends.reference().unary(op, x); }

    static Tensor unaryBackward(Ops.Unary op, Tensor x, Tensor gradOut) { return Backends.reference().unaryBackward(op, x, gradOut); }

    static void addInPlace(Tensor dst, Tensor src) { Backends.reference().addInPlace(dst, src); }

    static void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        Backends.reference().adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    }
}
