package org.dust4j.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** AdamW, the cosine schedule and gradient clipping against hand-computed values. */
class OptimTest {

    /** torch.optim.AdamW's update written out in double for one element. */
    private static final class AdamRef {
        double p, m, v;
        int t;

        AdamRef(double p) { this.p = p; }

        void step(double g, double lr, double b1, double b2, double eps, double wd) {
            t++;
            p *= 1 - lr * wd;
            m = b1 * m + (1 - b1) * g;
            v = b2 * v + (1 - b2) * g * g;
            double denom = Math.sqrt(v) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
            p -= lr / (1 - Math.pow(b1, t)) * m / denom;
        }
    }

    @Test
    void adamwMatchesHandComputedSteps() {
        float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.1f;
        float[] p0 = {1.0f, -0.5f, 0.25f};
        float[][] grads = {{0.3f, -1.2f, 0.001f}, {-0.7f, 0.4f, 0.002f}, {0.05f, 2.0f, -0.5f}};
        Var w = Var.param(Tensor.of(p0.clone(), 3));
        Var bias = Var.param(Tensor.of(new float[] {0.5f}, 1));
        AdamW opt = new AdamW(List.of(new AdamW.ParamGroup(List.of(w), wd), new AdamW.ParamGroup(List.of(bias), 0f)),
                lr, b1, b2, eps);
        AdamRef[] ref = {new AdamRef(p0[0]), new AdamRef(p0[1]), new AdamRef(p0[2])};
        AdamRef refBias = new AdamRef(0.5);
        for (int s = 0; s < grads.length; s++) {
            w.setGrad(Tensor.of(grads[s].clone(), 3));
            // the bias gets no gradient at step 0: it is skipped and starts counting its own steps later
            if (s > 0) bias.setGrad(Tensor.of(new float[] {0.2f * s}, 1));
            opt.step();
            for (int i = 0; i < 3; i++) ref[i].step(grads[s][i], lr, b1, b2, eps, wd);
            if (s > 0) refBias.step(0.2f * s, lr, b1, b2, eps, 0);
            float[] got = w.value().toFloatArray();
            // float32 state and update vs double: a few ulps of values near 1 (the update itself is ~1e-2)
            for (int i = 0; i < 3; i++) assertEquals(ref[i].p, got[i], 1e-6, "step " + (s + 1) + " element " + i);
            assertEquals(refBias.p, bias.value().toFloatArray()[0], 1e-6, "bias after step " + (s + 1));
            opt.zeroGrad();
            assertNull(w.grad());
        }
        assertEquals(3, opt.stepCount());
        assertEquals(3, opt.state().get(w).step());
        assertEquals(2, opt.state().get(bias).step());
        assertEquals(ref[1].m, opt.state().get(w).m().toFloatArray()[1], 1e-6);
        assertEquals(ref[1].v, opt.state().get(w).v().toFloatArray()[1], 1e-7);
    }

    @Test
    void adamwLrAndStateRestore() {
        Var a = Var.param(Tensor.of(new float[] {1f, 2f}, 2));
        Var b = Var.param(Tensor.of(new float[] {1f, 2f}, 2));
        AdamW oa = new AdamW(List.of(new AdamW.ParamGroup(List.of(a), 0.01f)), 0.1f, 0.9f, 0.99f, 1e-8f);
        AdamW ob = new AdamW(List.of(new AdamW.ParamGroup(List.of(b), 0.01f)), 0.1f, 0.9f, 0.99f, 1e-8f);
        a.setGrad(Tensor.of(new float[] {0.5f, -0.5f}, 2));
        oa.step();
        oa.setLr(0.05f);
        assertEquals(0.05f, oa.lr());
        // b resumes from a's state: one further step must match exactly
        b.setValue(Tensor.of(a.value().toFloatArray(), 2));
        AdamW.State s = oa.state().get(a);
        ob.setState(b, Tensor.of(s.m().toFloatArray(), 2), Tensor.of(s.v().toFloatArray(), 2), s.step());
        ob.setStepCount(oa.stepCount());
        ob.setLr(0.05f);
        a.setGrad(Tensor.of(new float[] {0.1f, 0.3f}, 2));
        b.setGrad(Tensor.of(new float[] {0.1f, 0.3f}, 2));
        oa.step();
        ob.step();
        assertArrayEquals(a.value().toFloatArray(), b.value().toFloatArray());
        assertEquals(2, ob.stepCount());
    }

