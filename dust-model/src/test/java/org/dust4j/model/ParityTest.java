package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.autograd.AdamW;
import org.dust4j.autograd.GradClip;
import org.dust4j.autograd.Var;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Parity with the PyTorch reference (tools/reference/dust_ref.py, fixtures in testdata/model/). Every comparison is
 * |java - torch| <= atol + rtol·|torch| with rtol 1e-5 (values: forward, sampler, losses) or 1e-4 (gradients).
 * The absolute floor atol is twice the fixture's own float32 error, read from its metadata (f64dev.*: the largest
 * deviation of torch's float32 result from a float64 rerun of the same reference): no comparison with a float32
 * fixture can be tighter than the fixture itself. Reported numbers are max |java - torch| / max(|torch|, atol/rtol).
 */
class ParityTest {
    static final double RTOL_FWD = 1e-5;
    static final double RTOL_GRAD = 1e-4;

    static final Map<String, Double> REPORT = new LinkedHashMap<>();

    static void report(String key, double err) {
        REPORT.merge(key, err, Math::max);
        System.out.printf("parity %-48s max scaled err %.3e%n", key, err);
    }

    /** Compares with atol = 2·f64dev (the fixture's own error) and reports. */
    static double check(String key, Tensor got, Tensor want, double rtol, double atol) {
        double e = Fixtures.close(key, got, want, rtol, Math.max(atol, 1e-30));
        report(key, e);
        return e;
    }

    static PolicyModel model(String variant) throws Exception {
        return PolicyModel.load(Fixtures.dir(variant));
    }

    @Test
    void forwardDustDual() throws Exception { forward("dust-dual"); }

    @Test
    void forwardDustSingle() throws Exception { forward("dust-single"); }

    @Test
    void forwardGr00t() throws Exception { forward("gr00t"); }

    /** BF16/F16/F32 tensors in two shards: loads, and the forward matches torch on the same rounded weights. */
    @Test
    void forwardMixedDtypeShards() throws Exception { forward("dust-dual-mixed"); }

    void forward(String variant) throws Exception {
        Path d = Fixtures.dir(variant);
        PolicyModel m = model(variant);
        Map<String, Tensor> out = m.forward(Fixtures.read(d.resolve("forward_in.safetensors")));
        Map<String, Tensor> want = Fixtures.read(d.resolve("forward_out.safetensors"));
        assertEquals(want.keySet(), out.keySet());
        Path outFile = d.resolve("forward_out.safetensors");
        for (String k : want.keySet()) {
            check(variant + " forward " + k, out.get(k), want.get(k), RTOL_FWD, 2 * Fixtures.f64devAbs(outFile, k));
        }
    }

    @Test
    void lossAndGradientsDustDual() throws Exception { lossAndGrads("dust-dual"); }

    @Test
    void lossAndGradientsDustSingle() throws Exception { lossAndGrads("dust-single"); }

    @Test
    void lossAndGradientsGr00t() throws Exception { lossAndGrads("gr00t"); }

    void lossAndGrads(String variant) throws Exception {
        Path d = Fixtures.dir(variant);
        PolicyModel m = model(variant);
        PolicyModel.Losses l = m.loss(Fixtures.read(d.resolve("loss_in.safetensors")));
        Path outFile = d.resolve("loss_out.safetensors");
        Map<String, Tensor> want = Fixtures.read(outFile);
        for (String k : new String[] {"loss", "loss_action", "loss_wm"}) {
            Var got = k.equals("loss") ? l.loss() : k.equals("loss_action") ? l.lossAction() : l.lossWm();
            check(variant + " " + k, got.value(), want.get(k), RTOL_FWD, 2 * Fixtures.f64devAbs(outFile, k));
        }
        l.loss().backward();
        double worst = 0;
        int n = 0;
        // one floor for all gradients: f64dev.grad is the max over every gradient tensor (the worst being a
        // mathematically-zero to_k.bias gradient, AMBIGUITIES.md A20)
        double atol = 2 * Fixtures.f64devAbs(outFile, "grad");
        for (Map.Entry<String, Var> e : m.namedParameters().entrySet()) {
            Tensor w = want.get("grad." + PolicyModel.PREFIX + e.getKey());
            assertNotNull(w, "fixture has no gradient for " + e.getKey());
            Tensor g = e.getValue().grad() == null ? Tensor.zeros(e.getValue().shape()) : e.getValue().grad();
            worst = Math.max(worst, Fixtures.close(variant + " grad " + e.getKey(), g, w, RTOL_GRAD, atol));
            n++;
        }
        assertEquals(want.keySet().stream().filter(k -> k.startsWith("grad.")).count(), n, "every fixture gradient is checked");
        report(variant + " gradients (" + n + " tensors)", worst);
    }

