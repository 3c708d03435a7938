package org.dust4j.tensor;

/**
 * The memory behind one or more tensor views. CPU storage is an on-heap primitive array
 * ({@code float[]} for F32, {@code short[]} bit patterns for BF16/F16, {@code long[]}, {@code int[]});
 * other devices provide their own implementation.
 */
public interface Storage {
    DType dtype();

    Device device();

    /** Number of elements the storage can hold. */
    long capacity();

    /** Allocates zeroed CPU storage. */
    static Storage cpu(DType dtype, int n) {
        return switch (dtype) {
            case F32 -> new CpuStorage.Floats(new float[n]);
            case BF16, F16 -> new CpuStorage.Shorts(dtype, new short[n]);
            case I64 -> new CpuStorage.Longs(new long[n]);
            case I32 -> new CpuStorage.Ints(new int[n]);
        };
    }
}
