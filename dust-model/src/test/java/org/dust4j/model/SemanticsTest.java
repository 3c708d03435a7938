package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.autograd.GradMode;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.ParamInit;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Properties of contract section 5 that do not need a reference: sampler, noise, gates, action-free samples. */
class SemanticsTest {

    static DustModel tinyModel(long seed) {
        DustModel m = new DustModel(TestData.tiny(), new ParamInit(seed));
        m.eval();
        return m;
    }

    static Map<String, Tensor> sampleInputs(DustConfig c, long seed) {
        Map<String, Tensor> b = TestData.batch(c, 2, 5, seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("vl", b.get("vl"));
        in.put("state", b.get("state"));
        in.put("embodiment_id", b.get("embodiment_id"));
        in.put("noise_action", TestData.randn(seed + 7, 2, c.actionHorizon(), c.actionDim()));
        in.put("noise_vision", TestData.randn(seed + 8, 2, c.numVisionTokens(), c.visionTokenDim()));
        return in;
    }

    /** q = 1 is the plain synchronous Euler loop: for k < N, t = bucket(k/N) for both streams, A += V_A/N, O += V_O/N. */
    @Test
    void q1SamplerIsThePlainSynchronousLoop() {
        DustModel m = tinyModel(11);
        Map<String, Tensor> in = sampleInputs(m.cfg, 5);
        Map<String, Tensor> got = m.sample(in, new SamplerOptions(3, 1, SamplerOptions.Variant.START));
        Map<String, Tensor> end = m.sample(in, new SamplerOptions(3, 1, SamplerOptions.Variant.END));
        int n = 3;
        float[] a = in.get("noise_action").toFloatArray(), o = in.get("noise_vision").toFloatArray();
        try (var g = GradMode.noGrad()) {
            Var vl = m.processVl(Var.constant(in.get("vl")));
            for (int k = 0; k < n; k++) {
                float t = (float) Math.floor(1000.0 * k / n);            // 0, 333, 666
                var v = m.velocity(vl, Var.constant(in.get("state")), Var.constant(Tensor.of(a.clone(), 2, 4, 3)),
                        Var.constant(Tensor.of(o.clone(), 2, 4, 6)), new float[] {t, t}, new float[] {t, t}, in.get("embodiment_id"), true);
                float[] va = v.action().value().toFloatArray(), vo = v.vision().value().toFloatArray();
                for (int i = 0; i < a.length; i++) a[i] += va[i] / n;
                for (int i = 0; i < o.length; i++) o[i] += vo[i] / n;
            }
        }
        assertArrayEquals(a, got.get("actions").toFloatArray());
        assertArrayEquals(o, got.get("vision").toFloatArray());
        assertArrayEquals(a, end.get("actions").toFloatArray(), "variant end with q = 1 is the same loop");
        assertArrayEquals(o, end.get("vision").toFloatArray());
    }

    @Test
    void bucketRule() {
        assertEquals(699, PolicyModel.bucket(0.7f, 1000), "F32 0.7 is 0.69999998..., times 1000 in double truncates to 699");
        assertEquals(0, PolicyModel.bucket(-0.001f, 1000));
        assertEquals(999, PolicyModel.bucket(1.0, 1000));
        assertEquals(250, PolicyModel.bucket(1.0 / 4, 1000));
        assertEquals(333, PolicyModel.bucket(1.0 / 3, 1000));
    }

    @Test
    void decoupledNoiseDrawsIndependentTausJointNoiseOneTau() {
        DustConfig dec = TestData.tiny("\"decoupled_noise\": true"), joint = TestData.tiny("\"decoupled_noise\": false");
        Map<String, Tensor> b = TestData.batch(dec, 64, 3, 1);
        float[] a1 = FlowNoise.complete(b, dec, 42).get("tau_action").toFloatArray();
        float[] o1 = FlowNoise.complete(b, dec, 42).get("tau_vision").toFloatArray();
        int same = 0;
        for (int i = 0; i < a1.length; i++) if (a1[i] == o1[i]) same++;
        assertEquals(0, same, "decoupled: tau_A and tau_O differ in every sample");
        Map<String, Tensor> j = FlowNoise.complete(b, joint, 42);
        assertArrayEquals(j.get("tau_action").toFloatArray(), j.get("tau_vision").toFloatArray(), "joint noise: one tau");
        assertArrayEquals(a1, j.get("tau_action").toFloatArray(), "tau_A is the same stream either way");
        // the eps draws are independent Gaussians
        float[] ea = j.get("eps_action").toFloatArray();
        double mean = 0, var = 0;
        for (float v : ea) mean += v / ea.length;
        for (float v : ea) var += (v - mean) * (v - mean) / ea.length;
        assertEquals(0, mean, 0.1);
        assertEquals(1, var, 0.15);
        // fixed noise in the batch is kept
        Map<String, Tensor> fixed = new LinkedHashMap<>(b);
        fixed.put("tau_action", Tensor.full(0.5f, 64));
        assertArrayEquals(Tensor.full(0.5f, 64).toFloatArray(), FlowNoise.complete(fixed, dec, 42).get("tau_action").toFloatArray());
    }

    /** tau = (s - u)/s with u ~ Beta(a, b): range [(s-1)/s, 1] and mean (s - a/(a+b))/s. */
    @Test
    void betaDraws() {
        for (double[] ab : new double[][] {{1.5, 1.0}, {2.0, 3.0}, {0.7, 1.3}}) {
            int n = 20000;
            double mean = 0, m2 = 0;
            for (int i = 0; i < n; i++) {
                double u = FlowNoise.beta(99, i, ab[0], ab[1]);
                assertTrue(u >= 0 && u <= 1, "u in [0,1]: " + u);
                mean += u / n;
                m2 += u * u / n;
            }
            double a = ab[0], b = ab[1];
            double wantMean = a / (a + b), wantVar = a * b / ((a + b) * (a + b) * (a + b + 1));
            // 20000 draws: standard error of the mean <= 0.3/sqrt(20000) = 0.002; 5 sigma
            assertEquals(wantMean, mean, 0.011, "Beta" + java.util.Arrays.toString(ab) + " mean");
            assertEquals(wantVar, m2 - mean * mean, 0.006, "Beta" + java.util.Arrays.toString(ab) + " variance");
        }
        assertEquals(FlowNoise.beta(5, 3, 1.5, 1.0), FlowNoise.beta(5, 3, 1.5, 1.0), "counter-based: same seed and index, same value");
    }

    /**
     * With the AdaLN-Zero gates at zero (norm1 and norm1_context linears zero) the joint attention and feed-forward
     * branches vanish; the per-stream cross-attention to VL has no gate in the contract, so with its output
     * projections also zero the whole joint block is the identity on both streams.
     */
    @Test
    void zeroGatesMakeAJointBlockTheIdentity() {
        DustConfig c = TestData.tiny();
        JointBlock blk = new JointBlock(c.innerDim(), c.numAttentionHeads(), c.attentionHeadDim(), c.backboneEmbeddingDim(), 0f, new ParamInit(3));
        Var x = Var.constant(TestData.randn(1, 2, 5, 16)), cc = Var.constant(TestData.randn(2, 2, 4, 16));
        Var eA = Var.constant(TestData.randn(3, 2, 16)), eO = Var.constant(TestData.randn(4, 2, 16)), vl = Var.constant(TestData.randn(5, 2, 3, 16));
        for (Var p : new Var[] {blk.norm1.linear.weight, blk.norm1.linear.bias, blk.norm1Context.linear.weight, blk.norm1Context.linear.bias}) {
            p.setValue(Tensor.zeros(p.shape()));
        }
        Var[] gatedOnly = blk.forward(x, cc, eA, eO, vl);
        // only the ungated cross-attention moves the streams now: x' - x = attn2(AdaLNCross(x), vl)
        Var[] cx = blk.normCross.chunks(eA);
        float[] cross = blk.attn2.forward(AdaNorm.modulate(x, JointBlock.EPS, cx[0], cx[1]), vl).value().toFloatArray();
        float[] xs = x.value().toFloatArray(), xo = gatedOnly[0].value().toFloatArray();
        for (int i = 0; i < xs.length; i++) assertEquals(xs[i] + cross[i], xo[i], 1e-6f);
        for (var lin : new org.dust4j.autograd.nn.Linear[] {(org.dust4j.autograd.nn.Linear) blk.attn2.toOut.get(0),
                (org.dust4j.autograd.nn.Linear) blk.attn2Context.toOut.get(0)}) {
            lin.weight.setValue(Tensor.zeros(lin.weight.shape()));
            lin.bias.setValue(Tensor.zeros(lin.bias.shape()));
        }
        Var[] out = blk.forward(x, cc, eA, eO, vl);
        assertArrayEquals(x.value().toFloatArray(), out[0].value().toFloatArray());
        assertArrayEquals(cc.value().toFloatArray(), out[1].value().toFloatArray());
    }

    /** zeroAdaLn zeroes exactly the modulation linears (DiT init) and leaves every other tensor as it was. */
    @Test
    void zeroAdaLnTouchesOnlyModulationLinears() {
        DustModel m = tinyModel(2);
        Map<String, float[]> before = new LinkedHashMap<>();
        m.namedParameters().forEach((k, v) -> before.put(k, v.value().toFloatArray()));
        m.zeroAdaLn();
        int zeroed = 0;
        for (var e : m.namedParameters().entrySet()) {
            String k = e.getKey();
            boolean ada = k.contains("norm1") && k.contains(".linear.") || k.contains("norm_cross") || k.startsWith("model.proj_out_1");
            float[] now = e.getValue().value().toFloatArray();
            if (ada) {
                assertArrayEquals(new float[now.length], now, k);
                zeroed++;
            } else {
                assertArrayEquals(before.get(k), now, k + " must not change");
            }
        }
        // per joint block: norm1, norm1_context, norm_cross, norm_cross_context (x2 tensors); per single block 1 (x2); 2 heads (x2)
        assertEquals(2 * (2 * 4 + 2 * 1) + 2 * 2, zeroed);
    }

    /**
     * An action-free sample (has_action 0) adds nothing to L_A or its gradient: the action loss and all its
     * gradients equal those of the batch without that sample, and the sample's action data are never read.
     */
    @Test
    void actionFreeSamplesContributeNoActionGradient() {
        DustConfig c = TestData.tiny();
        DustModel m = tinyModel(21);
        Map<String, Tensor> two = FlowNoise.complete(TestData.batch(c, 2, 5, 9), c, 77);
        two.put("has_action", Tensor.of(new float[] {1, 0}, 2));
        Map<String, Tensor> one = new LinkedHashMap<>();
        for (var e : two.entrySet()) one.put(e.getKey(), e.getValue().narrow(0, 0, 1).contiguous());

        PolicyModel.Losses l2 = m.loss(two);
        l2.lossAction().backward();
        Map<String, float[]> g2 = grads(m);
        m.zeroGrad();
        PolicyModel.Losses l1 = m.loss(one);
        l1.lossAction().backward();
        Map<String, float[]> g1 = grads(m);
        m.zeroGrad();
        assertEquals(l1.lossAction().value().toFloatArray()[0], l2.lossAction().value().toFloatArray()[0], 1e-7f);
        for (String k : g1.keySet()) assertArrayEquals(g1.get(k), g2.get(k), 1e-6f, k);

        // changing the action-free sample's actions (and its given tau_action) changes nothing at all
        Map<String, Tensor> other = new LinkedHashMap<>(two);
        float[] a = two.get("actions").toFloatArray();
        for (int i = a.length / 2; i < a.length; i++) a[i] = 100f + i;
        other.put("actions", Tensor.of(a, two.get("actions").shape()));
        other.put("tau_action", Tensor.of(new float[] {two.get("tau_action").toFloatArray()[0], 0.9f}, 2));
        PolicyModel.Losses lo = m.loss(other);
        PolicyModel.Losses lt = m.loss(two);
        assertEquals(lt.loss().value().toFloatArray()[0], lo.loss().value().toFloatArray()[0]);

        // all samples action-free: L_A is exactly 0 and has no gradient
        Map<String, Tensor> none = new LinkedHashMap<>(two);
        none.put("has_action", Tensor.zeros(2));
        PolicyModel.Losses ln = m.loss(none);
        assertEquals(0f, ln.lossAction().value().toFloatArray()[0]);
        ln.loss().backward();
        assertNull(m.actionDecoder.layer2.W.grad(), "no action-loss gradient reaches the action decoder");
        assertNotEquals(null, m.visionDecoder.layers[1].weight.grad());
    }

    private static Map<String, float[]> grads(PolicyModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var e : m.namedParameters().entrySet()) {
            Tensor g = e.getValue().grad();
            out.put(e.getKey(), g == null ? new float[e.getValue().value().numel()] : g.toFloatArray());
        }
        return out;
    }
}
