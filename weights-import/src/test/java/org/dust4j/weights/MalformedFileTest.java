package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.dust4j.weights.SafetensorsException.Rule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One or more hand-built files per validation rule, each rejected with the expected rule and message. */
class MalformedFileTest {

    private static final String A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    static Stream<Arguments> cases() {
        byte[] bad = {'{', '"', (byte) 0xff, '"', ':', '1', '}'};
        return Stream.of(
                // name, bytes, rule, tensor (null = none), text the message must contain
                Arguments.of("empty file", new byte[0], Rule.FILE_TOO_SMALL, null, "0 bytes"),
                Arguments.of("7 bytes", new byte[7], Rule.FILE_TOO_SMALL, null, "7 bytes"),
                Arguments.of("header length 100000001", StBytes.file(100_000_001L, new byte[0], new byte[0]),
                        Rule.HEADER_TOO_LARGE, null, "100000001"),
                Arguments.of("header length 2^64-1", StBytes.file(-1L, new byte[0], new byte[0]),
                        Rule.HEADER_TOO_LARGE, null, "18446744073709551615"),
                Arguments.of("header past EOF", StBytes.file(64, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]),
                        Rule.HEADER_OUT_OF_BOUNDS, null, "64"),
                Arguments.of("header not UTF-8", StBytes.file(bad.length, bad, new byte[0]), Rule.HEADER_NOT_UTF8, null, "UTF-8"),
                Arguments.of("header empty", StBytes.file("", 0), Rule.HEADER_START, null, "empty"),
                Arguments.of("header is an array", StBytes.file("[1]", 0), Rule.HEADER_START, null, "'{'"),
                Arguments.of("header starts with newline", StBytes.file("\n{}", 0), Rule.HEADER_START, null, "'{'"),
                Arguments.of("truncated JSON", StBytes.file("{\"a\":", 0), Rule.HEADER_JSON, null, "not JSON"),
                Arguments.of("trailing tokens", StBytes.file("{} {}", 0), Rule.HEADER_JSON, null, "not JSON"),
                Arguments.of("single quotes", StBytes.file("{'a':1}", 0), Rule.HEADER_JSON, null, "not JSON"),
                Arguments.of("duplicate tensor", StBytes.file("{" + A + "," + A + "}", 8), Rule.DUPLICATE_NAME, "a", "more than once"),
                Arguments.of("metadata not a map", StBytes.file("{\"__metadata__\":[1]}", 0), Rule.METADATA, null, "an array"),
                Arguments.of("metadata value not a string", StBytes.file("{\"__metadata__\":{\"k\":1}}", 0), Rule.METADATA, null, "'k'"),
                Arguments.of("entry not an object", StBytes.file("{\"a\":5}", 0), Rule.TENSOR_ENTRY, "a", "object"),
                Arguments.of("missing dtype", StBytes.file("{\"a\":{\"shape\":[],\"data_offsets\":[0,0]}}", 0), Rule.TENSOR_ENTRY, "a", "'dtype'"),
                Arguments.of("missing shape", StBytes.file("{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,0]}}", 0), Rule.TENSOR_ENTRY, "a", "'shape'"),
                Arguments.of("missing data_offsets", StBytes.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[]}}", 0), Rule.TENSOR_ENTRY, "a", "'data_offsets'"),
                Arguments.of("negative dim", StBytes.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0), Rule.TENSOR_ENTRY, "a", "non-negative"),
                Arguments.of("float dim", StBytes.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[2.0],\"data_offsets\":[0,2]}}", 2), Rule.TENSOR_ENTRY, "a", "non-negative integers"),
                Arguments.of("three offsets", StBytes.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 1), Rule.TENSOR_ENTRY, "a", "[begin, end]"),
                Arguments.of("dtype not a string", StBytes.file("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,1]}}", 1), Rule.TENSOR_ENTRY, "a", "dtype"),
                Arguments.of("unknown dtype", StBytes.file("{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16), Rule.UNKNOWN_DTYPE, "a", "'F128'"),
                Arguments.of("lower-case dtype", StBytes.file("{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), Rule.UNKNOWN_DTYPE, "a", "'f32'"),
                Arguments.of("end before begin", StBytes.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4), Rule.OFFSETS_REVERSED, "a", "[4, 0]"),
                Arguments.of("not starting at 0", StBytes.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}", 8), Rule.OFFSETS_NOT_CONTIGUOUS, "a", "hole"),
                Arguments.of("hole", StBytes.file("{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16),
                        Rule.OFFSETS_NOT_CONTIGUOUS, "b", "should begin at 8 (a hole)"),
                Arguments.of("overlap", StBytes.file("{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                        Rule.OFFSETS_NOT_CONTIGUOUS, "b", "overlap"),
                Arguments.of("numel overflow", StBytes.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0),
                        Rule.SIZE_OVERFLOW, "a", "2^63 elements"),
                Arguments.of("bytes overflow", StBytes.file("{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", 0),
                        Rule.SIZE_OVERFLOW, "a", "2^63 bytes"),
                Arguments.of("offset above 2^63", StBytes.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,18446744073709551615]}}", 0),
                        Rule.SIZE_OVERFLOW, "a", "exceeds 2^63-1"),
                Arguments.of("size mismatch", StBytes.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4),
                        Rule.SIZE_MISMATCH, "a", "needs 8 bytes"),
                Arguments.of("sub-byte dtype not whole bytes", StBytes.file("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2),
                        Rule.SIZE_MISMATCH, "a", "whole number of bytes"),
                Arguments.of("trailing data", StBytes.file("{" + A + "}", 9), Rule.DATA_NOT_AT_EOF, null, "has 9 data bytes"),
                Arguments.of("truncated data", StBytes.file("{" + A + "}", 7), Rule.DATA_NOT_AT_EOF, null, "ends at byte 8"),
                Arguments.of("no tensors but data", StBytes.file("{}", 3), Rule.DATA_NOT_AT_EOF, null, "ends at byte 0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejects(String name, byte[] bytes, Rule rule, String tensor, String text) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> StBytes.parse(bytes), name);
        assertEquals(rule, e.rule(), e.getMessage());
        assertEquals(tensor, e.tensor(), e.getMessage());
        String m = e.getMessage();
        assertTrue(m.startsWith("test.safetensors: "), m);
        assertTrue(m.contains(rule.label()), m);
        assertTrue(m.contains(text), "expected '" + text + "' in: " + m);
        if (tensor != null) assertTrue(m.contains("tensor '" + tensor + "'"), m);
        assertFalse(m.contains("\n"), "one line: " + m);
    }

    @Test
    void rejectsFromDiskWithThePathInTheMessage(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, StBytes.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f));
        assertEquals(Rule.SIZE_MISMATCH, e.rule());
        assertTrue(e.getMessage().startsWith(f + ": tensor 'a': "), e.getMessage());
        Files.write(f, new byte[3]);
        assertEquals(Rule.FILE_TOO_SMALL, assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(f)).rule());
        SafetensorsException missing = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(dir.resolve("none.safetensors")));
        assertEquals(Rule.IO, missing.rule());
        assertTrue(missing.getMessage().contains("NoSuchFileException"), missing.getMessage());
    }

    @Test
    void duplicateKeyInsideAnEntryIsRejected() {
        byte[] b = StBytes.file("{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0);
        assertEquals(Rule.DUPLICATE_NAME, assertThrows(SafetensorsException.class, () -> StBytes.parse(b)).rule());
    }

    @Test
    void hugeClaimsAreRejectedWithoutAllocating() {
        // a 1e12-element F32 tensor claimed by a 100-byte file: checked against offsets, never allocated
        byte[] b = StBytes.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000000000],\"data_offsets\":[0,4000000000000]}}", 8);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> StBytes.parse(b));
        assertEquals(Rule.DATA_NOT_AT_EOF, e.rule());
    }
}
