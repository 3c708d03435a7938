package org.dust4j.kernels.cuda;

import static org.dust4j.kernels.cuda.CudaBackend.*;

import java.util.Arrays;
import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/** Element-wise ops and bias add (elementwise.cu, activation.cu). Part of {@link CudaBackend}, which delegates to it. */
final class CudaElementwise {
    private final CudaBackend cb;

    CudaElementwise(CudaBackend cb) { this.cb = cb; }

    public Tensor binary(Ops.Binary op, Tensor a, Tensor b) {
        Checks.requireF32(op.name().toLowerCase(), a, b);
        int[] shape = Shape.broadcast(op.name().toLowerCase(), a.shape(), b.shape());
        a = cb.onDevice(a);
        b = cb.onDevice(b);
        Tensor out = cb.empty(DType.F32, shape);
        long n = out.numel();
        if (n == 0) return out;
        if (a.isContiguous() && b.isContiguous() && Arrays.equals(a.shape(), shape) && Arrays.equals(b.shape(), shape)) {
            cb.launch("dust_binary_contig_f32", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(at(a)).ptr(at(b)).ptr(at(out)).i64(n));
        } else {
            cb.launch("dust_binary_f32", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(base(a)).struct(StridedMap.of(a, shape).pack())
                    .ptr(base(b)).struct(StridedMap.of(b, shape).pack()).ptr(at(out)).i64(n));
        }
        return out;
    }

    public Tensor scalar(Ops.Scalar op, Tensor x, float s) {
        Checks.requireF32("scalar " + op.name().toLowerCase(), x);
        x = cb.onDevice(x);
        Tensor out = cb.empty(DType.F32, x.shape());
        long n = out.numel();
        if (n > 0) {
            cb.launch("dust_scalar_f32", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(base(x)).struct(StridedMap.of(x).pack())
                    .f32(s).ptr(at(out)).i64(n));
        }
        return out;
    }

    public Tensor unary(Ops.Unary op, Tensor x) {
        x = cb.onDevice(x);
        Tensor out = cb.empty(x.dtype(), x.shape());
        long n = out.numel();
        if (n == 0) return out;
        if (x.dtype() == DType.BF16) {
            Tensor xd = cb.dense(x);
            cb.launch("dust_unary_bf16", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(at(xd)).ptr(at(out)).i64(n));
        } else {
            Checks.requireF32(op.name().toLowerCase(), x);
            cb.launch("dust_unary_f32", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(base(x)).struct(StridedMap.of(x).pack())
                    .ptr(at(out)).i64(n));
        }
        return out;
    }

    public Tensor unaryBackward(Ops.Unary op, Tensor x, Tensor gradOut) {
        String name = op.name().toLowerCase() + " backward";
        Checks.requireShape(name, "gradOut", gradOut, x.shape());
        x = cb.onDevice(x);
        gradOut = cb.onDevice(gradOut);
        Tensor out = cb.empty(x.dtype(), x.shape());
        long n = out.numel();
        if (n == 0) return out;
        if (x.dtype() == DType.BF16 && gradOut.dtype() == DType.BF16) {
            Tensor xd = cb.dense(x), gd = cb.dense(gradOut);
            cb.launch("dust_unary_bwd_bf16", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(at(xd)).ptr(at(gd)).ptr(at(out)).i64(n));
        } else {
            Checks.requireF32(name, x, gradOut);
            cb.launch("dust_unary_bwd_f32", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(base(x)).struct(StridedMap.of(x).pack())
                    .ptr(base(gradOut)).struct(StridedMap.of(gradOut).pack()).ptr(at(out)).i64(n));
        }
        return out;
    }

    public void addInPlace(Tensor dst, Tensor src) {
        Checks.requireF32("addInPlace", dst, src);
        if (!dst.isContiguous()) throw new IllegalArgumentException("addInPlace: destination must be contiguous");
        int[] b = Shape.broadcast("addInPlace", src.shape(), dst.shape());
        if (!Arrays.equals(b, dst.shape())) {
            throw new IllegalArgumentException("addInPlace: " + Shape.str(src.shape()) + " does not broadcast to " + Shape.str(dst.shape()));
        }
        src = cb.onDevice(src);
        long n = dst.numel();
        if (n > 0) {
            cb.launch("dust_add_inplace_f32", LaunchGeometry.elementwise(n), new KernelArgs().ptr(at(dst)).ptr(base(src))
                    .struct(StridedMap.of(src, dst.shape()).pack()).i64(n));
        }
    }

    /** {@code y[r, :] += bias} in place on a dense [rows, cols] tensor (F32 or BF16). */
    public void biasAdd(Tensor y, Tensor bias) {
        if (!y.isContiguous() || bias.rank() != 1 || y.size(-1) != bias.size(0) || y.dtype() != bias.dtype()) {
            throw new IllegalArgumentException("biasAdd: y " + Shape.str(y.shape()) + " must be dense with last dim " + "matching bias "
                    + Shape.str(bias.shape()) + " of the same dtype");
        }
        Tensor bd = cb.dense(bias);
        long rows = y.numel() / Math.max(1, bias.size(0));
        if (y.numel() > 0) {
            cb.launch("dust_bias_add_" + sfx(y.dtype(), "biasAdd"), LaunchGeometry.elementwise(y.numel()), new KernelArgs().ptr(at(y)).ptr(at(bd))
                    .i64(rows).i32(bias.size(0)));
        }
    }
}
