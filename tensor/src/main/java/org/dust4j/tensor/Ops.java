package org.dust4j.tensor;

/** Op codes for the element-wise and reduction families of {@link Backend}. */
public final class Ops {
    private Ops() {}

    /** Binary element-wise ops with PyTorch broadcasting. */
    public enum Binary { ADD, SUB, MUL, DIV, MAX, MIN }

    /** Tensor-scalar ops: {@code x op s}; RSUB is {@code s - x}, RDIV is {@code s / x}, POW is {@code x^s}. */
    public enum Scalar { ADD, SUB, MUL, DIV, RSUB, RDIV, POW, MAX, MIN }

    /** Unary element-wise ops. GELU_TANH is 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))). */
    public enum Unary { NEG, ABS, SQUARE, EXP, LOG, SQRT, RSQRT, RECIPROCAL, TANH, SIGMOID, SILU, RELU, GELU_TANH }

    /** Reductions over one axis. */
    public enum Reduce { SUM, MEAN, MAX }
}
