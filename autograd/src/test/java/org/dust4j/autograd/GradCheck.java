package org.dust4j.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.Function;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;

/**
 * Finite-difference gradient checks on the reference backend.
 *
 * <p>Inputs are quantised to multiples of 2^-12 and the step h is 2^-6, so {@code x ± h} and
 * {@code x ± 2h} are exact in float: the only perturbation is the one intended. The loss is
 * {@code L = sum(out * R)} for a random quantised R, accumulated in double, and its derivative is the
 * fourth-order central difference {@code (8(L(x+h) - L(x-h)) - (L(x+2h) - L(x-2h))) / 12h}, whose
 * truncation error (h^4/30 times the fifth derivative, about 2e-9 times it) is negligible. What remains is
 * float rounding of the op's outputs: each output is rounded a few times, at most 2^-24 relative each, so
 * L carries at most {@code ROUNDINGS * 2^-24 * S} of error with {@code S = sum |out * R|}, and the stencil
 * multiplies that by 18/(12h). That bound is the absolute tolerance; the relative tolerance 1e-3 covers
 * the analytic gradient's own float rounding inside composite backward formulas.
 */
final class GradCheck {
    private GradCheck() {}

    static final double H = 0x1.0p-6;
    static final int ROUNDINGS = 8;
    static final double RTOL = 1e-3;

    /** N(0,1)*scale rounded to a multiple of 2^-12 (so x ± 2h stays exact). */
    static Tensor qrandn(long seed, float scale, int... shape) {
        Tensor t = Backends.reference().random(seed, true, shape);
        float[] d = t.toFloatArray();
        for (int i = 0; i < d.length; i++) d[i] = quantise(d[i] * scale);
        return Tensor.of(d, shape);
    }

    static float quantise(double v) {
        return (float) (Math.rint(v * 4096.0) / 4096.0);
    }

    /** A quantised tensor with every element pushed at least {@code gap} away from 0 (for kinks at 0). */
    static Tensor awayFromZero(long seed, float gap, int... shape) {
        float[] d = qrandn(seed, 1f, shape).toFloatArray();
        for (int i = 0; i < d.length; i++) d[i] = quantise(Math.copySign(gap + Math.abs(d[i]), d[i] == 0 ? 1 : d[i]));
        return Tensor.of(d, shape);
    }

    /** A quantised tensor in [lo, lo + spread) (for logs, square roots and denominators). */
    static Tensor positive(long seed, float lo, float spread, int... shape) {
        float[] d = new float[numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = quantise(lo + spread * Rng.uniform(seed, i));
        return Tensor.of(d, shape);
    }

    private static int numel(int[] shape) {
        int n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /** Checks the gradient of every input (all treated as parameters). */
    static void check(String what, Function<Var[], Var> f, Tensor... inputs) {
        boolean[] all = new boolean[inputs.length];
        java.util.Arrays.fill(all, true);
        check(what, f, all, inputs);
    }

    /** Checks the gradients of the inputs flagged in {@code grad}; the others are constants. */
    static void check(String what, Function<Var[], Var> f, boolean[] grad, Tensor... inputs) {
        try (var s = F.withBackend(Backends.reference())) {
            Var[] vars = new Var[inputs.length];
            for (int i = 0; i < inputs.length; i++) vars[i] = grad[i] ? Var.param(copy(inputs[i])) : Var.constant(copy(inputs[i]));
            Var out = f.apply(vars);
            Tensor r = qrandn(0x5EED ^ what.hashCode(), 1f, out.shape());
            out.backward(r);
            double[] rv = toDouble(r);
            double sAbs = 0;
            float[] ov = out.value().toFloatArray();
            for (int i = 0; i < ov.length; i++) sAbs += Math.abs(ov[i] * rv[i]);
            double atol = ROUNDINGS * 0x1.0p-24 * Math.max(sAbs, 1.0) * 18.0 / (12.0 * H) + 1e-6;
            for (int j = 0; j < inputs.length; j++) {
                if (!grad[j]) continue;
                Tensor g = vars[j].grad();
                assertNotNull(g, what + ": input " + j + " got no gradient");
                assertArrayEquals(inputs[j].shape(), g.shape(), what + ": gradient shape of input " + j);
                float[] analytic = g.toFloatArray();
                float[] base = inputs[j].contiguous().toFloatArray();
                for (int e = 0; e < base.length; e++) {
                    double lp1 = loss(f, inputs, j, e, base, +1, rv), lm1 = loss(f, inputs, j, e, base, -1, rv);
                    double lp2 = loss(f, inputs, j, e, base, +2, rv), lm2 = loss(f, inputs, j, e, base, -2, rv);
                    double numeric = (8 * (lp1 - lm1) - (lp2 - lm2)) / (12 * H);
                    double tol = atol + RTOL * Math.abs(numeric);
                    if (!(Math.abs(analytic[e] - numeric) <= tol)) {
                        fail(what + ": d/d input" + j + "[" + e + "] analytic " + analytic[e] + " numeric " + numeric
                                + " |diff| " + Math.abs(analytic[e] - numeric) + " > tol " + tol);
                    }
                }
            }
        }
    }

    private static double loss(Function<Var[], Var> f, Tensor[] inputs, int j, int e, float[] base, int steps, double[] r) {
        float[] d = base.clone();
        d[e] = (float) (d[e] + steps * H);
        if (d[e] - base[e] != steps * H) throw new AssertionError("perturbation not exact at " + base[e]);
        Var[] vars = new Var[inputs.length];
        for (int i = 0; i < inputs.length; i++) vars[i] = Var.constant(i == j ? Tensor.of(d, inputs[j].shape()) : copy(inputs[i]));
        try (var s = GradMode.noGrad()) {
            float[] out = f.apply(vars).value().toFloatArray();
            double l = 0;
            for (int i = 0; i < out.length; i++) l += out[i] * r[i];
            return l;
        }
    }

    private static Tensor copy(Tensor t) {
        return Backends.reference().copy(t);
    }

    private static double[] toDouble(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
