package org.dust4j.kernels.cuda;

import java.nio.ByteBuffer;
import org.dust4j.tensor.ReferenceBackend;
import org.dust4j.tensor.Tensor;

/** Packers for the small structs the kernels take by value (layouts as in the .cu files; sizes checked against the PTX). */
public final class Structs {
    private Structs() {}

    /** {@code struct Bhts {long long b, h, t;}} of attention.cu: strides of a [B, H, T, dh] view. */
    public static final int BHTS_BYTES = 24;
    /** {@code struct GemmStrides} of gemm.cu: batch/row/col strides of A, B, C. */
    public static final int GEMM_STRIDES_BYTES = 72;
    /** {@code struct AdamScalars} of adamw.cu: eight floats. */
    public static final int ADAM_SCALARS_BYTES = 32;

    public static byte[] bhts(Tensor t) {
        if (t.stride(3) != 1 && t.size(3) > 1) throw new IllegalArgumentException("attention: head dim must be contiguous");
        return KernelArgs.buf(BHTS_BYTES).putLong(t.stride(0)).putLong(t.stride(1)).putLong(t.stride(2)).array();
    }

    public static byte[] gemmStrides(long[] a, long[] b, long[] c) {
        ByteBuffer bb = KernelArgs.buf(GEMM_STRIDES_BYTES);
        for (long[] s : new long[][] {a, b, c}) bb.putLong(s[0]).putLong(s[1]).putLong(s[2]);
        return bb.array();
    }

    /** The AdamW step scalars exactly as the reference computes them. */
    public static byte[] adamScalars(float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        ReferenceBackend.AdamScalars s = ReferenceBackend.AdamScalars.of(lr, beta1, beta2, weightDecay, step);
        return KernelArgs.buf(ADAM_SCALARS_BYTES).putFloat(beta1).putFloat(beta2).putFloat(eps).putFloat(s.decay())
                .putFloat(s.oneMinusBeta1()).putFloat(s.oneMinusBeta2()).putFloat(s.stepSize()).putFloat(s.bc2Sqrt()).array();
    }
}
