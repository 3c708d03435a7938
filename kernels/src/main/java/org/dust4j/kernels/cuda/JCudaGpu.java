package org.dust4j.kernels.cuda;

import static jcuda.driver.JCudaDriver.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUjit_option;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JITOptions;
import jcuda.driver.JCudaDriver;

/**
 * {@link Gpu} on JCuda's driver API: the device's primary context (made current on every calling thread with
 * cuCtxSetCurrent), one stream, PTX modules loaded from the JAR on first use with cuModuleLoadDataEx (the JIT
 * error log is part of the exception), a pinned host staging buffer for transfers, CUDA events for timing and
 * stream capture for graphs. Every driver call's status is checked and named in the exception.
 * <p>Set {@code DUST4J_CUDA_SYNC=1} to synchronise and check after every launch (pinpoints a faulting kernel).
 */
public final class JCudaGpu implements Gpu {

    /** Whether a CUDA device can be used here, and why not. Never throws. */
    public record Probe(boolean available, int devices, String reason) {}

    private static volatile Probe probe;

    /** Loads libcuda through JCuda, initialises the driver and counts devices; any failure is reported, not thrown. */
    public static Probe probe() {
        Probe p = probe;
        if (p != null) return p;
        synchronized (JCudaGpu.class) {
            if (probe == null) probe = doProbe();
            return probe;
        }
    }

    private static Probe doProbe() {
        try {
            JCudaDriver.setExceptionsEnabled(false);
            int rc = cuInit(0);
            if (rc != CUresult.CUDA_SUCCESS) return new Probe(false, 0, "cuInit failed: " + CUresult.stringFor(rc));
            int[] n = {0};
            rc = cuDeviceGetCount(n);
            if (rc != CUresult.CUDA_SUCCESS) return new Probe(false, 0, "cuDeviceGetCount failed: " + CUresult.stringFor(rc));
            if (n[0] == 0) return new Probe(false, 0, "the CUDA driver reports no device");
            return new Probe(true, n[0], "");
        } catch (Throwable t) {   // UnsatisfiedLinkError when libcuda.so.1 is absent, or the JCuda natives are missing
            String msg = String.valueOf(t.getMessage());
            int nl = msg.indexOf('\n');
            return new Probe(false, 0, "CUDA driver not loadable (" + t.getClass().getSimpleName() + ": "
                    + (nl > 0 ? msg.substring(0, nl) : msg) + ")");
        }
    }

    /** Allocation target that exposes the address JCuda stores. */
    private static final class Addr extends CUdeviceptr {
        long address() { return getNativePointer() + getByteOffset(); }
    }

    /** The stream, exposing its native handle for cuBLAS. */
    private static final class Stream extends CUstream {
        long handle() { return getNativePointer(); }
    }

    static CUdeviceptr dptr(long address) { return new CUdeviceptr().withByteOffset(address); }

    private record Fn(CUfunction function, List<String> layout) {}

    private static final ThreadLocal<CUcontext> CURRENT = new ThreadLocal<>();
    private static final int STAGING_BYTES = 8 << 20;
    private static final boolean SYNC_EACH = "1".equals(System.getenv("DUST4J_CUDA_SYNC"));

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final Stream stream = new Stream();
    private final String name;
    private final int ccMajor, ccMinor, smCount;
    private final long totalMemory;
    private final PtxManifest manifest;
    private final Map<String, String> kernelModule = new HashMap<>();
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, Fn> functions = new HashMap<>();
    private final Pointer staging = new Pointer();
    private final ByteBuffer stagingBuf;
    private boolean closed;

