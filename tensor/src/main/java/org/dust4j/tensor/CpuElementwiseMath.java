package org.dust4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane-wise float functions over array spans, built only from IEEE add/mul/fma/div/sqrt and bit operations, so a
 * result does not depend on whether the JIT has compiled the loop yet (the Vector API's own EXP/LOG/TANH use
 * Math.* when interpreted and a different approximation when compiled). Accuracy: exp and log within about 2 ulp,
 * tanh within about 3 ulp of the correctly rounded value.
 *
 * <p>Every function takes and returns arrays, never a vector: a method with a Vector API parameter or result that
 * C2 leaves out of line (a call site it judged cold when it compiled the caller, or a callee already compiled on
 * its own) boxes each vector that crosses the call, which made kernels 10-30x slower in some JVMs and not in
 * others ({@code VectorBoundaryTest} keeps it that way). Composite functions (tanh, sigmoid, GELU and the
 * derivatives) run in chunks of {@link #CH} elements: the argument of e^t into a per-thread scratch chunk, one
 * {@link #exp} pass over it in place, then the combination.
 */
final class CpuElementwiseMath {
    private CpuElementwiseMath() {}

    static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    static final int L = SP.length();
    /** Elements per chunk of the composite functions (a multiple of every vector length; 4 KiB in L1). */
    static final int CH = 1024;

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;          // 9 significant bits: n * LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f;       // ln 2 - LN2_HI
    private static final float ROUND_MAGIC = 12582912f;        // 1.5 * 2^23: adding it rounds to an integer
    private static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);

    private static final ThreadLocal<float[]> CHUNK = ThreadLocal.withInitial(() -> new float[CH]);

    /** A per-thread scratch chunk of {@link #CH} floats (the composite functions below use it; never nested). */
    static float[] chunk() { return CHUNK.get(); }

    /**
     * o[oo, oo+n) = e^x[xo, xo+n) (in place when the spans coincide). Arguments are clamped to [-104, 89], outside
     * which the float result is 0 or +inf anyway; NaN stays NaN.
     */
    static void exp(float[] xa, int xo, float[] o, int oo, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector x = FloatVector.fromArray(SP, xa, xo + i, k).max(-104f).min(89f);   // NaN passes max/min
            FloatVector t = x.fma(LOG2E, ROUND_MAGIC);              // round(x / ln 2) + magic
            FloatVector nf = t.sub(ROUND_MAGIC);
            IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);
            FloatVector r = nf.fma(FloatVector.broadcast(SP, -LN2_HI), x);
            r = nf.fma(FloatVector.broadcast(SP, -LN2_LO), r);                              // |r| <= ln2/2 + tiny
            // Taylor polynomial of degree 7 for e^r: truncation error < 1e-8 relative on |r| <= 0.35
            FloatVector p = r.fma(1f / 5040f, 1f / 720f);
            p = p.fma(r, FloatVector.broadcast(SP, 1f / 120f));
            p = p.fma(r, FloatVector.broadcast(SP, 1f / 24f));
            p = p.fma(r, FloatVector.broadcast(SP, 1f / 6f));
            p = p.fma(r, FloatVector.broadcast(SP, 0.5f));
            p = p.fma(r, FloatVector.broadcast(SP, 1f));
            p = p.fma(r, FloatVector.broadcast(SP, 1f));
            // scale by 2^n as 2^k1 * 2^k2 so that n in [-150, 129] never leaves the normal exponent range
            IntVector k1 = ni.lanewise(VectorOperators.ASHR, 1);
            IntVector k2 = ni.sub(k1);
            FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            p.mul(s1).mul(s2).intoArray(o, oo + i, k);
        }
    }

    /** o = log(x): log(0) = -inf, log(x&lt;0) = NaN, log(inf) = inf. */
    static void log(float[] xa, int xo, float[] o, int oo, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector x = FloatVector.fromArray(SP, xa, xo + i, k);
            VectorMask<Float> sub = x.compare(VectorOperators.LT, 0x1p-126f);   // subnormal (and <= 0, fixed below)
            FloatVector xs = x.blend(x.mul(0x1p23f), sub);
            IntVector bits = xs.reinterpretAsInts();
            IntVector e = bits.lanewise(VectorOperators.LSHR, 23).sub(127);
            e = e.blend(e.sub(23), sub.cast(e.species()));
            FloatVector m = bits.and(0x007fffff).or(0x3f800000).reinterpretAsFloats();   // [1, 2)
            VectorMask<Float> big = m.compare(VectorOperators.GT, 1.41421356f);
            m = m.blend(m.mul(0.5f), big);                                              // [sqrt(1/2), sqrt(2)]
            e = e.blend(e.add(1), big.cast(e.species()));
            // log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172: series to s^11 is below 1e-9 relative
            FloatVector s = m.sub(1f).div(m.add(1f));
            FloatVector z = s.mul(s);
            FloatVector q = z.fma(1f / 11f, 1f / 9f);
            q = q.fma(z, FloatVector.broadcast(SP, 1f / 7f));
            q = q.fma(z, FloatVector.broadcast(SP, 1f / 5f));
            q = q.fma(z, FloatVector.broadcast(SP, 1f / 3f));
            FloatVector logm = s.add(s).fma(z.mul(q), s.add(s));
            FloatVector ef = (FloatVector) e.convert(VectorOperators.I2F, 0);
            FloatVector res = ef.fma(FloatVector.broadcast(SP, LN2_HI), ef.fma(FloatVector.broadcast(SP, LN2_LO), logm));
            res = res.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
            res = res.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
            res.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN))).intoArray(o, oo + i, k);
        }
    }

    /**
     * The forward activations of the model's hot path in one loop each, e^t written out inline (the same operations
     * as {@link #exp}, so the same bits as {@link #apply}): o = x / (1 + e^t) with t = -2u (GELU_TANH, {@code gelu}
     * true) or t = -x (SILU). About twice as fast as the three passes of {@link #apply} (measured 0.6 vs 1.3 ns per
     * element single-threaded at [81, 1024]); the tail runs masked.
     */
    static void ratioActivation(boolean gelu, float[] xa, int xo, float[] o, int oo, int n) {
        VectorMask<Float> silu = SP.maskAll(!gelu);   // a blend, not a branch: no vector phi in the loop
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector x = FloatVector.fromArray(SP, xa, xo + i, k);
            FloatVector a = x.mul(x).mul(x).fma(FloatVector.broadcast(SP, GELU_A), x).mul(-2f * SQRT_2_OVER_PI).blend(x.neg(), silu);
            a = a.max(-104f).min(89f);
            FloatVector t = a.fma(LOG2E, ROUND_MAGIC);
            FloatVector nf = t.sub(ROUND_MAGIC);
            IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);
            FloatVector r = nf.fma(FloatVector.broadcast(SP, -LN2_HI), a);
            r = nf.fma(FloatVector.broadcast(SP, -LN2_LO), r);
            FloatVector p = r.fma(1f / 5040f, 1f / 720f);
            p = p.fma(r, FloatVector.broadcast(SP, 1f / 120f));
            p = p.fma(r, FloatVector.broadcast(SP, 1f / 24f));
            p = p.fma(r, FloatVector.broadcast(SP, 1f / 6f));
            p = p.fma(r, FloatVector.broadcast(SP, 0.5f));
            p = p.fma(r, FloatVector.broadcast(SP, 1f));
            p = p.fma(r, FloatVector.broadcast(SP, 1f));
            IntVector k1 = ni.lanewise(VectorOperators.ASHR, 1);
            IntVector k2 = ni.sub(k1);
            FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            x.div(p.mul(s1).mul(s2).add(1f)).intoArray(o, oo + i, k);
        }
    }

    /** The functions of x (and of x and an incoming gradient g) built on one e^t per element. */
    enum Fn { TANH, SIGMOID, SILU, GELU, D_EXP, D_TANH, D_SIGMOID, D_SILU, D_GELU }

    static final float SQRT_2_OVER_PI = (float) ReferenceBackend.SQRT_2_OVER_PI;
    static final float GELU_A = 0.044715f;

    /**
     * o = f(x) (g null) or o = g * f'(x) for the derivative functions; every span dense. tanh: an odd Taylor
     * polynomial for |x| &lt; 0.4, (1 - e^-2|x|) / (1 + e^-2|x|) above, then the sign of x. sigmoid 1 / (1 + e^-x),
     * SILU x / (1 + e^-x), GELU_TANH x / (1 + e^-2u) with u = sqrt(2/pi)(x + 0.044715 x^3) (no cancellation of
     * 1 + tanh u for negative x). Derivatives: 1 - tanh^2 = 4e / (1+e)^2 with e = e^-2|x|; sigmoid' s (1 - s) with
     * 1 - s = e s (e = e^-x kept finite); SILU' s (1 + x (1 - s)); GELU' s + 2x s (1-s) c (1 + 3a x^2), exactly 1
     * or 0 beyond |x| > 10.
     */
    static void apply(Fn f, float[] xa, int xo, float[] ga, int go, float[] o, int oo, int n) {
        float[] t = chunk();
        for (int c = 0; c < n; c += CH) {
            int len = Math.min(CH, n - c), xc = xo + c, gc = go + c, oc = oo + c;
            argument(f, xa, xc, t, len);
            if (f == Fn.D_EXP) exp(xa, xc, t, 0, len);
            else exp(t, 0, t, 0, len);
            combine(f, xa, xc, ga, gc, t, o, oc, len);
        }
    }

    /** t[0, n) = the argument of e^t for f at x. */
    private static void argument(Fn f, float[] xa, int xo, float[] t, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector x = FloatVector.fromArray(SP, xa, xo + i, k);
            // each case stores its own result: no vector flows out of the switch (C2 would merge them in a phi)
            switch (f) {
                case TANH, D_TANH -> x.abs().mul(-2f).intoArray(t, i, k);
                case SIGMOID, SILU -> x.neg().intoArray(t, i, k);
                case D_SIGMOID, D_SILU -> x.neg().min(88f).intoArray(t, i, k);
                case GELU -> x.mul(x).mul(x).fma(FloatVector.broadcast(SP, GELU_A), x).mul(-2f * SQRT_2_OVER_PI).intoArray(t, i, k);
                case D_GELU -> x.mul(x).mul(x).fma(FloatVector.broadcast(SP, GELU_A), x).mul(-2f * SQRT_2_OVER_PI).min(88f)
                        .intoArray(t, i, k);
                case D_EXP -> { }   // exp reads x itself
            }
        }
    }

    /**
     * o[0, n) = f from x and e = t (and g for the derivatives). One small method per function: a single method with
     * every case was too large for C1 ("out of virtual registers") and then stayed in its slow tier-2 code.
     */
    private static void combine(Fn f, float[] xa, int xo, float[] ga, int go, float[] t, float[] o, int oo, int n) {
        switch (f) {
            case TANH -> tanhOut(xa, xo, t, o, oo, n);
            case SIGMOID -> ratioOut(null, xa, xo, t, o, oo, n);
            case SILU, GELU -> ratioOut(xa, xa, xo, t, o, oo, n);
            case D_EXP -> dExpOut(ga, go, t, o, oo, n);
            case D_TANH -> dTanhOut(ga, go, t, o, oo, n);
            case D_SIGMOID -> dSigmoidOut(ga, go, t, o, oo, n);
            case D_SILU -> dSiluOut(xa, xo, ga, go, t, o, oo, n);
            case D_GELU -> dGeluOut(xa, xo, ga, go, t, o, oo, n);
        }
    }

    private static void tanhOut(float[] xa, int xo, float[] t, float[] o, int oo, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector x = FloatVector.fromArray(SP, xa, xo + i, k), e = FloatVector.fromArray(SP, t, i);
            FloatVector ax = x.abs();
            FloatVector big = e.neg().add(1f).div(e.add(1f));
            // tanh x = x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835 - 1382x^11/155925 + 21844x^13/6081075
            //          - 929569x^15/638512875: the next term is below 1e-9 relative for |x| < 0.4
            FloatVector z = ax.mul(ax);
            FloatVector p = z.fma(-929569f / 638512875f, 21844f / 6081075f);
            p = p.fma(z, FloatVector.broadcast(SP, -1382f / 155925f));
            p = p.fma(z, FloatVector.broadcast(SP, 62f / 2835f));
            p = p.fma(z, FloatVector.broadcast(SP, -17f / 315f));
            p = p.fma(z, FloatVector.broadcast(SP, 2f / 15f));
            p = p.fma(z, FloatVector.broadcast(SP, -1f / 3f));
            FloatVector small = ax.fma(z.mul(p), ax);
            big = big.blend(small, ax.compare(VectorOperators.LT, 0.4f));
            // copy the sign bit of x (tanh is odd; keeps tanh(-0) = -0)
            big.reinterpretAsInts().or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats().intoArray(o, oo + i, k);
        }
    }

    /** o = num / (1 + e) with num = x (SILU, GELU) or 1 (sigmoid, {@code num} null); two loops, no vector phi. */
    private static void ratioOut(float[] num, float[] xa, int xo, float[] t, float[] o, int oo, int n) {
        if (num == null) {
            FloatVector one = FloatVector.broadcast(SP, 1f);
            for (int i = 0; i < n; i += L) one.div(FloatVector.fromArray(SP, t, i).add(1f)).intoArray(o, oo + i, SP.indexInRange(i, n));
            return;
        }
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector.fromArray(SP, xa, xo + i, k).div(FloatVector.fromArray(SP, t, i).add(1f)).intoArray(o, oo + i, k);
        }
    }

    private static void dExpOut(float[] ga, int go, float[] t, float[] o, int oo, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector.fromArray(SP, ga, go + i, k).mul(FloatVector.fromArray(SP, t, i)).intoArray(o, oo + i, k);
        }
    }

    private static void dTanhOut(float[] ga, int go, float[] t, float[] o, int oo, int n) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector e = FloatVector.fromArray(SP, t, i), d = e.add(1f);
            FloatVector.fromArray(SP, ga, go + i, k).mul(e.mul(4f).div(d.mul(d))).intoArray(o, oo + i, k);
        }
    }

    private static void dSigmoidOut(float[] ga, int go, float[] t, float[] o, int oo, int n) {
        FloatVector one = FloatVector.broadcast(SP, 1f);
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector e = FloatVector.fromArray(SP, t, i), s = one.div(e.add(1f));
            FloatVector.fromArray(SP, ga, go + i, k).mul(s.mul(e.mul(s))).intoArray(o, oo + i, k);
        }
    }

    private static void dSiluOut(float[] xa, int xo, float[] ga, int go, float[] t, float[] o, int oo, int n) {
        FloatVector one = FloatVector.broadcast(SP, 1f);
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector x = FloatVector.fromArray(SP, xa, xo + i, k), e = FloatVector.fromArray(SP, t, i), s = one.div(e.add(1f));
            FloatVector.fromArray(SP, ga, go + i, k).mul(s.mul(x.mul(e.mul(s)).add(1f))).intoArray(o, oo + i, k);
        }
    }

    private static void dGeluOut(float[] xa, int xo, float[] ga, int go, float[] t, float[] o, int oo, int n) {
        FloatVector one = FloatVector.broadcast(SP, 1f), zero = FloatVector.zero(SP);
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, n);
            FloatVector x = FloatVector.fromArray(SP, xa, xo + i, k), e = FloatVector.fromArray(SP, t, i), s = one.div(e.add(1f));
            FloatVector du = x.mul(x).mul(3f * GELU_A).add(1f).mul(2f * SQRT_2_OVER_PI);
            FloatVector d = x.mul(s).mul(e.mul(s)).mul(du).add(s);
            FloatVector step = zero.blend(1f, x.compare(VectorOperators.GT, 0f));
            FloatVector.fromArray(SP, ga, go + i, k).mul(d.blend(step, x.abs().compare(VectorOperators.GT, 10f))).intoArray(o, oo + i, k);
        }
    }
}
