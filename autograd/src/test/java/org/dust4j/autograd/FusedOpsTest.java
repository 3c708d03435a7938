package org.dust4j.autograd;

import static org.dust4j.autograd.GradCheck.check;
import static org.dust4j.autograd.GradCheck.positive;
import static org.dust4j.autograd.GradCheck.qrandn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.Function;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The fused autograd ops (adaLn, gatedResidual, flowLoss, categoryLinear): finite-difference gradient checks (tolerances in
 * {@link GradCheck}) on the reference backend, and forward values and gradients against the same math composed from
 * the elementary F ops on both CPU backends. The composed and fused paths round the same float operations in the same
 * order except where noted, so they agree to 1e-5 absolute on O(1) values.
 */
class FusedOpsTest {

    /** Modulation [B, k*D]: the fused ops take column chunks of it, as the model's AdaNorm produces them. */
    static Var chunk(Var m, int i, int d) { return F.narrow(m, 1, i * d, d); }

    static Var bcast(Var m) { return F.unsqueeze(m, 1); }

    static Var composedAdaLn(Var x, Var scale, Var shift, float eps) {
        return F.add(F.mul(F.layerNorm(x, null, null, eps), F.add(bcast(scale), 1f)), bcast(shift));
    }

    @Test
    void adaLnGradCheck() {
        int b = 2, t = 3, d = 5;
        check("adaLn", v -> F.adaLn(v[0], chunk(v[1], 1, d), chunk(v[1], 0, d), 1e-6f), qrandn(1, 1f, b, t, d), qrandn(2, 0.5f, b, 2 * d));
    }

    @Test
    void gatedResidualGradCheck() {
        int b = 2, t = 3, d = 4;
        check("gatedResidual", v -> F.gatedResidual(v[0], v[1], chunk(v[2], 1, d)), qrandn(3, 1f, b, t, d), qrandn(4, 1f, b, t, d),
                qrandn(5, 1f, b, 3 * d));
    }

    @Test
    void flowLossGradCheck() {
        int b = 3, t = 2, d = 4;
        Tensor data = qrandn(6, 1f, b, t, d), eps = qrandn(7, 1f, b, t, d), elem = positive(8, 0f, 1f, b, t, d);
        Tensor has = Tensor.of(new float[] {1f, 0f, 1f}, b);
        check("flowLoss masked", v -> F.flowLoss(v[0], data, eps, elem, has), qrandn(9, 1f, b, t, d));
        check("flowLoss plain", v -> F.flowLoss(v[0], data, eps, null, null), qrandn(10, 1f, b, t, d));
    }

    @Test
    void categoryLinearGradCheck() {
        Tensor ids = Tensor.ofLongs(new long[] {2, 0, 2}, 3);
        check("categoryLinear", v -> F.categoryLinear(v[0], v[1], v[2], ids), qrandn(11, 1f, 3, 2, 4), qrandn(12, 0.5f, 3, 4, 5),
                qrandn(13, 1f, 3, 5));
        check("categoryLinear no bias", v -> F.categoryLinear(v[0], v[1], null, ids), qrandn(14, 1f, 3, 2, 4), qrandn(15, 0.5f, 3, 4, 5));
    }

    @Test
    void fusedMatchesComposedOnBothCpuBackends() {
        int b = 3, t = 7, d = 33, in = 9, out = 5, cats = 4;
        Tensor x = qrandn(20, 1f, b, t, d), mod = qrandn(21, 0.5f, b, 3 * d), h = qrandn(22, 1f, b, t, d);
        Tensor data = qrandn(23, 1f, b, t, d), eps = qrandn(24, 1f, b, t, d), elem = positive(25, 0f, 1f, b, t, d);
        Tensor has = Tensor.of(new float[] {1f, 0f, 1f}, b);
        Tensor xc = qrandn(26, 1f, b, t, in), w = qrandn(27, 0.5f, cats, in, out), bias = qrandn(28, 1f, cats, out);
        Tensor ids = Tensor.ofLongs(new long[] {3, 0, 3}, b);
        for (Backend be : new Backend[] {Backends.reference(), Backends.cpu()}) {
            try (var s = F.withBackend(be)) {
                same(be.name() + " adaLn", v -> F.adaLn(v[0], chunk(v[1], 1, d), chunk(v[1], 2, d), 1e-6f),
                        v -> composedAdaLn(v[0], chunk(v[1], 1, d), chunk(v[1], 2, d), 1e-6f), x, mod);
                same(be.name() + " gatedResidual", v -> F.gatedResidual(v[0], v[1], chunk(v[2], 0, d)),
                        v -> F.add(v[0], F.mul(bcast(chunk(v[2], 0, d)), v[1])), x, h, mod);
                Tensor m = be.binary(org.dust4j.tensor.Ops.Binary.MUL, elem, has.reshape(b, 1, 1));
                same(be.name() + " flowLoss", v -> F.flowLoss(v[0], data, eps, elem, has),
                        v -> F.div(F.sum(F.mul(F.square(F.sub(v[0], Var.constant(be.binary(org.dust4j.tensor.Ops.Binary.SUB, data, eps)))),
                                Var.constant(m))), Var.constant(Tensor.scalar((float) be.sumAll(m)))), h);
                same(be.name() + " categoryLinear", v -> F.categoryLinear(v[0], v[1], v[2], ids), v -> {
                    Var wsel = F.reshape(F.embedding(F.reshape(v[1], cats, in * out), ids), b, in, out);
                    return F.add(F.matmul(v[0], wsel), F.unsqueeze(F.embedding(v[2], ids), 1));
                }, xc, w, bias);
            }
        }
    }

    /** Same forward value and same gradient of every input for a random output seed. */
    static void same(String what, Function<Var[], Var> fused, Function<Var[], Var> composed, Tensor... inputs) {
        Var[] a = params(inputs), c = params(inputs);
        Var fa = fused.apply(a), fc = composed.apply(c);
        assertEquals(fa.shape().length, fc.shape().length, what + ": rank");
        TestUtil.close(what + " forward", fc.value(), fa.value(), 1e-5, 1e-5);
        Tensor seed = qrandn(what.hashCode(), 1f, fa.shape());
        fa.backward(seed);
        fc.backward(seed);
        for (int i = 0; i < inputs.length; i++) {
            // parameter gradients sum over B*T rows (up to 21 here) in possibly different orders: 1e-4
            TestUtil.close(what + " grad " + i, c[i].grad(), a[i].grad(), 1e-4, 1e-4);
        }
    }

    static Var[] params(Tensor... ts) {
        Var[] v = new Var[ts.length];
        for (int i = 0; i < ts.length; i++) v[i] = Var.param(Backends.reference().copy(ts[i]));
        return v;
    }
}
