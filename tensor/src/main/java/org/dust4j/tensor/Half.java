package org.dust4j.tensor;

/** Scalar BF16/F16 {@literal <->} F32 conversions, round to nearest even, NaN preserved. */
public final class Half {
    private Half() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** F32 -> BF16 with round-to-nearest-even; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** F32 -> IEEE half with round-to-nearest-even (the JDK's conversion). */
    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }
}
