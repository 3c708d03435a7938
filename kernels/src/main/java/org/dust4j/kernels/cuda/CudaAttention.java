package org.dust4j.kernels.cuda;

import static org.dust4j.kernels.cuda.CudaBackend.*;

import java.util.Arrays;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/** Flash-style attention forward/backward (attention.cu), CPU fallback for head dims without a kernel. Part of {@link CudaBackend}, which delegates to it. */
final class CudaAttention {
    private static volatile boolean warnedAttentionFallback;
    private final CudaBackend cb;

    CudaAttention(CudaBackend cb) { this.cb = cb; }

    /** The view itself when its head dim is contiguous (B/H/T strides are free), else a dense copy. */
    Tensor headContiguous(Tensor t) {
        Tensor d = cb.onDevice(t);
        return d.stride(3) == 1 || d.size(3) == 1 ? d : cb.copy(d);
    }

    void attentionFallbackNotice(int dh) {
        if (!warnedAttentionFallback) {
            warnedAttentionFallback = true;
            System.err.println("dust4j cuda: attention head dim " + dh + " has no CUDA kernel (32/48/64/128); computed on the CPU");
        }
    }

    public Backend.AttentionResult attention(Tensor q, Tensor k, Tensor v, float scale) {
        int[] g = Checks.attention("attention", q, k, v);
        int b = g[0], h = g[1], tq = g[2], tk = g[3], dh = g[4];
        String s = sfx(q.dtype(), "attention");
        if (!LaunchGeometry.attentionHeadDimSupported(dh)) {
            attentionFallbackNotice(dh);
            Backend.AttentionResult r = Backends.cpu().attention(cpuF32(q), cpuF32(k), cpuF32(v), scale);
            return new Backend.AttentionResult(cb.convert(cb.toDevice(r.out()), q.dtype()), cb.toDevice(r.lse()));
        }
        Tensor out = cb.empty(q.dtype(), b, h, tq, dh), lse = cb.empty(DType.F32, b, h, tq);
        if (b * h * tq == 0) return new Backend.AttentionResult(out, lse);
        if (tk == 0) {
            cb.fill(out, 0f);
            cb.fill(lse, Float.NEGATIVE_INFINITY);
            return new Backend.AttentionResult(out, lse);
        }
        Tensor qd = headContiguous(q), kd = headContiguous(k), vd = headContiguous(v);
        cb.launch("dust_attn_fwd_" + s + "_d" + dh, LaunchGeometry.attention(tq, b * h, dh), new KernelArgs()
                .ptr(at(qd)).struct(Structs.bhts(qd)).ptr(at(kd)).struct(Structs.bhts(kd)).ptr(at(vd)).struct(Structs.bhts(vd))
                .ptr(at(out)).struct(Structs.bhts(out)).ptr(at(lse)).i32(h).i32(tq).i32(tk).f32(scale));
        return new Backend.AttentionResult(out, lse);
    }

    Tensor cpuF32(Tensor t) {
        Tensor c = t.storage() instanceof CudaStorage ? cb.toHost(t) : t;
        return c.dtype() == DType.F32 ? c : Backends.cpu().convert(c, DType.F32);
    }

    public Backend.AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gradOut, float scale) {
        int[] g = Checks.attention("attention backward", q, k, v);
        Checks.requireShape("attention backward", "gradOut", gradOut, q.shape());
        int b = g[0], h = g[1], tq = g[2], tk = g[3], dh = g[4];
        String s = sfx(q.dtype(), "attention backward");
        if (!LaunchGeometry.attentionHeadDimSupported(dh)) {
            attentionFallbackNotice(dh);
            Backend.AttentionGrads r = Backends.cpu().attentionBackward(cpuF32(q), cpuF32(k), cpuF32(v), cpuF32(out), cpuF32(lse), cpuF32(gradOut), scale);
            return new Backend.AttentionGrads(cb.convert(cb.toDevice(r.dq()), q.dtype()), cb.convert(cb.toDevice(r.dk()), q.dtype()), cb.convert(cb.toDevice(r.dv()), q.dtype()));
        }
        Tensor dq = cb.empty(q.dtype(), q.shape()), dk = cb.empty(q.dtype(), k.shape()), dv = cb.empty(q.dtype(), v.shape());
        if (b * h == 0 || (tq == 0 && tk == 0)) return new Backend.AttentionGrads(dq, dk, dv);
        if (tq == 0 || tk == 0) {
            cb.fill(dq, 0f);
            cb.fill(dk, 0f);
            cb.fill(dv, 0f);
            return new Backend.AttentionGrads(dq, dk, dv);
        }
        Tensor qd = headContiguous(q), kd = headContiguous(k), vd = headContiguous(v), od = headContiguous(out), gd = headContiguous(gradOut);
        if (od.dtype() != q.dtype() || gd.dtype() != q.dtype()) {
            throw new IllegalArgumentException("attention backward: out " + od.dtype() + " / gradOut " + gd.dtype() + " must match q " + q.dtype());
        }
        Tensor ld = cb.dense(lse);
        long rows = (long) b * h * tq;
        Tensor delta = cb.empty(DType.F32, b, h, tq);
        cb.launch("dust_attn_bwd_delta_" + s, LaunchGeometry.attentionDelta(rows), new KernelArgs().ptr(at(od)).struct(Structs.bhts(od))
                .ptr(at(gd)).struct(Structs.bhts(gd)).ptr(at(delta)).i32(h).i32(tq).i32(dh).i64(rows));
        cb.launch("dust_attn_bwd_dkdv_" + s + "_d" + dh, LaunchGeometry.attention(tk, b * h, dh), new KernelArgs()
                .ptr(at(qd)).struct(Structs.bhts(qd)).ptr(at(kd)).struct(Structs.bhts(kd)).ptr(at(vd)).struct(Structs.bhts(vd))
                .ptr(at(gd)).struct(Structs.bhts(gd)).ptr(at(ld)).ptr(at(delta)).ptr(at(dk)).struct(Structs.bhts(dk))
                .ptr(at(dv)).struct(Structs.bhts(dv)).i32(h).i32(tq).i32(tk).f32(scale));
        cb.launch("dust_attn_bwd_dq_" + s + "_d" + dh, LaunchGeometry.attention(tq, b * h, dh), new KernelArgs()
                .ptr(at(qd)).struct(Structs.bhts(qd)).ptr(at(kd)).struct(Structs.bhts(kd)).ptr(at(vd)).struct(Structs.bhts(vd))
                .ptr(at(gd)).struct(Structs.bhts(gd)).ptr(at(ld)).ptr(at(delta)).ptr(at(dq)).struct(Structs.bhts(dq))
                .i32(h).i32(tq).i32(tk).f32(scale));
        return new Backend.AttentionGrads(dq, dk, dv);
    }
}