    /** Opens device {@code ordinal}: retains its primary context and creates the stream. */
    public JCudaGpu(int ordinal) {
        Probe p = probe();
        if (!p.available()) throw new CudaException("CUDA unavailable: " + p.reason());
        if (ordinal < 0 || ordinal >= p.devices()) {
            throw new IllegalArgumentException("cuda:" + ordinal + " does not exist (" + p.devices() + " device(s))");
        }
        this.ordinal = ordinal;
        check(cuDeviceGet(device, ordinal), "cuDeviceGet");
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        makeCurrent();
        byte[] nm = new byte[256];
        check(cuDeviceGetName(nm, nm.length, device), "cuDeviceGetName");
        int len = 0;
        while (len < nm.length && nm[len] != 0) len++;
        name = new String(nm, 0, len, StandardCharsets.UTF_8);
        ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        smCount = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        long[] mem = {0};
        check(cuDeviceTotalMem(mem, device), "cuDeviceTotalMem");
        totalMemory = mem[0];
        check(cuStreamCreate(stream, 0), "cuStreamCreate");
        check(cuMemAllocHost(staging, STAGING_BYTES), "cuMemAllocHost (pinned staging)");
        stagingBuf = staging.getByteBuffer(0, STAGING_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        manifest = PtxManifest.load();
        if (manifest.files().isEmpty()) throw new CudaException(CudaBuildInfo.load().notice());
        for (PtxManifest.Entry e : manifest.files()) {
            for (String k : e.entries()) kernelModule.put(k, e.module());
        }
        selfCheckAddresses();
    }

    private int attribute(int attr) {
        int[] v = {0};
        check(cuDeviceGetAttribute(v, attr, device), "cuDeviceGetAttribute " + attr);
        return v[0];
    }

    /** Device pointers travel as plain longs; this checks the long -> CUdeviceptr round trip once. */
    private void selfCheckAddresses() {
        long a = malloc(256);
        try {
            ByteBuffer in = ByteBuffer.allocate(256);
            for (int i = 0; i < 256; i++) in.put((byte) i);
            in.flip();
            upload(a + 0, in);
            ByteBuffer out = ByteBuffer.allocate(128);
            download(out, a + 128);
            for (int i = 0; i < 128; i++) {
                if (out.get(i) != (byte) (128 + i)) throw new CudaException("device address round trip failed at byte " + i);
            }
        } finally {
            free(a);
        }
    }

    static void check(int rc, String what) {
        if (rc == CUresult.CUDA_SUCCESS) return;
        String msg = what + ": " + CUresult.stringFor(rc);
        if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY) throw new CudaException.OutOfMemory(msg);
        throw new CudaException(msg);
    }

    /** cuCtxSetCurrent on the calling thread if it has not been done for this context. */
    private void makeCurrent() {
        if (closed) throw new IllegalStateException("cuda:" + ordinal + " is closed");
        if (CURRENT.get() != context) {
            check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            CURRENT.set(context);
        }
    }

    @Override
    public String describe() {
        return String.format("cuda:%d %s (compute %d.%d, %d SMs, %.1f GiB)", ordinal, name, ccMajor, ccMinor, smCount,
                totalMemory / (double) (1L << 30));
    }

    @Override
    public int ccMajor() { return ccMajor; }

    @Override
    public int ccMinor() { return ccMinor; }

    @Override
    public long malloc(long bytes) {
        makeCurrent();
        Addr p = new Addr();
        check(cuMemAlloc(p, bytes), "cuMemAlloc(" + bytes + " bytes)");
        return p.address();
    }

    @Override
    public void free(long address) {
        makeCurrent();
        check(cuMemFree(dptr(address)), "cuMemFree");
    }

    @Override
    public void memsetZero(long address, long bytes) {
        makeCurrent();
        if (bytes > 0) check(cuMemsetD8Async(dptr(address), (byte) 0, bytes, stream), "cuMemsetD8Async");
    }

    @Override
    public synchronized void upload(long dst, ByteBuffer src) {
        makeCurrent();
        ByteBuffer s = src.duplicate();
        long off = 0;
        while (s.hasRemaining()) {
            int n = Math.min(s.remaining(), STAGING_BYTES);
            ByteBuffer part = s.slice(s.position(), n);
            stagingBuf.clear();
            stagingBuf.put(part);
            check(cuMemcpyHtoDAsync(dptr(dst + off), staging, n, stream), "cuMemcpyHtoDAsync(" + n + " bytes)");
            check(cuStreamSynchronize(stream), "cuStreamSynchronize after upload");
            s.position(s.position() + n);
            off += n;
        }
    }

    @Override
    public synchronized void download(ByteBuffer dst, long src) {
        makeCurrent();
        long off = 0;
        while (dst.hasRemaining()) {
            int n = Math.min(dst.remaining(), STAGING_BYTES);
            check(cuMemcpyDtoHAsync(staging, dptr(src + off), n, stream), "cuMemcpyDtoHAsync(" + n + " bytes)");
            check(cuStreamSynchronize(stream), "cuStreamSynchronize after download");
            dst.put(stagingBuf.slice(0, n));
            off += n;
        }
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        makeCurrent();
        if (bytes > 0) check(cuMemcpyDtoDAsync(dptr(dst), dptr(src), bytes, stream), "cuMemcpyDtoDAsync");
    }

