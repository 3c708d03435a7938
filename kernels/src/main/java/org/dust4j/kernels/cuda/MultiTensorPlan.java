package org.dust4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The chunk table of the multi-tensor AdamW launch (adamw.cu): every tensor is cut into chunks of
 * {@code chunkLen} elements and each chunk is one block. Tensors of zero elements get no chunk.
 */
public record MultiTensorPlan(int chunkLen, int[] chunkTensor, long[] chunkStart) {
    /** {@code struct AdamTensor} (p, g, m, v pointers, long n) and {@code struct AdamChunk} (int tensor, pad, long start). */
    public static final int TENSOR_BYTES = 40, CHUNK_BYTES = 16;

    public static MultiTensorPlan of(long[] sizes, int chunkLen) {
        if (chunkLen <= 0) throw new IllegalArgumentException("adamw: chunk length must be positive, got " + chunkLen);
        List<int[]> t = new ArrayList<>();
        List<Long> s = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            for (long start = 0; start < sizes[i]; start += chunkLen) {
                t.add(new int[] {i});
                s.add(start);
            }
        }
        if (t.size() > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("adamw: too many chunks");
        int[] ct = new int[t.size()];
        long[] cs = new long[t.size()];
        for (int i = 0; i < ct.length; i++) {
            ct[i] = t.get(i)[0];
            cs[i] = s.get(i);
        }
        return new MultiTensorPlan(chunkLen, ct, cs);
    }

    public int chunks() { return chunkTensor.length; }

    /** The device chunk table. */
    public byte[] packChunks() {
        ByteBuffer b = KernelArgs.buf(CHUNK_BYTES * chunks());
        for (int i = 0; i < chunks(); i++) b.putInt(chunkTensor[i]).putInt(0).putLong(chunkStart[i]);
        return b.array();
    }

    /** The device tensor table: addresses[i] = {p, g, m, v}. */
    public static byte[] packTensors(long[][] addresses, long[] sizes) {
        ByteBuffer b = KernelArgs.buf(TENSOR_BYTES * sizes.length);
        for (int i = 0; i < sizes.length; i++) {
            for (long a : addresses[i]) b.putLong(a);
            b.putLong(sizes[i]);
        }
        return b.array();
    }
}
