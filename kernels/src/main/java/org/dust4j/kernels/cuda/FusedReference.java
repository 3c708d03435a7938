package org.dust4j.kernels.cuda;

import java.util.Arrays;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/**
 * The scalar CPU oracle of the fused {@link Backend} ops as CudaBackend implements them (one kernel pass each): plain loops over logical F32 copies, double accumulation, in the
 * style of ReferenceBackend. FusedReferenceTest checks it against compositions of ReferenceBackend ops.
 */
public final class FusedReference {

    static float[] f(Tensor t) { return t.toFloatArray(); }

    public Backend.NormResult adaLn(Tensor x, Tensor scale, Tensor shift, float eps) {
        int[] g = Checks.modulation("adaLn", x, scale, shift);
        int b = g[0], t = g[1], d = g[2];
        float[] xv = f(x), sc = f(scale), sh = f(shift), out = new float[xv.length], mean = new float[b * t], rstd = new float[b * t];
        for (int r = 0; r < b * t; r++) {
            double s = 0;
            for (int i = 0; i < d; i++) s += xv[r * d + i];
            double mu = s / d, var = 0;
            for (int i = 0; i < d; i++) var += (xv[r * d + i] - mu) * (xv[r * d + i] - mu);
            double rs = 1.0 / Math.sqrt(var / d + eps);
            mean[r] = (float) mu;
            rstd[r] = (float) rs;
            int s0 = (r / t) * d;
            for (int i = 0; i < d; i++) out[r * d + i] = (float) ((xv[r * d + i] - mu) * rs * (1.0 + sc[s0 + i]) + sh[s0 + i]);
        }
        return new Backend.NormResult(Tensor.of(out, b, t, d), Tensor.of(mean, b, t), Tensor.of(rstd, b, t));
    }

    public Backend.AdaLnGrads adaLnBackward(Tensor x, Tensor scale, Tensor mean, Tensor rstd, Tensor gradOut) {
        int[] g = Checks.modulation("adaLn backward", x, scale);
        Checks.require(Arrays.equals(gradOut.shape(), x.shape()), "adaLn backward: gradOut " + Shape.str(gradOut.shape()) + " vs x " + Shape.str(x.shape()));
        int b = g[0], t = g[1], d = g[2];
        float[] xv = f(x), sc = f(scale), mu = f(mean), rs = f(rstd), go = f(gradOut), dx = new float[xv.length];
        double[] dsc = new double[b * d], dsh = new double[b * d];
        for (int r = 0; r < b * t; r++) {
            int s0 = (r / t) * d;
            double s1 = 0, s2 = 0;
            for (int i = 0; i < d; i++) {
                double xhat = (xv[r * d + i] - mu[r]) * (double) rs[r];
                double gy = go[r * d + i] * (1.0 + sc[s0 + i]);
                s1 += gy;
                s2 += gy * xhat;
                dsc[s0 + i] += go[r * d + i] * xhat;
                dsh[s0 + i] += go[r * d + i];
            }
            for (int i = 0; i < d; i++) {
                double xhat = (xv[r * d + i] - mu[r]) * (double) rs[r];
                double gy = go[r * d + i] * (1.0 + sc[s0 + i]);
                dx[r * d + i] = (float) (rs[r] * (gy - s1 / d - xhat * s2 / d));
            }
        }
        return new Backend.AdaLnGrads(Tensor.of(dx, b, t, d), Tensor.of(toF(dsc), b, d), Tensor.of(toF(dsh), b, d));
    }

    static float[] toF(double[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) r[i] = (float) a[i];
        return r;
    }

    /** {@code x += gate[b] * h} in place (CudaBackend.gatedResidualInPlace). */
    public void gatedResidualInPlace(Tensor x, Tensor h, Tensor gate) {
        int[] g = Checks.modulation("gatedResidual", x, gate);
        Checks.require(x.sameShape(h), "gatedResidual: h " + Shape.str(h.shape()) + " vs x " + Shape.str(x.shape()));
        Checks.require(x.dtype() == DType.F32 && x.isContiguous(), "gatedResidual: x must be contiguous F32");
        int t = g[1], d = g[2];
        float[] xd = x.floatData(), hv = f(h), gt = f(gate);
        for (int i = 0; i < hv.length; i++) {
            int r = i / d, c = i % d;
            xd[x.offset() + i] = (float) (xd[x.offset() + i] + (double) gt[(r / t) * d + c] * hv[i]);
        }
    }

