package org.dust4j.kernels.cuda;

import static org.dust4j.kernels.cuda.CudaBackend.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/** Embedding gather and its scatter-add gradient (embedding.cu). Part of {@link CudaBackend}, which delegates to it. */
final class CudaIndex {
    private final CudaBackend cb;

    CudaIndex(CudaBackend cb) { this.cb = cb; }

    /** Host copy of integer indices after the range check, uploaded as I32. */
    Tensor deviceIndices(String op, Tensor indices, int bound) {
        long[] idx = Checks.indices(op, indices.storage() instanceof CudaStorage ? cb.toHost(indices) : indices, bound);
        int[] i32 = new int[idx.length];
        for (int i = 0; i < idx.length; i++) i32[i] = (int) idx[i];
        return cb.toDevice(Tensor.ofInts(i32, idx.length));
    }

    void checkErrFlag(String op, Tensor err) {
        ByteBuffer bb = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        cb.gpu().download(bb, at(err));
        if (bb.getInt(0) != 0) throw new IllegalStateException(op + ": the kernel saw an out-of-range index");
    }

    public Tensor embedding(Tensor table, Tensor indices) {
        if (table.rank() != 2) throw new IllegalArgumentException("embedding: table must be [N,D], got " + Shape.str(table.shape()));
        int n = table.size(0), d = table.size(1);
        Tensor idx = deviceIndices("embedding", indices, n);
        int[] os = Arrays.copyOf(indices.shape(), indices.rank() + 1);
        os[indices.rank()] = d;
        Tensor td = cb.dense(table);
        Tensor out = cb.empty(td.dtype(), os);
        long ni = idx.numel();
        if (ni * d > 0) {
            Tensor err = cb.zeros(DType.I32, 1);
            cb.launch("dust_embedding_" + sfx(td.dtype(), "embedding"), LaunchGeometry.elementwise(ni * d), new KernelArgs().ptr(at(td)).ptr(at(idx))
                    .ptr(at(out)).i64(ni).i32(d).i32(n).ptr(at(err)));
            checkErrFlag("embedding", err);
        }
        return out;
    }

    public Tensor scatterAddRows(Tensor src, Tensor indices, int numRows) {
        Checks.requireF32("scatterAddRows", src);
        int d = Checks.lastDim("scatterAddRows", src);
        Tensor idx = deviceIndices("scatterAddRows", indices, numRows);
        if ((long) idx.numel() * d != src.numel()) {
            throw new IllegalArgumentException("scatterAddRows: source " + Shape.str(src.shape()) + " does not hold one row per index of "
                    + Shape.str(indices.shape()));
        }
        Tensor out = cb.zeros(DType.F32, numRows, d);
        long ni = idx.numel();
        if (ni * d > 0) {
            Tensor sd = cb.dense(src), err = cb.zeros(DType.I32, 1);
            cb.launch("dust_scatter_add_rows_f32", LaunchGeometry.elementwise(ni * d), new KernelArgs().ptr(at(sd)).ptr(at(idx)).ptr(at(out))
                    .i64(ni).i32(d).i32(numRows).ptr(at(err)));
            checkErrFlag("scatterAddRows", err);
        }
        return out;
    }
}
