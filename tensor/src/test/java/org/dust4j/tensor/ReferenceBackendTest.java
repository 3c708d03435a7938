package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The oracle itself, checked against values worked out by hand, and its error messages word for word. */
class ReferenceBackendTest {
    static final ReferenceBackend REF = Backends.reference();

    static Tensor m23() {
        return Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    }

    @Test
    void binaryBroadcastsLikePyTorch() {
        Tensor r = REF.binary(Ops.Binary.ADD, m23(), Tensor.of(new float[] {10, 20, 30}, 3));
        assertArrayEquals(new int[] {2, 3}, r.shape());
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, r.toFloatArray());
        Tensor c = REF.binary(Ops.Binary.SUB, m23(), Tensor.of(new float[] {1, 4}, 2, 1));
        assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2}, c.toFloatArray());
        Tensor mx = REF.binary(Ops.Binary.MAX, Tensor.of(new float[] {1, Float.NaN, -0f}, 3), Tensor.of(new float[] {Float.NaN, 2, 0f}, 3));
        assertArrayEquals(new float[] {Float.NaN, Float.NaN, 0f}, mx.toFloatArray());
        assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(mx.toFloatArray()[2]), "max(-0, 0) = +0");
    }

    @Test
    void scalarAndUnaryValues() {
        Tensor x = Tensor.of(new float[] {2, 4}, 2);
        assertArrayEquals(new float[] {-1, -3}, REF.scalar(Ops.Scalar.RSUB, x, 1).toFloatArray());
        assertArrayEquals(new float[] {0.5f, 0.25f}, REF.scalar(Ops.Scalar.RDIV, x, 1).toFloatArray());
        assertArrayEquals(new float[] {8, 64}, REF.scalar(Ops.Scalar.POW, x, 3).toFloatArray());
        assertArrayEquals(new float[] {3, 4}, REF.scalar(Ops.Scalar.MAX, x, 3).toFloatArray());
        Tensor v = Tensor.of(new float[] {0, 1, -1}, 3);
        // sigmoid(1) = 1/(1+e^-1) = 0.7310585786; silu(1) = sigmoid(1); gelu_tanh(1) = 0.5(1+tanh(0.7978845608*1.044715))
        assertArrayEquals(new float[] {0.5f, 0.7310585786f, 0.2689414214f}, REF.unary(Ops.Unary.SIGMOID, v).toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {0f, 0.7310585786f, -0.2689414214f}, REF.unary(Ops.Unary.SILU, v).toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {0f, 0.8411919906f, -0.1588080094f}, REF.unary(Ops.Unary.GELU_TANH, v).toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {0f, 1f, 0f}, REF.unary(Ops.Unary.RELU, v).toFloatArray());
        assertArrayEquals(new float[] {(float) (1 / Math.sqrt(2)), 0.5f}, REF.unary(Ops.Unary.RSQRT, x).toFloatArray());
        // d/dx tanh at 0 is 1; d/dx x^2 at 3 is 6; d/dx relu at -1 is 0; d/dx sigmoid at 0 is 1/4
        Tensor at = Tensor.of(new float[] {0, 3, -1}, 3), g = Tensor.of(new float[] {2, 2, 2}, 3);
        assertArrayEquals(new float[] {2, 2 * (1 - (float) (Math.tanh(3) * Math.tanh(3))), 2 * (1 - (float) (Math.tanh(1) * Math.tanh(1)))},
                REF.unaryBackward(Ops.Unary.TANH, at, g).toFloatArray(), 1e-6f);
        assertArrayEquals(new float[] {0, 12, -4}, REF.unaryBackward(Ops.Unary.SQUARE, at, g).toFloatArray());
        assertArrayEquals(new float[] {0, 2, 0}, REF.unaryBackward(Ops.Unary.RELU, at, g).toFloatArray());
        assertEquals(0.5f, REF.unaryBackward(Ops.Unary.SIGMOID, at, g).toFloatArray()[0], 1e-7f);
    }

    @Test
    void reductionsAndSumTo() {
        assertArrayEquals(new float[] {5, 7, 9}, REF.reduce(Ops.Reduce.SUM, m23(), 0, false).toFloatArray());
        assertArrayEquals(new float[] {6, 15}, REF.reduce(Ops.Reduce.SUM, m23(), -1, false).toFloatArray());
        assertArrayEquals(new float[] {2, 5}, REF.reduce(Ops.Reduce.MEAN, m23(), 1, false).toFloatArray());
        Tensor mx = REF.reduce(Ops.Reduce.MAX, m23(), 0, true);
        assertArrayEquals(new int[] {1, 3}, mx.shape());
        assertArrayEquals(new float[] {4, 5, 6}, mx.toFloatArray());
        assertArrayEquals(new float[] {5, 7, 9}, REF.sumTo(m23(), new int[] {1, 3}).toFloatArray());
        assertArrayEquals(new int[] {2, 1}, REF.sumTo(m23(), new int[] {2, 1}).shape());
        assertArrayEquals(new float[] {6, 15}, REF.sumTo(m23(), new int[] {2, 1}).toFloatArray());
        assertArrayEquals(new float[] {21}, REF.sumTo(m23(), new int[] {}).toFloatArray());
        assertEquals(21.0, REF.sumAll(m23()));
        assertEquals(91.0, REF.sumSquares(m23()));
    }

    @Test
    void softmaxValues() {
        Tensor s = REF.softmax(Tensor.of(new float[] {0, (float) Math.log(2), 5, 5, 5, 5}, 2, 3));
        // row 0: e^0 : e^ln2 : e^5 normalised; row 1: equal inputs give 1/3 each
        double z = 1 + 2 + Math.exp(5);
        assertArrayEquals(new float[] {(float) (1 / z), (float) (2 / z), (float) (Math.exp(5) / z), 1 / 3f, 1 / 3f, 1 / 3f}, s.toFloatArray(), 1e-7f);
        // huge inputs are stable because the row max is subtracted first
        assertArrayEquals(new float[] {0.5f, 0.5f}, REF.softmax(Tensor.of(new float[] {1e30f, 1e30f}, 2)).toFloatArray());
        // backward: y = (1/2, 1/2), g = (1, 0): dot = 1/2, y (g - dot) = (1/4, -1/4)
        Tensor y = Tensor.of(new float[] {0.5f, 0.5f}, 2);
        assertArrayEquals(new float[] {0.25f, -0.25f}, REF.softmaxBackward(y, Tensor.of(new float[] {1, 0}, 2)).toFloatArray());
    }

    @Test
    void indexingValues() {
        Tensor table = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 3, 2);
        Tensor e = REF.embedding(table, Tensor.ofLongs(new long[] {2, 0}, 2));
        assertArrayEquals(new float[] {4, 5, 0, 1}, e.toFloatArray());
        Tensor src = Tensor.of(new float[] {1, 1, 2, 2, 3, 3}, 3, 2);
        Tensor sc = REF.scatterAddRows(src, Tensor.ofInts(new int[] {1, 0, 1}, 3), 3);
        assertArrayEquals(new float[] {2, 2, 4, 4, 0, 0}, sc.toFloatArray());
        Tensor c = REF.concat(List.of(Tensor.of(new float[] {1, 2}, 1, 2), Tensor.of(new float[] {3, 4, 5, 6}, 2, 2)), 0);
        assertArrayEquals(new int[] {3, 2}, c.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, c.toFloatArray());
        Tensor c1 = REF.concat(List.of(Tensor.of(new float[] {1, 2}, 2, 1), Tensor.of(new float[] {3, 4, 5, 6}, 2, 2)), 1);
        assertArrayEquals(new float[] {1, 3, 4, 2, 5, 6}, c1.toFloatArray());
    }

    @Test
    void adamwOneStepByHand() {
        // torch.optim.AdamW, step 1, p=1, g=0.5, lr=0.1, betas (0.9, 0.999), eps 1e-8, wd 0.01:
        // p <- 1 * (1 - 0.1*0.01) = 0.999; m = 0.05; v = 0.001 * 0.25 = 2.5e-4; bias corrections 0.1 and 0.001;
        // denom = sqrt(2.5e-4)/sqrt(0.001) + 1e-8 = 0.5 + 1e-8; p <- 0.999 - (0.1/0.1) * 0.05/0.5 = 0.899
        Tensor p = Tensor.of(new float[] {1}, 1), g = Tensor.of(new float[] {0.5f}, 1), m = Tensor.zeros(1), v = Tensor.zeros(1);
        REF.adamw(p, g, m, v, 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, 1);
        assertEquals(0.899f, p.toFloatArray()[0], 1e-6f);
        assertEquals(0.05f, m.toFloatArray()[0], 1e-7f);   // 1 - 0.9f rounds to 0.09999996 in float, as in torch
        assertEquals((float) ((1 - (double) 0.999f) * 0.25), v.toFloatArray()[0], 1e-11f);   // 1 - 0.999f = 0.000999987
    }

    @Test
    void conversionsRoundToNearestEven() {
        // 1 + 2^-8 lies halfway between bf16 1.0 (0x3f80) and 1.0078125 (0x3f81): ties go to the even 0x3f80;
        // 1 + 3*2^-8 lies halfway between 0x3f81 and 0x3f82: ties go to 0x3f82
        Tensor bf = REF.convert(Tensor.of(new float[] {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, Float.NaN, -2f}, 4), DType.BF16);
        short[] bits = ((CpuStorage.Shorts) bf.storage()).data();
        assertEquals((short) 0x3f80, bits[0]);
        assertEquals((short) 0x3f82, bits[1]);
        assertTrue(Float.isNaN(Half.bf16ToFloat(bits[2])) && (bits[2] & 0x0040) != 0, "NaN stays a quiet NaN");
        assertEquals((short) 0xc000, bits[3]);
        Tensor ints = REF.convert(Tensor.of(new float[] {-2.7f, 2.7f}, 2), DType.I64);
        assertArrayEquals(new long[] {-2, 2}, ints.toLongArray());
        Tensor dst = Tensor.zeros(2, 3);
        REF.copyInto(Tensor.of(new float[] {7, 8, 9}, 3), dst);
        assertArrayEquals(new float[] {7, 8, 9, 7, 8, 9}, dst.toFloatArray());
    }

    @Test
    void randomHasTheRightMoments() {
        float[] u = REF.random(1, false, 100_000).toFloatArray(), n = REF.random(1, true, 100_000).toFloatArray();
        double su = 0, sn = 0, sn2 = 0;
        for (int i = 0; i < u.length; i++) {
            assertTrue(u[i] >= 0 && u[i] < 1, "uniform in [0,1)");
            su += u[i];
            sn += n[i];
            sn2 += (double) n[i] * n[i];
        }
        // standard errors over 1e5 draws: mean of U ~ 0.0009, mean of N ~ 0.0032, variance of N ~ 0.0045; 5 sigma
        assertEquals(0.5, su / u.length, 0.005);
        assertEquals(0.0, sn / n.length, 0.016);
        assertEquals(1.0, sn2 / n.length - (sn / n.length) * (sn / n.length), 0.023);
        assertEquals(Rng.normal(1, 12345), n[12345]);
    }

    @Test
    void errorMessagesWordForWord() {
        assertEquals("add: shapes [2, 3] and [4] cannot be broadcast (dim 1: 3 vs 4)",
                assertThrows(IllegalArgumentException.class, () -> REF.binary(Ops.Binary.ADD, m23(), Tensor.zeros(4))).getMessage());
        assertEquals("embedding: index 5 out of range [0, 3)",
                assertThrows(IndexOutOfBoundsException.class, () -> REF.embedding(Tensor.zeros(3, 2), Tensor.ofLongs(new long[] {5}, 1))).getMessage());
        assertEquals("softmax: expects F32 input, got BF16 of shape [2] (convert with to(DType.F32))",
                assertThrows(IllegalArgumentException.class, () -> REF.softmax(Tensor.zeros(DType.BF16, 2))).getMessage());
        assertEquals("exp backward: gradOut has shape [3], expected [2]",
                assertThrows(IllegalArgumentException.class, () -> REF.unaryBackward(Ops.Unary.EXP, Tensor.zeros(2), Tensor.zeros(3))).getMessage());
        assertEquals("sum: axis 2 out of range for rank 2",
                assertThrows(IllegalArgumentException.class, () -> REF.reduce(Ops.Reduce.SUM, m23(), 2, false)).getMessage());
        assertEquals("copyInto: source [3, 1] does not broadcast to [1, 4]",
                assertThrows(IllegalArgumentException.class, () -> REF.copyInto(Tensor.zeros(3, 1), Tensor.zeros(1, 4))).getMessage());
        assertEquals("concat: shapes [3, 4] and [3, 5] differ outside axis 0",
                assertThrows(IllegalArgumentException.class, () -> REF.concat(List.of(Tensor.zeros(3, 4), Tensor.zeros(3, 5)), 0)).getMessage());
        assertEquals("adamw: step counts from 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> REF.adamw(Tensor.zeros(1), Tensor.zeros(1), Tensor.zeros(1), Tensor.zeros(1),
                        0.1f, 0.9f, 0.99f, 1e-8f, 0f, 0)).getMessage());
    }
}
