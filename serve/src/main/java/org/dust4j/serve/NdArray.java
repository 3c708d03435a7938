package org.dust4j.serve;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A numpy array as it travels in GR00T's protocol: a numpy dtype string ({@code "<f4"}, {@code "|u1"}, ...), a
 * shape and the C-order element bytes in the dtype's byte order. Only what the server needs is interpreted:
 * {@link #toFloats(String)} reads every numeric dtype; arrays it does not use (video frames) are kept as bytes.
 *
 * @param dtype numpy dtype string: byte order ({@code <}, {@code >}, {@code |} or {@code =}), kind, item size
 * @param shape dimensions, C order; empty for a 0-d array
 * @param data  the element bytes, exactly {@code elements() * itemSize()} long
 */
public record NdArray(String dtype, int[] shape, byte[] data) {

    /** Checks that the byte count matches dtype and shape. */
    public NdArray {
        shape = shape.clone();
        long n = elementCount(shape);
        long want = n * itemSize(dtype);
        if (data.length != want) {
            throw new IllegalArgumentException("array " + dtype + " " + Arrays.toString(shape) + " needs " + want + " bytes, got " + data.length);
        }
    }

    /** A little-endian float32 array. */
    public static NdArray ofFloats(float[] values, int... shape) {
        if (elementCount(shape) != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + values.length + " values");
        }
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return new NdArray("<f4", shape, b.array());
    }

    /** A little-endian float32 array from rows of equal length ([rows][cols]). */
    public static NdArray ofRows(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] all = new float[rows.length * cols];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, all, i * cols, cols);
        return ofFloats(all, rows.length, cols);
    }

    /** The number of elements of a shape; throws on negative dimensions or more than 2^31-1 elements. */
    public static long elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
        }
        return n;
    }

    /** Bytes per element of a numpy dtype string this codec knows; throws for others. */
    public static int itemSize(String dtype) {
        if (dtype == null || dtype.length() < 3) throw new IllegalArgumentException("unsupported numpy dtype " + dtype);
        char order = dtype.charAt(0);
        if ("<>|=".indexOf(order) < 0) throw new IllegalArgumentException("unsupported numpy dtype " + dtype);
        String kindSize = dtype.substring(1);
        return switch (kindSize) {
            case "f2" -> 2;
            case "f4" -> 4;
            case "f8" -> 8;
            case "i1", "u1", "b1" -> 1;
            case "i2", "u2" -> 2;
            case "i4", "u4" -> 4;
            case "i8", "u8" -> 8;
            default -> throw new IllegalArgumentException("unsupported numpy dtype " + dtype + " (numeric and bool dtypes only)");
        };
    }

    /** Number of elements. */
    public int elements() {
        return (int) elementCount(shape);
    }

    /** Rank (number of dimensions). */
    public int rank() {
        return shape.length;
    }

    /** The shape (a copy). */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** True for the float dtypes f2, f4, f8. */
    public boolean isFloating() {
        return dtype.charAt(1) == 'f';
    }

    /**
     * All elements as float32, C order. Integers and bools convert exactly where float32 can hold them; NaN and
     * infinities are rejected with a message naming {@code what}, so they never reach the model.
     */
    public float[] toFloats(String what) {
        ByteBuffer b = ByteBuffer.wrap(data).order(dtype.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int n = elements();
        float[] out = new float[n];
        String ks = dtype.substring(1);
        for (int i = 0; i < n; i++) {
            double v = switch (ks) {
                case "f2" -> Float.float16ToFloat(b.getShort());
                case "f4" -> b.getFloat();
                case "f8" -> b.getDouble();
                case "i1" -> b.get();
                case "u1", "b1" -> b.get() & 0xff;
                case "i2" -> b.getShort();
                case "u2" -> b.getShort() & 0xffff;
                case "i4" -> b.getInt();
                case "u4" -> b.getInt() & 0xffffffffL;
                case "i8" -> b.getLong();
                case "u8" -> {
                    long l = b.getLong();
                    yield l >= 0 ? l : ((l >>> 1) | (l & 1)) * 2.0;
                }
                default -> throw new IllegalStateException(dtype);
            };
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException(what + " holds a non-finite value (" + v + ") at flat index " + i);
            }
            out[i] = (float) v;
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NdArray a && a.dtype.equals(dtype) && Arrays.equals(a.shape, shape) && Arrays.equals(a.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "ndarray(" + dtype + ", " + Arrays.toString(shape) + ")";
    }
}
