package org.dust4j.weights;

import java.util.HashMap;
import java.util.Map;

/**
 * The element types a safetensors file can declare, with their size in bits. dust4j loads F32, F16, BF16,
 * F64, I64, I32, U8 and BOOL into tensors; the others validate and can be read as raw bytes only.
 */
public enum SafeDType {
    BOOL(8, true), F4(4, false), F6_E2M3(6, false), F6_E3M2(6, false), U8(8, true), I8(8, false),
    F8_E5M2(8, false), F8_E4M3(8, false), F8_E8M0(8, false), I16(16, false), U16(16, false),
    F16(16, true), BF16(16, true), I32(32, true), U32(32, false), F32(32, true), C64(64, false),
    F64(64, true), I64(64, true), U64(64, false);

    private static final Map<String, SafeDType> BY_NAME = new HashMap<>();

    static {
        for (SafeDType d : values()) BY_NAME.put(d.name(), d);
    }

    private final int bits;
    private final boolean supported;

    SafeDType(int bits, boolean supported) {
        this.bits = bits;
        this.supported = supported;
    }

    /** Size of one element in bits (4 and 6 for the sub-byte float formats). */
    public int bits() { return bits; }

    /** True when {@link SafetensorsFile#toTensor} can load this dtype. */
    public boolean supported() { return supported; }

    /** The dtype with this exact safetensors name, or null. */
    public static SafeDType byName(String name) { return BY_NAME.get(name); }

    /**
     * Bytes taken by {@code numel} elements, or -1 on 64-bit overflow or when the bits do not fill whole
     * bytes (as the reference implementation, which rejects such tensors).
     */
    public long byteSize(long numel) {
        try {
            long totalBits = Math.multiplyExact(numel, (long) bits);
            return totalBits % 8 == 0 ? totalBits / 8 : -2;
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /** The safetensors dtype that stores a dust4j dtype. */
    public static SafeDType of(org.dust4j.tensor.DType d) {
        return switch (d) {
            case F32 -> F32;
            case BF16 -> BF16;
            case F16 -> F16;
            case I64 -> I64;
            case I32 -> I32;
        };
    }
}
