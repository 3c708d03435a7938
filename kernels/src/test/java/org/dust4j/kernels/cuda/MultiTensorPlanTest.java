package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The multi-tensor AdamW chunk table covers every element exactly once. */
class MultiTensorPlanTest {
    @Test
    void chunksCoverEveryElementOnce() {
        long[] sizes = {1, 0, 7, 4096, 4097, 1000};
        MultiTensorPlan p = MultiTensorPlan.of(sizes, 4096);
        assertEquals(1 + 0 + 1 + 1 + 2 + 1, p.chunks());
        assertArrayEquals(new int[] {0, 2, 3, 4, 4, 5}, p.chunkTensor());
        assertArrayEquals(new long[] {0, 0, 0, 0, 4096, 0}, p.chunkStart());
        long[] covered = new long[sizes.length];
        for (int c = 0; c < p.chunks(); c++) {
            int t = p.chunkTensor()[c];
            covered[t] += Math.min(sizes[t], p.chunkStart()[c] + 4096) - p.chunkStart()[c];
        }
        assertArrayEquals(sizes, covered);
        ByteBuffer b = ByteBuffer.wrap(p.packChunks()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(16 * 6, b.capacity());
        assertEquals(4, b.getInt(16 * 4));
        assertEquals(4096L, b.getLong(16 * 4 + 8));
        ByteBuffer t = ByteBuffer.wrap(MultiTensorPlan.packTensors(new long[][] {{1, 2, 3, 4}}, new long[] {9})).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(40, t.capacity());
        assertEquals(3L, t.getLong(16));
        assertEquals(9L, t.getLong(32));
    }
}
