package org.dust4j.tensor;

import static org.dust4j.tensor.CpuElementwiseMath.L;
import static org.dust4j.tensor.CpuElementwiseMath.SP;
import static org.dust4j.tensor.CpuElementwiseRows.BLOCK;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise CPU kernels on the Vector API: copies and dtype conversion, fill, random, binary ops
 * with broadcasting, tensor-scalar ops, unary ops and their gradients, in-place accumulation and the
 * fused AdamW step. Every view is walked with {@link CpuElementwiseRows}: rows whose stride is 1 (or 0,
 * for a broadcast operand) run as vectors, other strides are gathered into a dense row first, so a
 * value never depends on the layout of its inputs or on the thread count. Validation and error
 * messages are the ones of {@link ReferenceBackend}.
 */
final class CpuElementwise {
    private CpuElementwise() {}

    private static final VectorSpecies<Integer> IS = SP.withLanes(int.class);
    private static final VectorSpecies<Short> HS = VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, L * 16)));

    // ------------------------------------------------------------ memory

    static Tensor copy(Tensor x) {
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        copyInto(x, out);
        return out;
    }

    static void copyInto(Tensor src, Tensor dst) {
        Tensor s = src.expand(Shape.broadcast("copyInto", src.shape(), dst.shape()));
        if (!Arrays.equals(s.shape(), dst.shape())) {
            throw new IllegalArgumentException("copyInto: source " + Shape.str(src.shape()) + " does not broadcast to "
                    + Shape.str(dst.shape()));
        }
        if (dst.numel() == 0) return;
        if (!(dst.storage() instanceof CpuStorage ds)) {
            throw new IllegalArgumentException("copyInto: destination on " + dst.device() + " is not a CPU tensor");
        }
        if (!(s.storage() instanceof CpuStorage)) {
            Backends.reference().copyInto(src, dst); // reports the non-CPU source the way the oracle does
            return;
        }
        if (s.storage() == dst.storage()) s = copy(s);   // overlapping views: read everything before writing
        CpuStorage ss = (CpuStorage) s.storage();
        CpuElementwiseRows.Layout l = CpuElementwiseRows.layout(dst.shape(), dst, s);
        int dStride = l.inner(0), sStride = l.inner(1);
        CpuElementwiseRows.forEachRow(l, (off, n) -> copyRow(ss, off[1], sStride, ds, off[0], dStride, n));
    }

    private static void copyRow(CpuStorage src, int so, int ss, CpuStorage dst, int dOff, int ds, int n) {
        if (n == 1) ss = ds = 1;
        if (src instanceof CpuStorage.Floats f && dst instanceof CpuStorage.Floats g) {
            float[] a = f.data(), b = g.data();
            if (ss == 1 && ds == 1) System.arraycopy(a, so, b, dOff, n);
            else if (ss == 0 && ds == 1) Arrays.fill(b, dOff, dOff + n, a[so]);
            else for (int i = 0; i < n; i++) b[dOff + i * ds] = a[so + i * ss];
        } else if (src instanceof CpuStorage.Shorts f && dst instanceof CpuStorage.Shorts g && f.dtype() == g.dtype()) {
            short[] a = f.data(), b = g.data();
            if (ss == 1 && ds == 1) System.arraycopy(a, so, b, dOff, n);
            else for (int i = 0; i < n; i++) b[dOff + i * ds] = a[so + i * ss];
        } else if (src instanceof CpuStorage.Floats f && dst instanceof CpuStorage.Shorts h) {
            if (h.dtype() == DType.BF16 && ss == 1 && ds == 1) floatsToBf16(f.data(), so, h.data(), dOff, n);
            else if (h.dtype() == DType.BF16) for (int i = 0; i < n; i++) h.data()[dOff + i * ds] = Half.floatToBf16(f.data()[so + i * ss]);
            else for (int i = 0; i < n; i++) h.data()[dOff + i * ds] = Half.floatToF16(f.data()[so + i * ss]);
        } else if (src instanceof CpuStorage.Shorts h && dst instanceof CpuStorage.Floats f) {
            if (h.dtype() == DType.BF16 && ss == 1 && ds == 1) bf16ToFloats(h.data(), so, f.data(), dOff, n);
            else if (h.dtype() == DType.BF16) for (int i = 0; i < n; i++) f.data()[dOff + i * ds] = Half.bf16ToFloat(h.data()[so + i * ss]);
            else for (int i = 0; i < n; i++) f.data()[dOff + i * ds] = Half.f16ToFloat(h.data()[so + i * ss]);
        } else if (!src.dtype().isFloating() && !dst.dtype().isFloating()) {
            for (int i = 0; i < n; i++) {
                long v = src instanceof CpuStorage.Longs a ? a.data()[so + i * ss] : ((CpuStorage.Ints) src).data()[so + i * ss];
                if (dst instanceof CpuStorage.Longs b) b.data()[dOff + i * ds] = v;
                else ((CpuStorage.Ints) dst).data()[dOff + i * ds] = (int) v;
            }
        } else {
            for (int i = 0; i < n; i++) writeFloat(dst, dOff + i * ds, readFloat(src, so + i * ss));
        }
    }

    private static float readFloat(CpuStorage s, int p) {
        return switch (s) {
            case CpuStorage.Floats f -> f.data()[p];
            case CpuStorage.Shorts h -> h.dtype() == DType.BF16 ? Half.bf16ToFloat(h.data()[p]) : Half.f16ToFloat(h.data()[p]);
            case CpuStorage.Longs l -> l.data()[p];
            case CpuStorage.Ints t -> t.data()[p];
        };
    }

    private static void writeFloat(CpuStorage s, int p, float v) {
        switch (s) {
            case CpuStorage.Floats f -> f.data()[p] = v;
            case CpuStorage.Shorts h -> h.data()[p] = h.dtype() == DType.BF16 ? Half.floatToBf16(v) : Half.floatToF16(v);
            case CpuStorage.Longs l -> l.data()[p] = (long) v;
            case CpuStorage.Ints t -> t.data()[p] = (int) v;
        }
    }

    /** F32 -> BF16 bit patterns, the vector form of {@link Half#floatToBf16}: round to nearest even, NaN kept quiet. */
    static void floatsToBf16(float[] f, int fo, short[] h, int ho, int n) {
        int i = 0, ub = SP.loopBound(n);
        for (; i < ub; i += L) {
            IntVector bits = FloatVector.fromArray(SP, f, fo + i).reinterpretAsInts();
            VectorMask<Integer> nan = bits.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000);
            IntVector hi = bits.lanewise(VectorOperators.LSHR, 16);
            IntVector rounded = bits.add(hi.and(1).add(0x7fff)).lanewise(VectorOperators.LSHR, 16);
            ((ShortVector) rounded.blend(hi.or(0x40), nan).convertShape(VectorOperators.I2S, HS, 0)).intoArray(h, ho + i);
        }
        for (; i < n; i++) h[ho + i] = Half.floatToBf16(f[fo + i]);
    }

    /** BF16 bit patterns -> F32 (exact: the bits move to the top half of the float). */
    static void bf16ToFloats(short[] h, int ho, float[] f, int fo, int n) {
        int i = 0, ub = SP.loopBound(n);
        for (; i < ub; i += L) {
            IntVector w = (IntVector) ShortVector.fromArray(HS, h, ho + i).convertShape(VectorOperators.S2I, IS, 0);
            w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(f, fo + i);
        }
        for (; i < n; i++) f[fo + i] = Half.bf16ToFloat(h[ho + i]);
    }

    static Tensor convert(Tensor x, DType target) {
        Tensor out = Tensor.zeros(target, x.shape());
        copyInto(x, out);
        return out;
    }

    static void fill(Tensor dst, float value) {
        if (dst.storage() instanceof CpuStorage.Floats f && dst.isContiguous()) {
            float[] d = f.data();
            int o = dst.offset();
            Parallel.forRange(dst.numel(), BLOCK, (from, to) -> Arrays.fill(d, o + from, o + to, value));
        } else {
            copyInto(Tensor.scalar(value).reshape(), dst);
        }
    }

    /** Same values as {@link Rng}: normals are made in Box-Muller pairs (one log/sqrt for two outputs). */
    static Tensor random(long seed, boolean normal, int... shape) {
        float[] d = new float[Shape.numelInt(shape)];
        Parallel.forRange(d.length, BLOCK, (from, to) -> {   // BLOCK is even: pairs never straddle chunks
            if (!normal) {
                for (int i = from; i < to; i++) d[i] = Rng.uniform(seed, i);
                return;
            }
            int i = from;
            for (; i + 1 < to; i += 2) {
                long j = (long) i >>> 1;
                double u1 = 1.0 - Rng.uniformDouble(seed, 2 * j);
                double u2 = Rng.uniformDouble(seed, 2 * j + 1);
                double r = Math.sqrt(-2.0 * Math.log(u1));
                double a = 2.0 * Math.PI * u2;
                d[i] = (float) (r * Math.cos(a));
                d[i + 1] = (float) (r * Math.sin(a));
            }
            if (i < to) d[i] = Rng.normal(seed, i);
        });
        return Tensor.of(d, shape);
    }

    // ------------------------------------------------------------ binary

    static Tensor binary(Ops.Binary op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase();
        Checks.requireF32(name, a, b);
        int[] shape = Shape.broadcast(name, a.shape(), b.shape());
        Tensor out = Tensor.zeros(shape);
        apply2(op, a.expand(shape), b.expand(shape), out);
        return out;
    }

    /** out = a op b for three views of one shape (out may be a itself). */
    private static void apply2(Ops.Binary op, Tensor a, Tensor b, Tensor out) {
        CpuElementwiseRows.Layout l = CpuElementwiseRows.layout(out.shape(), out, a, b);
        float[] o = out.floatData(), x = a.floatData(), y = b.floatData();
        int os = l.inner(0), as = l.inner(1), bs = l.inner(2);
        CpuElementwiseRows.forEachRow(l, (off, n) -> {
            float[] xa = x, ya = y;
            int xo = off[1], xs = n == 1 ? 0 : as, yo = off[2], ys = n == 1 ? 0 : bs;
            if (xs != 0 && xs != 1) {
                xa = CpuElementwiseRows.gather(x, xo, xs, n);
                xo = 0;
                xs = 1;
            }
            if (ys != 0 && ys != 1) {
                ya = CpuElementwiseRows.gather(y, yo, ys, n);
                yo = 0;
                ys = 1;
            }
            if (os == 1 || n == 1) {
                binarySpan(op, xa, xo, xs, ya, yo, ys, o, off[0], n);
            } else {
                float[] tmp = new float[n];
                binarySpan(op, xa, xo, xs, ya, yo, ys, tmp, 0, n);
                CpuElementwiseRows.scatter(tmp, o, off[0], os, n);
            }
        });
    }

    /**
     * o[oo, oo+n) = a op b where each operand is a dense span (stride 1) or one broadcast value (stride 0). One loop
     * per op and operand layout, with only Vector API calls inside (no helper takes a vector: see
     * {@link CpuElementwiseMath}); the last n % L elements in scalar float, which is the same arithmetic.
     */
    static void binarySpan(Ops.Binary op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int n) {
        if (as == 0 && bs == 0) {
            Arrays.fill(o, oo, oo + n, ReferenceBackend.applyBinary(op, a[ao], b[bo]));
            return;
        }
        int i = 0, ub = SP.loopBound(n);
        if (as == 1 && bs == 1) {
            switch (op) {
                case ADD -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).add(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
                case SUB -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).sub(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
                case MUL -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).mul(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
                case DIV -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).div(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
                case MAX -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).max(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
                case MIN -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).min(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
            }
        } else if (as == 1) {
            FloatVector y = FloatVector.broadcast(SP, b[bo]);
            switch (op) {
                case ADD -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).add(y).intoArray(o, oo + i); }
                case SUB -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).sub(y).intoArray(o, oo + i); }
                case MUL -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).mul(y).intoArray(o, oo + i); }
                case DIV -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).div(y).intoArray(o, oo + i); }
                case MAX -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).max(y).intoArray(o, oo + i); }
                case MIN -> { for (; i < ub; i += L) FloatVector.fromArray(SP, a, ao + i).min(y).intoArray(o, oo + i); }
            }
        } else {
            FloatVector x = FloatVector.broadcast(SP, a[ao]);
            switch (op) {
                case ADD -> { for (; i < ub; i += L) x.add(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
                case SUB -> { for (; i < ub; i += L) x.sub(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
                case MUL -> { for (; i < ub; i += L) x.mul(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
                case DIV -> { for (; i < ub; i += L) x.div(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
                case MAX -> { for (; i < ub; i += L) x.max(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
                case MIN -> { for (; i < ub; i += L) x.min(FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i); }
            }
        }
        for (; i < n; i++) o[oo + i] = ReferenceBackend.applyBinary(op, a[ao + i * as], b[bo + i * bs]);
    }

    // ------------------------------------------------------------ one-input maps

    /** A kernel over a dense input span and a dense output span. */
    @FunctionalInterface
    private interface Span1 {
        void run(float[] x, int xo, float[] o, int oo, int n);
    }

    /** out = f(x) for two views of one shape; non-unit strides are gathered/scattered around the kernel. */
    private static void map1(Tensor x, Tensor out, Span1 k) {
        CpuElementwiseRows.Layout l = CpuElementwiseRows.layout(out.shape(), out, x);
        float[] o = out.floatData(), v = x.floatData();
        int os = l.inner(0), xs = l.inner(1);
        CpuElementwiseRows.forEachRow(l, (off, n) -> {
            float[] src = v;
            int so = off[1];
            if (xs != 1 && n > 1) {
                src = CpuElementwiseRows.gather(v, so, xs, n);
                so = 0;
            }
            if (os == 1 || n == 1) {
                k.run(src, so, o, off[0], n);
            } else {
                float[] tmp = new float[n];
                k.run(src, so, tmp, 0, n);
                CpuElementwiseRows.scatter(tmp, o, off[0], os, n);
            }
        });
    }

    static Tensor scalar(Ops.Scalar op, Tensor x, float s) {
        Checks.requireF32("scalar " + op.name().toLowerCase(), x);
        Tensor out = Tensor.zeros(x.shape());
        map1(x, out, (v, vo, o, oo, n) -> scalarSpan(op, s, v, vo, o, oo, n));
        return out;
    }

    /** One loop per op (see {@link #binarySpan}); the last n % L elements in scalar float, the same arithmetic. */
    private static void scalarSpan(Ops.Scalar op, float s, float[] x, int xo, float[] o, int oo, int n) {
        int i = 0, ub = SP.loopBound(n);
        FloatVector sv = FloatVector.broadcast(SP, s);
        switch (op) {
            case ADD -> { for (; i < ub; i += L) FloatVector.fromArray(SP, x, xo + i).add(sv).intoArray(o, oo + i); }
            case SUB -> { for (; i < ub; i += L) FloatVector.fromArray(SP, x, xo + i).sub(sv).intoArray(o, oo + i); }
            case MUL -> { for (; i < ub; i += L) FloatVector.fromArray(SP, x, xo + i).mul(sv).intoArray(o, oo + i); }
            case DIV -> { for (; i < ub; i += L) FloatVector.fromArray(SP, x, xo + i).div(sv).intoArray(o, oo + i); }
            case RSUB -> { for (; i < ub; i += L) sv.sub(FloatVector.fromArray(SP, x, xo + i)).intoArray(o, oo + i); }
            case RDIV -> { for (; i < ub; i += L) sv.div(FloatVector.fromArray(SP, x, xo + i)).intoArray(o, oo + i); }
            // only s == 2 is vectorised: x*x is exactly (float) Math.pow(x, 2); general powers stay scalar, as the oracle
            case POW -> { if (s == 2f) for (; i < ub; i += L) { FloatVector v = FloatVector.fromArray(SP, x, xo + i); v.mul(v).intoArray(o, oo + i); } }
            case MAX -> { for (; i < ub; i += L) FloatVector.fromArray(SP, x, xo + i).max(sv).intoArray(o, oo + i); }
            case MIN -> { for (; i < ub; i += L) FloatVector.fromArray(SP, x, xo + i).min(sv).intoArray(o, oo + i); }
        }
        for (; i < n; i++) o[oo + i] = ReferenceBackend.applyScalar(op, x[xo + i], s);
    }

    static Tensor unary(Ops.Unary op, Tensor x) {
        Checks.requireF32(op.name().toLowerCase(), x);
        Tensor out = Tensor.zeros(x.shape());
        map1(x, out, (v, vo, o, oo, n) -> unarySpan(op, v, vo, o, oo, n));
        return out;
    }

    /**
     * o = op(x) over dense spans, one loop per op. NEG, ABS, SQUARE, SQRT, RECIPROCAL and RELU are exactly the
     * oracle's (double, rounded once); RSQRT rounds twice (1 ulp); the transcendental ones are
     * {@link CpuElementwiseMath}'s.
     */
    static void unarySpan(Ops.Unary op, float[] v, int vo, float[] o, int oo, int n) {
        switch (op) {
            case EXP -> CpuElementwiseMath.exp(v, vo, o, oo, n);
            case LOG -> CpuElementwiseMath.log(v, vo, o, oo, n);
            case TANH -> CpuElementwiseMath.apply(CpuElementwiseMath.Fn.TANH, v, vo, null, 0, o, oo, n);
            case SIGMOID -> CpuElementwiseMath.apply(CpuElementwiseMath.Fn.SIGMOID, v, vo, null, 0, o, oo, n);
            case SILU -> CpuElementwiseMath.ratioActivation(false, v, vo, o, oo, n);
            case GELU_TANH -> CpuElementwiseMath.ratioActivation(true, v, vo, o, oo, n);
            default -> {
                FloatVector one = FloatVector.broadcast(SP, 1f);
                for (int i = 0; i < n; i += L) {
                    VectorMask<Float> m = SP.indexInRange(i, n);
                    FloatVector x = FloatVector.fromArray(SP, v, vo + i, m);
                    switch (op) {   // each case stores: no vector leaves the switch
                        case NEG -> x.neg().intoArray(o, oo + i, m);
                        case ABS -> x.abs().intoArray(o, oo + i, m);
                        case SQUARE -> x.mul(x).intoArray(o, oo + i, m);
                        case SQRT -> x.sqrt().intoArray(o, oo + i, m);
                        case RSQRT -> one.div(x.sqrt()).intoArray(o, oo + i, m);
                        case RECIPROCAL -> one.div(x).intoArray(o, oo + i, m);
                        case RELU -> x.blend(0f, x.compare(VectorOperators.LT, 0f)).intoArray(o, oo + i, m);   // NaN and -0.0 pass, as in PyTorch
                        default -> throw new IllegalStateException("unary " + op + " has its own loop");
                    }
                }
            }
        }
    }

    static Tensor unaryBackward(Ops.Unary op, Tensor x, Tensor gradOut) {
        String name = op.name().toLowerCase() + " backward";
        Checks.requireF32(name, x, gradOut);
        Checks.requireShape(name, "gradOut", gradOut, x.shape());
        Tensor out = Tensor.zeros(x.shape());
        CpuElementwiseRows.Layout l = CpuElementwiseRows.layout(out.shape(), out, x, gradOut);
        float[] o = out.floatData(), xv = x.floatData(), gv = gradOut.floatData();
        int xs = l.inner(1), gs = l.inner(2);
        Span2 k = (xa, xo, ga, go, oa, oo, n) -> unaryBackwardSpan(op, xa, xo, ga, go, oa, oo, n);
        CpuElementwiseRows.forEachRow(l, (off, n) -> {
            float[] xa = xv, ga = gv;
            int xo = off[1], go = off[2];
            if (xs != 1 && n > 1) {
                xa = CpuElementwiseRows.gather(xv, xo, xs, n);
                xo = 0;
            }
            if (gs != 1 && n > 1) {
                ga = CpuElementwiseRows.gather(gv, go, gs, n);
                go = 0;
            }
            k.run(xa, xo, ga, go, o, off[0], n);   // out is fresh and dense: stride 1
        });
        return out;
    }

    /** A kernel over two dense input spans and a dense output span. */
    @FunctionalInterface
    private interface Span2 {
        void run(float[] x, int xo, float[] g, int go, float[] o, int oo, int n);
    }

    /** o = gradOut * f'(x) over dense spans, one loop per op (the transcendental ones in {@link CpuElementwiseMath}). */
    private static void unaryBackwardSpan(Ops.Unary op, float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
        CpuElementwiseMath.Fn f = switch (op) {
            case EXP -> CpuElementwiseMath.Fn.D_EXP;
            case TANH -> CpuElementwiseMath.Fn.D_TANH;
            case SIGMOID -> CpuElementwiseMath.Fn.D_SIGMOID;
            case SILU -> CpuElementwiseMath.Fn.D_SILU;
            case GELU_TANH -> CpuElementwiseMath.Fn.D_GELU;
            default -> null;
        };
        if (f != null) {
            CpuElementwiseMath.apply(f, x, xo, g, go, o, oo, n);
            return;
        }
        FloatVector zero = FloatVector.zero(SP);
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            FloatVector xv = FloatVector.fromArray(SP, x, xo + i, m), gv = FloatVector.fromArray(SP, g, go + i, m);
            switch (op) {   // each case stores: no vector leaves the switch
                case NEG -> gv.neg().intoArray(o, oo + i, m);
                case ABS -> gv.mul(zero.blend(1f, xv.compare(VectorOperators.GT, 0f)).blend(-1f, xv.compare(VectorOperators.LT, 0f)))
                        .intoArray(o, oo + i, m);
                case SQUARE -> gv.mul(xv.add(xv)).intoArray(o, oo + i, m);
                case LOG -> gv.div(xv).intoArray(o, oo + i, m);
                case SQRT -> gv.mul(0.5f).div(xv.sqrt()).intoArray(o, oo + i, m);
                case RSQRT -> gv.mul(-0.5f).div(xv).div(xv.sqrt()).intoArray(o, oo + i, m);
                case RECIPROCAL -> gv.neg().div(xv).div(xv).intoArray(o, oo + i, m);
                case RELU -> gv.mul(FloatVector.broadcast(SP, 1f).blend(0f, xv.compare(VectorOperators.LE, 0f))).intoArray(o, oo + i, m);   // NaN passes
                default -> throw new IllegalStateException("unary backward " + op + " has its own loop");
            }
        }
    }

    static void addInPlace(Tensor dst, Tensor src) {
        Checks.requireF32("addInPlace", dst, src);
        Tensor s = src.expand(Shape.broadcast("addInPlace", src.shape(), dst.shape()));
        if (!Arrays.equals(s.shape(), dst.shape())) {
            throw new IllegalArgumentException("addInPlace: " + Shape.str(src.shape()) + " does not broadcast to " + Shape.str(dst.shape()));
        }
        if (s.storage() == dst.storage()) s = copy(s);   // src overlaps dst: read it before writing
        apply2(Ops.Binary.ADD, dst, s, dst);
    }

    // ------------------------------------------------------------ optimiser

    /** Fused AdamW: the same float operations in the same order as {@link ReferenceBackend#adamw}, so bit-identical. */
    static void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        Checks.adamw(param, grad, m, v);
        ReferenceBackend.AdamScalars s = ReferenceBackend.AdamScalars.of(lr, beta1, beta2, weightDecay, step);
        float[] p = param.floatData(), g = grad.floatData(), mm = m.floatData(), vv = v.floatData();
        int po = param.offset(), go = grad.offset(), mo = m.offset(), vo = v.offset();
        Parallel.forRange(param.numel(), BLOCK, (from, to) -> adamwRange(s, beta1, beta2, eps, p, po, g, go, mm, mo, vv, vo, from, to));
    }

    /** Elements [from, to) of the AdamW step (masked lanes at the end); no vector crosses a call. */
    private static void adamwRange(ReferenceBackend.AdamScalars s, float beta1, float beta2, float eps, float[] p, int po,
                                   float[] g, int go, float[] mm, int mo, float[] vv, int vo, int from, int to) {
        for (int i = from; i < to; i += L) {
            VectorMask<Float> k = SP.indexInRange(i, to);
            FloatVector gv = FloatVector.fromArray(SP, g, go + i, k);
            FloatVector pv = FloatVector.fromArray(SP, p, po + i, k).mul(s.decay());
            FloatVector mv = FloatVector.fromArray(SP, mm, mo + i, k).mul(beta1).add(gv.mul(s.oneMinusBeta1()));
            FloatVector vv2 = FloatVector.fromArray(SP, vv, vo + i, k).mul(beta2).add(gv.mul(gv).mul(s.oneMinusBeta2()));
            FloatVector denom = vv2.sqrt().div(s.bc2Sqrt()).add(eps);
            pv.sub(mv.div(denom).mul(s.stepSize())).intoArray(p, po + i, k);
            mv.intoArray(mm, mo + i, k);
            vv2.intoArray(vv, vo + i, k);
        }
    }
}
