package org.dust4j.kernels.cuda;

import static org.dust4j.kernels.cuda.CudaBackend.*;

import java.util.Arrays;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;

/** Softmax, LayerNorm, RMSNorm and their backward passes (softmax.cu, norm.cu). Part of {@link CudaBackend}, which delegates to it. */
final class CudaNorm {
    private final CudaBackend cb;

    CudaNorm(CudaBackend cb) { this.cb = cb; }

    public Tensor softmax(Tensor x) {
        int d = Checks.lastDim("softmax", x);
        Tensor xd = cb.dense(x);
        Tensor out = cb.empty(xd.dtype(), x.shape());
        long rows = d == 0 ? 0 : x.numel() / d;
        if (rows > 0) cb.launch("dust_softmax_" + sfx(x.dtype(), "softmax"), LaunchGeometry.rows(rows, 0), new KernelArgs().ptr(at(xd)).ptr(at(out)).i32(d));
        return out;
    }

    public Tensor softmaxBackward(Tensor y, Tensor gradOut) {
        Checks.requireShape("softmax backward", "gradOut", gradOut, y.shape());
        int d = Checks.lastDim("softmax backward", y);
        Tensor yd = cb.dense(y), gd = cb.dense(gradOut);
        if (yd.dtype() != gd.dtype()) throw new IllegalArgumentException("softmax backward: y " + yd.dtype() + " and gradOut " + gd.dtype() + " differ");
        Tensor out = cb.empty(yd.dtype(), y.shape());
        long rows = d == 0 ? 0 : y.numel() / d;
        if (rows > 0) {
            cb.launch("dust_softmax_bwd_" + sfx(y.dtype(), "softmax backward"), LaunchGeometry.rows(rows, 0),
                    new KernelArgs().ptr(at(yd)).ptr(at(gd)).ptr(at(out)).i32(d));
        }
        return out;
    }

    public Backend.NormResult layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        return norm("layerNorm", x, weight, bias, eps, false);
    }

    public Backend.NormResult rmsNorm(Tensor x, Tensor weight, float eps) {
        return norm("rmsNorm", x, weight, null, eps, true);
    }

    Backend.NormResult norm(String op, Tensor x, Tensor weight, Tensor bias, float eps, boolean rms) {
        Checks.normParams(op, x, weight, bias);
        int d = x.size(-1);
        long rows = d == 0 ? 0 : x.numel() / d;
        int[] rs = Arrays.copyOf(x.shape(), x.rank() - 1);
        Tensor xd = cb.dense(x), w = cb.dense(weight), b = cb.dense(bias);
        Tensor out = cb.empty(xd.dtype(), x.shape()), mean = rms ? null : cb.empty(DType.F32, rs), rstd = cb.empty(DType.F32, rs);
        if (rows > 0) {
            String s = sfx(x.dtype(), op);
            LaunchGeometry.Launch l = LaunchGeometry.rows(rows, LaunchGeometry.normSmemFloats(d, false));
            if (rms) {
                cb.launch("dust_rmsnorm_fwd_" + s, l, new KernelArgs().ptr(at(xd)).ptr(at(w)).ptr(at(out)).ptr(at(rstd)).i32(d).f32(eps));
            } else {
                cb.launch("dust_layernorm_fwd_" + s, l, new KernelArgs().ptr(at(xd)).ptr(at(w)).ptr(at(b)).ptr(at(out)).ptr(at(mean)).ptr(at(rstd))
                        .i32(d).f32(eps));
            }
        }
        return new Backend.NormResult(out, mean, rstd);
    }

    public Backend.NormGrads layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, boolean hasBias) {
        return normBackward("layerNorm backward", x, weight, mean, rstd, gradOut, hasBias);
    }

    public Backend.NormGrads rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gradOut) {
        return normBackward("rmsNorm backward", x, weight, null, rstd, gradOut, false);
    }

    /** Rows per partial-sum group of the parameter gradients (a fixed split keeps the sums deterministic). */
    static int paramGroups(long rows) { return (int) Math.max(1, Math.min(rows, 128)); }

    Backend.NormGrads normBackward(String op, Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, boolean hasBias) {
        Checks.normParams(op, x, weight, null);
        Checks.requireShape(op, "gradOut", gradOut, x.shape());
        int d = x.size(-1);
        long rows = d == 0 ? 0 : x.numel() / d;
        Tensor xd = cb.dense(x), w = cb.dense(weight), md = cb.dense(mean), rd = cb.dense(rstd), gd = cb.dense(gradOut);
        if (gd.dtype() != xd.dtype()) throw new IllegalArgumentException(op + ": gradOut " + gd.dtype() + " differs from x " + xd.dtype());
        String s = sfx(x.dtype(), op);
        Tensor dx = cb.empty(xd.dtype(), x.shape());
        Tensor dw = weight == null ? null : cb.zeros(DType.F32, d), db = hasBias ? cb.zeros(DType.F32, d) : null;
        if (rows == 0) return new Backend.NormGrads(dx, dw, db);
        cb.launch("dust_norm_bwd_dx_" + s, LaunchGeometry.rows(rows, LaunchGeometry.normSmemFloats(d, true)),
                new KernelArgs().ptr(at(xd)).ptr(at(w)).ptr(at(md)).ptr(at(rd)).ptr(at(gd)).ptr(at(dx)).i32(d));
        if (dw != null || db != null) {
            int groups = paramGroups(rows);
            int perGroup = (int) LaunchGeometry.ceilDiv(rows, groups);
            groups = (int) LaunchGeometry.ceilDiv(rows, perGroup);
            Tensor pa = cb.empty(DType.F32, groups, d), pb = db == null ? null : cb.empty(DType.F32, groups, d);
            cb.launch("dust_norm_bwd_params_" + s, LaunchGeometry.groupedColumns(d, groups), new KernelArgs().ptr(at(xd)).ptr(at(md)).ptr(at(rd))
                    .ptr(at(gd)).ptr(at(pa)).ptr(at(pb)).i32((int) rows).i32(d).i32(perGroup));
            if (dw != null) colsum(pa, dw, groups, d);
            if (db != null) colsum(pb, db, groups, d);
        }
        return new Backend.NormGrads(dx, dw, db);
    }

    void colsum(Tensor partial, Tensor out, int rows, int cols) {
        cb.launch("dust_colsum_f32", LaunchGeometry.elementwise(cols), new KernelArgs().ptr(at(partial)).ptr(at(out)).i32(rows).i32(cols));
    }
}
