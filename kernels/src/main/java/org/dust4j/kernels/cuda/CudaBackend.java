package org.dust4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Checks;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/**
 * The CUDA {@link Backend}: every op is one or a few launches of the kernels in kernels/src/main/cuda (see each
 * .cu header for the launch shape and the CPU reference), GEMM through cuBLAS when libcublas loads (else the
 * gemm.cu kernel), memory from a {@link CachingAllocator}. CPU tensors passed in are uploaded; results stay on
 * the device ({@link #toHost} brings them back). Each op family lives in its own package-private class (CudaGemm,
 * CudaElementwise, CudaReduce, CudaNorm, CudaAttention, CudaIndex, CudaOptim, CudaFused), as the .cu files and the
 * CPU backend are split; this class holds memory, transfers and the shared helpers, and delegates. Float ops take F32 (BF16 where a kernel has a BF16 variant:
 * gemm operands, attention, norms, softmax) and accumulate in F32.
 */
public final class CudaBackend implements Backend, AutoCloseable {
    private final Gpu gpu;
    private final Device device;
    private final CachingAllocator allocator;
    private final Cublas cublas;
    private final String cublasStatus;
    private final CudaGemm gemmOps;
    private final CudaElementwise elementwise;
    private final CudaReduce reduceOps;
    private final CudaNorm norms;
    private final CudaAttention attentionOps;
    private final CudaIndex index;
    private final CudaOptim optim;
    private final CudaFused fused;

    /** A backend over an opened device; {@code useCublas} false forces the gemm.cu kernel. */
    public CudaBackend(Gpu gpu, int ordinal, boolean useCublas) {
        this.gpu = gpu;
        this.device = Device.cuda(ordinal);
        this.allocator = new CachingAllocator(new CachingAllocator.Raw() {
            public long malloc(long bytes) { return gpu.malloc(bytes); }

            public void free(long address) { gpu.free(address); }
        });
        Cublas cb = null;
        String status;
        if (useCublas) {
            try {
                cb = Cublas.load();
                cb.setStream(gpu.streamHandle());
                status = "cuBLAS " + cb.library();
            } catch (Cublas.Unavailable | CudaException e) {
                status = "gemm.cu kernel (" + e.getMessage() + ")";
            }
        } else {
            status = "gemm.cu kernel (cuBLAS disabled)";
        }
        this.cublas = cb;
        this.cublasStatus = status;
        this.gemmOps = new CudaGemm(this);
        this.elementwise = new CudaElementwise(this);
        this.reduceOps = new CudaReduce(this);
        this.norms = new CudaNorm(this);
        this.attentionOps = new CudaAttention(this);
        this.index = new CudaIndex(this);
        this.optim = new CudaOptim(this);
        this.fused = new CudaFused(this);
    }

    @Override
    public String name() { return "cuda"; }

    @Override
    public Device device() { return device; }

    public Gpu gpu() { return gpu; }

    Cublas cublas() { return cublas; }

    public CachingAllocator allocator() { return allocator; }

    /** "cuBLAS libcublas.so.13" or "gemm.cu kernel (why)". */
    public String gemmEngine() { return cublasStatus; }

    /** TF32 tensor cores for F32 GEMMs (cuBLAS only). */
    public void setTf32(boolean on) {
        if (cublas != null) cublas.setTf32(on);
    }

    // ------------------------------------------------------------ helpers

    /** Fresh dense device tensor; contents undefined (every caller writes all of it). */
    Tensor empty(DType dtype, int... shape) {
        CudaStorage s = new CudaStorage(dtype, device, Shape.numel(shape), allocator);
        return new Tensor(s, shape.clone(), Shape.contiguousStrides(shape), 0);
    }

    static CudaStorage storage(Tensor t) {
        if (t.storage() instanceof CudaStorage s) return s;
        throw new IllegalArgumentException("expected a CUDA tensor, got one on " + t.device());
    }

    /** Address of storage element 0 (kernels with a StridedMap add the view offset themselves). */
    static long base(Tensor t) { return t == null ? 0 : storage(t).address(); }

    /** Address of the view's first element. */
    static long at(Tensor t) { return t == null ? 0 : storage(t).address() + (long) t.offset() * t.dtype().byteSize(); }

    /** The tensor on this device: CUDA tensors as they are, CPU tensors uploaded (dense). */
    Tensor onDevice(Tensor t) {
        if (t == null || t.storage() instanceof CudaStorage) return t;
        return toDevice(t);
    }

