package org.dust4j.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** .npy and msgpack encoding of GR00T's protocol; malformed input is rejected with a message, before allocation. */
class CodecTest {
    private final MsgCodec codec = new MsgCodec(new MsgCodec.Limits(4, 8, 3, 1000));

    @Test
    void npyMatchesNumpyBytes() {
        // np.save(b, np.array([[1.5, -2.0, 3.25]], dtype=np.float32)) with numpy 1.24: 128-byte header block
        byte[] got = Npy.write(NdArray.ofFloats(new float[] {1.5f, -2f, 3.25f}, 1, 3));
        String header = new String(got, 10, got.length - 10 - 12, StandardCharsets.ISO_8859_1);
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }", header.strip());
        assertEquals(0, (got.length - 12) % 64, "header padded to a multiple of 64 as numpy does");
        assertEquals("934e554d505901007600", HexFormat.of().formatHex(got, 0, 10));
        NdArray back = Npy.read(got, 3, 100);
        assertArrayEquals(new int[] {1, 3}, back.shape());
        assertArrayEquals(new float[] {1.5f, -2f, 3.25f}, back.toFloats("x"));
        assertEquals("(7,)", new String(Npy.write(NdArray.ofFloats(new float[7], 7)), StandardCharsets.ISO_8859_1).replaceAll("(?s).*'shape': (\\(7,\\)).*", "$1"));
    }

    @Test
    void dtypesConvert() {
        byte[] le = {1, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertArrayEquals(new float[] {1, -1}, new NdArray("<i4", new int[] {2}, le).toFloats("x"));
        assertArrayEquals(new float[] {16777216f, 4294967295f}, new NdArray(">u4", new int[] {2}, new byte[] {1, 0, 0, 0, -1, -1, -1, -1}).toFloats("x"));
        assertArrayEquals(new float[] {1f}, new NdArray("<f2", new int[] {1}, new byte[] {0, 0x3c}).toFloats("x"));
        NdArray nan = NdArray.ofFloats(new float[] {0, Float.NaN}, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> nan.toFloats("state.arm"));
        assertTrue(e.getMessage().contains("state.arm holds a non-finite value") && e.getMessage().contains("index 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NdArray("|O", new int[] {1}, new byte[8]));
    }

    @Test
    void messagesRoundTrip() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("endpoint", "get_action");
        m.put("data", Map.of("state.x", NdArray.ofFloats(new float[] {1, 2}, 1, 2)));
        m.put("cfg", new ModalityConfig(List.of(0, 1), List.of("action.a")));
        Object back = codec.decode(MsgCodec.encode(m));
        assertEquals(m, back);
    }

    @Test
    void badNpyIsRejected() {
        byte[] good = Npy.write(NdArray.ofFloats(new float[6], 2, 3));
        assertMessage("bad magic", () -> Npy.read(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 100));
        assertMessage("needs 24 data bytes, has 20", () -> Npy.read(java.util.Arrays.copyOf(good, good.length - 4), 3, 100));
        byte[] fortran = new String(good, StandardCharsets.ISO_8859_1).replace("'fortran_order': False", "'fortran_order': True ").getBytes(StandardCharsets.ISO_8859_1);
        assertMessage("Fortran-order", () -> Npy.read(fortran, 3, 100));
        byte[] obj = new String(good, StandardCharsets.ISO_8859_1).replace("'<f4'", "'|O8'").getBytes(StandardCharsets.ISO_8859_1);
        assertMessage("unsupported numpy dtype |O8", () -> Npy.read(obj, 3, 100));
        // a shape claiming 2^40 elements in a few bytes: refused before any allocation
        byte[] huge = new String(good, StandardCharsets.ISO_8859_1).replace("(2, 3)", "(1048576, 1048576)").getBytes(StandardCharsets.ISO_8859_1);
        assertMessage("more than 2^31-1 elements", () -> Npy.read(huge, 3, 100));
        byte[] many = new String(good, StandardCharsets.ISO_8859_1).replace("(2, 3)", "(99, 99)").getBytes(StandardCharsets.ISO_8859_1);
        assertMessage("9801 elements, the limit is 100", () -> Npy.read(many, 3, 100));
        byte[] rank = new String(good, StandardCharsets.ISO_8859_1).replace("(2, 3), }", "(1,1,2,3),}").getBytes(StandardCharsets.ISO_8859_1);
        assertMessage("rank > 3", () -> Npy.read(rank, 3, 100));
    }

    @Test
    void badMessagesAreRejected() {
        assertMessage("malformed msgpack", () -> codec.decode(new byte[] {(byte) 0xc1}));
        assertMessage("2147483647 entries", () -> codec.decode(new byte[] {(byte) 0xdd, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        assertMessage("trailing bytes", () -> codec.decode(new byte[] {(byte) 0xc0, (byte) 0xc0}));
        Object deep = List.of(List.of(List.of(List.of(List.of(List.of(1))))));
        assertMessage("deeper than 4", () -> codec.decode(MsgCodec.encode(deep)));
        assertMessage("9 entries, the limit is 8", () -> codec.decode(MsgCodec.encode(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9))));
        assertMessage("ext types", () -> codec.decode(new byte[] {(byte) 0xd4, 1, 0}));
        assertMessage("without 'as_npy'", () -> codec.decode(MsgCodec.encode(Map.of("__ndarray_class__", true))));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable ex) {
        Throwable e = assertThrows(IllegalArgumentException.class, ex);
        assertTrue(e.getMessage().contains(part), "expected \"" + part + "\" in: " + e.getMessage());
    }
}
