package org.dust4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of one kernel launch, each packed as little-endian bytes, with their PTX layout
 * ({@code u64} for pointers and 64-bit ints, {@code u32}, {@code f32}, {@code b<n>} for structs by value).
 * {@link Gpu} implementations compare {@link #layout()} with the entry's PTX parameters before launching,
 * so a Java/CUDA signature mismatch is an error naming the kernel instead of a silent corruption.
 */
public final class KernelArgs {
    private final List<byte[]> values = new ArrayList<>();
    private final List<String> layout = new ArrayList<>();

    /** A device pointer (0 for a null pointer). */
    public KernelArgs ptr(long address) { return i64(address); }

    public KernelArgs i64(long v) {
        values.add(buf(8).putLong(v).array());
        layout.add("u64");
        return this;
    }

    public KernelArgs i32(int v) {
        values.add(buf(4).putInt(v).array());
        layout.add("u32");
        return this;
    }

    public KernelArgs f32(float v) {
        values.add(buf(4).putFloat(v).array());
        layout.add("f32");
        return this;
    }

    /** A struct passed by value, already packed with the CUDA struct's exact layout. */
    public KernelArgs struct(byte[] packed) {
        values.add(packed.clone());
        layout.add("b" + packed.length);
        return this;
    }

    public List<byte[]> values() { return values; }

    public List<String> layout() { return List.copyOf(layout); }

    static ByteBuffer buf(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }
}
