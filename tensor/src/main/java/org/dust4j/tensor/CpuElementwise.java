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

    /** o[oo, oo+n) = a op b where each operand is a dense span (stride 1) or one broadcast value (stride 0). */
    static void binarySpan(Ops.Binary op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] o, int oo, int n) {
        if (as == 0 && bs == 0) {
            Arrays.fill(o, oo, oo + n, ReferenceBackend.applyBinary(op, a[ao], b[bo]));
            return;
        }
        int i = 0, ub = SP.loopBound(n);
        if (as == 1 && bs == 1) {
            for (; i < ub; i += L) bin(op, FloatVector.fromArray(SP, a, ao + i), FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i);
            if (i < n) {
                VectorMask<Float> m = SP.indexInRange(i, n);
                bin(op, FloatVector.fromArray(SP, a, ao + i, m), FloatVector.fromArray(SP, b, bo + i, m)).intoArray(o, oo + i, m);
            }
        } else if (as == 1) {
            FloatVector y = FloatVector.broadcast(SP, b[bo]);
            for (; i < ub; i += L) bin(op, FloatVector.fromArray(SP, a, ao + i), y).intoArray(o, oo + i);
            if (i < n) {
                VectorMask<Float> m = SP.indexInRange(i, n);
                bin(op, FloatVector.fromArray(SP, a, ao + i, m), y).intoArray(o, oo + i, m);
            }
        } else {
            FloatVector x = FloatVector.broadcast(SP, a[ao]);
            for (; i < ub; i += L) bin(op, x, FloatVector.fromArray(SP, b, bo + i)).intoArray(o, oo + i);
            if (i < n) {
                VectorMask<Float> m = SP.indexInRange(i, n);
                bin(op, x, FloatVector.fromArray(SP, b, bo + i, m)).intoArray(o, oo + i, m);
            }
        }
    }

    /** Lane-wise binary op; MAX/MIN follow Math.max/min (NaN propagates), as the oracle does. */
    private static FloatVector bin(Ops.Binary op, FloatVector x, FloatVector y) {
        return switch (op) {
            case ADD -> x.add(y);
            case SUB -> x.sub(y);
            case MUL -> x.mul(y);
            case DIV -> x.div(y);
            case MAX -> x.max(y);
            case MIN -> x.min(y);
        };
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

    private static void scalarSpan(Ops.Scalar op, float s, float[] x, int xo, float[] o, int oo, int n) {
        if (op == Ops.Scalar.POW && s != 2f) {   // general powers stay scalar: (float) Math.pow, as the oracle
            for (int i = 0; i < n; i++) o[oo + i] = ReferenceBackend.applyScalar(op, x[xo + i], s);
            return;
        }
        int i = 0, ub = SP.loopBound(n);
        for (; i < ub; i += L) scal(op, FloatVector.fromArray(SP, x, xo + i), s).intoArray(o, oo + i);
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            scal(op, FloatVector.fromArray(SP, x, xo + i, m), s).intoArray(o, oo + i, m);
        }
    }

    private static FloatVector scal(Ops.Scalar op, FloatVector x, float s) {
        return switch (op) {
            case ADD -> x.add(s);
            case SUB -> x.sub(s);
            case MUL -> x.mul(s);
            case DIV -> x.div(s);
            case RSUB -> FloatVector.broadcast(SP, s).sub(x);
            case RDIV -> FloatVector.broadcast(SP, s).div(x);
            case POW -> x.mul(x);   // only s == 2 gets here: x*x is exactly (float) Math.pow(x, 2)
            case MAX -> x.max(s);
            case MIN -> x.min(s);
        };
    }

    static Tensor unary(Ops.Unary op, Tensor x) {
        Checks.requireF32(op.name().toLowerCase(), x);
        Tensor out = Tensor.zeros(x.shape());
        map1(x, out, switch (op) {   // the transcendental ops get a loop each, compiled with its own profile
            case EXP -> CpuElementwise::expSpan;
            case LOG -> CpuElementwise::logSpan;
            case TANH -> CpuElementwise::tanhSpan;
            case SIGMOID -> CpuElementwise::sigmoidSpan;
            case SILU -> CpuElementwise::siluSpan;
            case GELU_TANH -> CpuElementwise::geluSpan;
            default -> (v, vo, o, oo, n) -> {
                int i = 0, ub = SP.loopBound(n);
                for (; i < ub; i += L) un(op, FloatVector.fromArray(SP, v, vo + i)).intoArray(o, oo + i);
                if (i < n) {
                    VectorMask<Float> m = SP.indexInRange(i, n);
                    un(op, FloatVector.fromArray(SP, v, vo + i, m)).intoArray(o, oo + i, m);
                }
            };
        });
        return out;
    }

    private static void expSpan(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) CpuElementwiseMath.exp(FloatVector.fromArray(SP, x, xo + i)).intoArray(o, oo + i);
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            CpuElementwiseMath.exp(FloatVector.fromArray(SP, x, xo + i, m)).intoArray(o, oo + i, m);
        }
    }

    private static void logSpan(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) CpuElementwiseMath.log(FloatVector.fromArray(SP, x, xo + i)).intoArray(o, oo + i);
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            CpuElementwiseMath.log(FloatVector.fromArray(SP, x, xo + i, m)).intoArray(o, oo + i, m);
        }
    }

    private static void tanhSpan(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) CpuElementwiseMath.tanh(FloatVector.fromArray(SP, x, xo + i)).intoArray(o, oo + i);
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            CpuElementwiseMath.tanh(FloatVector.fromArray(SP, x, xo + i, m)).intoArray(o, oo + i, m);
        }
    }

    private static void sigmoidSpan(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) CpuElementwiseMath.sigmoid(FloatVector.fromArray(SP, x, xo + i)).intoArray(o, oo + i);
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            CpuElementwiseMath.sigmoid(FloatVector.fromArray(SP, x, xo + i, m)).intoArray(o, oo + i, m);
        }
    }

    private static void siluSpan(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) CpuElementwiseMath.silu(FloatVector.fromArray(SP, x, xo + i)).intoArray(o, oo + i);
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            CpuElementwiseMath.silu(FloatVector.fromArray(SP, x, xo + i, m)).intoArray(o, oo + i, m);
        }
    }

    private static void geluSpan(float[] x, int xo, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) CpuElementwiseMath.gelu(FloatVector.fromArray(SP, x, xo + i)).intoArray(o, oo + i);
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            CpuElementwiseMath.gelu(FloatVector.fromArray(SP, x, xo + i, m)).intoArray(o, oo + i, m);
        }
    }

    /**
     * Lane-wise unary op in float. NEG, ABS, SQUARE, SQRT, RECIPROCAL and RELU are exactly the oracle's
     * (double, rounded once); RSQRT rounds twice (1 ulp); the transcendental ones use {@link CpuElementwiseMath}.
     */
    static FloatVector un(Ops.Unary op, FloatVector x) {
        return switch (op) {
            case NEG -> x.neg();
            case ABS -> x.abs();
            case SQUARE -> x.mul(x);
            case EXP -> CpuElementwiseMath.exp(x);
            case LOG -> CpuElementwiseMath.log(x);
            case SQRT -> x.sqrt();
            case RSQRT -> FloatVector.broadcast(SP, 1f).div(x.sqrt());
            case RECIPROCAL -> FloatVector.broadcast(SP, 1f).div(x);
            case TANH -> CpuElementwiseMath.tanh(x);
            case SIGMOID -> CpuElementwiseMath.sigmoid(x);
            case SILU -> CpuElementwiseMath.silu(x);
            case RELU -> x.blend(0f, x.compare(VectorOperators.LT, 0f));           // NaN and -0.0 pass, as in PyTorch
            case GELU_TANH -> CpuElementwiseMath.gelu(x);
        };
    }

    static Tensor unaryBackward(Ops.Unary op, Tensor x, Tensor gradOut) {
        String name = op.name().toLowerCase() + " backward";
        Checks.requireF32(name, x, gradOut);
        Checks.requireShape(name, "gradOut", gradOut, x.shape());
        Tensor out = Tensor.zeros(x.shape());
        CpuElementwiseRows.Layout l = CpuElementwiseRows.layout(out.shape(), out, x, gradOut);
        float[] o = out.floatData(), xv = x.floatData(), gv = gradOut.floatData();
        int xs = l.inner(1), gs = l.inner(2);
        Span2 k = switch (op) {   // the transcendental ops get a loop each, compiled with its own profile
            case EXP -> CpuElementwise::dExpSpan;
            case TANH -> CpuElementwise::dTanhSpan;
            case SIGMOID -> CpuElementwise::dSigmoidSpan;
            case SILU -> CpuElementwise::dSiluSpan;
            case GELU_TANH -> CpuElementwise::dGeluSpan;
            default -> (xa, xo, ga, go, oa, oo, n) -> {
                int i = 0, ub = SP.loopBound(n);
                for (; i < ub; i += L) du(op, FloatVector.fromArray(SP, xa, xo + i), FloatVector.fromArray(SP, ga, go + i)).intoArray(oa, oo + i);
                if (i < n) {
                    VectorMask<Float> m = SP.indexInRange(i, n);
                    du(op, FloatVector.fromArray(SP, xa, xo + i, m), FloatVector.fromArray(SP, ga, go + i, m)).intoArray(oa, oo + i, m);
                }
            };
        };
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

    private static void dExpSpan(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) {
            FloatVector.fromArray(SP, g, go + i).mul(CpuElementwiseMath.exp(FloatVector.fromArray(SP, x, xo + i))).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            FloatVector.fromArray(SP, g, go + i, m).mul(CpuElementwiseMath.exp(FloatVector.fromArray(SP, x, xo + i, m))).intoArray(o, oo + i, m);
        }
    }

    private static void dTanhSpan(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) {
            FloatVector.fromArray(SP, g, go + i).mul(CpuElementwiseMath.dTanh(FloatVector.fromArray(SP, x, xo + i))).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            FloatVector.fromArray(SP, g, go + i, m).mul(CpuElementwiseMath.dTanh(FloatVector.fromArray(SP, x, xo + i, m))).intoArray(o, oo + i, m);
        }
    }

    private static void dSigmoidSpan(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) {
            FloatVector.fromArray(SP, g, go + i).mul(CpuElementwiseMath.dSigmoid(FloatVector.fromArray(SP, x, xo + i))).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            FloatVector.fromArray(SP, g, go + i, m).mul(CpuElementwiseMath.dSigmoid(FloatVector.fromArray(SP, x, xo + i, m))).intoArray(o, oo + i, m);
        }
    }

    private static void dSiluSpan(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) {
            FloatVector.fromArray(SP, g, go + i).mul(CpuElementwiseMath.dSilu(FloatVector.fromArray(SP, x, xo + i))).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            FloatVector.fromArray(SP, g, go + i, m).mul(CpuElementwiseMath.dSilu(FloatVector.fromArray(SP, x, xo + i, m))).intoArray(o, oo + i, m);
        }
    }

    private static void dGeluSpan(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
        int i = 0;
        for (; i < SP.loopBound(n); i += L) {
            FloatVector.fromArray(SP, g, go + i).mul(CpuElementwiseMath.dGelu(FloatVector.fromArray(SP, x, xo + i))).intoArray(o, oo + i);
        }
        if (i < n) {
            VectorMask<Float> m = SP.indexInRange(i, n);
            FloatVector.fromArray(SP, g, go + i, m).mul(CpuElementwiseMath.dGelu(FloatVector.fromArray(SP, x, xo + i, m))).intoArray(o, oo + i, m);
        }
    }

    /** gradOut * f'(x) in float for the non-transcendental ops. */
    static FloatVector du(Ops.Unary op, FloatVector x, FloatVector g) {
        FloatVector zero = FloatVector.zero(SP);
        return switch (op) {
            case NEG -> g.neg();
            case ABS -> g.mul(zero.blend(1f, x.compare(VectorOperators.GT, 0f)).blend(-1f, x.compare(VectorOperators.LT, 0f)));
            case SQUARE -> g.mul(x.add(x));
            case EXP -> g.mul(CpuElementwiseMath.exp(x));
            case LOG -> g.div(x);
            case SQRT -> g.mul(0.5f).div(x.sqrt());
            case RSQRT -> g.mul(-0.5f).div(x).div(x.sqrt());
            case RECIPROCAL -> g.neg().div(x).div(x);
            case TANH -> g.mul(CpuElementwiseMath.dTanh(x));
            case SIGMOID -> g.mul(CpuElementwiseMath.dSigmoid(x));
            case SILU -> g.mul(CpuElementwiseMath.dSilu(x));
            case RELU -> g.mul(FloatVector.broadcast(SP, 1f).blend(0f, x.compare(VectorOperators.LE, 0f)));
            case GELU_TANH -> g.mul(CpuElementwiseMath.dGelu(x));
        };
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
        Parallel.forRange(param.numel(), BLOCK, (from, to) -> {
            int i = from;
            for (; i + L <= to; i += L) adamwLanes(s, beta1, beta2, eps, p, po + i, g, go + i, mm, mo + i, vv, vo + i, null);
            if (i < to) adamwLanes(s, beta1, beta2, eps, p, po + i, g, go + i, mm, mo + i, vv, vo + i, SP.indexInRange(i, to));
        });
    }

    private static void adamwLanes(ReferenceBackend.AdamScalars s, float beta1, float beta2, float eps, float[] p, int pi,
                                   float[] g, int gi, float[] mm, int mi, float[] vv, int vi, VectorMask<Float> mask) {
        VectorMask<Float> k = mask == null ? SP.maskAll(true) : mask;
        FloatVector gv = FloatVector.fromArray(SP, g, gi, k);
        FloatVector pv = FloatVector.fromArray(SP, p, pi, k).mul(s.decay());
        FloatVector mv = FloatVector.fromArray(SP, mm, mi, k).mul(beta1).add(gv.mul(s.oneMinusBeta1()));
        FloatVector vv2 = FloatVector.fromArray(SP, vv, vi, k).mul(beta2).add(gv.mul(gv).mul(s.oneMinusBeta2()));
        FloatVector denom = vv2.sqrt().div(s.bc2Sqrt()).add(eps);
        pv.sub(mv.div(denom).mul(s.stepSize())).intoArray(p, pi, k);
        mv.intoArray(mm, mi, k);
        vv2.intoArray(vv, vi, k);
    }
}
