package org.dust4j.autograd;

import static org.dust4j.autograd.GradCheck.awayFromZero;
import static org.dust4j.autograd.GradCheck.check;
import static org.dust4j.autograd.GradCheck.positive;
import static org.dust4j.autograd.GradCheck.qrandn;

import java.util.List;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of every differentiable op in {@link F} (tolerances explained in {@link GradCheck}). */
class GradCheckTest {

    // ------------------------------------------------------------ binary with broadcasting

    @Test
    void addSubMulDivSameShape() {
        Tensor a = qrandn(1, 1f, 2, 3), b = positive(2, 0.5f, 1.5f, 2, 3);
        check("add", v -> F.add(v[0], v[1]), a, b);
        check("sub", v -> F.sub(v[0], v[1]), a, b);
        check("mul", v -> F.mul(v[0], v[1]), a, b);
        check("div", v -> F.div(v[0], v[1]), a, b);
    }

    @Test
    void binaryBroadcasting() {
        Tensor a = qrandn(3, 1f, 2, 3, 4);
        Tensor col = positive(4, 0.5f, 1.5f, 3, 1), row = positive(5, 0.5f, 1.5f, 4), lead = positive(6, 0.5f, 1f, 2, 1, 1);
        for (Tensor b : new Tensor[] {col, row, lead}) {
            String s = java.util.Arrays.toString(b.shape());
            check("add bcast " + s, v -> F.add(v[0], v[1]), a, b);
            check("sub bcast " + s, v -> F.sub(v[1], v[0]), a, b);
            check("mul bcast " + s, v -> F.mul(v[0], v[1]), a, b);
            check("div bcast " + s, v -> F.div(v[0], v[1]), a, b);
        }
        // both sides broadcast: [3,1] with [1,4]
        check("mul both bcast", v -> F.mul(v[0], v[1]), qrandn(7, 1f, 3, 1), qrandn(8, 1f, 1, 4));
    }

    @Test
    void scalarOps() {
        Tensor x = positive(9, 0.5f, 1.5f, 3, 4);
        check("add scalar", v -> F.add(v[0], 1.5f), x);
        check("mul scalar", v -> F.mul(v[0], -2.5f), x);
        check("pow 3", v -> F.pow(v[0], 3f), x);
        check("pow -0.5", v -> F.pow(v[0], -0.5f), x);
        check("pow 1.5", v -> F.pow(v[0], 1.5f), x);
    }

    // ------------------------------------------------------------ unary

    @Test
    void unaryOps() {
        Tensor x = qrandn(10, 1f, 2, 5);
        Tensor pos = positive(11, 0.5f, 2f, 2, 5);
        check("neg", v -> F.neg(v[0]), x);
        check("exp", v -> F.exp(v[0]), x);
        check("log", v -> F.log(v[0]), pos);
        check("sqrt", v -> F.sqrt(v[0]), pos);
        check("rsqrt", v -> F.rsqrt(v[0]), pos);
        check("tanh", v -> F.tanh(v[0]), x);
        check("sigmoid", v -> F.sigmoid(v[0]), x);
        check("silu", v -> F.silu(v[0]), qrandn(12, 2f, 2, 5));
        check("gelu", v -> F.gelu(v[0]), qrandn(13, 2f, 2, 5));
        check("square", v -> F.square(v[0]), x);
        // relu has a kink at 0: keep every element more than 2h away from it
        check("relu", v -> F.relu(v[0]), awayFromZero(14, 0.1f, 2, 5));
    }

    // ------------------------------------------------------------ reductions

    @Test
    void sumAndMean() {
        Tensor x = qrandn(20, 1f, 2, 3, 4);
        check("sum all", v -> F.sum(v[0]), x);
        check("mean all", v -> F.mean(v[0]), x);
        for (int axis : new int[] {0, 1, -1}) {
            check("sum axis " + axis, v -> F.sum(v[0], axis, false), x);
            check("sum axis keep " + axis, v -> F.sum(v[0], axis, true), x);
            check("mean axis " + axis, v -> F.mean(v[0], axis, false), x);
            check("mean axis keep " + axis, v -> F.mean(v[0], axis, true), x);
        }
        check("sum of transposed view", v -> F.sum(F.transpose(v[0], 0, 2), 1, false), x);
    }

    @Test
    void maxAwayFromTies() {
        // distinct multiples of 1/4 (gaps of 1/4 > 4h): the maximum never changes under the perturbation
        float[] d = new float[24];
        for (int i = 0; i < d.length; i++) d[i] = 0.25f * ((i * 7) % 24) - 3f;
        Tensor x = Tensor.of(d, 2, 3, 4);
        for (int axis : new int[] {0, 1, 2}) {
            check("max axis " + axis, v -> F.max(v[0], axis, false), x);
            check("max axis keep " + axis, v -> F.max(v[0], axis, true), x);
        }
    }