    @Test
    void samplerDustDual() throws Exception { sampler("dust-dual"); }

    @Test
    void samplerDustSingle() throws Exception { sampler("dust-single"); }

    void sampler(String variant) throws Exception {
        Path d = Fixtures.dir(variant);
        PolicyModel m = model(variant);
        Map<String, Tensor> in = Fixtures.read(d.resolve("sample_in.safetensors"));
        Object[][] cases = {{"sample_out_q1", 1, SamplerOptions.Variant.START}, {"sample_out_q4_start", 4, SamplerOptions.Variant.START},
                {"sample_out_q2_end", 2, SamplerOptions.Variant.END}};
        for (Object[] c : cases) {
            Map<String, Tensor> out = m.sample(in, new SamplerOptions(4, (Integer) c[1], (SamplerOptions.Variant) c[2]));
            Map<String, Tensor> want = Fixtures.read(d.resolve(c[0] + ".safetensors"));
            Path outFile = d.resolve(c[0] + ".safetensors");
            for (String k : want.keySet()) {
                check(variant + " " + c[0] + " " + k, out.get(k), want.get(k), RTOL_FWD, 2 * Fixtures.f64devAbs(outFile, k));
            }
        }
    }

    @Test
    void samplerGr00t() throws Exception {
        Path d = Fixtures.dir("gr00t");
        PolicyModel m = model("gr00t");
        Map<String, Tensor> out = m.sample(Fixtures.read(d.resolve("sample_in.safetensors")), new SamplerOptions(4, 1, null));
        Path outFile = d.resolve("sample_out.safetensors");
        check("gr00t sample actions", out.get("actions"), Fixtures.read(outFile).get("actions"),
                RTOL_FWD, 2 * Fixtures.f64devAbs(outFile, "actions"));
    }

    @Test
    void threeAdamWStepsDustDual() throws Exception { trainBothBackends("dust-dual"); }

    @Test
    void threeAdamWStepsDustSingle() throws Exception { trainBothBackends("dust-single"); }

    @Test
    void threeAdamWStepsGr00t() throws Exception { trainBothBackends("gr00t"); }

    /**
     * The strict element-wise comparison runs on the scalar oracle backend: Adam divides each gradient by its own
     * running size, so an element whose gradient is near zero (below the float32 summation noise of a fast kernel,
     * ~1e-7) moves by up to a full step in either direction depending on the summation order alone. The oracle
     * accumulates in double and so tests the model and optimiser semantics against torch without that noise; the
     * fast kernels are tested against the oracle op by op. On the fast CPU backend the same three steps must match
     * torch's losses and gradient norms and stay within Adam's update bound: one AdamW update moves a parameter by
     * at most lr·(1-β1)/sqrt(1-β2) = 1.58·lr, so two runs can drift apart by at most 2·1.58·lr per step.
     */
    void trainBothBackends(String variant) throws Exception {
        try (var scope = org.dust4j.autograd.F.withBackend(org.dust4j.tensor.Backends.reference())) {
            train(variant, true);
        }
        train(variant, false);
    }

