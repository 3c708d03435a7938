package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SafetensorsWriter#putStreamed}: generated data crossing chunk boundaries, producer misuse. */
class StreamedWriteTest {
    /** A value that depends on the element index only; whole numbers below 2^20 are exact in F32. */
    static float value(long i) {
        return (float) ((i * 0x9E3779B97F4A7C15L) >>> 44);
    }

    @Test
    void streamedTensorsReadBackExactlyAcrossChunks(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("s.safetensors");
        long rows = 3, cols = 700_001;          // 8.4 MB: nine 1 MiB chunks and a partial one
        List<Long> offsets = new ArrayList<>();
        new SafetensorsWriter()
                .put("small", org.dust4j.tensor.Tensor.of(new float[] {1f, 2f}, 2))
                .putStreamed("big", SafeDType.F32, new long[] {rows, cols}, (off, buf) -> {
                    offsets.add(off);
                    assertEquals(0, off % 4, "chunk starts on an element boundary");
                    for (long i = off / 4; buf.hasRemaining(); i++) buf.putFloat(value(i));
                })
                .putStreamed("half", SafeDType.BF16, new long[] {5}, (off, buf) -> {
                    while (buf.hasRemaining()) buf.putShort((short) 0x3f80);   // BF16 1.0
                })
                .write(p);
        assertEquals(9, offsets.size(), "8,400,012 bytes in 1 MiB chunks");
        assertEquals(8L << 20, offsets.get(8));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            float[] got = f.toTensor("big").toFloatArray();
            assertEquals(rows * cols, got.length);
            for (int i = 0; i < got.length; i++) {
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(value(i))) {
                    assertEquals(value(i), got[i], "element " + i);
                }
            }
            float[] h = f.toTensor("half").toFloatArray();
            for (float x : h) assertEquals(1f, x);
            assertEquals(2f, f.toTensor("small").toFloatArray()[1]);
        }
    }

    @Test
    void aProducerThatLeavesBytesUnfilledFailsAndLeavesNoFile(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("bad.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().putStreamed("t", SafeDType.F32, new long[] {10}, (off, buf) -> buf.putFloat(1f));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.write(p));
        assertTrue(e.getMessage().contains("tensor 't': producer left 36 of the bytes at offset 0 unfilled"), e.getMessage());
        assertFalse(Files.exists(p));
        try (var s = Files.list(dir)) {
            assertEquals(0, s.count(), "temp file removed");
        }
    }

    @Test
    void badShapesAreRejectedWhenAdded() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsWriter().putStreamed("t", SafeDType.F32, new long[] {2, -1}, (off, buf) -> {}));
        assertEquals("putStreamed 't': negative dimension in [2, -1]", e.getMessage());
    }
}
