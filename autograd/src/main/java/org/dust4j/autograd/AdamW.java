package org.dust4j.autograd;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;

/**
 * torch.optim.AdamW (single-tensor algorithm): {@code p *= 1 - lr*wd; m = b1*m + (1-b1)*g;
 * v = b2*v + (1-b2)*g^2; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}, fused per parameter
 * through {@link Backend#adamw}. As in torch, each parameter counts its own steps and a parameter
 * whose gradient is null is skipped.
 */
public final class AdamW {

    /** Parameters sharing one weight decay. */
    public record ParamGroup(List<Var> params, float weightDecay) {
        public ParamGroup {
            params = List.copyOf(params);
        }
    }

    /** Per-parameter state: first and second moments and the number of updates applied. */
    public static final class State {
        private Tensor m;
        private Tensor v;
        private int step;

        /** Moments must be contiguous F32 of the parameter's shape. */
        public State(Tensor m, Tensor v, int step) {
            this.m = m;
            this.v = v;
            this.step = step;
        }

        public Tensor m() { return m; }

        public Tensor v() { return v; }

        public int step() { return step; }
    }

    private final List<ParamGroup> groups;
    private final float beta1, beta2, eps;
    private float lr;
    private int stepCount;
    private final Map<Var, State> state = new IdentityHashMap<>();

    public AdamW(List<ParamGroup> groups, float lr, float beta1, float beta2, float eps) {
        if (!(lr >= 0f)) throw new IllegalArgumentException("AdamW: learning rate must be >= 0, got " + lr);
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException("AdamW: betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps >= 0f)) throw new IllegalArgumentException("AdamW: eps must be >= 0, got " + eps);
        this.groups = List.copyOf(groups);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /**
     * Two groups as the usual transformer recipe: parameters with {@code weightDecay}, then those without
     * (names ending in "bias", category-specific biases named "b" or ending in ".b", which are 2-D [C, out], and
     * every 1-D parameter, e.g. norm weights).
     */
    public static List<ParamGroup> groupsNoDecayOnBiasAndNorm(Map<String, Var> namedParameters, float weightDecay) {
        List<Var> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        for (Map.Entry<String, Var> e : namedParameters.entrySet()) {
            String n = e.getKey();
            boolean skip = n.endsWith("bias") || n.equals("b") || n.endsWith(".b") || e.getValue().value().rank() == 1;
            (skip ? noDecay : decay).add(e.getValue());
        }
        return List.of(new ParamGroup(decay, weightDecay), new ParamGroup(noDecay, 0f));
    }

    /** One update of every parameter that has a gradient. */
    public void step() {
        stepCount++;
        for (ParamGroup g : groups) {
            for (Var p : g.params()) {
                Tensor grad = p.grad();
                if (grad == null) continue;
                Backend be = F.backend(p.value());
                if (!p.value().isContiguous() || p.value().dtype() != DType.F32) {
                    p.setValue(be.copy(p.value().to(DType.F32)));
                }
                Tensor gc = grad.isContiguous() ? grad : be.copy(grad);
                State s = state.computeIfAbsent(p, k -> new State(be.zeros(DType.F32, k.shape()),
                        be.zeros(DType.F32, k.shape()), 0));
                if (!s.m.device().equals(p.value().device())) {     // the module was moved (Module.to): the moments follow once
                    s.m = s.m.to(p.value().device());
                    s.v = s.v.to(p.value().device());
                }
                s.step++;
                be.adamw(p.value(), gc, s.m, s.v, lr, beta1, beta2, eps, g.weightDecay(), s.step);
            }
        }
    }

    /** Sets every parameter's gradient to null. */
    public void zeroGrad() {
        for (ParamGroup g : groups) for (Var p : g.params()) p.zeroGrad();
    }

    public void setLr(float lr) { this.lr = lr; }

    public float lr() { return lr; }

    /** Number of {@link #step()} calls (including restored ones). */
    public int stepCount() { return stepCount; }

    /** Restores the step counter (checkpoints). */
    public void setStepCount(int n) { stepCount = n; }

    public List<ParamGroup> groups() { return groups; }

    /** Live per-parameter state (parameters that have been updated at least once). */
    public Map<Var, State> state() { return Collections.unmodifiableMap(state); }

    /** Restores one parameter's state (checkpoints); the moments are used in place. */
    public void setState(Var p, Tensor m, Tensor v, int step) {
        if (!java.util.Arrays.equals(m.shape(), p.shape()) || !java.util.Arrays.equals(v.shape(), p.shape())) {
            throw new IllegalArgumentException("AdamW.setState: moments " + org.dust4j.tensor.Shape.str(m.shape()) + " / "
                    + org.dust4j.tensor.Shape.str(v.shape()) + " do not match parameter " + org.dust4j.tensor.Shape.str(p.shape()));
        }
        Backend be = F.backend(p.value());
        m = m.to(p.value().device());
        v = v.to(p.value().device());
        state.put(p, new State(m.isContiguous() ? m : be.copy(m), v.isContiguous() ? v : be.copy(v), step));
    }
}
