package org.dust4j.kernels.cuda;

import static org.dust4j.kernels.cuda.CudaBackend.*;

import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;

/** Fused ops: AdaLN, gated residual, flow-matching loss, per-embodiment linear (adaln.cu, flow_loss.cu, batched_linear.cu). Part of {@link CudaBackend}, which delegates to it. */
final class CudaFused {
    private final CudaBackend cb;

    CudaFused(CudaBackend cb) { this.cb = cb; }

    /** Modulation rows [B, D] with unit column stride (row stride free), else a dense copy. */
    Tensor modRows(Tensor t) {
        Tensor d = cb.onDevice(t);
        return d.stride(1) == 1 || d.size(1) == 1 ? d : cb.copy(d);
    }

    public Backend.NormResult adaLn(Tensor x, Tensor scale, Tensor shift, float eps) {
        int[] g = Checks.modulation("adaLn", x, scale, shift);
        int b = g[0], t = g[1], d = g[2];
        Tensor xd = cb.dense(x), sc = modRows(scale), sh = modRows(shift);
        if (sc.stride(0) != sh.stride(0)) {   // the kernel takes one row stride for both
            sc = cb.copy(sc);
            sh = cb.copy(sh);
        }
        Tensor out = cb.empty(xd.dtype(), b, t, d), mean = cb.empty(DType.F32, b, t), rstd = cb.empty(DType.F32, b, t);
        if ((long) b * t * d > 0) {
            cb.launch("dust_adaln_fwd_" + sfx(xd.dtype(), "adaLn"), LaunchGeometry.rows((long) b * t, LaunchGeometry.normSmemFloats(d, false)),
                    new KernelArgs().ptr(at(xd)).ptr(at(sc)).ptr(at(sh)).i64(sc.stride(0)).i32(t).ptr(at(out)).ptr(at(mean)).ptr(at(rstd))
                            .i32(d).f32(eps));
        }
        return new Backend.NormResult(out, mean, rstd);
    }

    public Backend.AdaLnGrads adaLnBackward(Tensor x, Tensor scale, Tensor mean, Tensor rstd, Tensor gradOut) {
        int[] g = Checks.modulation("adaLn backward", x, scale);
        Checks.requireShape("adaLn backward", "gradOut", gradOut, x.shape());
        int b = g[0], t = g[1], d = g[2];
        Tensor xd = cb.dense(x), sc = modRows(scale), md = cb.dense(mean), rd = cb.dense(rstd), gd = cb.dense(gradOut);
        String s = sfx(xd.dtype(), "adaLn backward");
        Tensor dx = cb.empty(xd.dtype(), b, t, d), dsc = cb.zeros(DType.F32, b, d), dsh = cb.zeros(DType.F32, b, d);
        if ((long) b * t * d > 0) {
            cb.launch("dust_adaln_bwd_dx_" + s, LaunchGeometry.rows((long) b * t, LaunchGeometry.normSmemFloats(d, true)),
                    new KernelArgs().ptr(at(xd)).ptr(at(sc)).i64(sc.stride(0)).i32(t).ptr(at(md)).ptr(at(rd)).ptr(at(gd)).ptr(at(dx)).i32(d));
            cb.launch("dust_adaln_bwd_mod_" + s, LaunchGeometry.groupedColumns(d, b), new KernelArgs().ptr(at(xd)).ptr(at(md)).ptr(at(rd))
                    .ptr(at(gd)).ptr(at(dsc)).ptr(at(dsh)).i32(b * t).i32(d).i32(t));
        }
        return new Backend.AdaLnGrads(dx, dsc, dsh);
    }

    /** {@code x + gate[b] * h} into a fresh tensor: a dense copy of x, then the in-place kernel. */
    public Tensor gatedResidual(Tensor x, Tensor h, Tensor gate) {
        Checks.modulation("gatedResidual", x, gate);
        Tensor out = cb.copy(x);
        gatedResidualInPlace(out, h, gate);
        return out;
    }

    public void gatedResidualInPlace(Tensor x, Tensor h, Tensor gate) {
        int[] g = Checks.modulation("gatedResidual", x, gate);
        Checks.requireShape("gatedResidual", "h", h, x.shape());
        if (!x.isContiguous()) throw new IllegalArgumentException("gatedResidual: x must be contiguous (updated in place)");
        storage(x);
        Tensor hd = cb.dense(h), gt = modRows(gate);
        long rows = (long) g[0] * g[1];
        if (rows * g[2] > 0) {
            cb.launch("dust_gated_residual_fwd_" + sfx(x.dtype(), "gatedResidual"), LaunchGeometry.elementwise(rows * g[2]),
                    new KernelArgs().ptr(at(x)).ptr(at(hd)).ptr(at(gt)).i64(gt.stride(0)).i32(g[1]).i32(g[2]).i64(rows));
        }
    }

    public Backend.GatedGrads gatedResidualBackward(Tensor gradOut, Tensor h, Tensor gate) {
        int[] g = Checks.modulation("gatedResidual backward", h, gate);
        Checks.requireShape("gatedResidual backward", "gradOut", gradOut, h.shape());
        Tensor gd = cb.dense(gradOut), hd = cb.dense(h), gt = modRows(gate);
        String s = sfx(hd.dtype(), "gatedResidual backward");
        long rows = (long) g[0] * g[1];
        Tensor dh = cb.empty(hd.dtype(), h.shape()), dgate = cb.zeros(DType.F32, g[0], g[2]);
        if (rows * g[2] > 0) {
            cb.launch("dust_gated_residual_bwd_dh_" + s, LaunchGeometry.elementwise(rows * g[2]),
                    new KernelArgs().ptr(at(gd)).ptr(at(gt)).i64(gt.stride(0)).i32(g[1]).ptr(at(dh)).i32(g[2]).i64(rows));
            cb.launch("dust_gated_residual_bwd_gate_" + s, LaunchGeometry.groupedColumns(g[2], g[0]),
                    new KernelArgs().ptr(at(hd)).ptr(at(gd)).ptr(at(dgate)).i32((int) rows).i32(g[2]).i32(g[1]));
        }
        return new Backend.GatedGrads(dh, dgate);
    }

