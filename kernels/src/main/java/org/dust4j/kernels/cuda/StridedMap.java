package org.dust4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/**
 * Host mirror of the CUDA {@code struct StridedMap} (common.cuh): the map from a logical row-major element
 * index to a storage offset for a view broadcast to an output shape. Size-1 dims are dropped and adjacent dims
 * that are contiguous with each other are merged, so most views need 1-3 dims; at most {@link #MAX_DIMS}.
 * Layout (176 bytes, 8-aligned): int rank, int pad, long offset, int[8] shape, int[8] magic, int[8] shift,
 * long[8] stride. {@code magic}/{@code shift} are the 32-bit division constants of each shape entry
 * ({@link #magic}, {@link #shift}, {@link #fastDiv}): the kernels split indices below 2^31 into coordinates with
 * them (common.cuh fast_div), and {@link #offsetOf} runs the same arithmetic.
 */
public record StridedMap(int[] shape, long[] strides, long offset) {
    public static final int MAX_DIMS = 8;
    public static final int BYTES = 176;

    /** The map of {@code t} broadcast to {@code outShape} (t's shape must broadcast to it). */
    public static StridedMap of(Tensor t, int[] outShape) {
        Tensor e = Arrays.equals(t.shape(), outShape) ? t : t.expand(outShape);
        return collapse(e.shape(), toLong(e.strides()), e.offset());
    }

    /** The map of a view over its own shape. */
    public static StridedMap of(Tensor t) { return of(t, t.shape()); }

    static long[] toLong(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    /** Drops size-1 dims and merges dim pairs with stride[i] == stride[i+1] * shape[i+1]. */
    static StridedMap collapse(int[] shape, long[] strides, long offset) {
        int[] s = new int[shape.length];
        long[] st = new long[shape.length];
        int n = 0;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) continue;
            if (n > 0 && st[n - 1] == strides[i] * shape[i]) {
                s[n - 1] *= shape[i];
                st[n - 1] = strides[i];
            } else {
                s[n] = shape[i];
                st[n] = strides[i];
                n++;
            }
        }
        if (n > MAX_DIMS) {
            throw new IllegalArgumentException("view of shape " + Shape.str(shape) + " with strides " + Arrays.toString(strides)
                    + " needs " + n + " dims after merging; the CUDA kernels take at most " + MAX_DIMS);
        }
        return new StridedMap(Arrays.copyOf(s, n), Arrays.copyOf(st, n), offset);
    }

    public int rank() { return shape.length; }

    /** Storage offset of logical element i: the same arithmetic as map_offset in common.cuh (fast_div below 2^31). */
    public long offsetOf(long i) {
        long off = offset;
        if (i >= 0 && i <= Integer.MAX_VALUE) {
            long u = i;
            for (int d = shape.length - 1; d >= 0; d--) {
                long q = fastDiv(u, magic(shape[d]), shift(shape[d]));
                off += (u - q * shape[d]) * strides[d];
                u = q;
            }
            return off;
        }
        for (int d = shape.length - 1; d >= 0; d--) {
            long q = i / shape[d];
            off += (i - q * shape[d]) * strides[d];
            i = q;
        }
        return off;
    }

    /** ceil(log2 d) for a divisor 1 &lt;= d &lt; 2^31. */
    public static int shift(int d) {
        if (d < 1) throw new IllegalArgumentException("divisor " + d);
        return 32 - Integer.numberOfLeadingZeros(d - 1);
    }

    /** floor(2^32 (2^shift - d) / d) + 1 as an unsigned 32-bit value (in the low bits of the int). */
    public static int magic(int d) {
        long twoS = 1L << shift(d);
        return (int) (((twoS - d) << 32) / d + 1);
    }

    /** n / d for 0 &lt;= n &lt; 2^31 as common.cuh's fast_div computes it: (umulhi(n, magic) + n) >>> shift in 32 bits. */
    public static long fastDiv(long n, int magic, int shift) {
        long hi = (n * Integer.toUnsignedLong(magic)) >>> 32;
        return ((hi + n) & 0xffffffffL) >>> shift;
    }

    /** True when logical element i sits at offset + i (dense, no broadcast). */
    public boolean isDense() {
        return shape.length == 0 || (shape.length == 1 && strides[0] == 1);
    }

    /** The 176-byte kernel parameter. */
    public byte[] pack() {
        ByteBuffer b = KernelArgs.buf(BYTES);
        b.putInt(shape.length).putInt(0).putLong(offset);
        for (int i = 0; i < MAX_DIMS; i++) b.putInt(i < shape.length ? shape[i] : 1);
        for (int i = 0; i < MAX_DIMS; i++) b.putInt(i < shape.length ? magic(shape[i]) : magic(1));
        for (int i = 0; i < MAX_DIMS; i++) b.putInt(i < shape.length ? shift(shape[i]) : 0);
        for (int i = 0; i < MAX_DIMS; i++) b.putLong(i < shape.length ? strides[i] : 0);
        return b.array();
    }
}
