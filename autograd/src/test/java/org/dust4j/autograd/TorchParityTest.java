package org.dust4j.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.dust4j.autograd.nn.GELU;
import org.dust4j.autograd.nn.Linear;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ModuleList;
import org.dust4j.autograd.nn.ParamInit;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.CpuStorage;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Half;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parity with PyTorch 1.13: the fixtures in {@code testdata/engine/} are written by
 * {@code tools/reference/make_engine_fixtures.py} (float32, seeded). Each differentiable test runs twice,
 * on the CPU backend (the production path) and on the scalar reference backend, so a fast kernel and the
 * oracle are both held to torch.
 *
 * <p>Tolerance policy, |got - ref| <= atol + rtol*|ref|: forward values rtol 1e-5 (float32 has 24 bits, ~6e-8
 * per rounding; the files' {@code f64dev} metadata shows torch's own float32 results sit up to ~1e-5 from a
 * float64 recomputation, and we may round differently from torch); gradients rtol 1e-4 (they chain several
 * float32 reductions, torch's own deviation reaches ~6e-5). The atol terms cover elements near zero, where
 * relative error is meaningless, sized to the tensor's typical magnitude.
 */
class TorchParityTest {

    // --------------------------------------------------------------- helpers

    /** Runs {@code body} with every op on the named backend ("cpu" = the default CpuBackend, or "reference"). */
    private static void on(String backend, Runnable body) {
        Backend b = switch (backend) {
            case "cpu" -> Backends.cpu();
            case "reference" -> Backends.reference();
            default -> throw new IllegalArgumentException(backend);
        };
        try (GradMode.Scope s = F.withBackend(b)) {
            body.run();
        }
    }

    /** Fails with the worst element (index, both values, the bound) when any element is out of tolerance. */
    static void close(String what, Tensor ref, Tensor got, double atol, double rtol) {
        assertNotNull(got, what + ": no value (a gradient that never arrived?)");
        assertArrayEquals(ref.shape(), got.shape(), what + ": shape");
        float[] r = ref.toFloatArray(), g = got.toFloatArray();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < r.length; i++) {
            if (!Float.isFinite(g[i])) fail(what + ": element " + i + " is " + g[i] + ", torch has " + r[i]);
            double excess = Math.abs((double) g[i] - r[i]) - (atol + rtol * Math.abs(r[i]));
            if (excess > worstExcess) {
                worstExcess = excess;
                worst = i;
            }
        }
        if (worst >= 0) {
            fail(what + ": element " + worst + " torch " + r[worst] + " dust4j " + g[worst] + " |diff| "
                    + Math.abs((double) g[worst] - r[worst]) + " > atol " + atol + " + rtol " + rtol + "*|ref|");
        }
    }

    static void close(String what, float ref, double got, double atol, double rtol) {
        if (!(Math.abs(got - ref) <= atol + rtol * Math.abs(ref))) {
            fail(what + ": torch " + ref + " dust4j " + got + " |diff| " + Math.abs(got - ref) + " > atol " + atol
                    + " + rtol " + rtol + "*|ref|");
        }
    }

    private static Var param(SafetensorsFixture f, String name) { return Var.param(f.tensor(name)); }

    private static Var constant(SafetensorsFixture f, String name) { return Var.constant(f.tensor(name)); }

    // --------------------------------------------------------------- layer norm

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference"})
    void layerNormAffine(String backend) {
        SafetensorsFixture f = SafetensorsFixture.load("engine/layernorm.safetensors");
        on(backend, () -> {
            Var x = param(f, "x"), w = param(f, "weight"), b = param(f, "bias");
            Var y = F.layerNorm(x, w, b, 1e-5f);
            // y is O(1) (|w| ~ 1, normalised x): forward rtol 1e-5; atol 2e-6 for entries near 0, because
            // torch's own float32 y is up to 8.6e-7 from a float64 recomputation (f64dev.y in the file)
            close("layerNorm y", f.tensor("y"), y.value(), 2e-6, 1e-5);
            y.backward(f.tensor("gy"));
            // gx sums 33 products per row through mean and variance; gw, gb sum 21 rows: rtol 1e-4
            close("layerNorm gx", f.tensor("gx"), x.grad(), 1e-5, 1e-4);
            close("layerNorm gw", f.tensor("gw"), w.grad(), 1e-5, 1e-4);
            close("layerNorm gb", f.tensor("gb"), b.grad(), 1e-5, 1e-4);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference"})
    void layerNormNoAffineOnStridedInput(String backend) {
        SafetensorsFixture f = SafetensorsFixture.load("engine/layernorm.safetensors");
        on(backend, () -> {
            // the same x stored as [7,3,33] and viewed back as [3,7,33]: a non-contiguous input
            Tensor dense = f.tensor("x");
            Tensor strided = dense.transpose(0, 1).contiguous().transpose(0, 1);
            assertTrue(!strided.isContiguous());
            Var x = Var.param(strided);
            Var y = F.layerNorm(x, null, null, 1e-6f);
            // unit-variance output, rtol 1e-5 and atol 2e-6 as above (torch's own deviation 5.4e-7)
            close("layerNorm(no affine) y", f.tensor("y_noaffine"), y.value(), 2e-6, 1e-5);
            y.backward(f.tensor("gy"));
            close("layerNorm(no affine) gx", f.tensor("gx_noaffine"), x.grad(), 1e-5, 1e-4);
        });
    }

    // --------------------------------------------------------------- activations

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference"})
    void geluTanh(String backend) {
        SafetensorsFixture f = SafetensorsFixture.load("engine/gelu.safetensors");
        on(backend, () -> {
            Var x = param(f, "x");
            Var y = F.gelu(x);
            // |x| up to 100, y ~ x for large x: rtol 1e-5; atol 1e-6 for the tiny negative tail
            close("gelu y", f.tensor("y"), y.value(), 1e-6, 1e-5);
            y.backward(f.tensor("gy"));
            // derivative is O(1), passes through tanh and a cubic: rtol 1e-4; atol 3e-6 near its zero at
            // x~-0.75 and in the tails, where torch's own float32 gx is up to 9.6e-7 off (f64dev.gx)
            close("gelu gx", f.tensor("gx"), x.grad(), 3e-6, 1e-4);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference"})
    void silu(String backend) {
        SafetensorsFixture f = SafetensorsFixture.load("engine/gelu.safetensors");
        on(backend, () -> {
            Var x = param(f, "silu.x");
            Var y = F.silu(x);
            // elementwise, one exp and a division: rtol 1e-5
            close("silu y", f.tensor("silu.y"), y.value(), 1e-6, 1e-5);
            y.backward(f.tensor("silu.gy"));
            close("silu gx", f.tensor("silu.gx"), x.grad(), 1e-6, 1e-4);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference"})
    void softmax(String backend) {
        SafetensorsFixture f = SafetensorsFixture.load("engine/gelu.safetensors");
        on(backend, () -> {
            Var x = param(f, "softmax.x");
            Var y = F.softmax(x);
            // probabilities in [0,1], sums over 33 terms; row 2 has logits ~500 (needs max subtraction):
            // rtol 1e-5, atol 1e-7 (probabilities below 1e-7 carry little information)
            close("softmax y", f.tensor("softmax.y"), y.value(), 1e-7, 1e-5);
            y.backward(f.tensor("softmax.gy"));
            // gx = y*(gy - sum(y*gy)): a 33-term dot product, rtol 1e-4, atol 1e-7 at the scale of y
            close("softmax gx", f.tensor("softmax.gx"), x.grad(), 1e-7, 1e-4);
        });
    }

    // --------------------------------------------------------------- attention

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference"})
    void attentionFused(String backend) {
        SafetensorsFixture f = SafetensorsFixture.load("engine/attention.safetensors");
        float scale = f.scalar("scale");
        assertEquals((float) (1 / Math.sqrt(8)), scale, 0f);
        on(backend, () -> {
            Var q = param(f, "q"), k = param(f, "k"), v = param(f, "v");
            Var out = F.attention(q, k, v, scale);
            // out is a convex combination of 33 N(0,1) rows: values O(1); rtol 1e-5, atol 1e-6
            close("attention out", f.tensor("out"), out.value(), 1e-6, 1e-5);
            out.backward(f.tensor("gout"));
            // three chained float32 reductions (over 8, 33, 33 terms): rtol 1e-4, atol 1e-6 at O(0.1..1) values
            close("attention gq", f.tensor("gq"), q.grad(), 1e-6, 1e-4);
            close("attention gk", f.tensor("gk"), k.grad(), 1e-6, 1e-4);
            close("attention gv", f.tensor("gv"), v.grad(), 1e-6, 1e-4);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference"})
    void attentionComposed(String backend) {
        SafetensorsFixture f = SafetensorsFixture.load("engine/attention.safetensors");
        float scale = f.scalar("scale");
        on(backend, () -> {
            Var q = param(f, "q"), k = param(f, "k"), v = param(f, "v");
            // the same formula from primitive ops, batched over the 4 heads as rank-3 matmuls
            Var q3 = F.reshape(q, 4, 7, 8), k3 = F.reshape(k, 4, 33, 8), v3 = F.reshape(v, 4, 33, 8);
            Var p = F.softmax(F.mul(F.matmul(q3, F.transpose(k3, 1, 2)), scale));
            Var out = F.reshape(F.matmul(p, v3), 1, 4, 7, 8);
            // tolerances as in attentionFused
            close("composed attention out", f.tensor("out"), out.value(), 1e-6, 1e-5);
            F.sum(F.mul(out, constant(f, "gout"))).backward();
            close("composed attention gq", f.tensor("gq"), q.grad(), 1e-6, 1e-4);
            close("composed attention gk", f.tensor("gk"), k.grad(), 1e-6, 1e-4);
            close("composed attention gv", f.tensor("gv"), v.grad(), 1e-6, 1e-4);
        });
    }

    // --------------------------------------------------------------- MLP + AdamW

    /** net.0 Linear(7,16), net.1 GELU-tanh, net.2 Linear(16,5): torch's nn.Sequential names. */
    static final class Mlp extends Module {
        final ModuleList net;

        Mlp() {
            ParamInit init = new ParamInit(1);
            net = register("net", new ModuleList());
            net.add(new Linear(7, 16, true, init));
            net.add(new GELU());
            net.add(new Linear(16, 5, true, init));
        }

        Var forward(Var x) { return net.forward(x); }
    }

    /** An Mlp whose parameters are the fixture's tensors (names must match exactly). */
    private static Mlp loadMlp(SafetensorsFixture f, String prefix) {
        Mlp m = new Mlp();
        Map<String, Var> named = m.namedParameters();
        assertEquals(List.of("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"), new ArrayList<>(named.keySet()),
                "dust4j parameter names must be torch's");
        named.forEach((name, p) -> p.setValue(f.tensor(prefix + name)));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference"})
    void mlpLossAndGradients(String backend) {
        SafetensorsFixture f = SafetensorsFixture.load("engine/mlp.safetensors");
        Set<String> fileParams = new LinkedHashSet<>();
        for (String n : f.names()) if (n.startsWith("net.")) fileParams.add(n);
        on(backend, () -> {
            Mlp m = loadMlp(f, "");
            assertEquals(fileParams, m.namedParameters().keySet());
            Var loss = F.mseLoss(m.forward(constant(f, "x")), constant(f, "y"));
            // a mean of 20 squares of O(1) values: rtol 1e-5
            close("mlp loss", f.scalar("loss"), loss.value().toFloatArray()[0], 1e-6, 1e-5);
            loss.backward();
            // two matmuls, GELU' and the mean: rtol 1e-4, atol 1e-6 (grads are O(0.01..1))
            m.namedParameters().forEach((name, p) ->
                    close("mlp grad." + name, f.tensor("grad." + name), p.grad(), 1e-6, 1e-4));
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference"})
    void adamWWithCosineScheduleAndClipping(String backend) {
        SafetensorsFixture f = SafetensorsFixture.load("engine/adamw.safetensors");
        on(backend, () -> {
            Mlp m = loadMlp(f, "init.");
            Map<String, Var> named = m.namedParameters();
            List<AdamW.ParamGroup> groups = AdamW.groupsNoDecayOnBiasAndNorm(named, 0.1f);
            // the torch run used two groups: weights (wd 0.1) and biases (wd 0)
            for (AdamW.ParamGroup g : groups) {
                for (Var p : g.params()) {
                    String name = nameOf(named, p);
                    assertEquals(name.endsWith("bias") ? 0f : 0.1f, g.weightDecay(), 0f, "weight decay of " + name);
                }
            }
            AdamW opt = new AdamW(groups, 1e-3f, 0.95f, 0.999f, 1e-8f);
            CosineSchedule sched = new CosineSchedule(1e-3f, 2, 5);
            Var x = constant(f, "x"), y = constant(f, "y");
            for (int k = 1; k <= 5; k++) {
                opt.zeroGrad();
                Var loss = F.mseLoss(m.forward(x), y);
                loss.backward();
                double norm = GradClip.clipGradNorm(m.parameters(), 0.5);
                float lr = sched.lr(k - 1);
                // the lr is computed in double by both and rounded to float once: rtol 1e-7
                close("lr" + k, f.scalar("lr" + k), lr, 0, 1e-7);
                opt.setLr(lr);
                opt.step();
                // loss and pre-clip norm: forward/backward of the same MLP as mlpLossAndGradients,
                // after k-1 updates (each ~lr, tiny drift): loss rtol 1e-5, norm (a sum over 213 squared grads) 1e-4
                close("loss" + k, f.scalar("loss" + k), loss.value().toFloatArray()[0], 1e-6, 1e-5);
                close("gradnorm" + k, f.scalar("gradnorm" + k), norm, 1e-6, 1e-4);
                // params are O(0.3) and move ~lr=1e-3 per step; an update error of 1e-4 relative is ~1e-7,
                // plus float32 rounding of the parameter (~3e-8): atol 1e-6, rtol 1e-5
                for (Map.Entry<String, Var> e : named.entrySet()) {
                    close("step" + k + "." + e.getKey(), f.tensor("step" + k + "." + e.getKey()),
                            e.getValue().value(), 1e-6, 1e-5);
                }
            }
            assertEquals(5, opt.stepCount());
            for (Map.Entry<String, Var> e : named.entrySet()) {
                AdamW.State s = opt.state().get(e.getValue());
                assertNotNull(s, "no AdamW state for " + e.getKey());
                // moments of clipped grads (|g| <= 0.5): m ~1e-2, v ~1e-5: rtol 1e-4 as gradients
                close("exp_avg." + e.getKey(), f.tensor("state.exp_avg." + e.getKey()), s.m(), 1e-8, 1e-4);
                close("exp_avg_sq." + e.getKey(), f.tensor("state.exp_avg_sq." + e.getKey()), s.v(), 1e-11, 1e-4);
            }
        });
    }

    private static String nameOf(Map<String, Var> named, Var p) {
        for (Map.Entry<String, Var> e : named.entrySet()) if (e.getValue() == p) return e.getKey();
        throw new AssertionError("parameter group holds a Var that is not a module parameter");
    }

    // --------------------------------------------------------------- half conversions (bit-exact)

    private static boolean bf16IsNaN(short b) { return (b & 0x7f80) == 0x7f80 && (b & 0x007f) != 0; }

    private static boolean f16IsNaN(short b) { return (b & 0x7c00) == 0x7c00 && (b & 0x03ff) != 0; }

    private static short[] shorts(Tensor t) {
        assertTrue(t.isContiguous() && t.offset() == 0, "converted tensor should be dense");
        return ((CpuStorage.Shorts) t.storage()).data();
    }

    /** Exact 16-bit equality, except that any NaN matches any NaN (torch's NaN payload differs by code path). */
    private static void sameHalfBits(String what, DType dt, float[] in, short[] torch, short[] got) {
        assertEquals(torch.length, got.length, what + ": length");
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < torch.length; i++) {
            boolean tn = dt == DType.BF16 ? bf16IsNaN(torch[i]) : f16IsNaN(torch[i]);
            boolean gn = dt == DType.BF16 ? bf16IsNaN(got[i]) : f16IsNaN(got[i]);
            boolean ok = tn ? gn : torch[i] == got[i];
            if (!ok && bad++ < 5) {
                first.append(String.format(" [%d] f32 %s (0x%08x): torch 0x%04x dust4j 0x%04x;", i, in[i],
                        Float.floatToRawIntBits(in[i]), torch[i] & 0xffff, got[i] & 0xffff));
            }
        }
        if (bad > 0) fail(what + ": " + bad + " of " + torch.length + " bit patterns differ:" + first);
    }

    @Test
    void f32ToHalfBitsMatchTorch() {
        SafetensorsFixture f = SafetensorsFixture.load("engine/halfconv.safetensors");
        int[] bits = f.bits32("f32_bits");
        float[] in = new float[bits.length];
        for (int i = 0; i < bits.length; i++) in[i] = Float.intBitsToFloat(bits[i]);
        short[] torchBf16 = f.halfBits("to_bf16"), torchF16 = f.halfBits("to_f16");
        Tensor x = Tensor.of(in, in.length);

        sameHalfBits("CpuBackend.convert F32->BF16", DType.BF16, in, torchBf16, shorts(Backends.cpu().convert(x, DType.BF16)));
        sameHalfBits("CpuBackend.convert F32->F16", DType.F16, in, torchF16, shorts(Backends.cpu().convert(x, DType.F16)));
        sameHalfBits("Tensor.to(BF16)", DType.BF16, in, torchBf16, shorts(x.to(DType.BF16)));

        short[] sb = new short[in.length], sf = new short[in.length];
        for (int i = 0; i < in.length; i++) {
            sb[i] = Half.floatToBf16(in[i]);
            sf[i] = Half.floatToF16(in[i]);
        }
        sameHalfBits("Half.floatToBf16", DType.BF16, in, torchBf16, sb);
        sameHalfBits("Half.floatToF16", DType.F16, in, torchF16, sf);
    }

    /** Exact 32-bit equality, except that any NaN matches any NaN. */
    private static void sameFloatBits(String what, short[] in, int[] torch, float[] got) {
        assertEquals(torch.length, got.length, what + ": length");
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < torch.length; i++) {
            float t = Float.intBitsToFloat(torch[i]);
            boolean ok = Float.isNaN(t) ? Float.isNaN(got[i]) : torch[i] == Float.floatToRawIntBits(got[i]);
            if (!ok && bad++ < 5) {
                first.append(String.format(" [%d] 0x%04x: torch 0x%08x (%s) dust4j 0x%08x (%s);", i, in[i] & 0xffff,
                        torch[i], t, Float.floatToRawIntBits(got[i]), got[i]));
            }
        }
        if (bad > 0) fail(what + ": " + bad + " of " + torch.length + " values differ:" + first);
    }

    @Test
    void halfToF32BitsMatchTorch() {
        SafetensorsFixture f = SafetensorsFixture.load("engine/halfconv.safetensors");
        for (DType dt : new DType[] {DType.BF16, DType.F16}) {
            String p = dt == DType.BF16 ? "bf16" : "f16";
            short[] in = f.halfBits(p + "_in");
            int[] torch = f.bits32(p + "_to_f32");
            Tensor h = f.tensor(p + "_in");
            assertEquals(dt, h.dtype());
            Tensor conv = Backends.cpu().convert(h, DType.F32);
            assertEquals(DType.F32, conv.dtype());
            sameFloatBits("CpuBackend.convert " + dt + "->F32", in, torch, conv.toFloatArray());
            sameFloatBits("Tensor.toFloatArray of " + dt, in, torch, h.toFloatArray());
            float[] scalar = new float[in.length];
            for (int i = 0; i < in.length; i++) scalar[i] = dt == DType.BF16 ? Half.bf16ToFloat(in[i]) : Half.f16ToFloat(in[i]);
            sameFloatBits("Half." + p + "ToFloat", in, torch, scalar);
        }
    }

    @Test
    void fixtureFilesAreWhatTheTestsExpect() {
        // guards against a regenerated file silently changing shape or losing a tensor
        SafetensorsFixture ln = SafetensorsFixture.load("engine/layernorm.safetensors");
        assertArrayEquals(new int[] {3, 7, 33}, ln.shape("x"));
        assertEquals("1e-5", ln.metadata().get("eps"));
        SafetensorsFixture at = SafetensorsFixture.load("engine/attention.safetensors");
        assertArrayEquals(new int[] {1, 4, 7, 8}, at.shape("q"));
        assertArrayEquals(new int[] {1, 4, 33, 8}, at.shape("k"));
        SafetensorsFixture hc = SafetensorsFixture.load("engine/halfconv.safetensors");
        assertEquals(DType.BF16, hc.dtype("to_bf16"));
        assertEquals(DType.F16, hc.dtype("to_f16"));
        assertEquals(DType.I32, hc.dtype("f32_bits"));
        SafetensorsFixture aw = SafetensorsFixture.load("engine/adamw.safetensors");
        // the torch run clipped at every step, so clipping is exercised
        assertEquals("5", aw.metadata().get("steps_clipped"));
        assertArrayEquals(new int[0], aw.shape("loss1"));
    }
}
