package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The fused ops of the {@link Backend} SPI as the reference and CPU backends inherit them (defaults composed from their
 * ops) against {@link FusedReference}, the independent scalar loops the CUDA kernels are tested against, on odd shapes
 * with modulation rows that are column chunks of a wider tensor. Tolerances: the defaults round each intermediate to
 * float, the oracle accumulates in double: atol 1e-5 / rtol 1e-5 on O(1) values, 1e-4 on sums over T or B*T rows.
 */
class FusedDefaultsTest {
    static final FusedReference O = new FusedReference();
    static final List<Backend> BACKENDS = List.of(Backends.reference(), Backends.cpu());
    static final int[][] SHAPES = {{1, 1, 1}, {1, 7, 33}, {3, 7, 33}, {2, 33, 7}, {2, 3, 1000}};

    @Test
    void adaLnMatchesTheOracle() {
        long seed = 1000;
        for (Backend be : BACKENDS) {
            for (int[] s : SHAPES) {
                int b = s[0], t = s[1], d = s[2];
                String at = be.name() + " " + java.util.Arrays.toString(s);
                Tensor x = TestData.randn(seed++, b, t, d), chunks = TestData.randn(seed++, b, 3 * d), g = TestData.randn(seed++, b, t, d);
                Tensor scale = chunks.narrow(1, d, d), shift = chunks.narrow(1, 2 * d, d);
                Backend.NormResult want = O.adaLn(x, scale, shift, 1e-6f), got = be.adaLn(x, scale, shift, 1e-6f);
                TestData.close("adaLn " + at, want.out(), got.out(), 1e-5, 1e-5);
                TestData.close("adaLn rstd " + at, want.rstd(), got.rstd(), 1e-5, 1e-5);
                Backend.AdaLnGrads wg = O.adaLnBackward(x, scale, want.mean(), want.rstd(), g);
                Backend.AdaLnGrads gg = be.adaLnBackward(x, scale, got.mean(), got.rstd(), g);
                TestData.close("adaLn dx " + at, wg.dx(), gg.dx(), 1e-5, 1e-5);
                TestData.close("adaLn dscale " + at, wg.dscale(), gg.dscale(), 1e-4, 1e-5);
                TestData.close("adaLn dshift " + at, wg.dshift(), gg.dshift(), 1e-4, 1e-5);
            }
        }
    }

    @Test
    void gatedResidualMatchesTheOracle() {
        long seed = 2000;
        for (Backend be : BACKENDS) {
            for (int[] s : SHAPES) {
                int b = s[0], t = s[1], d = s[2];
                String at = be.name() + " " + java.util.Arrays.toString(s);
                Tensor x = TestData.randn(seed++, b, t, d), h = TestData.randn(seed++, b, t, d), g = TestData.randn(seed++, b, t, d);
                Tensor gate = TestData.randn(seed++, b, 2 * d).narrow(1, d, d);
                Tensor want = be.copy(x);
                O.gatedResidualInPlace(want, h, gate);
                Tensor got = be.gatedResidual(x, h, gate);
                TestData.close("gated " + at, want, got, 1e-6, 1e-6);
                TestData.close("gated x untouched " + at, TestData.randn(seed - 4, b, t, d), x, 0, 0);
                Backend.GatedGrads wg = O.gatedResidualBackward(g, h, gate), gg = be.gatedResidualBackward(g, h, gate);
                TestData.close("gated dh " + at, wg.dh(), gg.dh(), 1e-6, 1e-6);
                TestData.close("gated dgate " + at, wg.dgate(), gg.dgate(), 1e-4, 1e-5);
            }
        }
    }

