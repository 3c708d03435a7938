package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Half;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException.Rule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Valid edge cases built by hand: scalars, zero dimensions, padding, metadata, dtypes, big files. */
class ValidFileTest {

    @Test
    void scalarZeroDimAndPaddedHeader() throws Exception {
        String h = "  {\"__metadata__\":{\"format\":\"pt\"},"
                + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
                + "\"e\":{\"dtype\":\"BF16\",\"shape\":[3,0],\"data_offsets\":[4,4]}}      ";
        try (SafetensorsFile f = StBytes.parse(StBytes.file(h, StBytes.f32le(2.5f)))) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertEquals(List.of("s", "z", "e"), List.copyOf(f.names()));
            Tensor s = f.toTensor("s");
            assertEquals(0, s.rank());
            assertEquals(2.5f, s.toFloatArray()[0]);
            Tensor z = f.toTensor("z");
            assertArrayEquals(new int[] {0, 3}, z.shape());
            assertEquals(0, z.numel());
            assertEquals(0, f.segment("e").byteSize());
            assertArrayEquals(new int[] {3, 0}, f.toTensor("e", DType.BF16).shape());
        }
    }

    @Test
    void emptyHeaderNullMetadataAndUnknownEntryFields() throws Exception {
        try (SafetensorsFile f = StBytes.parse(StBytes.file("{}", 0))) {
            assertTrue(f.names().isEmpty());
        }
        String h = "{\"__metadata__\":null,\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2],\"extra\":[1]}}";
        try (SafetensorsFile f = StBytes.parse(StBytes.file(h, new byte[] {7, (byte) 200}))) {
            assertTrue(f.metadata().isEmpty());
            assertArrayEquals(new long[] {7, 200}, f.toTensor("a", DType.I64).toLongArray());
        }
    }

    @Test
    void offsetsOutOfKeyOrderAreSortedBeforeValidation() throws Exception {
        String h = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        try (SafetensorsFile f = StBytes.parse(StBytes.file(h, StBytes.f32le(1f, 2f)))) {
            assertEquals(List.of("a", "b"), List.copyOf(f.names()));
            assertEquals(2f, f.toTensor("b").toFloatArray()[0]);
        }
    }

    @Test
    void everyLoadableDtypeDecodes() throws Exception {
        // hand-encoded little-endian bytes with values known in advance
        byte[] data = new byte[] {
            0x00, 0x00, (byte) 0x80, 0x3f,              // F32 1.0
            0x00, 0x3c,                                  // F16 1.0
            (byte) 0xc0, 0x3f,                           // BF16 1.5
            0, 0, 0, 0, 0, 0, 0x04, (byte) 0xc0,          // F64 -2.5
            (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, // I64 -1
            0x2a, 0, 0, 0,                               // I32 42
            (byte) 0xfe,                                 // U8 254
            1,                                           // BOOL true
        };
        String h = "{\"f32\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"f16\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                + "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[6,8]},"
                + "\"f64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[16,24]},"
                + "\"i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[24,28]},"
                + "\"u8\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[28,29]},"
                + "\"b\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[29,30]},"
                + "\"i8\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[30,32]}}";
        byte[] all = new byte[32];
        System.arraycopy(data, 0, all, 0, data.length);
        all[30] = (byte) 0xff;
        try (SafetensorsFile f = StBytes.parse(StBytes.file(h, all))) {
            assertEquals(1.0f, f.toTensor("f32").toFloatArray()[0]);
            assertEquals(1.0f, f.toTensor("f16").toFloatArray()[0]);
            assertEquals(1.5f, f.toTensor("bf16").toFloatArray()[0]);
            assertEquals(-2.5f, f.toTensor("f64").toFloatArray()[0]);
            assertEquals(DType.I64, f.toTensor("i64").dtype());
            assertEquals(-1L, f.toTensor("i64").toLongArray()[0]);
            assertEquals(42L, f.toTensor("i32").toLongArray()[0]);
            assertEquals(254L, f.toTensor("u8").toLongArray()[0]);
            assertEquals(1L, f.toTensor("b").toLongArray()[0]);
            assertEquals(254f, f.toTensor("u8", DType.F32).toFloatArray()[0]);
            // halves kept as bit patterns on request, or converted across
            Tensor bits = f.toTensor("bf16", DType.BF16);
            assertEquals(DType.BF16, bits.dtype());
            assertEquals(1.5f, bits.getFloat(0));
            assertEquals(Half.floatToF16(1.5f), ((org.dust4j.tensor.CpuStorage.Shorts) f.toTensor("bf16", DType.F16).storage()).data()[0]);
            // a valid but unsupported dtype: readable as bytes only
            assertEquals((byte) 0xff, f.segment("i8").get(ValueLayout.JAVA_BYTE, 0));
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.toTensor("i8"));
            assertEquals(Rule.UNSUPPORTED_DTYPE, e.rule());
            assertTrue(e.getMessage().contains("tensor 'i8': unsupported dtype: I8"), e.getMessage());
            assertEquals(Rule.UNSUPPORTED_DTYPE, assertThrows(SafetensorsException.class, () -> f.toTensor("f32", DType.I64)).rule());
            assertEquals(Rule.NO_SUCH_TENSOR, assertThrows(SafetensorsException.class, () -> f.toTensor("nope")).rule());
        }
    }

    @Test
    void bf16VectorPathMatchesScalarOracleOnOddLengths() {
        for (int n : new int[] {1, 7, 33, 1000}) {
            byte[] raw = new byte[2 * n + 1];
            new java.util.Random(n).nextBytes(raw);
            MemorySegment seg = MemorySegment.ofArray(raw);
            float[] fast = new float[n + 3], ref = new float[n + 3];
            Convert.bf16ToF32(seg, 1, fast, 3, n);   // odd byte offset: unaligned source
            for (int i = 0; i < n; i++) {
                short bits = (short) ((raw[1 + 2 * i] & 0xff) | (raw[2 + 2 * i] << 8));
                ref[3 + i] = Half.bf16ToFloat(bits);
            }
            for (int i = 0; i < n + 3; i++) {
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(fast[i]), "n=" + n + " i=" + i);
            }
        }
    }

    /** Every one of the 65536 half patterns, at an odd byte offset, against the JDK's conversion bit for bit. */
    @Test
    void f16VectorPathMatchesFloat16ToFloatOnAllPatterns() {
        int n = 1 << 16;
        byte[] raw = new byte[2 * n + 1];
        for (int h = 0; h < n; h++) {
            raw[1 + 2 * h] = (byte) h;
            raw[2 + 2 * h] = (byte) (h >>> 8);
        }
        MemorySegment seg = MemorySegment.ofArray(raw);
        float[] fast = new float[n + 3];
        Convert.f16ToF32(seg, 1, fast, 3, n);
        for (int h = 0; h < n; h++) {
            int want = Float.floatToRawIntBits(Float.float16ToFloat((short) h));
            if (want != Float.floatToRawIntBits(fast[3 + h])) {
                assertEquals(Integer.toHexString(want), Integer.toHexString(Float.floatToRawIntBits(fast[3 + h])),
                        "half 0x" + Integer.toHexString(h));
            }
        }
        assertEquals(0, Float.floatToRawIntBits(fast[2]), "nothing written before dstOff");
        // hand-computed: signaling NaN 0x7c01 comes out quiet with its payload moved up 13 bits; extremes exact
        assertEquals(0x7fc02000, Float.floatToRawIntBits(fast[3 + 0x7c01]));
        assertEquals(0xffc02000, Float.floatToRawIntBits(fast[3 + 0xfc01]));
        assertEquals(0x7fffe000, Float.floatToRawIntBits(fast[3 + 0x7fff]));
        assertEquals(0x7f800000, Float.floatToRawIntBits(fast[3 + 0x7c00]));
        assertEquals(0x1p-24f, fast[3 + 1]);
        assertEquals(-0f, fast[3 + 0x8000]);
        assertEquals(65504f, fast[3 + 0x7bff]);
        // short lengths exercise the scalar tail alone and after vector blocks
        for (int len : new int[] {1, 7, 33, 1000}) {
            float[] a = new float[len], b = new float[len];
            Convert.f16ToF32(seg, 1 + 2L * 31_000, a, 0, len);
            Convert.f16ToF32Scalar(seg, 1 + 2L * 31_000, b, 0, len);
            for (int i = 0; i < len; i++) assertEquals(Float.floatToRawIntBits(b[i]), Float.floatToRawIntBits(a[i]), "len=" + len + " i=" + i);
        }
    }

    @Test
    void segmentsAreZeroCopyViewsOfTheMapping(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("m.safetensors");
        Files.write(p, StBytes.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", StBytes.f32le(3f, 4f)));
        MemorySegment seg;
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            seg = f.segment("a");
            assertTrue(seg.isMapped() && seg.isReadOnly());
            assertEquals(4f, seg.get(Convert.F32_LE, 4));
        }
        assertThrows(IllegalStateException.class, () -> seg.get(Convert.F32_LE, 0), "closed mapping is unusable");
    }

    /** A sparse file just over 2 GiB: mapped whole, segment readable at the end, toTensor refuses cleanly. */
    @Test
    void filesOver2GiBWork(@TempDir Path dir) throws Exception {
        long n = (1L << 31) + 24;
        String h = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + n + "],\"data_offsets\":[0," + n + "]}}";
        byte[] head = StBytes.file(h, 0);
        Path p = dir.resolve("big.safetensors");
        Files.write(p, head);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(head.length + n);
            raf.seek(head.length + n - 1);
            raf.write(99);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            MemorySegment s = f.segment("big");
            assertEquals(n, s.byteSize());
            assertEquals(99, s.get(ValueLayout.JAVA_BYTE, n - 1));
            assertEquals(Rule.TOO_LARGE, assertThrows(SafetensorsException.class, () -> f.toTensor("big")).rule());
        }
    }
}