    /** A dense device tensor with t's values (t itself when already dense on the device). */
    Tensor dense(Tensor t) {
        if (t == null) return null;
        if (!(t.storage() instanceof CudaStorage)) return toDevice(t);
        return t.isContiguous() ? t : copy(t);
    }

    @Override
    public Tensor toCpu(Tensor x) { return x.storage() instanceof CudaStorage ? toHost(x) : Backends.cpu().copy(x); }

    @Override
    public Tensor fromCpu(Tensor x) { return toDevice(x); }

    /** Uploads a CPU tensor (any view) as a dense device tensor of the same dtype. */
    public Tensor toDevice(Tensor cpu) {
        Tensor src = cpu.isContiguous() ? cpu : Backends.cpu().copy(cpu);
        Tensor out = empty(src.dtype(), src.shape());
        if (src.numel() > 0) gpu.upload(at(out), hostBytes(src));
        return out;
    }

    /** Downloads a device tensor (any view) into a dense CPU tensor of the same dtype. */
    public Tensor toHost(Tensor dev) {
        Tensor d = dense(dev);
        Tensor out = Tensor.zeros(d.dtype(), d.shape());
        if (d.numel() == 0) return out;
        ByteBuffer bb = ByteBuffer.allocate(d.numel() * d.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        gpu.download(bb, at(d));
        bb.flip();
        fromBytes(bb, out);
        return out;
    }

    static ByteBuffer hostBytes(Tensor t) {
        int n = t.numel();
        ByteBuffer bb = ByteBuffer.allocate(n * t.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (t.dtype()) {
            case F32 -> bb.asFloatBuffer().put(t.toFloatArray());
            case BF16, F16 -> {
                short[] bits = ((org.dust4j.tensor.CpuStorage.Shorts) t.storage()).data();
                bb.asShortBuffer().put(bits, t.offset(), n);
            }
            case I64 -> bb.asLongBuffer().put(t.toLongArray());
            case I32 -> {
                long[] l = t.toLongArray();
                for (long v : l) bb.putInt((int) v);
            }
        }
        bb.position(0);
        bb.limit(n * t.dtype().byteSize());
        return bb;
    }

    static void fromBytes(ByteBuffer bb, Tensor out) {
        switch (out.storage()) {
            case org.dust4j.tensor.CpuStorage.Floats f -> bb.asFloatBuffer().get(f.data());
            case org.dust4j.tensor.CpuStorage.Shorts s -> bb.asShortBuffer().get(s.data());
            case org.dust4j.tensor.CpuStorage.Longs l -> bb.asLongBuffer().get(l.data());
            case org.dust4j.tensor.CpuStorage.Ints i -> bb.asIntBuffer().get(i.data());
            default -> throw new IllegalStateException("not a CPU tensor");
        }
    }

    static int dtypeCode(DType d) { return d.ordinal(); }   // F32, BF16, F16, I64, I32 = DT_* in common.cuh

    void launch(String kernel, LaunchGeometry.Launch l, KernelArgs a) { gpu.launch(kernel, l, a); }

    static String sfx(DType d, String op) {
        return switch (d) {
            case F32 -> "f32";
            case BF16 -> "bf16";
            default -> throw new IllegalArgumentException(op + ": expects F32 or BF16 input, got " + d);
        };
    }

    // ------------------------------------------------------------ memory

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        Tensor t = empty(dtype, shape);
        gpu.memsetZero(at(t), (long) t.numel() * dtype.byteSize());
        return t;
    }

    @Override
    public Tensor copy(Tensor x) {
        if (!(x.storage() instanceof CudaStorage)) return toDevice(x);
        Tensor out = empty(x.dtype(), x.shape());
        copyInto(x, out);
        return out;
    }

    @Override
    public void copyInto(Tensor src, Tensor dst) {
        int[] shape = dst.shape();
        int[] b = Shape.broadcast("copyInto", src.shape(), shape);
        if (!Arrays.equals(b, shape)) {
            throw new IllegalArgumentException("copyInto: source " + Shape.str(src.shape()) + " does not broadcast to " + Shape.str(shape));
        }
        if (!(dst.storage() instanceof CudaStorage)) {           // device -> host
            Backends.cpu().copyInto(src.storage() instanceof CudaStorage ? toHost(src) : src, dst);
            return;
        }
        if (!(src.storage() instanceof CudaStorage)) {           // host -> device
            if (src.dtype() == dst.dtype() && src.sameShape(dst) && dst.isContiguous()) {
                if (dst.numel() > 0) gpu.upload(at(dst), hostBytes(src.isContiguous() ? src : Backends.cpu().copy(src)));
                return;
            }
            src = toDevice(src);
        }
        long n = dst.numel();
        if (n == 0) return;
        StridedMap ms = StridedMap.of(src, shape), md = StridedMap.of(dst);
        if (src.dtype() == dst.dtype()) {
            if (ms.isDense() && md.isDense()) {
                gpu.copy(base(dst) + md.offset() * dst.dtype().byteSize(), base(src) + ms.offset() * src.dtype().byteSize(),
                        n * dst.dtype().byteSize());
                return;
            }
            String k = "dust_copy_strided_b" + dst.dtype().byteSize();
            launch(k, LaunchGeometry.elementwise(n), new KernelArgs().ptr(base(src)).struct(ms.pack()).ptr(base(dst)).struct(md.pack()).i64(n));
            return;
        }
        if (!src.dtype().isFloating() && !dst.dtype().isFloating()) {   // I64 <-> I32 exactly, through the host
            Tensor h = Tensor.zeros(dst.dtype(), shape);
            Backends.cpu().copyInto(toHost(src), h);
            copyInto(h, dst);
            return;
        }
        launch("dust_copy_convert", LaunchGeometry.elementwise(n), new KernelArgs().ptr(base(src)).i32(dtypeCode(src.dtype())).struct(ms.pack())
                .ptr(base(dst)).i32(dtypeCode(dst.dtype())).struct(md.pack()).i64(n));
    }

    @Override
    public Tensor convert(Tensor x, DType target) {
        Tensor xd = onDevice(x);
        Tensor out = empty(target, x.shape());
        long n = out.numel();
        if (n > 0 && xd.isContiguous() && xd.dtype() == DType.F32 && target == DType.BF16) {
            launch("dust_f32_to_bf16", LaunchGeometry.elementwise(n), new KernelArgs().ptr(at(xd)).ptr(at(out)).i64(n));
        } else if (n > 0 && xd.isContiguous() && xd.dtype() == DType.BF16 && target == DType.F32) {
            launch("dust_bf16_to_f32", LaunchGeometry.elementwise(n), new KernelArgs().ptr(at(xd)).ptr(at(out)).i64(n));
        } else {
            copyInto(xd, out);
        }
        return out;
    }

    @Override
    public void fill(Tensor dst, float value) {
        long n = dst.numel();
        if (n == 0) return;
        launch("dust_fill", LaunchGeometry.elementwise(n), new KernelArgs().ptr(base(dst)).i32(dtypeCode(dst.dtype()))
                .struct(StridedMap.of(dst).pack()).f32(value).i64(n));
    }

    /** Generated on the CPU with the same counter-based stream (bit-identical to the CPU backends), then uploaded. */
    @Override
    public Tensor random(long seed, boolean normal, int... shape) {
        return toDevice(Backends.cpu().random(seed, normal, shape));
    }

    // ------------------------------------------------------------ delegation to the op families

    @Override
    public void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        gemmOps.gemm(alpha, a, transA, b, transB, beta, c);
    }

