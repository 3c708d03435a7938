package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dust4j.tensor.CpuStorage;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Half;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer -> reader round trips for every dtype, the official layout, atomicity. */
class RoundTripTest {
    /** Awkward F32 values: signed zeros, subnormals, extremes, infinities, NaN, values that round in halves. */
    static final float[] SPECIAL = {0f, -0f, 1f, -1.5f, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1.00390625f, 65504f, 65520f, 1e-8f, 3.14159265f, -2.7182817f};

    @Test
    void everyDtypeRoundTrips(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("all.safetensors");
        Tensor f = Tensor.of(SPECIAL, 4, 4);
        Tensor longs = Tensor.ofLongs(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, 2, 2);
        Tensor ints = Tensor.ofInts(new int[] {Integer.MIN_VALUE, -7, 0, Integer.MAX_VALUE, 3, 255}, 6);
        short[] bfBits = new short[SPECIAL.length];
        for (int i = 0; i < bfBits.length; i++) bfBits[i] = Half.floatToBf16(SPECIAL[i]);
        new SafetensorsWriter()
                .metadata(Map.of("format", "pt", "who", "dust4j"))
                .put("f32", f)
                .put("f16", f, SafeDType.F16)
                .put("bf16", f, SafeDType.BF16)
                .put("bf16bits", Tensor.ofHalfBits(DType.BF16, bfBits, 16))
                .put("f64", f, SafeDType.F64)
                .put("i64", longs)
                .put("i32", ints)
                .put("u8", Tensor.ofInts(new int[] {0, 1, 128, 255}, 4), SafeDType.U8)
                .put("bool", Tensor.ofInts(new int[] {0, 1, 0, 5}, 2, 2), SafeDType.BOOL)
                .put("scalar", Tensor.scalar(-3f))
                .put("empty", Tensor.zeros(3, 0))
                .putRaw("i8", SafeDType.I8, new long[] {3}, new byte[] {-128, 0, 127})
                .putRaw("u16", SafeDType.U16, new long[] {1}, new byte[] {1, 2})
                .putRaw("f8", SafeDType.F8_E4M3, new long[] {2}, new byte[] {0x38, (byte) 0xb8})
                .write(p);
        try (SafetensorsFile r = SafetensorsFile.open(p)) {
            assertEquals(Map.of("format", "pt", "who", "dust4j"), r.metadata());
            assertBits(SPECIAL, r.toTensor("f32").toFloatArray());
            float[] f16 = new float[SPECIAL.length], bf16 = new float[SPECIAL.length], f64 = new float[SPECIAL.length];
            for (int i = 0; i < SPECIAL.length; i++) {
                f16[i] = Half.f16ToFloat(Half.floatToF16(SPECIAL[i]));
                bf16[i] = Half.bf16ToFloat(Half.floatToBf16(SPECIAL[i]));
                f64[i] = (float) (double) SPECIAL[i];
            }
            assertBits(f16, r.toTensor("f16").toFloatArray());
            assertBits(bf16, r.toTensor("bf16").toFloatArray());
            assertBits(bf16, r.toTensor("bf16bits").toFloatArray());
            assertArrayEquals(bfBits, ((CpuStorage.Shorts) r.toTensor("bf16", DType.BF16).storage()).data());
            assertBits(f64, r.toTensor("f64").toFloatArray());
            assertEquals((double) SPECIAL[14], r.segment("f64").get(ValueLayout.JAVA_DOUBLE_UNALIGNED, 14 * 8L));
            assertArrayEquals(longs.toLongArray(), r.toTensor("i64").toLongArray());
            assertArrayEquals(ints.toLongArray(), r.toTensor("i32").toLongArray());
            assertArrayEquals(new long[] {0, 1, 128, 255}, r.toTensor("u8").toLongArray());
            assertArrayEquals(new long[] {0, 1, 0, 1}, r.toTensor("bool").toLongArray());
            assertArrayEquals(new int[] {2, 2}, r.toTensor("bool").shape());
            assertEquals(0, r.toTensor("scalar").rank());
            assertArrayEquals(new int[] {3, 0}, r.toTensor("empty").shape());
            assertArrayEquals(new byte[] {-128, 0, 127}, r.segment("i8").toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new byte[] {1, 2}, r.segment("u16").toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new byte[] {0x38, (byte) 0xb8}, r.segment("f8").toArray(ValueLayout.JAVA_BYTE));
            assertLayout(p, r);
        }
    }

    @Test
    void nonContiguousViewsAreWrittenInLogicalOrder(@TempDir Path dir) throws Exception {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1);
        Path p = dir.resolve("t.safetensors");
        new SafetensorsWriter().put("t", t).put("tb", t, SafeDType.BF16).write(p);
        try (SafetensorsFile r = SafetensorsFile.open(p)) {
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, r.toTensor("t").toFloatArray());
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, r.toTensor("tb").toFloatArray());
            assertArrayEquals(new int[] {3, 2}, r.toTensor("t").shape());
        }
    }

    /** Header padded to 8, tensors ordered by descending dtype size then name, every tensor aligned. */
    static void assertLayout(Path p, SafetensorsFile r) throws Exception {
        byte[] b = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header length multiple of 8");
        String h = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(h.startsWith("{"));
        assertEquals(h.stripTrailing().length() + (h.length() - h.stripTrailing().length()), h.length());
        assertTrue(h.stripTrailing().endsWith("}"), "only spaces after the JSON");
        List<TensorInfo> infos = r.infos();
        for (int i = 0; i < infos.size(); i++) {
            TensorInfo t = infos.get(i);
            int size = Math.max(1, t.dtype().bits() / 8);
            assertEquals(0, (8 + n + t.begin()) % size, t.name() + " aligned to " + size);
            if (i > 0) {
                TensorInfo prev = infos.get(i - 1);
                assertTrue(prev.dtype().bits() > t.dtype().bits()
                        || prev.dtype().bits() == t.dtype().bits() && prev.name().compareTo(t.name()) < 0,
                        prev.name() + " before " + t.name());
            }
        }
    }

    static void assertBits(float[] want, float[] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), "element " + i + ": " + want[i] + " vs " + got[i]);
        }
    }

    @Test
    void writeIsAtomicAndLeavesNoTempFiles(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter().put("a", Tensor.scalar(1f)).write(p);
        byte[] before = Files.readAllBytes(p);
        // fails while encoding (value does not fit U8): the old file stays, no temp file is left
        SafetensorsWriter bad = new SafetensorsWriter().put("a", Tensor.ofInts(new int[] {300}, 1), SafeDType.U8);
        assertThrows(IllegalArgumentException.class, () -> bad.write(p));
        assertArrayEquals(before, Files.readAllBytes(p));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList());
        }
        new SafetensorsWriter().put("b", Tensor.scalar(2f)).write(p);
        try (SafetensorsFile r = SafetensorsFile.open(p)) {
            assertEquals(List.of("b"), List.copyOf(r.names()));
        }
    }

    @Test
    void writerRejectsMisuse() {
        SafetensorsWriter w = new SafetensorsWriter().put("a", Tensor.scalar(1f));
        assertThrows(IllegalArgumentException.class, () -> w.put("a", Tensor.scalar(1f)));
        assertThrows(IllegalArgumentException.class, () -> w.put("__metadata__", Tensor.scalar(1f)));
        assertThrows(IllegalArgumentException.class, () -> w.put("x", Tensor.scalar(1f), SafeDType.I64));
        assertThrows(IllegalArgumentException.class, () -> w.putRaw("y", SafeDType.F32, new long[] {2}, new byte[4]));
        assertFalse(w.size() != 1);
    }
}
