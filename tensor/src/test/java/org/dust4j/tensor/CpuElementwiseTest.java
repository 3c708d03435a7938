package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The Vector API element-wise kernels against the scalar oracle. */
class CpuElementwiseTest {
    static final CpuBackend CPU = Backends.cpu();
    static final ReferenceBackend REF = Backends.reference();

    /** A named input view. */
    record In(String name, Tensor t) {}

    /** Inputs of one logical shape in several layouts: dense, strided (last two axes swapped), narrowed, expanded. */
    static List<In> layouts(long seed, float scale, int... shape) {
        List<In> out = new ArrayList<>();
        String s = Shape.str(shape);
        out.add(new In("dense " + s, Check.randn(seed, scale, shape)));
        if (shape.length >= 1) out.add(new In("strided " + s, Check.randnStrided(seed, scale, shape)));
        int[] wider = shape.clone();
        if (shape.length >= 1) {
            wider[0] += 3;
            out.add(new In("narrowed " + s, Check.randn(seed + 1, scale, wider).narrow(0, 2, shape[0])));
            int[] one = shape.clone();
            one[0] = 1;
            out.add(new In("expanded " + s, Check.randn(seed + 2, scale, one).expand(shape)));
        }
        return out;
    }

    static final int[][] SHAPES = {{}, {1}, {7}, {33}, {1000}, {7, 33}, {33, 1000}, {3, 7, 5}};

    static float[] special() {
        return new float[] {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
                -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1e-30f, 3.5f, -2.25f, 1e20f, -1e20f, 0.5f};
    }

    // ------------------------------------------------------------ binary

    @Test
    void binarySameShapeAllLayoutsIsExact() {
        for (Ops.Binary op : Ops.Binary.values()) {
            for (int[] shape : SHAPES) {
                List<In> as = layouts(11, 1f, shape), bs = layouts(12, 1f, shape);
                for (In a : as) {
                    for (In b : bs) {
                        // float op float is one IEEE operation in both backends: results must agree exactly
                        Check.close(op + " " + a.name() + " with " + b.name(), REF.binary(op, a.t(), b.t()), CPU.binary(op, a.t(), b.t()), 0, 0);
                    }
                }
            }
        }
    }

    @Test
    void binaryBroadcasting() {
        Tensor big = Check.randn(1, 1f, 33, 1000), bigT = Check.randnStrided(1, 1f, 33, 1000);
        Tensor[][] cases = {
                {big, Check.randn(2, 1f, 1000)},                 // row broadcast [R,D] op [D]
                {Check.randn(2, 1f, 1000), big},                 // [D] op [R,D]
                {big, Check.randn(3, 1f, 33, 1)},                // column broadcast
                {big, Tensor.scalar(0.75f).reshape()},           // scalar broadcast (rank 0)
                {Tensor.scalar(-1.5f), bigT},                    // [1] op strided
                {bigT, Check.randnStrided(4, 1f, 1000)},         // strided row broadcast
                {Check.randn(5, 1f, 7, 1, 5), Check.randn(6, 1f, 3, 1)},   // both sides broadcast
                {Check.randn(7, 1f, 7, 33).transpose(0, 1), Check.randn(8, 1f, 7)},
                {Check.randn(9, 1f, 1, 1), Check.randn(10, 1f, 1)},
        };
        for (Ops.Binary op : Ops.Binary.values()) {
            for (Tensor[] c : cases) {
                Check.close(op + " " + Shape.str(c[0].shape()) + " with " + Shape.str(c[1].shape()),
                        REF.binary(op, c[0], c[1]), CPU.binary(op, c[0], c[1]), 0, 0);
            }
        }
    }

