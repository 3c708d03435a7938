package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing: random byte flips, truncations, extensions, header-length edits and JSON-level header edits of
 * a valid file. Every case must either parse (and then read every tensor) or fail with
 * {@link SafetensorsException}; any other exception, a hang (30 s limit) or an OOM fails the test.
 */
class FuzzTest {
    static final int CASES = 20_000;
    static final long SEED = 0x5afe7e45L;
    private static final String[] DTYPES = {"F32", "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL", "I8", "F4", "F8_E4M3", "X", ""};
    private static final String[] NUMBERS = {"0", "1", "-1", "3", "8", "2147483647", "2147483648", "4294967296",
            "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
            "1e3", "2.5", "null", "\"7\"", "[]", "{}"};

    @Test
    void mutatedFilesNeverCrashHangOrAllocateWildly(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base.safetensors");
        new SafetensorsWriter()
                .metadata(Map.of("format", "pt", "note", "fuzz"))
                .put("w", Tensor.of(new float[] {1, -2, 3.5f, 0, 5, 6}, 2, 3))
                .put("b", Tensor.of(new float[] {0.25f, -1e-3f}, 2), SafeDType.BF16)
                .put("h", Tensor.of(new float[] {1, 2, 3}, 3), SafeDType.F16)
                .put("d", Tensor.of(new float[] {7}, 1), SafeDType.F64)
                .put("i", Tensor.ofLongs(new long[] {1, -5}, 2))
                .put("j", Tensor.ofInts(new int[] {9, 8, 7}, 3))
                .put("u", Tensor.ofInts(new int[] {0, 255}, 2), SafeDType.U8)
                .put("m", Tensor.ofInts(new int[] {1, 0, 1}, 3), SafeDType.BOOL)
                .put("s", Tensor.scalar(4f))
                .put("z", Tensor.zeros(0, 4))
                .putRaw("q", SafeDType.I8, new long[] {2}, new byte[] {-1, 1})
                .write(base);
        byte[] valid = Files.readAllBytes(base);
        int headerLen = (int) ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(valid, 8, headerLen, StandardCharsets.UTF_8);

        Map<SafetensorsException.Rule, Integer> rejected = new EnumMap<>(SafetensorsException.Rule.class);
        int[] accepted = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            SplittableRandom rng = new SplittableRandom(SEED);
            for (int c = 0; c < CASES; c++) {
                byte[] m = mutate(valid, header, headerLen, rng);
                try (SafetensorsFile f = StBytes.parse(m)) {
                    long total = 0;
                    for (String name : f.names()) {
                        TensorInfo t = f.info(name);
                        total += f.segment(name).byteSize();
                        if (t.dtype().supported()) {
                            try {
                                Tensor x = f.toTensor(name);
                                assertEquals(t.numel(), x.numel());
                            } catch (SafetensorsException e) {
                                rejected.merge(e.rule(), 1, Integer::sum);
                            }
                        }
                    }
                    assertEquals(m.length - 8 - f.headerLength(), total, "accepted file must be tiled exactly");
                    accepted[0]++;
                } catch (SafetensorsException e) {
                    assertTrue(!e.getMessage().contains("\n"), "one-line message");
                    rejected.merge(e.rule(), 1, Integer::sum);
                } catch (Throwable t) {
                    fail("case " + c + " (seed " + SEED + ") threw " + t, t);
                }
            }
        });
        int total = accepted[0] + rejected.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(total >= CASES, "ran every case");
        // the mutations must reach deep into validation, not only fail the first check
        assertTrue(rejected.size() >= 10, "rules reached: " + rejected);
        assertTrue(accepted[0] > 100, "some mutations stay valid: " + accepted[0]);
        System.out.println("fuzz: " + CASES + " cases, accepted " + accepted[0] + ", rejected by rule " + rejected);
    }

    private static byte[] mutate(byte[] valid, String header, int headerLen, SplittableRandom r) {
        switch (r.nextInt(7)) {
            case 0 -> { // flip random bytes anywhere
                byte[] b = valid.clone();
                for (int k = 1 + r.nextInt(4); k > 0; k--) b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
                return b;
            }
            case 1 -> { // truncate
                return java.util.Arrays.copyOf(valid, r.nextInt(valid.length));
            }
            case 2 -> { // extend
                byte[] b = java.util.Arrays.copyOf(valid, valid.length + 1 + r.nextInt(16));
                for (int i = valid.length; i < b.length; i++) b[i] = (byte) r.nextInt(256);
                return b;
            }
            case 3 -> { // header length field
                byte[] b = valid.clone();
                long n = switch (r.nextInt(4)) {
                    case 0 -> headerLen + r.nextInt(-16, 17);
                    case 1 -> r.nextLong();
                    case 2 -> 100_000_000L + r.nextInt(-2, 3);
                    default -> r.nextInt(valid.length + 8);
                };
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
                return b;
            }
            case 4 -> { // replace one number token in the header, length fixed up
                return withHeader(valid, headerLen, replaceToken(header, r, "0123456789", NUMBERS));
            }
            case 5 -> { // swap a dtype name
                int at = header.indexOf("\"dtype\":\"", r.nextInt(header.length()));
                if (at < 0) at = header.indexOf("\"dtype\":\"");
                int s = at + 9, e = header.indexOf('"', s);
                String h = header.substring(0, s) + DTYPES[r.nextInt(DTYPES.length)] + header.substring(e);
                return withHeader(valid, headerLen, h);
            }
            default -> { // insert or delete a structural character, length fixed up
                StringBuilder h = new StringBuilder(header.stripTrailing());
                int p = r.nextInt(h.length());
                if (r.nextBoolean()) h.deleteCharAt(p);
                else h.insert(p, "{}[],:\"- 0e".charAt(r.nextInt(11)));
                return withHeader(valid, headerLen, h.toString());
            }
        }
    }

    private static String replaceToken(String h, SplittableRandom r, String chars, String[] with) {
        int p = r.nextInt(h.length());
        while (p < h.length() && chars.indexOf(h.charAt(p)) < 0) p++;
        if (p == h.length()) return h;
        int e = p;
        while (e < h.length() && chars.indexOf(h.charAt(e)) >= 0) e++;
        return h.substring(0, p) + with[r.nextInt(with.length)] + h.substring(e);
    }

    /** The same data after a new header, with the length field matching it. */
    private static byte[] withHeader(byte[] valid, int oldLen, String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] data = java.util.Arrays.copyOfRange(valid, 8 + oldLen, valid.length);
        return StBytes.file(h.length, h, data);
    }

    @Test
    void parsesAHeapSegmentWithoutCopying() throws Exception {
        byte[] b = StBytes.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[] {5});
        try (SafetensorsFile f = SafetensorsFile.parse(MemorySegment.ofArray(b), StBytes.LABEL)) {
            b[b.length - 1] = 6;
            assertEquals(6, f.segment("a").get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        }
    }
}
