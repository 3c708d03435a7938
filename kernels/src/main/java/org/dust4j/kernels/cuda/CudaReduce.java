package org.dust4j.kernels.cuda;

import static org.dust4j.kernels.cuda.CudaBackend.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/** Reductions: per-axis, sumTo, full sums in double (reduce.cu). Part of {@link CudaBackend}, which delegates to it. */
final class CudaReduce {
    private final CudaBackend cb;

    CudaReduce(CudaBackend cb) { this.cb = cb; }

    public Tensor reduce(Ops.Reduce op, Tensor x, int axis, boolean keepDim) {
        String name = op.name().toLowerCase();
        Checks.requireF32(name, x);
        int a = Shape.axis(name, axis, x.rank());
        int[] shape = x.shape();
        long outer = 1, inner = 1;
        int n = shape[a];
        for (int i = 0; i < a; i++) outer *= shape[i];
        for (int i = a + 1; i < shape.length; i++) inner *= shape[i];
        if (n == 0 && op == Ops.Reduce.MAX) throw new IllegalArgumentException("max: axis " + a + " of shape " + Shape.str(shape) + " is empty");
        int[] os = shape.clone();
        os[a] = 1;
        Tensor out = cb.empty(DType.F32, os);
        if (outer * inner > 0) {
            Tensor xd = cb.dense(x);
            if (inner == 1) {
                cb.launch("dust_reduce_rows_f32", LaunchGeometry.rows(outer, 0), new KernelArgs().i32(op.ordinal()).ptr(at(xd)).ptr(at(out)).i32(n));
            } else {
                cb.launch("dust_reduce_cols_f32", LaunchGeometry.elementwise(outer * inner), new KernelArgs().i32(op.ordinal()).ptr(at(xd)).ptr(at(out))
                        .i64(outer).i32(n).i64(inner));
            }
        }
        return keepDim ? out : out.squeeze(a);
    }

    public Tensor sumTo(Tensor x, int[] shape) {
        Checks.requireF32("sumTo", x);
        int[] xs = x.shape();
        if (!Arrays.equals(Shape.broadcast("sumTo", shape, xs), xs)) {
            throw new IllegalArgumentException("sumTo: " + Shape.str(shape) + " does not broadcast to " + Shape.str(xs));
        }
        Tensor r = cb.onDevice(x);
        int lead = xs.length - shape.length;
        for (int i = 0; i < lead; i++) r = reduce(Ops.Reduce.SUM, r, 0, false);
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1 && r.size(i) != 1) r = reduce(Ops.Reduce.SUM, r, i, true);
        }
        return r.isContiguous() ? r.reshape(shape) : cb.copy(r).reshape(shape);
    }

    double sum(Tensor x, boolean squares) {
        Checks.requireF32(squares ? "sumSquares" : "sumAll", x);
        long n = x.numel();
        if (n == 0) return 0;
        Tensor xd = cb.dense(x);
        Tensor partials = cb.empty(DType.I64, LaunchGeometry.SUM_BLOCKS);   // 8-byte slots holding doubles
        Tensor total = cb.empty(DType.I64, 1);
        LaunchGeometry.Launch l = new LaunchGeometry.Launch(new int[] {LaunchGeometry.SUM_BLOCKS, 1, 1}, new int[] {256, 1, 1}, 0);
        cb.launch("dust_sum_partial_f32", l, new KernelArgs().ptr(at(xd)).i64(n).i32(squares ? 1 : 0).ptr(at(partials)));
        cb.launch("dust_sum_finish_f64", new LaunchGeometry.Launch(new int[] {1, 1, 1}, new int[] {256, 1, 1}, 0),
                new KernelArgs().ptr(at(partials)).i32(LaunchGeometry.SUM_BLOCKS).ptr(at(total)));
        ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        cb.gpu().download(bb, at(total));
        return bb.getDouble(0);
    }

    public double sumAll(Tensor x) { return sum(x, false); }

    public double sumSquares(Tensor x) { return sum(x, true); }
}