    // ------------------------------------------------------------ softmax and norms

    @Test
    void softmax() {
        Tensor x = qrandn(30, 2f, 3, 5);
        check("softmax", v -> F.softmax(v[0]), x);
        check("softmax of transposed view", v -> F.softmax(F.transpose(v[0], 0, 1)), x);
        check("softmax rank 3", v -> F.softmax(v[0]), qrandn(31, 1f, 2, 2, 4));
    }

    @Test
    void layerNorm() {
        Tensor x = qrandn(40, 1f, 2, 3, 6), w = qrandn(41, 1f, 6), b = qrandn(42, 1f, 6);
        check("layerNorm affine", v -> F.layerNorm(v[0], v[1], v[2], 1e-5f), x, w, b);
        check("layerNorm weight only", v -> F.layerNorm(v[0], v[1], null, 1e-5f), x, w);
        check("layerNorm plain", v -> F.layerNorm(v[0], null, null, 1e-5f), x);
        check("layerNorm bias only", v -> F.layerNorm(v[0], null, v[1], 1e-6f), x, b);
        check("layerNorm of permuted view", v -> F.layerNorm(F.transpose(v[0], 1, 2), null, null, 1e-5f), qrandn(43, 1f, 2, 6, 3));
    }

    @Test
    void rmsNorm() {
        Tensor x = qrandn(50, 1f, 3, 7), w = qrandn(51, 1f, 7);
        check("rmsNorm weight", v -> F.rmsNorm(v[0], v[1], 1e-6f), x, w);
        check("rmsNorm plain", v -> F.rmsNorm(v[0], null, 1e-6f), x);
        check("rmsNorm rank 3", v -> F.rmsNorm(v[0], v[1], 1e-5f), qrandn(52, 1f, 2, 2, 7), w);
    }

    // ------------------------------------------------------------ linear algebra

    @Test
    void matmul() {
        check("matmul 2d", v -> F.matmul(v[0], v[1]), qrandn(60, 1f, 3, 4), qrandn(61, 1f, 4, 5));
        check("matmul batched", v -> F.matmul(v[0], v[1]), qrandn(62, 1f, 2, 3, 4), qrandn(63, 1f, 2, 4, 2));
        check("matmul 3d @ shared 2d", v -> F.matmul(v[0], v[1]), qrandn(64, 1f, 2, 3, 4), qrandn(65, 1f, 4, 2));
        check("matmul shared 2d @ 3d", v -> F.matmul(v[0], v[1]), qrandn(66, 1f, 3, 4), qrandn(67, 1f, 2, 4, 2));
        check("matmul of transposed views", v -> F.matmul(F.transpose(v[0], 0, 1), F.transpose(v[1], 0, 1)),
                qrandn(68, 1f, 4, 3), qrandn(69, 1f, 5, 4));
        check("matmul batched transposed", v -> F.matmul(v[0], F.transpose(v[1], 1, 2)),
                qrandn(70, 1f, 2, 3, 4), qrandn(71, 1f, 2, 5, 4));
    }

    @Test
    void linear() {
        Tensor w = qrandn(80, 0.5f, 5, 4), b = qrandn(81, 1f, 5);
        check("linear 2d bias", v -> F.linear(v[0], v[1], v[2]), qrandn(82, 1f, 3, 4), w, b);
        check("linear 3d bias", v -> F.linear(v[0], v[1], v[2]), qrandn(83, 1f, 2, 3, 4), w, b);
        check("linear no bias", v -> F.linear(v[0], v[1], null), qrandn(84, 1f, 2, 3, 4), w);
        check("linear 1d input", v -> F.linear(v[0], v[1], v[2]), qrandn(85, 1f, 4), w, b);
        check("linear of permuted input", v -> F.linear(F.transpose(v[0], 0, 1), v[1], v[2]), qrandn(86, 1f, 4, 3), w, b);
        check("linear constant input", v -> F.linear(v[0], v[1], v[2]), new boolean[] {false, true, true},
                qrandn(87, 1f, 3, 4), w, b);
    }