    @Test
    void noDecayGroups() {
        Map<String, Var> named = new LinkedHashMap<>();
        Var w = Var.param(Tensor.zeros(2, 2)), bias = Var.param(Tensor.zeros(2)), norm = Var.param(Tensor.zeros(3));
        Var emb = Var.param(Tensor.zeros(4, 3)), oddBias = Var.param(Tensor.zeros(2, 2));
        named.put("a.weight", w);
        named.put("a.bias", bias);
        named.put("norm.weight", norm);
        named.put("emb.weight", emb);
        named.put("x.attn_bias", oddBias);
        Var catW = Var.param(Tensor.zeros(3, 2, 2)), catB = Var.param(Tensor.zeros(3, 2)), notB = Var.param(Tensor.zeros(2, 2));
        named.put("enc.layer1.W", catW);      // category-specific weight [C, in, out]: decays
        named.put("enc.layer1.b", catB);      // category-specific bias [C, out]: 2-D but a bias
        named.put("enc.blob", notB);          // ends in "b" but is not ".b": decays
        List<AdamW.ParamGroup> g = AdamW.groupsNoDecayOnBiasAndNorm(named, 0.05f);
        assertEquals(2, g.size());
        assertEquals(List.of(w, emb, catW, notB), g.get(0).params());
        assertEquals(0.05f, g.get(0).weightDecay());
        assertEquals(List.of(bias, norm, oddBias, catB), g.get(1).params());
        assertEquals(0f, g.get(1).weightDecay());
    }

    @Test
    void cosineScheduleValues() {
        CosineSchedule s = new CosineSchedule(1e-3f, 10, 110);
        assertEquals(0f, s.lr(0));
        assertEquals(5e-4f, s.lr(5), 1e-10);
        assertEquals(1e-3f, s.lr(10), 1e-10);
        // progress 0.25 -> 0.5 (1 + cos(pi/4)) = 0.8535533905932737
        assertEquals((float) (1e-3 * 0.8535533905932737), s.lr(35), 1e-10);
        assertEquals(5e-4f, s.lr(60), 1e-10);
        assertEquals((float) (1e-3 * 0.14644660940672627), s.lr(85), 1e-10);
        assertEquals(0f, s.lr(110), 1e-12);
        // transformers does not clamp progress: past the end the cosine rises again
        assertEquals((float) (1e-3 * 0.5 * (1 + Math.cos(Math.PI * 1.5))), s.lr(160), 1e-10);
        CosineSchedule noWarmup = new CosineSchedule(2f, 0, 4);
        assertEquals(2f, noWarmup.lr(0));
        assertEquals(1.7071067811865475f, noWarmup.lr(1), 1e-6);
        assertEquals(1f, noWarmup.lr(2), 1e-6);
    }

    @Test
    void gradClip() {
        Var a = Var.param(Tensor.zeros(2)), b = Var.param(Tensor.zeros(1)), none = Var.param(Tensor.zeros(3));
        a.setGrad(Tensor.of(new float[] {3f, 0f}, 2));
        b.setGrad(Tensor.of(new float[] {-4f}, 1));
        double total = GradClip.clipGradNorm(List.of(a, b, none), 10.0);
        assertEquals(5.0, total, 1e-12);
        assertArrayEquals(new float[] {3f, 0f}, a.grad().toFloatArray());
        total = GradClip.clipGradNorm(List.of(a, b, none), 1.0);
        assertEquals(5.0, total, 1e-12);
        float coef = (float) (1.0 / (5.0 + 1e-6));
        assertArrayEquals(new float[] {3f * coef, 0f}, a.grad().toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {-4f * coef}, b.grad().toFloatArray(), 1e-7f);
        assertNull(none.grad());
        assertEquals(1.0, GradClip.clipGradNorm(List.of(a, b), 1.0), 1e-6);
    }

    @Test
    void adamwFitsALine() {
        // end to end: y = 2x + 1 from 16 points, linear model trained with AdamW and the cosine schedule
        float[] xs = new float[16], ys = new float[16];
        for (int i = 0; i < 16; i++) {
            xs[i] = i / 8f - 1f;
            ys[i] = 2 * xs[i] + 1;
        }
        Var x = Var.constant(Tensor.of(xs, 16, 1)), y = Var.constant(Tensor.of(ys, 16, 1));
        Var w = Var.param(Tensor.zeros(1, 1)), b = Var.param(Tensor.zeros(1));
        AdamW opt = new AdamW(List.of(new AdamW.ParamGroup(List.of(w, b), 0f)), 0.1f, 0.9f, 0.999f, 1e-8f);
        CosineSchedule sched = new CosineSchedule(0.1f, 10, 300);
        float loss = 0;
        for (int s = 1; s <= 300; s++) {
            opt.setLr(sched.lr(s - 1));
            Var l = F.mseLoss(F.linear(x, w, b), y);
            loss = l.value().toFloatArray()[0];
            opt.zeroGrad();
            l.backward();
            opt.step();
        }
        assertTrue(loss < 1e-4, "loss " + loss);
        assertEquals(2f, w.value().toFloatArray()[0], 1e-2);
        assertEquals(1f, b.value().toFloatArray()[0], 1e-2);
        assertFalse(Float.isNaN(loss));
        assertSame(w, opt.groups().get(0).params().get(0));
    }
}