    @Test
    void maxMinPropagateNaNAndOrderSignedZeros() {
        float[] s = special();
        int n = s.length;
        float[] x = new float[n * n], y = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                x[i * n + j] = s[i];
                y[i * n + j] = s[j];
            }
        }
        Tensor a = Tensor.of(x, n, n), b = Tensor.of(y, n, n);
        for (Ops.Binary op : Ops.Binary.values()) {
            float[] r = REF.binary(op, a, b).toFloatArray(), g = CPU.binary(op, a, b).toFloatArray();
            for (int i = 0; i < r.length; i++) {
                // floatToIntBits keeps the sign of zero and makes every NaN the same
                assertEquals(Float.floatToIntBits(r[i]), Float.floatToIntBits(g[i]), op + "(" + x[i] + ", " + y[i] + ")");
            }
        }
        assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(CPU.binary(Ops.Binary.MAX, Tensor.of(new float[] {-0f}, 1),
                Tensor.of(new float[] {0f}, 1)).toFloatArray()[0]), "max(-0, 0) is +0");
    }

    @Test
    void binaryBadInputs() {
        Tensor a = Check.randn(1, 1f, 7, 33), b = Check.randn(2, 1f, 7, 32);
        String msg = sameError(IllegalArgumentException.class, () -> REF.binary(Ops.Binary.ADD, a, b), () -> CPU.binary(Ops.Binary.ADD, a, b));
        assertTrue(msg.contains("add") && msg.contains("[7, 33]") && msg.contains("[7, 32]"), msg);
        Tensor h = CPU.convert(a, DType.BF16);
        msg = sameError(IllegalArgumentException.class, () -> REF.binary(Ops.Binary.MUL, a, h), () -> CPU.binary(Ops.Binary.MUL, a, h));
        assertTrue(msg.contains("mul") && msg.contains("BF16"), msg);
    }

    /** Both calls must throw the same exception type with the same message; returns the message. */
    static String sameError(Class<? extends Throwable> type, Executable ref, Executable cpu) {
        String r = assertThrows(type, ref).getMessage(), c = assertThrows(type, cpu).getMessage();
        assertEquals(r, c, "CPU error message differs from the oracle's");
        return c;
    }

    // ------------------------------------------------------------ scalar, unary

    @Test
    void scalarOpsAreExact() {
        for (Ops.Scalar op : Ops.Scalar.values()) {
            for (float s : new float[] {2f, -1.25f, 0.5f, 3f}) {
                for (int[] shape : SHAPES) {
                    for (In x : layouts(21, 2f, shape)) {
                        // single IEEE operations, or (float) Math.pow in both: exact agreement
                        Check.close(op + " " + s + " " + x.name(), REF.scalar(op, x.t(), s), CPU.scalar(op, x.t(), s), 0, 0);
                    }
                }
            }
            Tensor sp = Tensor.of(special(), special().length);
            Check.close(op + " special", REF.scalar(op, sp, 2f), CPU.scalar(op, sp, 2f), 0, 0);
            Check.close(op + " NaN scalar", REF.scalar(op, sp, Float.NaN), CPU.scalar(op, sp, Float.NaN), 0, 0);
        }
    }

    /** Inputs in each op's domain. */
    static Tensor domain(Ops.Unary op, Tensor x) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> REF.scalar(Ops.Scalar.ADD, REF.unary(Ops.Unary.ABS, x), 0.01f);
            default -> x;
        };
    }

    /**
     * Tolerances per unary op against the oracle's double-then-round result. Exact ops: 0. RSQRT rounds twice
     * (1 ulp, rtol 2^-23). exp/log/tanh of CpuElementwiseMath measure below 2.5 ulp over wide sweeps (see
     * mathFunctionsWithinUlps); sigmoid/silu/gelu add a division and an add (rtol 8 ulp = 4.8e-7). GELU computes
     * u = c(x + a x^3) in float and e^-2u turns each ulp of u into |2u| ulps: in the left tail, where |2u| is large,
     * |gelu| is tiny, and an absolute 1e-9 covers it (the oracle itself is only ~1e-16 accurate there); where |gelu| is
     * above 1e-3, |2u| < 5 and rtol 1e-6 covers it (measured worst: 5.5e-7 at x ~ -2.2).
     */
    static double[] tol(Ops.Unary op) {
        return switch (op) {
            case NEG, ABS, SQUARE, SQRT, RECIPROCAL, RELU -> new double[] {0, 0};
            case RSQRT -> new double[] {0, 1.2e-7};
            case EXP, LOG, TANH -> new double[] {1e-30, 3.6e-7};
            case SIGMOID, SILU -> new double[] {1e-12, 4.8e-7};
            case GELU_TANH -> new double[] {1e-9, 1e-6};
        };
    }

    @Test
    void unaryMatchesOracle() {
        for (Ops.Unary op : Ops.Unary.values()) {
            double[] t = tol(op);
            for (int[] shape : SHAPES) {
                for (In x : layouts(31, 3f, shape)) {
                    Tensor in = domain(op, x.t());
                    Check.close(op + " " + x.name(), REF.unary(op, in), CPU.unary(op, in), t[0], t[1]);
                }
            }
            Tensor sp = Tensor.of(special(), special().length);
            Check.close(op + " special values", REF.unary(op, sp), CPU.unary(op, sp), t[0], t[1]);
        }
    }

    @Test
    void mathFunctionsWithinUlps() {
        // sweeps over the whole useful range; every value compared with the correctly rounded double result
        int n = 200_000;
        float[] ex = new float[n], lg = new float[n], th = new float[n];
        for (int i = 0; i < n; i++) {
            double u = (i + 0.5) / n;
            ex[i] = (float) (-103 + 192 * u);                  // e^x from underflow to overflow
            lg[i] = (float) Math.exp(-100 + 190 * u);          // subnormals to 1e38
            th[i] = (float) (-12 + 24 * u);
        }
        assertUlps("exp", CPU.unary(Ops.Unary.EXP, Tensor.of(ex, n)).toFloatArray(), ex, Math::exp, 2.0);
        assertUlps("log", CPU.unary(Ops.Unary.LOG, Tensor.of(lg, n)).toFloatArray(), lg, Math::log, 2.5);
        assertUlps("tanh", CPU.unary(Ops.Unary.TANH, Tensor.of(th, n)).toFloatArray(), th, Math::tanh, 2.5);
        float[] e = CPU.unary(Ops.Unary.EXP, Tensor.of(new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 89f, -104f, 0f}, 6)).toFloatArray();
        assertArrayEquals(new float[] {0f, Float.POSITIVE_INFINITY, Float.NaN, Float.POSITIVE_INFINITY, 0f, 1f}, e);
        float[] l = CPU.unary(Ops.Unary.LOG, Tensor.of(new float[] {0f, -0f, -1f, Float.POSITIVE_INFINITY, Float.NaN, 1f}, 6)).toFloatArray();
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.POSITIVE_INFINITY, Float.NaN, 0f}, l);
        float[] t = CPU.unary(Ops.Unary.TANH, Tensor.of(new float[] {-0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-30f}, 4)).toFloatArray();
        assertArrayEquals(new float[] {-0f, 1f, -1f, 1e-30f}, t);
    }

    static void assertUlps(String what, float[] got, float[] x, java.util.function.DoubleUnaryOperator f, double maxUlps) {
        double worst = 0;
        int at = 0;
        for (int i = 0; i < x.length; i++) {
            double exact = f.applyAsDouble(x[i]);
            float r = (float) exact;
            if (r == got[i]) continue;
            double ulps = Math.abs(got[i] - exact) / Math.ulp(Math.max(Math.abs(r), Float.MIN_NORMAL));
            if (ulps > worst) {
                worst = ulps;
                at = i;
            }
        }
        assertTrue(worst <= maxUlps, what + ": " + worst + " ulp at x=" + x[at] + " (got " + got[at] + ", exact " + f.applyAsDouble(x[at]) + ")");
    }

    /**
     * unaryBackward tolerances: the oracle forms g*f'(x) in double; the kernel forms it in float in 2-5 roundings
     * plus exp/tanh error (rtol 1e-6 ~ 8 ulp); LOG/SQRT/RSQRT/RECIPROCAL are 2-3 roundings (rtol 4 ulp). SILU' and
     * GELU' have a root (x ~ -2.4 / -0.75) where two terms of size s cancel in float: absolute error a few
     * ulp(1)·s·|g| there, up to ~1.5e-7 for |g| <= 4 and s <= 0.3, so atol 2e-7.
     */
    static double[] tolBackward(Ops.Unary op) {
        return switch (op) {
            case NEG, ABS, SQUARE, RELU -> new double[] {0, 0};
            case LOG, SQRT, RSQRT, RECIPROCAL -> new double[] {0, 4.8e-7};
            default -> new double[] {2e-7, 1e-6};
        };
    }

    @Test
    void unaryBackwardMatchesOracle() {
        for (Ops.Unary op : Ops.Unary.values()) {
            double[] t = tolBackward(op);
            for (int[] shape : SHAPES) {
                List<In> xs = layouts(41, 3f, shape), gs = layouts(42, 1f, shape);
                for (int k = 0; k < xs.size(); k++) {
                    Tensor x = domain(op, xs.get(k).t()), g = gs.get((k + 1) % gs.size()).t();
                    Check.close(op + " backward " + xs.get(k).name(), REF.unaryBackward(op, x, g), CPU.unaryBackward(op, x, g), t[0], t[1]);
                }
            }
            // tails: large |x| where naive float formulas overflow or cancel
            float[] far = {-200f, -90f, -30f, -12f, -9f, -5f, 5f, 9f, 12f, 30f, 90f, 200f, 0f, -0f};
            Tensor x = Tensor.of(far, far.length), g = Tensor.full(1.5f, far.length);
            if (op != Ops.Unary.LOG && op != Ops.Unary.SQRT && op != Ops.Unary.RSQRT) {
                Check.close(op + " backward tails", REF.unaryBackward(op, x, g), CPU.unaryBackward(op, x, g), t[0] + 1e-30, t[1]);
            }
        }
        String msg = sameError(IllegalArgumentException.class,
                () -> REF.unaryBackward(Ops.Unary.EXP, Tensor.zeros(3, 4), Tensor.zeros(4, 3)),
                () -> CPU.unaryBackward(Ops.Unary.EXP, Tensor.zeros(3, 4), Tensor.zeros(4, 3)));
        assertTrue(msg.contains("exp backward") && msg.contains("[4, 3]") && msg.contains("[3, 4]"), msg);
    }

    // ------------------------------------------------------------ addInPlace

    @Test
    void addInPlaceMatchesOracle() {
        int[][][] cases = {{{1000}, {1000}}, {{33, 1000}, {1000}}, {{7, 33}, {7, 1}}, {{7, 33}, {}}, {{3, 7, 5}, {7, 5}}, {{1}, {1}}};
        for (int[][] c : cases) {
            for (In src : layouts(51, 1f, c[1])) {
                Tensor d1 = Check.randn(52, 1f, c[0]), d2 = CPU.copy(d1);
                REF.addInPlace(d1, src.t());
                CPU.addInPlace(d2, src.t());
                Check.identical("addInPlace " + Shape.str(c[0]) + " += " + src.name(), d1, d2);
            }
        }
        // a strided destination view, and a source that overlaps the destination
        Tensor base1 = Check.randn(53, 1f, 33, 40), base2 = CPU.copy(base1);
        REF.addInPlace(base1.narrow(1, 3, 33).transpose(0, 1), Check.randn(54, 1f, 33));
        CPU.addInPlace(base2.narrow(1, 3, 33).transpose(0, 1), Check.randn(54, 1f, 33));
        Check.identical("addInPlace into a transposed view", base1, base2);
        Tensor sq1 = Check.randn(55, 1f, 33, 33), sq2 = CPU.copy(sq1);
        REF.addInPlace(sq1, sq1.transpose(0, 1));
        CPU.addInPlace(sq2, sq2.transpose(0, 1));
        Check.identical("addInPlace x += x^T", sq1, sq2);
        Tensor r1 = Check.randn(56, 1f, 7, 33), r2 = CPU.copy(r1);
        REF.addInPlace(r1, r1.narrow(0, 0, 1));
        CPU.addInPlace(r2, r2.narrow(0, 0, 1));
        Check.identical("addInPlace x += x[0] (broadcast alias)", r1, r2);
        String msg = sameError(IllegalArgumentException.class, () -> REF.addInPlace(Tensor.zeros(7, 33), Tensor.zeros(7, 32)),
                () -> CPU.addInPlace(Tensor.zeros(7, 33), Tensor.zeros(7, 32)));
        assertTrue(msg.contains("addInPlace") && msg.contains("[7, 32]") && msg.contains("[7, 33]"), msg);
        msg = sameError(IllegalArgumentException.class, () -> REF.addInPlace(Tensor.zeros(1, 33), Tensor.zeros(7, 33)),
                () -> CPU.addInPlace(Tensor.zeros(1, 33), Tensor.zeros(7, 33)));
        assertTrue(msg.contains("does not broadcast"), msg);
    }

    // ------------------------------------------------------------ copies, conversion, fill, random

    static Tensor sample(DType t, long seed, int... shape) {
        Tensor f = Check.randn(seed, 40f, shape);
        return t == DType.F32 ? f : REF.convert(f, t);
    }

    @Test
    void copyIntoAllDtypePairsAndLayouts() {
        for (DType from : DType.values()) {
            for (DType to : DType.values()) {
                for (int[] shape : new int[][] {{7, 33}, {33, 1000}, {1}, {3, 7, 5}}) {
                    Tensor src = sample(from, 61, shape);
                    Tensor[] srcs = {src, REF.copy(src.transpose(0, shape.length - 1)).transpose(0, shape.length - 1),
                            sample(from, 62, withFirst(shape, 1)).expand(shape)};
                    for (Tensor s : srcs) {
                        // destination: a dense tensor, and a transposed view of one
                        Tensor d1 = Tensor.zeros(to, shape), d2 = Tensor.zeros(to, shape);
                        REF.copyInto(s, d1);
                        CPU.copyInto(s, d2);
                        sameBits(from + "->" + to + " " + Shape.str(shape), d1, d2);
                        int[] rev = reversed(shape);
                        Tensor t1 = Tensor.zeros(to, rev), t2 = Tensor.zeros(to, rev);
                        REF.copyInto(s, t1.permute(reverseOrder(shape.length)));
                        CPU.copyInto(s, t2.permute(reverseOrder(shape.length)));
                        sameBits(from + "->" + to + " into a permuted view " + Shape.str(shape), t1, t2);
                    }
                }
            }
        }
        String msg = sameError(IllegalArgumentException.class, () -> REF.copyInto(Tensor.zeros(3, 1), Tensor.zeros(1, 4)),
                () -> CPU.copyInto(Tensor.zeros(3, 1), Tensor.zeros(1, 4)));
        assertTrue(msg.contains("copyInto") && msg.contains("[3, 1]") && msg.contains("[1, 4]"), msg);
        msg = sameError(IllegalArgumentException.class, () -> REF.copyInto(Tensor.zeros(3), Tensor.zeros(4)),
                () -> CPU.copyInto(Tensor.zeros(3), Tensor.zeros(4)));
        assertTrue(msg.contains("[3]") && msg.contains("[4]"), msg);
    }

    static int[] withFirst(int[] s, int v) {
        int[] r = s.clone();
        r[0] = v;
        return r;
    }

    static int[] reversed(int[] s) {
        int[] r = new int[s.length];
        for (int i = 0; i < s.length; i++) r[i] = s[s.length - 1 - i];
        return r;
    }

    static int[] reverseOrder(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = n - 1 - i;
        return r;
    }

    /** Same dtype, shape and stored values (bit patterns for BF16/F16, exact integers, floatToIntBits for F32). */
    static void sameBits(String what, Tensor a, Tensor b) {
        assertEquals(a.dtype(), b.dtype(), what);
        assertArrayEquals(a.shape(), b.shape(), what);
        switch (a.storage()) {
            case CpuStorage.Shorts s -> assertArrayEquals(s.data(), ((CpuStorage.Shorts) b.storage()).data(), what);
            case CpuStorage.Longs l -> assertArrayEquals(l.data(), ((CpuStorage.Longs) b.storage()).data(), what);
            case CpuStorage.Ints i -> assertArrayEquals(i.data(), ((CpuStorage.Ints) b.storage()).data(), what);
            default -> {
                float[] x = a.toFloatArray(), y = b.toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Float.floatToIntBits(x[i]), Float.floatToIntBits(y[i]), what + " element " + i);
                }
            }
        }
    }

    @Test
    void convertRoundsToNearestEvenLikeHalf() {
        // ties, values just around ties, NaN, infinities, subnormals, overflow to inf in F16
        List<Float> vals = new ArrayList<>();
        for (float f : special()) vals.add(f);
        for (int k = 0; k < 64; k++) {
            int base = Float.floatToRawIntBits(1f + k / 64f) & 0xffff0000;
            for (int low : new int[] {0x7fff, 0x8000, 0x8001, 0x18000, 0x17fff}) vals.add(Float.intBitsToFloat(base + low));
        }
        vals.add(65520f);
        vals.add(65519f);
        vals.add(6e-8f);
        vals.add(Float.intBitsToFloat(0x7f800001));   // signalling NaN
        vals.add(Float.intBitsToFloat(0xff812345));
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < 1000; i++) vals.add(Float.intBitsToFloat(rnd.nextInt()));
        float[] v = new float[vals.size()];
        for (int i = 0; i < v.length; i++) v[i] = vals.get(i);
        Tensor x = Tensor.of(v, v.length);
        Tensor bf = CPU.convert(x, DType.BF16), f16 = CPU.convert(x, DType.F16);
        short[] bfBits = ((CpuStorage.Shorts) bf.storage()).data(), hBits = ((CpuStorage.Shorts) f16.storage()).data();
        for (int i = 0; i < v.length; i++) {
            assertEquals(Half.floatToBf16(v[i]), bfBits[i], "bf16 of " + Integer.toHexString(Float.floatToRawIntBits(v[i])));
            assertEquals(Half.floatToF16(v[i]), hBits[i], "f16 of " + v[i]);
        }
        float[] back = CPU.convert(bf, DType.F32).toFloatArray(), backH = CPU.convert(f16, DType.F32).toFloatArray();
        for (int i = 0; i < v.length; i++) {
            assertEquals(Float.floatToRawIntBits(Half.bf16ToFloat(bfBits[i])), Float.floatToRawIntBits(back[i]), "bf16 -> f32 at " + i);
            assertEquals(Float.floatToRawIntBits(Half.f16ToFloat(hBits[i])), Float.floatToRawIntBits(backH[i]), "f16 -> f32 at " + i);
        }
        // integers <-> float: truncation toward zero and saturation as Java casts
        Tensor ints = CPU.convert(Tensor.of(new float[] {-2.7f, 2.7f, 1e10f, -1e10f, Float.NaN}, 5), DType.I32);
        assertArrayEquals(new int[] {-2, 2, Integer.MAX_VALUE, Integer.MIN_VALUE, 0}, ((CpuStorage.Ints) ints.storage()).data());
        Tensor longs = CPU.convert(Tensor.ofLongs(new long[] {1L << 40, -3}, 2), DType.F32);
        assertArrayEquals(new float[] {0x1p40f, -3f}, longs.toFloatArray());
        Tensor narrowed = CPU.convert(Tensor.ofLongs(new long[] {1L << 40 | 5, -3}, 2), DType.I32);
        assertArrayEquals(new int[] {5, -3}, ((CpuStorage.Ints) narrowed.storage()).data());
    }

    @Test
    void copyAndFill() {
        for (int[] shape : SHAPES) {
            for (In x : layouts(71, 1f, shape)) Check.identical("copy " + x.name(), REF.copy(x.t()), CPU.copy(x.t()));
        }
        for (DType t : DType.values()) {
            Tensor a = Tensor.zeros(t, 33, 40), b = Tensor.zeros(t, 33, 40);
            REF.fill(a.narrow(1, 2, 33).transpose(0, 1), -2.75f);
            CPU.fill(b.narrow(1, 2, 33).transpose(0, 1), -2.75f);
            sameBits("fill strided " + t, a, b);
            Tensor c = Tensor.zeros(t, 1000), d = Tensor.zeros(t, 1000);
            REF.fill(c, 1.5f);
            CPU.fill(d, 1.5f);
            sameBits("fill dense " + t, c, d);
        }
        Tensor big = Tensor.zeros(100_003), part = big.narrow(0, 5, 70_000);
        CPU.fill(part, 3f);
        float[] v = big.toFloatArray();
        for (int i = 0; i < v.length; i++) assertEquals(i >= 5 && i < 70_005 ? 3f : 0f, v[i], "fill of a narrowed range at " + i);
    }

    @Test
    void randomIsIdenticalToTheOracle() {
        for (int[] shape : new int[][] {{1}, {7}, {33}, {1000}, {7, 33}, {40_001}}) {
            for (boolean normal : new boolean[] {false, true}) {
                Check.identical("random " + normal + " " + Shape.str(shape), REF.random(99, normal, shape), CPU.random(99, normal, shape));
            }
        }
    }

    // ------------------------------------------------------------ adamw

    @Test
    void adamwIsBitIdenticalToTheOracle() {
        for (int n : new int[] {1, 7, 33, 1000, 40_003}) {
            Tensor p1 = Check.randn(81, 1f, n + 2).narrow(0, 2, n), p2 = CPU.copy(Check.randn(81, 1f, n + 2)).narrow(0, 2, n);
            Tensor m1 = Tensor.zeros(n), m2 = Tensor.zeros(n), v1 = Tensor.zeros(n), v2 = Tensor.zeros(n);
            for (int step = 1; step <= 4; step++) {
                Tensor g = Check.randn(82 + step, 0.1f, n);
                REF.adamw(p1, g, m1, v1, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
                CPU.adamw(p2, g, m2, v2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
            }
            Check.identical("adamw param n=" + n, p1, p2);
            Check.identical("adamw m n=" + n, m1, m2);
            Check.identical("adamw v n=" + n, v1, v2);
        }
        Supplier<Tensor> z = () -> Tensor.zeros(7);
        String msg = sameError(IllegalArgumentException.class, () -> REF.adamw(z.get(), Tensor.zeros(8), z.get(), z.get(), 1, 0.9f, 0.99f, 1e-8f, 0, 1),
                () -> CPU.adamw(z.get(), Tensor.zeros(8), z.get(), z.get(), 1, 0.9f, 0.99f, 1e-8f, 0, 1));
        assertTrue(msg.contains("adamw") && msg.contains("[8]") && msg.contains("[7]"), msg);
        msg = sameError(IllegalArgumentException.class, () -> REF.adamw(z.get(), z.get(), z.get(), z.get(), 1, 0.9f, 0.99f, 1e-8f, 0, 0),
                () -> CPU.adamw(z.get(), z.get(), z.get(), z.get(), 1, 0.9f, 0.99f, 1e-8f, 0, 0));
        assertTrue(msg.contains("step"), msg);
    }
}