    private synchronized Fn function(String kernel) {
        Fn f = functions.get(kernel);
        if (f != null) return f;
        String module = kernelModule.get(kernel);
        if (module == null) throw new IllegalArgumentException("no kernel named " + kernel + " in the PTX manifest");
        PtxManifest.Entry e = manifest.forDevice(module, ccMajor, ccMinor);
        String ptx = PtxManifest.readPtx(e.file());
        CUmodule mod = modules.get(module);
        if (mod == null) {
            mod = loadModule(e.file(), ptx);
            modules.put(module, mod);
        }
        CUfunction fn = new CUfunction();
        check(cuModuleGetFunction(fn, mod, kernel), "cuModuleGetFunction " + kernel);
        f = new Fn(fn, PtxManifest.paramLayouts(ptx).get(kernel));
        functions.put(kernel, f);
        return f;
    }

    private static CUmodule loadModule(String file, String ptx) {
        CUmodule mod = new CUmodule();
        JITOptions opts = new JITOptions();
        opts.putBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER, new byte[16384]);
        opts.putInt(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, 16384);
        byte[] utf8 = ptx.getBytes(StandardCharsets.UTF_8);
        byte[] text = Arrays.copyOf(utf8, utf8.length + 1);   // NUL-terminated
        int rc = cuModuleLoadDataJIT(mod, Pointer.to(text), opts);
        if (rc != CUresult.CUDA_SUCCESS) {
            String log;
            try {
                log = opts.getString(CUjit_option.CU_JIT_ERROR_LOG_BUFFER);
            } catch (RuntimeException ex) {
                log = "(JIT log unavailable: " + ex + ")";
            }
            throw new CudaException("loading PTX " + file + " (cuModuleLoadDataEx): " + CUresult.stringFor(rc)
                    + "; JIT log: " + (log == null || log.isBlank() ? "(empty)" : log.trim()));
        }
        return mod;
    }

    @Override
    public void launch(String kernel, LaunchGeometry.Launch l, KernelArgs args) {
        makeCurrent();
        Fn f = function(kernel);
        if (!f.layout().equals(args.layout())) {
            throw new IllegalArgumentException("launch " + kernel + ": arguments " + args.layout() + " do not match the PTX parameters "
                    + f.layout());
        }
        Pointer[] ps = new Pointer[args.values().size()];
        for (int i = 0; i < ps.length; i++) ps[i] = Pointer.to(args.values().get(i));
        int[] g = l.grid(), b = l.block();
        check(cuLaunchKernel(f.function(), g[0], g[1], g[2], b[0], b[1], b[2], l.smemBytes(), stream, Pointer.to(ps), null),
                "cuLaunchKernel " + kernel + " grid " + Arrays.toString(g) + " block " + Arrays.toString(b));
        if (SYNC_EACH) check(cuStreamSynchronize(stream), "kernel " + kernel);
    }

    @Override
    public long streamHandle() { return stream.handle(); }

    @Override
    public void synchronize() {
        makeCurrent();
        check(cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    @Override
    public float timeMs(Runnable body) {
        makeCurrent();
        CUevent start = new CUevent(), stop = new CUevent();
        check(cuEventCreate(start, 0), "cuEventCreate");
        check(cuEventCreate(stop, 0), "cuEventCreate");
        try {
            check(cuEventRecord(start, stream), "cuEventRecord");
            body.run();
            check(cuEventRecord(stop, stream), "cuEventRecord");
            check(cuEventSynchronize(stop), "cuEventSynchronize");
            float[] ms = {0};
            check(cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
            return ms[0];
        } finally {
            cuEventDestroy(start);
            cuEventDestroy(stop);
        }
    }

    @Override
    public Graph capture(Runnable body) {
        makeCurrent();
        CUgraph graph = new CUgraph();
        // relaxed: the caching allocator may call cuMemAlloc while the body runs
        check(cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED), "cuStreamBeginCapture");
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            cuStreamEndCapture(stream, graph);
            cuGraphDestroy(graph);
            throw e;
        }
        check(cuStreamEndCapture(stream, graph), "cuStreamEndCapture");
        CUgraphExec exec = new CUgraphExec();
        check(cuGraphInstantiate(exec, graph, 0), "cuGraphInstantiate");
        return new Graph() {
            private boolean done;

            @Override
            public void replay() {
                makeCurrent();
                if (done) throw new IllegalStateException("graph already closed");
                check(cuGraphLaunch(exec, stream), "cuGraphLaunch");
            }

            @Override
            public void close() {
                if (done) return;
                done = true;
                makeCurrent();
                cuGraphExecDestroy(exec);
                cuGraphDestroy(graph);
            }
        };
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        makeCurrent();
        cuStreamSynchronize(stream);
        for (CUmodule m : modules.values()) cuModuleUnload(m);
        cuMemFreeHost(staging);
        cuStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(device);
        closed = true;
        CURRENT.remove();
    }
}
