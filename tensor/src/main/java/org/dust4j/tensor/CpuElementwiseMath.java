package org.dust4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane-wise float functions built only from IEEE add/mul/fma/div/sqrt and bit operations, so a
 * result does not depend on whether the JIT has compiled the loop yet (the Vector API's own EXP/LOG/
 * TANH use Math.* when interpreted and a different approximation when compiled). Accuracy: exp and
 * log within about 2 ulp, tanh within about 3 ulp of the correctly rounded value.
 */
final class CpuElementwiseMath {
    private CpuElementwiseMath() {}

    static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    static final int L = SP.length();

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;          // 9 significant bits: n * LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f;       // ln 2 - LN2_HI
    private static final float ROUND_MAGIC = 12582912f;        // 1.5 * 2^23: adding it rounds to an integer
    private static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);

    /** e^x. Arguments are clamped to [-104, 89], outside which the float result is 0 or +inf anyway. */
    static FloatVector exp(FloatVector x) {
        x = x.max(-104f).min(89f);                              // NaN passes through max/min
        FloatVector t = x.fma(LOG2E, ROUND_MAGIC);              // round(x / ln 2) + magic
        FloatVector n = t.sub(ROUND_MAGIC);
        IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);
        FloatVector r = n.fma(FloatVector.broadcast(SP, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(SP, -LN2_LO), r);                                  // |r| <= ln2/2 + tiny
        // Taylor polynomial of degree 7 for e^r: truncation error < 1e-8 relative on |r| <= 0.35
        FloatVector p = r.fma(1f / 5040f, 1f / 720f);
        p = mad(p, r, 1f / 120f);
        p = mad(p, r, 1f / 24f);
        p = mad(p, r, 1f / 6f);
        p = mad(p, r, 0.5f);
        p = mad(p, r, 1f);
        p = mad(p, r, 1f);
        // scale by 2^n as 2^k1 * 2^k2 so that n in [-150, 129] never leaves the normal exponent range
        IntVector k1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = ni.sub(k1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** Natural logarithm: log(0) = -inf, log(x<0) = NaN, log(inf) = inf. */
    static FloatVector log(FloatVector x) {
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
        q = mad(q, z, 1f / 7f);
        q = mad(q, z, 1f / 5f);
        q = mad(q, z, 1f / 3f);
        FloatVector logm = s.add(s).fma(z.mul(q), s.add(s));
        FloatVector ef = (FloatVector) e.convert(VectorOperators.I2F, 0);
        FloatVector res = ef.fma(FloatVector.broadcast(SP, LN2_HI), ef.fma(FloatVector.broadcast(SP, LN2_LO), logm));
        res = res.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        res = res.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        return res.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
    }

    /** tanh: an odd Taylor polynomial for |x| < 0.4, (1 - e^-2|x|) / (1 + e^-2|x|) above, then the sign of x. */
    static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector e = exp(ax.mul(-2f));
        FloatVector t = e.neg().add(1f).div(e.add(1f));
        // tanh x = x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835 - 1382x^11/155925 + 21844x^13/6081075
        //          - 929569x^15/638512875: the next term is below 1e-9 relative for |x| < 0.4
        FloatVector z = ax.mul(ax);
        FloatVector p = z.fma(-929569f / 638512875f, 21844f / 6081075f);
        p = mad(p, z, -1382f / 155925f);
        p = mad(p, z, 62f / 2835f);
        p = mad(p, z, -17f / 315f);
        p = mad(p, z, 2f / 15f);
        p = mad(p, z, -1f / 3f);
        FloatVector small = ax.fma(z.mul(p), ax);
        t = t.blend(small, ax.compare(VectorOperators.LT, 0.4f));
        // copy the sign bit of x (tanh is odd; keeps tanh(-0) = -0)
        return t.reinterpretAsInts().or(x.reinterpretAsInts().and(0x80000000)).reinterpretAsFloats();
    }

    /** a * b + c with one rounding. */
    static FloatVector mad(FloatVector a, FloatVector b, float c) {
        return a.fma(b, FloatVector.broadcast(SP, c));
    }

    /** 1 / (1 + e^-x). */
    static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(x.species(), 1f).div(exp(x.neg()).add(1f));
    }

    static final float SQRT_2_OVER_PI = (float) ReferenceBackend.SQRT_2_OVER_PI;
    static final float GELU_A = 0.044715f;

    /** 2u where GELU_TANH(x) = 0.5x(1 + tanh u) = x * sigmoid(2u), u = sqrt(2/pi)(x + 0.044715 x^3). */
    static FloatVector geluTwoU(FloatVector x) {
        return x.mul(x).mul(x).fma(FloatVector.broadcast(SP, GELU_A), x).mul(2f * SQRT_2_OVER_PI);
    }

    /** x * sigmoid(x): x / (1 + e^-x), no cancellation in either tail. */
    static FloatVector silu(FloatVector x) {
        return x.div(exp(x.neg()).add(1f));
    }

    /** GELU_TANH as x / (1 + e^-2u), which avoids the cancellation of 1 + tanh u for negative x. */
    static FloatVector gelu(FloatVector x) {
        return x.div(exp(geluTwoU(x).neg()).add(1f));
    }

    /** 1 - tanh^2 x = 4e / (1+e)^2 with e = exp(-2|x|) <= 1 (no cancellation near |tanh| = 1). */
    static FloatVector dTanh(FloatVector x) {
        FloatVector e = exp(x.abs().mul(-2f));
        FloatVector d = e.add(1f);
        return e.mul(4f).div(d.mul(d));
    }

    /** s (1 - s) with 1 - s = e s, e = exp(-x) kept finite. */
    static FloatVector dSigmoid(FloatVector x) {
        FloatVector e = exp(x.neg().min(88f));
        FloatVector s = FloatVector.broadcast(SP, 1f).div(e.add(1f));
        return s.mul(e.mul(s));
    }

    /** SILU'(x) = s (1 + x (1 - s)). */
    static FloatVector dSilu(FloatVector x) {
        FloatVector e = exp(x.neg().min(88f));
        FloatVector s = FloatVector.broadcast(SP, 1f).div(e.add(1f));
        return s.mul(x.mul(e.mul(s)).add(1f));
    }

    /** GELU_TANH'(x) = s + 2 x s (1-s) c (1 + 3a x^2) with s = sigmoid(2u); exactly 1 or 0 beyond |x| > 10. */
    static FloatVector dGelu(FloatVector x) {
        FloatVector e = exp(geluTwoU(x).neg().min(88f));
        FloatVector s = FloatVector.broadcast(SP, 1f).div(e.add(1f));
        FloatVector du = x.mul(x).mul(3f * GELU_A).add(1f).mul(2f * SQRT_2_OVER_PI);
        FloatVector d = x.mul(s).mul(e.mul(s)).mul(du).add(s);
        FloatVector step = FloatVector.zero(SP).blend(1f, x.compare(VectorOperators.GT, 0f));
        return d.blend(step, x.abs().compare(VectorOperators.GT, 10f));
    }
}
