package org.dust4j.kernels.cuda;

import static org.dust4j.kernels.cuda.CudaBackend.*;

import java.nio.ByteBuffer;
import java.util.List;
import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;

/** AdamW, single and multi-tensor (adamw.cu). Part of {@link CudaBackend}, which delegates to it. */
final class CudaOptim {
    private final CudaBackend cb;

    CudaOptim(CudaBackend cb) { this.cb = cb; }

    static void checkAdamw(Tensor param, Tensor grad, Tensor m, Tensor v) {
        Checks.adamw(param, grad, m, v);
        for (Tensor t : new Tensor[] {param, grad, m, v}) storage(t);
    }

    public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay,
                      int step) {
        checkAdamw(param, grad, m, v);
        byte[] s = Structs.adamScalars(lr, beta1, beta2, eps, weightDecay, step);
        long n = param.numel();
        if (n > 0) {
            cb.launch("dust_adamw_f32", LaunchGeometry.elementwise(n), new KernelArgs().ptr(at(param)).ptr(at(grad)).ptr(at(m)).ptr(at(v)).i64(n).struct(s));
        }
    }

    /** Chunk length of the multi-tensor AdamW launch. */
    static final int ADAM_CHUNK = 4096;

    /** One AdamW step over many parameters in a single launch (same semantics as {@link #adamw} per tensor). */
    public void adamwMulti(List<Tensor> params, List<Tensor> grads, List<Tensor> ms, List<Tensor> vs, float lr, float beta1, float beta2,
                           float eps, float weightDecay, int step) {
        int n = params.size();
        if (grads.size() != n || ms.size() != n || vs.size() != n) throw new IllegalArgumentException("adamw: list sizes differ");
        long[] sizes = new long[n];
        long[][] addrs = new long[n][];
        for (int i = 0; i < n; i++) {
            checkAdamw(params.get(i), grads.get(i), ms.get(i), vs.get(i));
            sizes[i] = params.get(i).numel();
            addrs[i] = new long[] {at(params.get(i)), at(grads.get(i)), at(ms.get(i)), at(vs.get(i))};
        }
        byte[] s = Structs.adamScalars(lr, beta1, beta2, eps, weightDecay, step);
        MultiTensorPlan plan = MultiTensorPlan.of(sizes, ADAM_CHUNK);
        if (plan.chunks() == 0) return;
        Tensor tensors = upload(MultiTensorPlan.packTensors(addrs, sizes)), chunks = upload(plan.packChunks());
        cb.launch("dust_adamw_multi", new LaunchGeometry.Launch(new int[] {plan.chunks(), 1, 1}, new int[] {256, 1, 1}, 0),
                new KernelArgs().ptr(at(tensors)).ptr(at(chunks)).i32(ADAM_CHUNK).struct(s));
    }

    /** Raw bytes to a fresh device buffer. */
    Tensor upload(byte[] bytes) {
        Tensor t = cb.empty(DType.I32, (bytes.length + 3) / 4);
        cb.gpu().upload(at(t), ByteBuffer.wrap(bytes));
        return t;
    }
}