    @Test
    void attention() {
        float scale = (float) (1 / Math.sqrt(4));
        check("self attention", v -> F.attention(v[0], v[1], v[2], scale),
                qrandn(90, 1f, 1, 2, 3, 4), qrandn(91, 1f, 1, 2, 3, 4), qrandn(92, 1f, 1, 2, 3, 4));
        check("cross attention", v -> F.attention(v[0], v[1], v[2], 0.7f),
                qrandn(93, 1f, 2, 1, 2, 4), qrandn(94, 1f, 2, 1, 5, 4), qrandn(95, 1f, 2, 1, 5, 4));
        // heads split out of [B,T,H,dh] by permute, as the Attention module does
        check("attention of permuted views", v -> F.attention(F.permute(v[0], 0, 2, 1, 3), F.permute(v[1], 0, 2, 1, 3),
                        F.permute(v[2], 0, 2, 1, 3), scale),
                qrandn(96, 1f, 1, 3, 2, 4), qrandn(97, 1f, 1, 4, 2, 4), qrandn(98, 1f, 1, 4, 2, 4));
    }

    // ------------------------------------------------------------ indexing and views

    @Test
    void embeddingRepeatedIndices() {
        Tensor idx = Tensor.ofLongs(new long[] {2, 0, 2, 3, 2, 0}, 2, 3);
        check("embedding", v -> F.embedding(v[0], idx), qrandn(100, 1f, 5, 3));
        Tensor idx32 = Tensor.ofInts(new int[] {1, 1, 1}, 3);
        check("embedding int32", v -> F.embedding(v[0], idx32), qrandn(101, 1f, 4, 2));
    }

    @Test
    void concat() {
        Tensor a = qrandn(110, 1f, 2, 1, 3), b = qrandn(111, 1f, 2, 4, 3), c = qrandn(112, 1f, 2, 2, 3);
        check("concat axis 1", v -> F.concat(List.of(v[0], v[1], v[2]), 1), a, b, c);
        check("concat axis -1", v -> F.concat(List.of(v[0], v[1]), -1), qrandn(113, 1f, 2, 3), qrandn(114, 1f, 2, 2));
        check("concat with a constant", v -> F.concat(List.of(v[0], v[1]), 0), new boolean[] {true, false},
                qrandn(115, 1f, 1, 3), qrandn(116, 1f, 2, 3));
        check("concat same var twice", v -> F.concat(List.of(v[0], v[0]), 0), qrandn(117, 1f, 2, 3));
    }

    @Test
    void views() {
        Tensor x = qrandn(120, 1f, 2, 3, 4);
        check("narrow", v -> F.narrow(v[0], 2, 1, 2), x);
        check("narrow twice overlapping", v -> F.add(F.narrow(v[0], 1, 0, 2), F.narrow(v[0], 1, 1, 2)), x);
        check("reshape", v -> F.reshape(v[0], 6, -1), x);
        check("reshape of non-contiguous", v -> F.reshape(F.transpose(v[0], 0, 2), 4, 6), x);
        check("transpose", v -> F.transpose(v[0], 0, 1), x);
        check("permute", v -> F.permute(v[0], 2, 0, 1), x);
        check("unsqueeze", v -> F.unsqueeze(v[0], 1), x);
        check("unsqueeze last", v -> F.unsqueeze(v[0], -1), x);
        check("squeeze", v -> F.squeeze(v[0], 1), qrandn(121, 1f, 3, 1, 2));
        // a view chain feeding a reduction and an element-wise op, with the input used twice
        check("view chain", v -> F.mul(F.reshape(F.permute(v[0], 1, 0, 2), 3, 8), F.reshape(v[0], 3, 8)), x);
    }

    // ------------------------------------------------------------ dropout and loss

    @Test
    void dropoutFixedMask() {
        Tensor x = qrandn(130, 1f, 4, 8);
        check("dropout p=0.3", v -> F.dropout(v[0], 0.3f, 1234L, true), x);
        check("dropout p=0.5", v -> F.dropout(F.mul(v[0], v[0]), 0.5f, 99L, true), x);
        check("dropout eval", v -> F.dropout(v[0], 0.5f, 99L, false), x);
    }

    @Test
    void mseLoss() {
        Tensor p = qrandn(140, 1f, 3, 4), t = qrandn(141, 1f, 3, 4);
        check("mseLoss", v -> F.mseLoss(v[0], v[1]), p, t);
        check("mseLoss const target", v -> F.mseLoss(v[0], v[1]), new boolean[] {true, false}, p, t);
    }

    @Test
    void composedBlock() {
        // a small pre-norm MLP block: linear -> gelu -> linear + residual, then layerNorm and a loss
        Tensor x = qrandn(150, 1f, 2, 3, 4), w1 = qrandn(151, 0.5f, 6, 4), w2 = qrandn(152, 0.5f, 4, 6), g = qrandn(153, 1f, 4);
        check("block", v -> F.mseLoss(F.layerNorm(F.add(v[0], F.linear(F.gelu(F.linear(v[0], v[1], null)), v[2], null)),
                v[3], null, 1e-5f), Var.constant(Tensor.zeros(2, 3, 4))), x, w1, w2, g);
    }
}
