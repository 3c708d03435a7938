package org.dust4j.tensor;

/** Reductions and softmax on the CPU (placeholder: delegates to the reference until the Vector API kernels land). */
final class CpuReduce {
    private CpuReduce() {}

    static Tensor reduce(Ops.Reduce op, Tensor x, int axis, boolean keepDim) { return Backends.reference().reduce(op, x, axis, keepDim); }

    static Tensor sumTo(Tensor x, int[] shape) { return Backends.reference().sumTo(x, shape); }

    static double sumAll(Tensor x) { return Backends.reference().sumAll(x); }

    static double sumSquares(Tensor x) { return Backends.reference().sumSquares(x); }

    static Tensor softmax(Tensor x) { return Backends.reference().softmax(x); }

    static Tensor softmaxBackward(Tensor y, Tensor gradOut) { return Backends.reference().softmaxBackward(y, gradOut); }
}