    @Test
    void flowLossMatchesTheOracleWithAndWithoutMasks() {
        long seed = 3000;
        for (Backend be : BACKENDS) {
            for (int[] s : SHAPES) {
                Tensor v = TestData.randn(seed++, s), data = TestData.randn(seed++, s), eps = TestData.randn(seed++, s);
                Tensor elem = TestData.uniform(seed++, 0f, 1f, s), has = TestData.uniform(seed++, 0f, 1f, s[0]);
                for (int mode = 0; mode < 4; mode++) {
                    Tensor em = (mode & 1) != 0 ? elem : null, sm = (mode & 2) != 0 ? has : null;
                    String at = be.name() + " " + java.util.Arrays.toString(s) + " masks " + mode;
                    Backend.FlowLoss want = O.flowLoss(v, data, eps, em, sm, 0.5f), got = be.flowLoss(v, data, eps, em, sm, 0.5f);
                    assertEquals(0, got.loss().rank(), "loss is 0-d");
                    assertEquals(want.loss().item(), got.loss().item(), 1e-5 * Math.max(1, want.loss().item()), "loss " + at);
                    // mask sums of up to 3000 values in [0, 1): float accumulation in the defaults, double in the oracle
                    assertEquals(want.maskSum().item(), got.maskSum().item(), 1e-5 * Math.max(1, want.maskSum().item()), "mask sum " + at);
                    TestData.close("flow grad " + at, want.grad(), got.grad(), 1e-7, 1e-5);
                }
            }
            Tensor v = TestData.randn(seed++, 2, 3), z = Tensor.zeros(2, 3);
            Backend.FlowLoss none = be.flowLoss(v, v, v, z, null, 1f);
            assertEquals(0f, none.loss().item(), "an all-zero mask gives the loss 0, not NaN");
            TestData.close("zero-mask grad", z, none.grad(), 0, 0);
        }
    }

    @Test
    void categoryLinearMatchesTheOracle() {
        long seed = 4000;
        for (Backend be : BACKENDS) {
            for (int[] s : new int[][] {{1, 1, 1, 1, 1}, {3, 7, 33, 5, 4}, {5, 16, 7, 33, 3}, {2, 1, 1000, 7, 2}}) {
                int b = s[0], t = s[1], in = s[2], out = s[3], cats = s[4];
                String at = be.name() + " " + java.util.Arrays.toString(s);
                Tensor x = TestData.randn(seed++, b, t, in), w = TestData.randn(seed++, cats, in, out), bias = TestData.randn(seed++, cats, out);
                long[] ids = new long[b];
                for (int i = 0; i < b; i++) ids[i] = (i * 7 + 1) % cats;
                Tensor idT = Tensor.ofLongs(ids, b), g = TestData.randn(seed++, b, t, out);
                // dot products over in (up to 1000) rounded in float by the defaults' gemm: 1e-4 relative
                TestData.close("catLinear " + at, O.categoryLinear(x, w, bias, idT), be.categoryLinear(x, w, bias, idT), 1e-4, 1e-4);
                TestData.close("catLinear no bias " + at, O.categoryLinear(x, w, null, idT), be.categoryLinear(x, w, null, idT), 1e-4, 1e-4);
                Backend.CategoryLinearGrads wg = O.categoryLinearBackward(x, w, idT, g, true), gg = be.categoryLinearBackward(x, w, idT, g, true);
                TestData.close("catLinear dx " + at, wg.dx(), gg.dx(), 1e-4, 1e-4);
                TestData.close("catLinear dw " + at, wg.dw(), gg.dw(), 1e-4, 1e-4);
                TestData.close("catLinear db " + at, wg.dbias(), gg.dbias(), 1e-4, 1e-4);
                assertNull(be.categoryLinearBackward(x, w, idT, g, false).dbias(), "no bias, no bias gradient");
            }
            Tensor x = TestData.randn(1, 2, 1, 3), w = TestData.randn(2, 2, 3, 4);
            assertThrows(IndexOutOfBoundsException.class, () -> be.categoryLinear(x, w, null, Tensor.ofLongs(new long[] {0, 2}, 2)));
            var e = assertThrows(IllegalArgumentException.class, () -> be.categoryLinear(x, w, null, Tensor.ofLongs(new long[] {0}, 1)));
            assertEquals(true, e.getMessage().contains("one id per sample"), e.getMessage());
        }
    }
}
