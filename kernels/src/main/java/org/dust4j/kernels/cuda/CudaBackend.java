package org.dust4j.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/**
 * The CUDA {@link Backend}: every op is one or a few launches of the kernels in kernels/src/main/cuda (see each
 * .cu header for the launch shape and the CPU reference), GEMM through cuBLAS when libcublas loads (else the
 * gemm.cu kernel), memory from a {@link CachingAllocator}. CPU tensors passed in are uploaded; results stay on
 * the device ({@link #toHost} brings them back). Float ops take F32 (BF16 where a kernel has a BF16 variant:
 * gemm operands, attention, norms, softmax) and accumulate in F32.
 */
public final class CudaBackend implements Backend, FusedOps, AutoCloseable {
    private final Gpu gpu;
    private final Device device;
    private final CachingAllocator allocator;
    private final Cublas cublas;
    private final String cublasStatus;
    private static volatile boolean warnedAttentionFallback;

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
    }

    @Override
    public String name() { return "cuda"; }

    @Override
    public Device device() { return device; }

    public Gpu gpu() { return gpu; }

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

    static void requireF32(String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.dtype() != DType.F32) {
                throw new IllegalArgumentException(op + ": expects F32 input, got " + t.dtype() + " of shape " + Shape.str(t.shape()));
            }
        }
    }

    static void requireShape(String op, String what, Tensor t, int... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + what + " has shape " + Shape.str(t.shape()) + ", expected " + Shape.str(shape));
        }
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

    // ------------------------------------------------------------ gemm

    @Override
    public void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        for (Tensor t : new Tensor[] {a, b, c}) {
            if (t.rank() < 2 || t.rank() > 3) {
                throw new IllegalArgumentException("gemm: operands must be rank 2 or 3, got A " + Shape.str(a.shape()) + ", B "
                        + Shape.str(b.shape()) + ", C " + Shape.str(c.shape()));
            }
        }
        if (c.dtype() != DType.F32) throw new IllegalArgumentException("gemm: C must be F32, got " + c.dtype());
        if (a.dtype() != b.dtype() || (a.dtype() != DType.F32 && a.dtype() != DType.BF16)) {
            throw new IllegalArgumentException("gemm: A and B must both be F32 or both BF16, got " + a.dtype() + " and " + b.dtype());
        }
        Tensor la = transA ? a.mT() : a, lb = transB ? b.mT() : b;
        int m = la.size(-2), k = la.size(-1), kb = lb.size(-2), n = lb.size(-1);
        String desc = "A " + Shape.str(a.shape()) + (transA ? "^T" : "") + ", B " + Shape.str(b.shape()) + (transB ? "^T" : "") + ", C "
                + Shape.str(c.shape());
        if (k != kb) throw new IllegalArgumentException("gemm: inner dimensions differ (" + k + " vs " + kb + "): " + desc);
        if (c.size(-2) != m || c.size(-1) != n) throw new IllegalArgumentException("gemm: C must be [" + m + ", " + n + "]: " + desc);
        int batch = c.rank() == 3 ? c.size(0) : 1;
        if ((a.rank() == 3 && (c.rank() != 3 || a.size(0) != batch)) || (b.rank() == 3 && (c.rank() != 3 || b.size(0) != batch))) {
            throw new IllegalArgumentException("gemm: batch sizes differ: " + desc);
        }
        if (m == 0 || n == 0 || batch == 0) return;
        la = onDevice(la);
        lb = onDevice(lb);
        if (!(c.storage() instanceof CudaStorage)) {
            Tensor cd = toDevice(c);
            gemm(alpha, la, false, lb, false, beta, cd);
            copyInto(cd, c);
            return;
        }
        GemmPlan.Mat ma = mat(la), mb = mat(lb), mc = mat(c);
        if (cublas != null) {
            GemmPlan p = GemmPlan.of(ma, mb, mc, batch);
            if (p == null || mc.bs() == 0 && batch > 1) {
                // an operand without a unit stride (or an aliased C): dense copies, then the plan always exists
                Tensor ad = la.isContiguous() ? la : copy(la), bd = lb.isContiguous() ? lb : copy(lb);
                if (GemmPlan.of(mat(ad), mat(bd), mc, batch) == null || mc.bs() == 0 && batch > 1) {
                    Tensor cd = copy(c);
                    gemm(alpha, ad, false, bd, false, beta, cd);
                    copyInto(cd, c);
                    return;
                }
                la = ad;
                lb = bd;
                p = GemmPlan.of(mat(la), mat(lb), mc, batch);
            }
            Cublas.Type type = la.dtype() == DType.F32 ? Cublas.Type.F32 : Cublas.Type.BF16;
            cublas.gemm(p, type, alpha, p.swap() ? at(lb) : at(la), p.swap() ? at(la) : at(lb), beta, at(c));
            return;
        }
        String kern = la.dtype() == DType.F32 ? "dust_gemm_f32" : "dust_gemm_bf16_f32";
        byte[] strides = Structs.gemmStrides(new long[] {ma.bs(), ma.rs(), ma.cs()}, new long[] {mb.bs(), mb.rs(), mb.cs()},
                new long[] {mc.bs(), mc.rs(), mc.cs()});
        launch(kern, LaunchGeometry.gemmTiles(m, n, batch), new KernelArgs().i32(m).i32(n).i32(k).f32(alpha).ptr(at(la)).ptr(at(lb))
                .f32(beta).ptr(at(c)).struct(strides));
    }

    /** The last two dims of a rank-2/3 view as a matrix; a rank-2 operand has batch stride 0 (shared). */
    static GemmPlan.Mat mat(Tensor t) {
        return new GemmPlan.Mat(t.size(-2), t.size(-1), t.stride(-2), t.stride(-1), t.rank() == 3 ? t.stride(0) : 0);
    }

    // ------------------------------------------------------------ element-wise

    @Override
    public Tensor binary(Ops.Binary op, Tensor a, Tensor b) {
        requireF32(op.name().toLowerCase(), a, b);
        int[] shape = Shape.broadcast(op.name().toLowerCase(), a.shape(), b.shape());
        a = onDevice(a);
        b = onDevice(b);
        Tensor out = empty(DType.F32, shape);
        long n = out.numel();
        if (n == 0) return out;
        if (a.isContiguous() && b.isContiguous() && Arrays.equals(a.shape(), shape) && Arrays.equals(b.shape(), shape)) {
            launch("dust_binary_contig_f32", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(at(a)).ptr(at(b)).ptr(at(out)).i64(n));
        } else {
            launch("dust_binary_f32", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(base(a)).struct(StridedMap.of(a, shape).pack())
                    .ptr(base(b)).struct(StridedMap.of(b, shape).pack()).ptr(at(out)).i64(n));
        }
        return out;
    }

    @Override
    public Tensor scalar(Ops.Scalar op, Tensor x, float s) {
        requireF32("scalar " + op.name().toLowerCase(), x);
        x = onDevice(x);
        Tensor out = empty(DType.F32, x.shape());
        long n = out.numel();
        if (n > 0) {
            launch("dust_scalar_f32", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(base(x)).struct(StridedMap.of(x).pack())
                    .f32(s).ptr(at(out)).i64(n));
        }
        return out;
    }

    @Override
    public Tensor unary(Ops.Unary op, Tensor x) {
        x = onDevice(x);
        Tensor out = empty(x.dtype(), x.shape());
        long n = out.numel();
        if (n == 0) return out;
        if (x.dtype() == DType.BF16) {
            Tensor xd = dense(x);
            launch("dust_unary_bf16", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(at(xd)).ptr(at(out)).i64(n));
        } else {
            requireF32(op.name().toLowerCase(), x);
            launch("dust_unary_f32", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(base(x)).struct(StridedMap.of(x).pack())
                    .ptr(at(out)).i64(n));
        }
        return out;
    }

    @Override
    public Tensor unaryBackward(Ops.Unary op, Tensor x, Tensor gradOut) {
        String name = op.name().toLowerCase() + " backward";
        requireShape(name, "gradOut", gradOut, x.shape());
        x = onDevice(x);
        gradOut = onDevice(gradOut);
        Tensor out = empty(x.dtype(), x.shape());
        long n = out.numel();
        if (n == 0) return out;
        if (x.dtype() == DType.BF16 && gradOut.dtype() == DType.BF16) {
            Tensor xd = dense(x), gd = dense(gradOut);
            launch("dust_unary_bwd_bf16", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(at(xd)).ptr(at(gd)).ptr(at(out)).i64(n));
        } else {
            requireF32(name, x, gradOut);
            launch("dust_unary_bwd_f32", LaunchGeometry.elementwise(n), new KernelArgs().i32(op.ordinal()).ptr(base(x)).struct(StridedMap.of(x).pack())
                    .ptr(base(gradOut)).struct(StridedMap.of(gradOut).pack()).ptr(at(out)).i64(n));
        }
        return out;
    }

    @Override
    public void addInPlace(Tensor dst, Tensor src) {
        requireF32("addInPlace", dst, src);
        if (!dst.isContiguous()) throw new IllegalArgumentException("addInPlace: destination must be contiguous");
        int[] b = Shape.broadcast("addInPlace", src.shape(), dst.shape());
        if (!Arrays.equals(b, dst.shape())) {
            throw new IllegalArgumentException("addInPlace: " + Shape.str(src.shape()) + " does not broadcast to " + Shape.str(dst.shape()));
        }
        src = onDevice(src);
        long n = dst.numel();
        if (n > 0) {
            launch("dust_add_inplace_f32", LaunchGeometry.elementwise(n), new KernelArgs().ptr(at(dst)).ptr(base(src))
                    .struct(StridedMap.of(src, dst.shape()).pack()).i64(n));
        }
    }

    /** {@code y[r, :] += bias} in place on a dense [rows, cols] tensor (F32 or BF16). */
    public void biasAdd(Tensor y, Tensor bias) {
        if (!y.isContiguous() || bias.rank() != 1 || y.size(-1) != bias.size(0) || y.dtype() != bias.dtype()) {
            throw new IllegalArgumentException("biasAdd: y " + Shape.str(y.shape()) + " must be dense with last dim " + "matching bias "
                    + Shape.str(bias.shape()) + " of the same dtype");
        }
        Tensor bd = dense(bias);
        long rows = y.numel() / Math.max(1, bias.size(0));
        if (y.numel() > 0) {
            launch("dust_bias_add_" + sfx(y.dtype(), "biasAdd"), LaunchGeometry.elementwise(y.numel()), new KernelArgs().ptr(at(y)).ptr(at(bd))
                    .i64(rows).i32(bias.size(0)));
        }
    }

    // ------------------------------------------------------------ reductions

    @Override
    public Tensor reduce(Ops.Reduce op, Tensor x, int axis, boolean keepDim) {
        String name = op.name().toLowerCase();
        requireF32(name, x);
        int a = Shape.axis(name, axis, x.rank());
        int[] shape = x.shape();
        long outer = 1, inner = 1;
        int n = shape[a];
        for (int i = 0; i < a; i++) outer *= shape[i];
        for (int i = a + 1; i < shape.length; i++) inner *= shape[i];
        if (n == 0 && op == Ops.Reduce.MAX) throw new IllegalArgumentException("max: axis " + a + " of shape " + Shape.str(shape) + " is empty");
        int[] os = shape.clone();
        os[a] = 1;
        Tensor out = empty(DType.F32, os);
        if (outer * inner > 0) {
            Tensor xd = dense(x);
            if (inner == 1) {
                launch("dust_reduce_rows_f32", LaunchGeometry.rows(outer, 0), new KernelArgs().i32(op.ordinal()).ptr(at(xd)).ptr(at(out)).i32(n));
            } else {
                launch("dust_reduce_cols_f32", LaunchGeometry.elementwise(outer * inner), new KernelArgs().i32(op.ordinal()).ptr(at(xd)).ptr(at(out))
                        .i64(outer).i32(n).i64(inner));
            }
        }
        return keepDim ? out : out.squeeze(a);
    }

    @Override
    public Tensor sumTo(Tensor x, int[] shape) {
        requireF32("sumTo", x);
        int[] xs = x.shape();
        if (!Arrays.equals(Shape.broadcast("sumTo", shape, xs), xs)) {
            throw new IllegalArgumentException("sumTo: " + Shape.str(shape) + " does not broadcast to " + Shape.str(xs));
        }
        Tensor r = onDevice(x);
        int lead = xs.length - shape.length;
        for (int i = 0; i < lead; i++) r = reduce(Ops.Reduce.SUM, r, 0, false);
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1 && r.size(i) != 1) r = reduce(Ops.Reduce.SUM, r, i, true);
        }
        return r.isContiguous() ? r.reshape(shape) : copy(r).reshape(shape);
    }

    private double sum(Tensor x, boolean squares) {
        requireF32(squares ? "sumSquares" : "sumAll", x);
        long n = x.numel();
        if (n == 0) return 0;
        Tensor xd = dense(x);
        Tensor partials = empty(DType.I64, LaunchGeometry.SUM_BLOCKS);   // 8-byte slots holding doubles
        Tensor total = empty(DType.I64, 1);
        LaunchGeometry.Launch l = new LaunchGeometry.Launch(new int[] {LaunchGeometry.SUM_BLOCKS, 1, 1}, new int[] {256, 1, 1}, 0);
        launch("dust_sum_partial_f32", l, new KernelArgs().ptr(at(xd)).i64(n).i32(squares ? 1 : 0).ptr(at(partials)));
        launch("dust_sum_finish_f64", new LaunchGeometry.Launch(new int[] {1, 1, 1}, new int[] {256, 1, 1}, 0),
                new KernelArgs().ptr(at(partials)).i32(LaunchGeometry.SUM_BLOCKS).ptr(at(total)));
        ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        gpu.download(bb, at(total));
        return bb.getDouble(0);
    }

    @Override
    public double sumAll(Tensor x) { return sum(x, false); }

    @Override
    public double sumSquares(Tensor x) { return sum(x, true); }

    // ------------------------------------------------------------ softmax, norms

    static int lastDim(String op, Tensor x) {
        if (x.rank() == 0) throw new IllegalArgumentException(op + ": needs rank >= 1, got a scalar");
        return x.size(-1);
    }

    @Override
    public Tensor softmax(Tensor x) {
        int d = lastDim("softmax", x);
        Tensor xd = dense(x);
        Tensor out = empty(xd.dtype(), x.shape());
        long rows = d == 0 ? 0 : x.numel() / d;
        if (rows > 0) launch("dust_softmax_" + sfx(x.dtype(), "softmax"), LaunchGeometry.rows(rows, 0), new KernelArgs().ptr(at(xd)).ptr(at(out)).i32(d));
        return out;
    }

    @Override
    public Tensor softmaxBackward(Tensor y, Tensor gradOut) {
        requireShape("softmax backward", "gradOut", gradOut, y.shape());
        int d = lastDim("softmax backward", y);
        Tensor yd = dense(y), gd = dense(gradOut);
        if (yd.dtype() != gd.dtype()) throw new IllegalArgumentException("softmax backward: y " + yd.dtype() + " and gradOut " + gd.dtype() + " differ");
        Tensor out = empty(yd.dtype(), y.shape());
        long rows = d == 0 ? 0 : y.numel() / d;
        if (rows > 0) {
            launch("dust_softmax_bwd_" + sfx(y.dtype(), "softmax backward"), LaunchGeometry.rows(rows, 0),
                    new KernelArgs().ptr(at(yd)).ptr(at(gd)).ptr(at(out)).i32(d));
        }
        return out;
    }

    static void checkNormParams(String op, Tensor x, Tensor weight, Tensor bias) {
        int d = lastDim(op, x);
        if (weight != null) requireShape(op, "weight", weight, d);
        if (bias != null) requireShape(op, "bias", bias, d);
        for (Tensor t : new Tensor[] {weight, bias}) {
            if (t != null && t.dtype() != x.dtype()) throw new IllegalArgumentException(op + ": parameter dtype " + t.dtype() + " differs from x " + x.dtype());
        }
    }

    @Override
    public NormResult layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        return norm("layerNorm", x, weight, bias, eps, false);
    }

    @Override
    public NormResult rmsNorm(Tensor x, Tensor weight, float eps) {
        return norm("rmsNorm", x, weight, null, eps, true);
    }

    private NormResult norm(String op, Tensor x, Tensor weight, Tensor bias, float eps, boolean rms) {
        checkNormParams(op, x, weight, bias);
        int d = x.size(-1);
        long rows = d == 0 ? 0 : x.numel() / d;
        int[] rs = Arrays.copyOf(x.shape(), x.rank() - 1);
        Tensor xd = dense(x), w = dense(weight), b = dense(bias);
        Tensor out = empty(xd.dtype(), x.shape()), mean = rms ? null : empty(DType.F32, rs), rstd = empty(DType.F32, rs);
        if (rows > 0) {
            String s = sfx(x.dtype(), op);
            LaunchGeometry.Launch l = LaunchGeometry.rows(rows, LaunchGeometry.normSmemFloats(d, false));
            if (rms) {
                launch("dust_rmsnorm_fwd_" + s, l, new KernelArgs().ptr(at(xd)).ptr(at(w)).ptr(at(out)).ptr(at(rstd)).i32(d).f32(eps));
            } else {
                launch("dust_layernorm_fwd_" + s, l, new KernelArgs().ptr(at(xd)).ptr(at(w)).ptr(at(b)).ptr(at(out)).ptr(at(mean)).ptr(at(rstd))
                        .i32(d).f32(eps));
            }
        }
        return new NormResult(out, mean, rstd);
    }

    @Override
    public NormGrads layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, boolean hasBias) {
        return normBackward("layerNorm backward", x, weight, mean, rstd, gradOut, hasBias);
    }

    @Override
    public NormGrads rmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gradOut) {
        return normBackward("rmsNorm backward", x, weight, null, rstd, gradOut, false);
    }

    /** Rows per partial-sum group of the parameter gradients (a fixed split keeps the sums deterministic). */
    static int paramGroups(long rows) { return (int) Math.max(1, Math.min(rows, 128)); }

    private NormGrads normBackward(String op, Tensor x, Tensor weight, Tensor mean, Tensor rstd, Tensor gradOut, boolean hasBias) {
        checkNormParams(op, x, weight, null);
        requireShape(op, "gradOut", gradOut, x.shape());
        int d = x.size(-1);
        long rows = d == 0 ? 0 : x.numel() / d;
        Tensor xd = dense(x), w = dense(weight), md = dense(mean), rd = dense(rstd), gd = dense(gradOut);
        if (gd.dtype() != xd.dtype()) throw new IllegalArgumentException(op + ": gradOut " + gd.dtype() + " differs from x " + xd.dtype());
        String s = sfx(x.dtype(), op);
        Tensor dx = empty(xd.dtype(), x.shape());
        Tensor dw = weight == null ? null : zeros(DType.F32, d), db = hasBias ? zeros(DType.F32, d) : null;
        if (rows == 0) return new NormGrads(dx, dw, db);
        launch("dust_norm_bwd_dx_" + s, LaunchGeometry.rows(rows, LaunchGeometry.normSmemFloats(d, true)),
                new KernelArgs().ptr(at(xd)).ptr(at(w)).ptr(at(md)).ptr(at(rd)).ptr(at(gd)).ptr(at(dx)).i32(d));
        if (dw != null || db != null) {
            int groups = paramGroups(rows);
            int perGroup = (int) LaunchGeometry.ceilDiv(rows, groups);
            groups = (int) LaunchGeometry.ceilDiv(rows, perGroup);
            Tensor pa = empty(DType.F32, groups, d), pb = db == null ? null : empty(DType.F32, groups, d);
            launch("dust_norm_bwd_params_" + s, LaunchGeometry.groupedColumns(d, groups), new KernelArgs().ptr(at(xd)).ptr(at(md)).ptr(at(rd))
                    .ptr(at(gd)).ptr(at(pa)).ptr(at(pb)).i32((int) rows).i32(d).i32(perGroup));
            if (dw != null) colsum(pa, dw, groups, d);
            if (db != null) colsum(pb, db, groups, d);
        }
        return new NormGrads(dx, dw, db);
    }

    private void colsum(Tensor partial, Tensor out, int rows, int cols) {
        launch("dust_colsum_f32", LaunchGeometry.elementwise(cols), new KernelArgs().ptr(at(partial)).ptr(at(out)).i32(rows).i32(cols));
    }

    // ------------------------------------------------------------ attention

    static int[] checkAttention(String op, Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException(op + ": q, k, v must be [B,H,T,dh], got " + Shape.str(q.shape()) + ", " + Shape.str(k.shape())
                    + ", " + Shape.str(v.shape()));
        }
        int b = q.size(0), h = q.size(1), tq = q.size(2), dh = q.size(3), tk = k.size(2);
        if (k.size(0) != b || k.size(1) != h || k.size(3) != dh || !Arrays.equals(k.shape(), v.shape())) {
            throw new IllegalArgumentException(op + ": q " + Shape.str(q.shape()) + " does not match k " + Shape.str(k.shape()) + " and v "
                    + Shape.str(v.shape()));
        }
        if (q.dtype() != k.dtype() || q.dtype() != v.dtype()) {
            throw new IllegalArgumentException(op + ": q, k, v dtypes differ: " + q.dtype() + ", " + k.dtype() + ", " + v.dtype());
        }
        return new int[] {b, h, tq, tk, dh};
    }

    /** The view itself when its head dim is contiguous (B/H/T strides are free), else a dense copy. */
    Tensor headContiguous(Tensor t) {
        Tensor d = onDevice(t);
        return d.stride(3) == 1 || d.size(3) == 1 ? d : copy(d);
    }

    private void attentionFallbackNotice(int dh) {
        if (!warnedAttentionFallback) {
            warnedAttentionFallback = true;
            System.err.println("dust4j cuda: attention head dim " + dh + " has no CUDA kernel (32/48/64/128); computed on the CPU");
        }
    }

    @Override
    public AttentionResult attention(Tensor q, Tensor k, Tensor v, float scale) {
        int[] g = checkAttention("attention", q, k, v);
        int b = g[0], h = g[1], tq = g[2], tk = g[3], dh = g[4];
        String s = sfx(q.dtype(), "attention");
        if (!LaunchGeometry.attentionHeadDimSupported(dh)) {
            attentionFallbackNotice(dh);
            AttentionResult r = Backends.cpu().attention(cpuF32(q), cpuF32(k), cpuF32(v), scale);
            return new AttentionResult(convert(toDevice(r.out()), q.dtype()), toDevice(r.lse()));
        }
        Tensor out = empty(q.dtype(), b, h, tq, dh), lse = empty(DType.F32, b, h, tq);
        if (b * h * tq == 0) return new AttentionResult(out, lse);
        if (tk == 0) {
            fill(out, 0f);
            fill(lse, Float.NEGATIVE_INFINITY);
            return new AttentionResult(out, lse);
        }
        Tensor qd = headContiguous(q), kd = headContiguous(k), vd = headContiguous(v);
        launch("dust_attn_fwd_" + s + "_d" + dh, LaunchGeometry.attention(tq, b * h, dh), new KernelArgs()
                .ptr(at(qd)).struct(Structs.bhts(qd)).ptr(at(kd)).struct(Structs.bhts(kd)).ptr(at(vd)).struct(Structs.bhts(vd))
                .ptr(at(out)).struct(Structs.bhts(out)).ptr(at(lse)).i32(h).i32(tq).i32(tk).f32(scale));
        return new AttentionResult(out, lse);
    }

    Tensor cpuF32(Tensor t) {
        Tensor c = t.storage() instanceof CudaStorage ? toHost(t) : t;
        return c.dtype() == DType.F32 ? c : Backends.cpu().convert(c, DType.F32);
    }

    @Override
    public AttentionGrads attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor gradOut, float scale) {
        int[] g = checkAttention("attention backward", q, k, v);
        requireShape("attention backward", "gradOut", gradOut, q.shape());
        int b = g[0], h = g[1], tq = g[2], tk = g[3], dh = g[4];
        String s = sfx(q.dtype(), "attention backward");
        if (!LaunchGeometry.attentionHeadDimSupported(dh)) {
            attentionFallbackNotice(dh);
            AttentionGrads r = Backends.cpu().attentionBackward(cpuF32(q), cpuF32(k), cpuF32(v), cpuF32(out), cpuF32(lse), cpuF32(gradOut), scale);
            return new AttentionGrads(convert(toDevice(r.dq()), q.dtype()), convert(toDevice(r.dk()), q.dtype()), convert(toDevice(r.dv()), q.dtype()));
        }
        Tensor dq = empty(q.dtype(), q.shape()), dk = empty(q.dtype(), k.shape()), dv = empty(q.dtype(), v.shape());
        if (b * h == 0 || (tq == 0 && tk == 0)) return new AttentionGrads(dq, dk, dv);
        if (tq == 0 || tk == 0) {
            fill(dq, 0f);
            fill(dk, 0f);
            fill(dv, 0f);
            return new AttentionGrads(dq, dk, dv);
        }
        Tensor qd = headContiguous(q), kd = headContiguous(k), vd = headContiguous(v), od = headContiguous(out), gd = headContiguous(gradOut);
        if (od.dtype() != q.dtype() || gd.dtype() != q.dtype()) {
            throw new IllegalArgumentException("attention backward: out " + od.dtype() + " / gradOut " + gd.dtype() + " must match q " + q.dtype());
        }
        Tensor ld = dense(lse);
        long rows = (long) b * h * tq;
        Tensor delta = empty(DType.F32, b, h, tq);
        launch("dust_attn_bwd_delta_" + s, LaunchGeometry.attentionDelta(rows), new KernelArgs().ptr(at(od)).struct(Structs.bhts(od))
                .ptr(at(gd)).struct(Structs.bhts(gd)).ptr(at(delta)).i32(h).i32(tq).i32(dh).i64(rows));
        launch("dust_attn_bwd_dkdv_" + s + "_d" + dh, LaunchGeometry.attention(tk, b * h, dh), new KernelArgs()
                .ptr(at(qd)).struct(Structs.bhts(qd)).ptr(at(kd)).struct(Structs.bhts(kd)).ptr(at(vd)).struct(Structs.bhts(vd))
                .ptr(at(gd)).struct(Structs.bhts(gd)).ptr(at(ld)).ptr(at(delta)).ptr(at(dk)).struct(Structs.bhts(dk))
                .ptr(at(dv)).struct(Structs.bhts(dv)).i32(h).i32(tq).i32(tk).f32(scale));
        launch("dust_attn_bwd_dq_" + s + "_d" + dh, LaunchGeometry.attention(tq, b * h, dh), new KernelArgs()
                .ptr(at(qd)).struct(Structs.bhts(qd)).ptr(at(kd)).struct(Structs.bhts(kd)).ptr(at(vd)).struct(Structs.bhts(vd))
                .ptr(at(gd)).struct(Structs.bhts(gd)).ptr(at(ld)).ptr(at(delta)).ptr(at(dq)).struct(Structs.bhts(dq))
                .i32(h).i32(tq).i32(tk).f32(scale));
        return new AttentionGrads(dq, dk, dv);
    }

    // ------------------------------------------------------------ indexing

    /** Host copy of integer indices after the range check, uploaded as I32. */
    private Tensor deviceIndices(String op, Tensor indices, int bound) {
        if (indices.dtype().isFloating()) throw new IllegalArgumentException(op + ": indices must be I64 or I32, got " + indices.dtype());
        long[] idx = (indices.storage() instanceof CudaStorage ? toHost(indices) : indices).toLongArray();
        int[] i32 = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= bound) throw new IndexOutOfBoundsException(op + ": index " + idx[i] + " out of range [0, " + bound + ")");
            i32[i] = (int) idx[i];
        }
        return toDevice(Tensor.ofInts(i32, idx.length));
    }

    private void checkErrFlag(String op, Tensor err) {
        ByteBuffer bb = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        gpu.download(bb, at(err));
        if (bb.getInt(0) != 0) throw new IllegalStateException(op + ": the kernel saw an out-of-range index");
    }

    @Override
    public Tensor embedding(Tensor table, Tensor indices) {
        if (table.rank() != 2) throw new IllegalArgumentException("embedding: table must be [N,D], got " + Shape.str(table.shape()));
        int n = table.size(0), d = table.size(1);
        Tensor idx = deviceIndices("embedding", indices, n);
        int[] os = Arrays.copyOf(indices.shape(), indices.rank() + 1);
        os[indices.rank()] = d;
        Tensor td = dense(table);
        Tensor out = empty(td.dtype(), os);
        long ni = idx.numel();
        if (ni * d > 0) {
            Tensor err = zeros(DType.I32, 1);
            launch("dust_embedding_" + sfx(td.dtype(), "embedding"), LaunchGeometry.elementwise(ni * d), new KernelArgs().ptr(at(td)).ptr(at(idx))
                    .ptr(at(out)).i64(ni).i32(d).i32(n).ptr(at(err)));
            checkErrFlag("embedding", err);
        }
        return out;
    }

    @Override
    public Tensor scatterAddRows(Tensor src, Tensor indices, int numRows) {
        requireF32("scatterAddRows", src);
        int d = lastDim("scatterAddRows", src);
        Tensor idx = deviceIndices("scatterAddRows", indices, numRows);
        if ((long) idx.numel() * d != src.numel()) {
            throw new IllegalArgumentException("scatterAddRows: source " + Shape.str(src.shape()) + " does not hold one row per index of "
                    + Shape.str(indices.shape()));
        }
        Tensor out = zeros(DType.F32, numRows, d);
        long ni = idx.numel();
        if (ni * d > 0) {
            Tensor sd = dense(src), err = zeros(DType.I32, 1);
            launch("dust_scatter_add_rows_f32", LaunchGeometry.elementwise(ni * d), new KernelArgs().ptr(at(sd)).ptr(at(idx)).ptr(at(out))
                    .i64(ni).i32(d).i32(numRows).ptr(at(err)));
            checkErrFlag("scatterAddRows", err);
        }
        return out;
    }

    // ------------------------------------------------------------ optimiser

    static void checkAdamw(Tensor param, Tensor grad, Tensor m, Tensor v) {
        requireF32("adamw", param, grad, m, v);
        for (Tensor t : new Tensor[] {grad, m, v}) {
            requireShape("adamw", "state", t, param.shape());
            if (!t.isContiguous()) throw new IllegalArgumentException("adamw: tensors must be contiguous");
        }
        if (!param.isContiguous()) throw new IllegalArgumentException("adamw: param must be contiguous");
        for (Tensor t : new Tensor[] {param, grad, m, v}) storage(t);
    }

    @Override
    public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay,
                      int step) {
        checkAdamw(param, grad, m, v);
        byte[] s = Structs.adamScalars(lr, beta1, beta2, eps, weightDecay, step);
        long n = param.numel();
        if (n > 0) {
            launch("dust_adamw_f32", LaunchGeometry.elementwise(n), new KernelArgs().ptr(at(param)).ptr(at(grad)).ptr(at(m)).ptr(at(v)).i64(n).struct(s));
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
        launch("dust_adamw_multi", new LaunchGeometry.Launch(new int[] {plan.chunks(), 1, 1}, new int[] {256, 1, 1}, 0),
                new KernelArgs().ptr(at(tensors)).ptr(at(chunks)).i32(ADAM_CHUNK).struct(s));
    }

    /** Raw bytes to a fresh device buffer. */
    private Tensor upload(byte[] bytes) {
        Tensor t = empty(DType.I32, (bytes.length + 3) / 4);
        gpu.upload(at(t), ByteBuffer.wrap(bytes));
        return t;
    }

    // ------------------------------------------------------------ fused ops

    /** Modulation rows [B, D] with unit column stride (row stride free), else a dense copy. */
    Tensor modRows(Tensor t) {
        Tensor d = onDevice(t);
        return d.stride(1) == 1 || d.size(1) == 1 ? d : copy(d);
    }

    @Override
    public NormResult adaLn(Tensor x, Tensor scale, Tensor shift, float eps) {
        int[] g = FusedReference.checkMod("adaLn", x, scale, shift);
        int b = g[0], t = g[1], d = g[2];
        Tensor xd = dense(x), sc = modRows(scale), sh = modRows(shift);
        if (sc.stride(0) != sh.stride(0)) {   // the kernel takes one row stride for both
            sc = copy(sc);
            sh = copy(sh);
        }
        Tensor out = empty(xd.dtype(), b, t, d), mean = empty(DType.F32, b, t), rstd = empty(DType.F32, b, t);
        if ((long) b * t * d > 0) {
            launch("dust_adaln_fwd_" + sfx(xd.dtype(), "adaLn"), LaunchGeometry.rows((long) b * t, LaunchGeometry.normSmemFloats(d, false)),
                    new KernelArgs().ptr(at(xd)).ptr(at(sc)).ptr(at(sh)).i64(sc.stride(0)).i32(t).ptr(at(out)).ptr(at(mean)).ptr(at(rstd))
                            .i32(d).f32(eps));
        }
        return new NormResult(out, mean, rstd);
    }

    @Override
    public AdaLnGrads adaLnBackward(Tensor x, Tensor scale, Tensor mean, Tensor rstd, Tensor gradOut) {
        int[] g = FusedReference.checkMod("adaLn backward", x, scale);
        requireShape("adaLn backward", "gradOut", gradOut, x.shape());
        int b = g[0], t = g[1], d = g[2];
        Tensor xd = dense(x), sc = modRows(scale), md = dense(mean), rd = dense(rstd), gd = dense(gradOut);
        String s = sfx(xd.dtype(), "adaLn backward");
        Tensor dx = empty(xd.dtype(), b, t, d), dsc = zeros(DType.F32, b, d), dsh = zeros(DType.F32, b, d);
        if ((long) b * t * d > 0) {
            launch("dust_adaln_bwd_dx_" + s, LaunchGeometry.rows((long) b * t, LaunchGeometry.normSmemFloats(d, true)),
                    new KernelArgs().ptr(at(xd)).ptr(at(sc)).i64(sc.stride(0)).i32(t).ptr(at(md)).ptr(at(rd)).ptr(at(gd)).ptr(at(dx)).i32(d));
            launch("dust_adaln_bwd_mod_" + s, LaunchGeometry.groupedColumns(d, b), new KernelArgs().ptr(at(xd)).ptr(at(md)).ptr(at(rd))
                    .ptr(at(gd)).ptr(at(dsc)).ptr(at(dsh)).i32(b * t).i32(d).i32(t));
        }
        return new AdaLnGrads(dx, dsc, dsh);
    }

    @Override
    public void gatedResidual(Tensor x, Tensor h, Tensor gate) {
        int[] g = FusedReference.checkMod("gatedResidual", x, gate);
        requireShape("gatedResidual", "h", h, x.shape());
        if (!x.isContiguous()) throw new IllegalArgumentException("gatedResidual: x must be contiguous (updated in place)");
        storage(x);
        Tensor hd = dense(h), gt = modRows(gate);
        long rows = (long) g[0] * g[1];
        if (rows * g[2] > 0) {
            launch("dust_gated_residual_fwd_" + sfx(x.dtype(), "gatedResidual"), LaunchGeometry.elementwise(rows * g[2]),
                    new KernelArgs().ptr(at(x)).ptr(at(hd)).ptr(at(gt)).i64(gt.stride(0)).i32(g[1]).i32(g[2]).i64(rows));
        }
    }

    @Override
    public GatedGrads gatedResidualBackward(Tensor gradOut, Tensor h, Tensor gate) {
        int[] g = FusedReference.checkMod("gatedResidual backward", h, gate);
        requireShape("gatedResidual backward", "gradOut", gradOut, h.shape());
        Tensor gd = dense(gradOut), hd = dense(h), gt = modRows(gate);
        String s = sfx(hd.dtype(), "gatedResidual backward");
        long rows = (long) g[0] * g[1];
        Tensor dh = empty(hd.dtype(), h.shape()), dgate = zeros(DType.F32, g[0], g[2]);
        if (rows * g[2] > 0) {
            launch("dust_gated_residual_bwd_dh_" + s, LaunchGeometry.elementwise(rows * g[2]),
                    new KernelArgs().ptr(at(gd)).ptr(at(gt)).i64(gt.stride(0)).i32(g[1]).ptr(at(dh)).i32(g[2]).i64(rows));
            launch("dust_gated_residual_bwd_gate_" + s, LaunchGeometry.groupedColumns(g[2], g[0]),
                    new KernelArgs().ptr(at(hd)).ptr(at(gd)).ptr(at(dgate)).i32((int) rows).i32(g[2]).i32(g[1]));
        }
        return new GatedGrads(dh, dgate);
    }

    @Override
    public FlowLoss flowLoss(Tensor v, Tensor data, Tensor eps, Tensor elemMask, Tensor sampleMask, float gradScale) {
        FusedReference.checkFlow(v, data, eps, elemMask, sampleMask);
        requireF32("flowLoss", v, data, eps, elemMask, sampleMask);
        Tensor vd = dense(v), dd = dense(data), ed = dense(eps), em = dense(elemMask), sm = dense(sampleMask);
        long n = v.numel();
        long per = v.rank() == 0 || v.size(0) == 0 ? 1 : n / v.size(0);
        Tensor grad = empty(DType.F32, v.shape());
        Tensor den = null;
        if (em != null || sm != null) {
            den = empty(DType.I64, 1);   // one double
            launch("dust_flow_mask_sum", new LaunchGeometry.Launch(new int[] {1, 1, 1}, new int[] {1024, 1, 1}, 0),
                    new KernelArgs().ptr(at(em)).ptr(at(sm)).i64(per).i64(n).ptr(at(den)));
        }
        Tensor partials = empty(DType.I64, LaunchGeometry.SUM_BLOCKS), counter = zeros(DType.I32, 1), out = empty(DType.F32, 2);
        launch("dust_flow_loss_fused_f32", new LaunchGeometry.Launch(new int[] {LaunchGeometry.SUM_BLOCKS, 1, 1}, new int[] {256, 1, 1}, 0),
                new KernelArgs().ptr(at(vd)).ptr(at(dd)).ptr(at(ed)).ptr(at(em)).ptr(at(sm)).i64(per).i64(n).ptr(at(den)).f32(gradScale)
                        .ptr(at(grad)).ptr(at(partials)).ptr(at(counter)).ptr(at(out)));
        float[] lo = toHost(out).toFloatArray();
        return new FlowLoss(lo[0], lo[1], grad);
    }

    @Override
    public Tensor categoryLinear(Tensor x, Tensor w, Tensor bias, Tensor ids) {
        int[] g = FusedReference.checkCat("categoryLinear", x, w, ids.storage() instanceof CudaStorage ? toHost(ids) : ids);
        int b = g[0], t = g[1], in = g[2], out = g[3];
        if (bias != null) requireShape("categoryLinear", "bias", bias, g[4], out);
        Tensor xd = dense(x), wd = dense(w), bd = dense(bias), id = deviceIndices("categoryLinear", ids, g[4]);
        Tensor y = empty(xd.dtype(), b, t, out);
        if ((long) b * t * out > 0) {
            launch("dust_cat_linear_fwd_" + sfx(xd.dtype(), "categoryLinear"), LaunchGeometry.gemmTiles(t, out, b),
                    new KernelArgs().ptr(at(xd)).ptr(at(wd)).ptr(at(bd)).ptr(at(id)).ptr(at(y)).i32(t).i32(in).i32(out));
        }
        return y;
    }

    @Override
    public CategoryLinearGrads categoryLinearBackward(Tensor x, Tensor w, Tensor ids, Tensor gradOut, boolean hasBias) {
        int[] g = FusedReference.checkCat("categoryLinear backward", x, w, ids.storage() instanceof CudaStorage ? toHost(ids) : ids);
        int b = g[0], t = g[1], in = g[2], out = g[3], cats = g[4];
        requireShape("categoryLinear backward", "gradOut", gradOut, b, t, out);
        Tensor xd = dense(x), wd = dense(w), gd = dense(gradOut), id = deviceIndices("categoryLinear backward", ids, cats);
        String s = sfx(xd.dtype(), "categoryLinear backward");
        Tensor dx = empty(xd.dtype(), b, t, in), dw = empty(DType.F32, cats, in, out), db = hasBias ? empty(DType.F32, cats, out) : null;
        if ((long) b * t * in > 0 && out > 0) {
            launch("dust_cat_linear_bwd_dx_" + s, LaunchGeometry.gemmTiles(t, in, b),
                    new KernelArgs().ptr(at(gd)).ptr(at(wd)).ptr(at(id)).ptr(at(dx)).i32(t).i32(in).i32(out));
        } else {
            fill(dx, 0f);
        }
        if ((long) cats * in * out > 0) {
            launch("dust_cat_linear_bwd_dw_" + s, LaunchGeometry.gemmTiles(in, out, cats),
                    new KernelArgs().ptr(at(xd)).ptr(at(gd)).ptr(at(id)).ptr(at(dw)).i32(b).i32(t).i32(in).i32(out));
        }
        if (db != null && (long) cats * out > 0) {
            launch("dust_cat_linear_bwd_db_" + s, LaunchGeometry.elementwise((long) cats * out),
                    new KernelArgs().ptr(at(gd)).ptr(at(id)).ptr(at(db)).i32(b).i32(t).i32(out).i32(cats));
        }
        return new CategoryLinearGrads(dx, dw, db);
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
