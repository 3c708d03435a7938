package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The host index math the kernels use (map_offset) against Tensor's own element addressing. */
class StridedMapTest {

    static void checkAgainstTensor(Tensor view, int[] outShape) {
        StridedMap m = StridedMap.of(view, outShape);
        Tensor e = view.expand(outShape);
        int n = (int) Shape.numel(outShape);
        int[] idx = new int[outShape.length];
        for (int i = 0; i < n; i++) {
            assertEquals(e.index(idx), m.offsetOf(i), "element " + i + " of " + Shape.str(view.shape()) + " -> " + Shape.str(outShape));
            for (int d = outShape.length - 1; d >= 0; d--) {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        assertTrue(m.rank() <= StridedMap.MAX_DIMS);
    }

    @Test
    void viewsAndBroadcastsMapLikeTensorIndex() {
        Tensor base = TestData.randn(1, 7, 33, 5);
        checkAgainstTensor(base, base.shape());
        checkAgainstTensor(base.permute(2, 0, 1), new int[] {5, 7, 33});
        checkAgainstTensor(base.narrow(1, 3, 20).transpose(0, 2), new int[] {5, 20, 7});
        checkAgainstTensor(base.select(1, 4), new int[] {7, 5});
        checkAgainstTensor(TestData.randn(2, 33).reshape(1, 33), new int[] {7, 33});        // row broadcast
        checkAgainstTensor(TestData.randn(3, 7, 1), new int[] {2, 7, 33});                  // column + leading broadcast
        checkAgainstTensor(Tensor.scalar(2f).reshape(), new int[] {1000});
        checkAgainstTensor(TestData.randn(4, 1), new int[] {1});
        checkAgainstTensor(TestData.randn(5, 2, 3, 2, 3, 2, 3, 2, 3).permute(7, 6, 5, 4, 3, 2, 1, 0), new int[] {3, 2, 3, 2, 3, 2, 3, 2});
    }

    @Test
    void moreThanEightUnmergeableDimsIsAClearError() {
        Tensor t = TestData.randn(6, 2, 3, 2, 3, 2, 3, 2, 3, 2).permute(8, 7, 6, 5, 4, 3, 2, 1, 0);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> StridedMap.of(t));
        assertTrue(e.getMessage().contains("at most 8"), e.getMessage());
    }

    @Test
    void contiguousDimsCollapse() {
        StridedMap dense = StridedMap.of(TestData.randn(1, 7, 33, 5));
        assertArrayEquals(new int[] {1155}, dense.shape());
        assertTrue(dense.isDense());
        StridedMap cols = StridedMap.of(TestData.randn(1, 10, 8).narrow(1, 2, 4));
        assertArrayEquals(new int[] {10, 4}, cols.shape());
        assertArrayEquals(new long[] {8, 1}, cols.strides());
        assertEquals(2, cols.offset());
        StridedMap bc = StridedMap.of(TestData.randn(1, 33), new int[] {7, 33});
        assertArrayEquals(new long[] {0, 1}, bc.strides());
    }

    @Test
    void packedLayoutMatchesTheCudaStruct() {
        StridedMap m = StridedMap.of(TestData.randn(1, 4, 6).transpose(0, 1));
        ByteBuffer b = ByteBuffer.wrap(m.pack()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(176, b.capacity());
        assertEquals(2, b.getInt(0));                    // rank
        assertEquals(0L, b.getLong(8));                  // offset
        assertEquals(6, b.getInt(16));                   // shape[0]
        assertEquals(4, b.getInt(20));                   // shape[1]
        assertEquals(1, b.getInt(24));                   // unused dims are 1
        assertEquals(StridedMap.magic(6), b.getInt(48)); // magic[0]
        assertEquals(StridedMap.magic(4), b.getInt(52)); // magic[1]
        assertEquals(1, b.getInt(56));                   // magic of an unused dim (divide by 1)
        assertEquals(3, b.getInt(80));                   // shift[0] = ceil(log2 6)
        assertEquals(2, b.getInt(84));                   // shift[1]
        assertEquals(0, b.getInt(88));
        assertEquals(1L, b.getLong(112));                // stride[0]
        assertEquals(6L, b.getLong(120));                // stride[1]
        assertEquals(0L, b.getLong(128));
    }

    static void checkDivisor(int d, long from, long to) {
        int magic = StridedMap.magic(d), shift = StridedMap.shift(d);
        for (long n = from; n < to; n++) {
            long q = StridedMap.fastDiv(n, magic, shift);
            if (q != n / d) fail("fast_div " + n + " / " + d + " = " + q + ", expected " + (n / d));
        }
    }

    /** The 32-bit divmod of common.cuh (same arithmetic in StridedMap.fastDiv) is exact for every n < 2^31. */
    @Test
    void fastDivisionIsExactOnRanges() {
        long top = Integer.MAX_VALUE + 1L;
        for (int d = 1; d <= 1100; d++) {                                    // every small divisor
            checkDivisor(d, 0, 1 << 14);
            checkDivisor(d, top - (1 << 12), top);
        }
        int[] hard = {3, 7, 641, 1000, 6700417, (1 << 16) + 1, (1 << 30) + 1, (1 << 30) - 1, 1 << 30, Integer.MAX_VALUE, Integer.MAX_VALUE - 1};
        for (int d : hard) {
            checkDivisor(d, 0, 1 << 16);
            checkDivisor(d, top - (1 << 16), top);
            checkDivisor(d, Math.max(0, (long) d - 300), Math.min(top, (long) d + 300));   // around the quotient steps
            checkDivisor(d, Math.max(0, 5L * d - 300), Math.min(top, 5L * d + 300));
        }
        java.util.SplittableRandom r = new java.util.SplittableRandom(12);
        for (int k = 0; k < 200_000; k++) {
            int d = 1 + r.nextInt(Integer.MAX_VALUE);
            long n = r.nextLong(top);
            checkDivisor(d, n, n + 1);
        }
        checkDivisor(7, 0, 1 << 24);                                         // one divisor exhaustively far out
    }

    /** Indices at or above 2^31 take the 64-bit path (same map, same offsets as plain division). */
    @Test
    void indicesBeyondTwoToTheThirtyOneUseSixtyFourBitDivision() {
        StridedMap m = new StridedMap(new int[] {70001, 3, 70003}, new long[] {1, 1L << 33, 70001}, 11);
        for (long i : new long[] {0, 5, Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, 3L * 70001 * 70003 - 1, 12_345_678_901L}) {
            long i0 = i / (3L * 70003), i1 = i / 70003 % 3, i2 = i % 70003;
            assertEquals(11 + i0 + i1 * (1L << 33) + i2 * 70001, m.offsetOf(i), "element " + i);
        }
    }
}
