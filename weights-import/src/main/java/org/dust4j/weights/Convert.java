package org.dust4j.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.dust4j.tensor.Half;

/**
 * Bulk decoding of little-endian safetensors data into Java arrays. BF16 and F16 follow
 * {@link Half} bit for bit (BF16 is the top half of an F32; F16 uses the JDK's exact conversion).
 */
public final class Convert {
    private Convert() {}

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    /** Shorts with the same lane count as {@link #FS} (half the bits). */
    private static final VectorSpecies<Short> SS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FS.vectorBitSize() / 2));

    /** Copies {@code n} little-endian F32 values starting at byte {@code srcOff} into {@code dst[dstOff..]}. */
    public static void f32(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        MemorySegment.copy(src, F32_LE, srcOff, dst, dstOff, n);
    }

    /** Decodes {@code n} BF16 values (Vector API: widen, shift left 16, reinterpret as F32). */
    public static void bf16ToF32(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        int lanes = FS.length();
        int i = 0;
        int bound = n - lanes;
        for (; i <= bound; i += lanes) {
            ShortVector s = ShortVector.fromMemorySegment(SS, src, srcOff + 2L * i, ByteOrder.LITTLE_ENDIAN);
            IntVector w = (IntVector) s.convertShape(VectorOperators.S2I, IS, 0);
            w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) dst[dstOff + i] = Half.bf16ToFloat(src.get(I16_LE, srcOff + 2L * i));
    }

    /** Scalar BF16 decoding, the oracle for {@link #bf16ToF32} (and its benchmark baseline). */
    public static void bf16ToF32Scalar(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Half.bf16ToFloat(src.get(I16_LE, srcOff + 2L * i));
    }

    /**
     * Decodes {@code n} IEEE half values bit for bit as {@link Float#float16ToFloat} runs on HotSpot x86-64
     * (Vector API). Per lane, with {@code em} the half's exponent and mantissa bits: normal numbers move the bits
     * up 13 places and rebias the exponent (+112); Inf/NaN get the exponent rebiased once more so 31 becomes 255,
     * the NaN payload moves up 13 places and the quiet bit is set (IEEE 754 conversion of a signaling NaN, which is
     * what HotSpot's hardware intrinsic returns; the JDK's pure-Java fallback would keep a signaling NaN
     * signaling); zeros and subnormals are {@code em * 2^-24}, exact in F32. The sign is OR-ed back last.
     */
    public static void f16ToF32(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        int lanes = FS.length();
        int i = 0;
        int bound = n - lanes;
        for (; i <= bound; i += lanes) {
            ShortVector s = ShortVector.fromMemorySegment(SS, src, srcOff + 2L * i, ByteOrder.LITTLE_ENDIAN);
            IntVector w = (IntVector) s.convertShape(VectorOperators.S2I, IS, 0);
            IntVector sign = w.and(0x8000).lanewise(VectorOperators.LSHL, 16);
            IntVector em = w.and(0x7fff);
            IntVector big = em.lanewise(VectorOperators.LSHL, 13).add(112 << 23);
            big = big.add(112 << 23, em.compare(VectorOperators.GE, 0x7c00));
            big = big.lanewise(VectorOperators.OR, 0x0040_0000, em.compare(VectorOperators.GT, 0x7c00));
            FloatVector small = ((FloatVector) em.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
            IntVector bits = big.blend(small.reinterpretAsInts(), em.compare(VectorOperators.LT, 0x0400));
            bits.or(sign).reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) dst[dstOff + i] = Half.f16ToFloat(src.get(I16_LE, srcOff + 2L * i));
    }

    /** Scalar F16 decoding ({@link Float#float16ToFloat}), the oracle for {@link #f16ToF32} and its benchmark baseline. */
    public static void f16ToF32Scalar(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = Half.f16ToFloat(src.get(I16_LE, srcOff + 2L * i));
    }

    /** Narrows {@code n} F64 values to F32 (round to nearest, as a Java cast). */
    public static void f64ToF32(MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) dst[dstOff + i] = (float) src.get(F64_LE, srcOff + 8L * i);
    }

    /** Copies 16-bit patterns (BF16/F16 kept as bits). */
    public static void bits16(MemorySegment src, long srcOff, short[] dst, int dstOff, int n) {
        MemorySegment.copy(src, I16_LE, srcOff, dst, dstOff, n);
    }
}
