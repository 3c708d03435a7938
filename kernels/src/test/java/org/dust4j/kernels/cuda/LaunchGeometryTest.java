package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Grid/block arithmetic and the attention tiling math, by hand. */
class LaunchGeometryTest {
    @Test
    void elementwiseCoversEveryElementAndCapsTheGrid() {
        for (long n : new long[] {0, 1, 7, 33, 255, 256, 257, 1000, 1L << 31}) {
            LaunchGeometry.Launch l = LaunchGeometry.elementwise(n);
            assertEquals(256, l.block()[0]);
            assertTrue(l.grid()[0] >= 1 && l.grid()[0] <= LaunchGeometry.MAX_ELEMENTWISE_BLOCKS);
            // grid-stride: any grid covers n; without the cap exactly ceil(n/256) blocks
            if (n <= 256L * LaunchGeometry.MAX_ELEMENTWISE_BLOCKS) assertEquals(Math.max(1, (n + 255) / 256), l.grid()[0]);
        }
        assertEquals(4, LaunchGeometry.elementwise(1000).grid()[0]);
    }

    @Test
    void rowsAndNormSharedMemory() {
        LaunchGeometry.Launch l = LaunchGeometry.rows(33, LaunchGeometry.normSmemFloats(1000, true));
        assertArrayEquals(new int[] {33, 1, 1}, l.grid());
        assertEquals(8000, l.smemBytes());
        assertEquals(1, LaunchGeometry.rows(0, 0).grid()[0]);
        var e = assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.rows(2, LaunchGeometry.normSmemFloats(8192, true)));
        assertTrue(e.getMessage().contains("shared memory"), e.getMessage());
    }

    @Test
    void attentionTiling() {
        assertEquals(8, LaunchGeometry.attentionLanes(128));
        assertEquals(4, LaunchGeometry.attentionLanes(48));
        assertEquals(16, LaunchGeometry.attentionRows(128));
        assertEquals(32, LaunchGeometry.attentionRows(64));
        LaunchGeometry.Launch l = LaunchGeometry.attention(1000, 6, 64);
        assertArrayEquals(new int[] {32, 6, 1}, l.grid());          // ceil(1000/32)
        assertArrayEquals(new int[] {128, 1, 1}, l.block());
        assertArrayEquals(new int[] {63, 2, 1}, LaunchGeometry.attention(1000, 2, 128).grid());   // ceil(1000/16)
        assertArrayEquals(new int[] {1, 1, 1}, LaunchGeometry.attention(1, 1, 32).grid());
        assertArrayEquals(new int[] {3, 1, 1}, LaunchGeometry.attention(33, 1, 128).grid());
        // static shared memory of the largest instantiation fits without opt-in
        assertEquals(32768, LaunchGeometry.attentionSmemBytes(128, false));
        assertTrue(LaunchGeometry.attentionSmemBytes(128, true) <= LaunchGeometry.SMEM_LIMIT);
        for (int d : new int[] {32, 48, 64, 128}) {
            assertTrue(LaunchGeometry.attentionHeadDimSupported(d));
            assertEquals(0, d % (4 * LaunchGeometry.attentionLanes(d)), "float4 chunks per lane for d=" + d);
        }
        assertFalse(LaunchGeometry.attentionHeadDimSupported(96));
        var e = assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.attention(8, 1, 96));
        assertTrue(e.getMessage().contains("head dim 96"), e.getMessage());
        assertArrayEquals(new int[] {125, 1, 1}, LaunchGeometry.attentionDelta(1000).grid());
    }

    @Test
    void gemmTilesAndGridLimits() {
        assertArrayEquals(new int[] {16, 1, 3}, LaunchGeometry.gemmTiles(33, 1000, 3).grid());
        assertArrayEquals(new int[] {1, 16, 1}, LaunchGeometry.gemmTiles(1000, 1, 1).grid());
        assertArrayEquals(new int[] {16, 16, 1}, LaunchGeometry.gemmTiles(7, 7, 1).block());
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.gemmTiles(8, 8, 70000));
        assertArrayEquals(new int[] {32, 7, 1}, LaunchGeometry.groupedColumns(1000, 7).grid());
    }
}