    /** The last two dims of a rank-2/3 view as a matrix; a rank-2 operand has batch stride 0 (shared). */
    static GemmPlan.Mat mat(Tensor t) {
        return new GemmPlan.Mat(t.size(-2), t.size(-1), t.stride(-2), t.stride(-1), t.rank() == 3 ? t.stride(0) : 0);
    }

    @Override
    public Tensor binary(Ops.Binary op, Tensor a, Tensor b) { return elementwise.binary(op, a, b); }

    @Override
    public Tensor scalar(Ops.Scalar op, Tensor x, float s) { return elementwise.scalar(op, x, s); }

    @Override
    public Tensor unary(Ops.Unary op, Tensor x) { return elementwise.unary(op, x); }

    @Override
    public Tensor unaryBackward(Ops.Unary op, Tensor x, Tensor gradOut) { return elementwise.unaryBackward(op, x, gradOut); }

    @Override
    public void addInPlace(Tensor dst, Tensor src) { elementwise.addInPlace(dst, src); }

    /** {@code y[r, :] += bias} in place on a dense [rows, cols] tensor (F32 or BF16). */
    public void biasAdd(Tensor y, Tensor bias) { elementwise.biasAdd(y, bias); }

    @Override
    public Tensor reduce(Ops.Reduce op, Tensor x, int axis, boolean keepDim) { return reduceOps.reduce(op, x, axis, keepDim); }