    /** lr 1e-3, betas (0.95, 0.999), eps 1e-8, wd 1e-5 except .bias/.b/1-D, clip 1.0, eval mode, the loss_in batch. */
    void train(String variant, boolean strict) throws Exception {
        Path d = Fixtures.dir(variant);
        PolicyModel m = model(variant);
        Map<String, Tensor> in = Fixtures.read(d.resolve("loss_in.safetensors"));
        Map<String, Tensor> want = Fixtures.read(d.resolve("train_out.safetensors"));
        AdamW opt = new AdamW(Trainer.paramGroups(m, 1e-5f), 1e-3f, 0.95f, 0.999f, 1e-8f);
        List<Var> params = new ArrayList<>(m.parameters());
        double worst = 0;
        for (int k = 1; k <= 3; k++) {
            opt.zeroGrad();
            PolicyModel.Losses l = m.loss(in);
            // the loss of step k depends on k-1 updates: 1e-4 relative (AdamW normalises away the scale of the
            // float32 gradient noise, so parameters differ from torch by ~1e-6, see below)
            check(variant + " train loss" + k, l.loss().value(), want.get("loss" + k), RTOL_GRAD, 0);
            l.loss().backward();
            double norm = GradClip.clipGradNorm(params, 1.0);
            check(variant + " train gradnorm" + k, Tensor.scalar((float) norm), want.get("gradnorm" + k), RTOL_GRAD, 0);
            opt.step();
            long total = 0, loose = 0;
            for (Map.Entry<String, Var> e : m.namedParameters().entrySet()) {
                Tensor w = want.get("step" + k + "." + PolicyModel.PREFIX + e.getKey());
                assertNotNull(w, "fixture has no step" + k + " value for " + e.getKey());
                // Parameters whose gradient is mathematically 0 (to_k.bias of single-projection attentions, A20)
                // get AdamW steps of +-lr driven by float32 round-off (Adam divides the noise by its own size):
                // atol k·lr. Every other element: atol 1e-4·k (10% of a step per step): an element whose clipped
                // gradient is near Adam's eps (1e-8) moves by lr·g/(|g|+eps), which the fixture's own gradient
                // error (f64dev.grad, up to 3.7e-4 pre-clip) leaves undetermined; the bulk is held to 1e-6 (1e-3 of a
                // step): at most 0.5% of elements may exceed it (measured: 0.01-0.16%, spread over many tensors).
                if (!strict) {
                    Fixtures.close(variant + " cpu step" + k + " " + e.getKey(), e.getValue().value(), w, 0, k * 2 * 1.59e-3);
                    continue;
                }
                boolean zero = e.getKey().matches(".*(attn1|attn2|attn2_context)\\.to_k\\.bias");
                double atol = zero ? k * 1e-3 * 1.01 : k * 1e-4;
                Fixtures.close(variant + " step" + k + " " + e.getKey(), e.getValue().value(), w, 1e-5, atol);
                if (!zero) {
                    float[] g = e.getValue().value().toFloatArray(), t = w.toFloatArray();
                    long before = loose;
                    for (int i = 0; i < g.length; i++) {
                        double diff = Math.abs(g[i] - t[i]);
                        worst = Math.max(worst, diff / 1e-3);                // in units of the step size lr
                        if (diff > 1e-6 + 1e-5 * Math.abs(t[i])) loose++;
                    }
                    total += g.length;
                    if (loose > before && System.getenv("PARITY_DEBUG") != null) System.out.println("  loose " + (loose - before) + " in " + e.getKey());
                }
            }
            if (!strict) continue;
            assertTrue(loose <= total / 200, variant + " step" + k + ": " + loose + " of " + total
                    + " parameters differ from torch by more than 1e-6 (allowed: 0.5%)");
            System.out.printf("parity %s step%d: %d of %d parameters beyond 1e-6%n", variant, k, loose, total);
        }
        report(variant + " 3 AdamW steps (max |diff| / lr)", worst);
    }
}
