package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorViewTest {

    static Tensor iota(int... shape) {
        float[] d = new float[(int) Shape.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return Tensor.of(d, shape);
    }

    @Test
    void transposeIsAViewWithSwappedStrides() {
        Tensor x = iota(2, 3);
        Tensor t = x.transpose(0, 1);
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertSame(x.storage(), t.storage());
        assertFalse(t.isContiguous());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.toFloatArray());
        Tensor c = t.contiguous();
        assertTrue(c.isContiguous());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, c.toFloatArray());
    }

    @Test
    void narrowSelectAndPermute() {
        Tensor x = iota(2, 3, 4);
        assertArrayEquals(new float[] {13, 14}, x.select(0, 1).select(0, 0).narrow(0, 1, 2).toFloatArray());
        Tensor p = x.permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertEquals(x.getFloat(1, 2, 3), p.getFloat(3, 1, 2));
    }

    @Test
    void expandBroadcastsWithZeroStrides() {
        Tensor row = iota(3);
        Tensor e = row.expand(2, 3);
        assertArrayEquals(new int[] {0, 1}, e.strides());
        assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2}, e.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> iota(2).expand(3));
    }

    @Test
    void reshapeInfersAndRejectsNonContiguous() {
        Tensor x = iota(2, 3, 4);
        assertArrayEquals(new int[] {6, 4}, x.reshape(-1, 4).shape());
        var e = assertThrows(IllegalArgumentException.class, () -> x.reshape(5, -1));
        assertTrue(e.getMessage().contains("[5, -1]"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> x.transpose(1, 2).reshape(24));
        assertTrue(e2.getMessage().contains("not contiguous"), e2.getMessage());
    }

    @Test
    void indexOutOfRangeNamesIndexAndBound() {
        Tensor x = iota(2, 3);
        var e = assertThrows(IndexOutOfBoundsException.class, () -> x.getFloat(1, 3));
        assertTrue(e.getMessage().contains("index 3") && e.getMessage().contains("[0, 3)"), e.getMessage());
    }

    @Test
    void unsqueezeSqueezeRoundTrip() {
        Tensor x = iota(2, 3);
        Tensor u = x.unsqueeze(1);
        assertArrayEquals(new int[] {2, 1, 3}, u.shape());
        assertTrue(u.isContiguous());
        assertArrayEquals(x.toFloatArray(), u.squeeze(1).toFloatArray());
    }

    @Test
    void broadcastFollowsTorchRules() {
        assertArrayEquals(new int[] {4, 2, 3}, Shape.broadcast("add", new int[] {2, 1}, new int[] {4, 1, 3}));
        var e = assertThrows(IllegalArgumentException.class, () -> Shape.broadcast("add", new int[] {2, 3}, new int[] {4}));
        assertTrue(e.getMessage().contains("add") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"), e.getMessage());
    }

    @Test
    void halfConversionsRoundToNearestEven() {
        // 1 + 2^-8 lies exactly between two bf16 values (1 and 1+2^-7): ties go to the even mantissa, 1.
        assertEquals(1.0f, Half.bf16ToFloat(Half.floatToBf16(1.0f + 0x1p-8f)));
        // 1 + 3*2^-8 lies between 1+2^-7 (odd) and 1+2^-6 (even): ties go to 1+2^-6.
        assertEquals(1.0f + 0x1p-6f, Half.bf16ToFloat(Half.floatToBf16(1.0f + 3 * 0x1p-8f)));
        assertTrue(Float.isNaN(Half.bf16ToFloat(Half.floatToBf16(Float.NaN))));
        assertEquals(Float.POSITIVE_INFINITY, Half.bf16ToFloat(Half.floatToBf16(Float.MAX_VALUE)));
        // f16: 1 + 2^-11 is a tie between 1 and 1+2^-10: rounds to 1.
        assertEquals(1.0f, Half.f16ToFloat(Half.floatToF16(1.0f + 0x1p-11f)));
        assertEquals(65504f, Half.f16ToFloat(Half.floatToF16(65504f)));
    }
}