    @Override
    public Tensor sumTo(Tensor x, int[] shape) { return reduceOps.sumTo(x, shape); }

    @Override
    public double sumAll(Tensor x) { return reduceOps.sumAll(x); }

    @Override
    public double sumSquares(Tensor x) { return reduceOps.sumSquares(x); }

    @Override
    public Tensor softmax(Tensor x) { return norms.softmax(x); }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor gradOut) { return norms.softmaxBackward(y, gradOut); }

    @Override
    public NormResult layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) { return norms.layerNorm(x, weight, bias, eps); }

    @Override
    public NormResult rmsNorm(Tensor x, Tensor weight, float eps) { return norms.rmsNorm(x, weight, eps); }

    @Override
    public NormGrads layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, boolean hasBias) {
        return norms.layerNormBackward(x, weight, mean, rstd, gradOut, hasBias);
    }

    @Override
    public NormGrads rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gradOut) {
        return norms.rmsNormBackward(x, weight, rstd, gradOut);
    }

    @Override
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, float scale) { return attentionOps.attention(q, k, v, scale); }

    @Override
    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gradOut, float scale) {
        return attentionOps.attentionBackward(q, k, v, out, lse, gradOut, scale);
    }

    @Override
    public Tensor embedding(Tensor table, Tensor indices) { return index.embedding(table, indices); }

    @Override
    public Tensor scatterAddRows(Tensor src, Tensor indices, int numRows) { return index.scatterAddRows(src, indices, numRows); }

    /** Host copy of integer indices after the range check, uploaded as I32. */
    Tensor deviceIndices(String op, Tensor indices, int bound) { return index.deviceIndices(op, indices, bound); }

    @Override
    public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay,
                      int step) {
        optim.adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    }

    /** One AdamW step over many parameters in a single launch (same semantics as {@link #adamw} per tensor). */
    public void adamwMulti(List<Tensor> params, List<Tensor> grads, List<Tensor> ms, List<Tensor> vs, float lr, float beta1, float beta2,
                           float eps, float weightDecay, int step) {
        optim.adamwMulti(params, grads, ms, vs, lr, beta1, beta2, eps, weightDecay, step);
    }

    @Override
    public NormResult adaLn(Tensor x, Tensor scale, Tensor shift, float eps) { return fused.adaLn(x, scale, shift, eps); }

    @Override
    public AdaLnGrads adaLnBackward(Tensor x, Tensor scale, Tensor mean, Tensor rstd, Tensor gradOut) {
        return fused.adaLnBackward(x, scale, mean, rstd, gradOut);
    }

    @Override
    public Tensor gatedResidual(Tensor x, Tensor h, Tensor gate) { return fused.gatedResidual(x, h, gate); }

    /** AdaLN-Zero residual {@code x += gate[b] * h} in place on x (contiguous, on the device). */
    public void gatedResidualInPlace(Tensor x, Tensor h, Tensor gate) { fused.gatedResidualInPlace(x, h, gate); }

    @Override
    public GatedGrads gatedResidualBackward(Tensor gradOut, Tensor h, Tensor gate) { return fused.gatedResidualBackward(gradOut, h, gate); }

    @Override
    public FlowLoss flowLoss(Tensor v, Tensor data, Tensor eps, Tensor elemMask, Tensor sampleMask, float gradScale) {
        return fused.flowLoss(v, data, eps, elemMask, sampleMask, gradScale);
    }

    @Override
    public Tensor categoryLinear(Tensor x, Tensor w, Tensor bias, Tensor ids) { return fused.categoryLinear(x, w, bias, ids); }

    @Override
    public CategoryLinearGrads categoryLinearBackward(Tensor x, Tensor w, Tensor ids, Tensor gradOut, boolean hasBias) {
        return fused.categoryLinearBackward(x, w, ids, gradOut, hasBias);
    }

    // ------------------------------------------------------------ graphs, lifecycle

    /** Waits for all queued device work. */
    public void synchronize() { gpu.synchronize(); }

    @Override
    public void close() {
        gpu.synchronize();
        if (cublas != null) cublas.close();
        allocator.releaseCache();
        gpu.close();
    }
}