    public Backend.GatedGrads gatedResidualBackward(Tensor gradOut, Tensor h, Tensor gate) {
        int[] g = Checks.modulation("gatedResidual backward", h, gate);
        Checks.require(gradOut.sameShape(h), "gatedResidual backward: gradOut " + Shape.str(gradOut.shape()) + " vs h " + Shape.str(h.shape()));
        int b = g[0], t = g[1], d = g[2];
        float[] go = f(gradOut), hv = f(h), gt = f(gate), dh = new float[hv.length];
        double[] dg = new double[b * d];
        for (int i = 0; i < hv.length; i++) {
            int r = i / d, c = i % d, s = (r / t) * d + c;
            dh[i] = (float) ((double) gt[s] * go[i]);
            dg[s] += (double) go[i] * hv[i];
        }
        return new Backend.GatedGrads(Tensor.of(dh, b, t, d), Tensor.of(toF(dg), b, d));
    }

    public Backend.FlowLoss flowLoss(Tensor v, Tensor data, Tensor eps, Tensor elemMask, Tensor sampleMask, float gradScale) {
        Checks.flowLoss(v, data, eps, elemMask, sampleMask);
        float[] vv = f(v), dv = f(data), ev = f(eps), em = elemMask == null ? null : f(elemMask), sm = sampleMask == null ? null : f(sampleMask);
        int n = vv.length, per = v.rank() == 0 || v.size(0) == 0 ? 1 : n / v.size(0);
        double num = 0, den = 0;
        float[] m = new float[n];
        for (int i = 0; i < n; i++) {
            m[i] = (em == null ? 1f : em[i]) * (sm == null ? 1f : sm[i / per]);
            den += m[i];
        }
        float[] grad = new float[n];
        for (int i = 0; i < n; i++) {
            double r = (double) vv[i] - ((double) dv[i] - ev[i]);
            num += r * r * m[i];
            grad[i] = den > 0 ? (float) (gradScale * 2.0 * r * m[i] / den) : 0f;
        }
        return new Backend.FlowLoss(Tensor.scalar(den > 0 ? (float) (num / den) : 0f), Tensor.scalar((float) den), Tensor.of(grad, v.shape()));
    }

    public Tensor categoryLinear(Tensor x, Tensor w, Tensor bias, Tensor ids) {
        int[] g = Checks.categoryLinear("categoryLinear", x, w, bias, ids);
        int b = g[0], t = g[1], in = g[2], out = g[3];
        long[] id = Checks.indices("categoryLinear", ids, g[4]);
        float[] xv = f(x), wv = f(w), bv = bias == null ? null : f(bias), y = new float[b * t * out];
        for (int s = 0; s < b; s++) {
            int c = (int) id[s];
            for (int r = 0; r < t; r++) {
                for (int o = 0; o < out; o++) {
                    double acc = bv == null ? 0 : bv[c * out + o];
                    for (int i = 0; i < in; i++) acc += (double) xv[(s * t + r) * in + i] * wv[(c * in + i) * out + o];
                    y[(s * t + r) * out + o] = (float) acc;
                }
            }
        }
        return Tensor.of(y, b, t, out);
    }

    public Backend.CategoryLinearGrads categoryLinearBackward(Tensor x, Tensor w, Tensor ids, Tensor gradOut, boolean hasBias) {
        int[] g = Checks.categoryLinear("categoryLinear backward", x, w, null, ids);
        int b = g[0], t = g[1], in = g[2], out = g[3], cats = g[4];
        Checks.require(Arrays.equals(gradOut.shape(), new int[] {b, t, out}), "categoryLinear backward: gradOut " + Shape.str(gradOut.shape())
                + " must be [" + b + ", " + t + ", " + out + "]");
        long[] id = Checks.indices("categoryLinear backward", ids, cats);
        float[] xv = f(x), wv = f(w), go = f(gradOut), dx = new float[xv.length];
        double[] dw = new double[cats * in * out], db = new double[cats * out];
        for (int s = 0; s < b; s++) {
            int c = (int) id[s];
            for (int r = 0; r < t; r++) {
                int row = s * t + r;
                for (int i = 0; i < in; i++) {
                    double acc = 0;
                    for (int o = 0; o < out; o++) acc += (double) go[row * out + o] * wv[(c * in + i) * out + o];
                    dx[row * in + i] = (float) acc;
                }
                for (int o = 0; o < out; o++) {
                    db[c * out + o] += go[row * out + o];
                    for (int i = 0; i < in; i++) dw[(c * in + i) * out + o] += (double) xv[row * in + i] * go[row * out + o];
                }
            }
        }
        return new Backend.CategoryLinearGrads(Tensor.of(dx, b, t, in), Tensor.of(toF(dw), cats, in, out),
                hasBias ? Tensor.of(toF(db), cats, out) : null);
    }
}