    public Backend.FlowLoss flowLoss(Tensor v, Tensor data, Tensor eps, Tensor elemMask, Tensor sampleMask, float gradScale) {
        Checks.flowLoss(v, data, eps, elemMask, sampleMask);
        Checks.requireF32("flowLoss", v, data, eps, elemMask, sampleMask);
        Tensor vd = cb.dense(v), dd = cb.dense(data), ed = cb.dense(eps), em = cb.dense(elemMask), sm = cb.dense(sampleMask);
        long n = v.numel();
        long per = v.rank() == 0 || v.size(0) == 0 ? 1 : n / v.size(0);
        Tensor grad = cb.empty(DType.F32, v.shape());
        Tensor den = null;
        if (em != null || sm != null) {
            den = cb.empty(DType.I64, 1);   // one double
            cb.launch("dust_flow_mask_sum", new LaunchGeometry.Launch(new int[] {1, 1, 1}, new int[] {1024, 1, 1}, 0),
                    new KernelArgs().ptr(at(em)).ptr(at(sm)).i64(per).i64(n).ptr(at(den)));
        }
        Tensor partials = cb.empty(DType.I64, LaunchGeometry.SUM_BLOCKS), counter = cb.zeros(DType.I32, 1), out = cb.empty(DType.F32, 2);
        cb.launch("dust_flow_loss_fused_f32", new LaunchGeometry.Launch(new int[] {LaunchGeometry.SUM_BLOCKS, 1, 1}, new int[] {256, 1, 1}, 0),
                new KernelArgs().ptr(at(vd)).ptr(at(dd)).ptr(at(ed)).ptr(at(em)).ptr(at(sm)).i64(per).i64(n).ptr(at(den)).f32(gradScale)
                        .ptr(at(grad)).ptr(at(partials)).ptr(at(counter)).ptr(at(out)));
        return new Backend.FlowLoss(out.narrow(0, 0, 1).reshape(), out.narrow(0, 1, 1).reshape(), grad);   // stays on the device
    }

    public Tensor categoryLinear(Tensor x, Tensor w, Tensor bias, Tensor ids) {
        int[] g = Checks.categoryLinear("categoryLinear", x, w, bias, ids);
        int b = g[0], t = g[1], in = g[2], out = g[3];
        Tensor xd = cb.dense(x), wd = cb.dense(w), bd = cb.dense(bias), id = cb.deviceIndices("categoryLinear", ids, g[4]);
        Tensor y = cb.empty(xd.dtype(), b, t, out);
        if ((long) b * t * out > 0) {
            cb.launch("dust_cat_linear_fwd_" + sfx(xd.dtype(), "categoryLinear"), LaunchGeometry.gemmTiles(t, out, b),
                    new KernelArgs().ptr(at(xd)).ptr(at(wd)).ptr(at(bd)).ptr(at(id)).ptr(at(y)).i32(t).i32(in).i32(out));
        }
        return y;
    }

    public Backend.CategoryLinearGrads categoryLinearBackward(Tensor x, Tensor w, Tensor ids, Tensor gradOut, boolean hasBias) {
        int[] g = Checks.categoryLinear("categoryLinear backward", x, w, null, ids);
        int b = g[0], t = g[1], in = g[2], out = g[3], cats = g[4];
        Checks.requireShape("categoryLinear backward", "gradOut", gradOut, b, t, out);
        Tensor xd = cb.dense(x), wd = cb.dense(w), gd = cb.dense(gradOut), id = cb.deviceIndices("categoryLinear backward", ids, cats);
        String s = sfx(xd.dtype(), "categoryLinear backward");
        Tensor dx = cb.empty(xd.dtype(), b, t, in), dw = cb.empty(DType.F32, cats, in, out), db = hasBias ? cb.empty(DType.F32, cats, out) : null;
        if ((long) b * t * in > 0 && out > 0) {
            cb.launch("dust_cat_linear_bwd_dx_" + s, LaunchGeometry.gemmTiles(t, in, b),
                    new KernelArgs().ptr(at(gd)).ptr(at(wd)).ptr(at(id)).ptr(at(dx)).i32(t).i32(in).i32(out));
        } else {
            cb.fill(dx, 0f);
        }
        if ((long) cats * in * out > 0) {
            cb.launch("dust_cat_linear_bwd_dw_" + s, LaunchGeometry.gemmTiles(in, out, cats),
                    new KernelArgs().ptr(at(xd)).ptr(at(gd)).ptr(at(id)).ptr(at(dw)).i32(b).i32(t).i32(in).i32(out));
        }
        if (db != null && (long) cats * out > 0) {
            cb.launch("dust_cat_linear_bwd_db_" + s, LaunchGeometry.elementwise((long) cats * out),
                    new KernelArgs().ptr(at(gd)).ptr(at(id)).ptr(at(db)).i32(b).i32(t).i32(out).i32(cats));
        }
        return new Backend.CategoryLinearGrads(dx, dw, db);
    }
}
