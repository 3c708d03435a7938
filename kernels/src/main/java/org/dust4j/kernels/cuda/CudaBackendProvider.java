package org.dust4j.kernels.cuda;

import java.util.ArrayList;
import java.util.List;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;

/**
 * Registers the CUDA backend with {@link Backends} (META-INF/services). {@link #available()} is true only when the
 * JAR holds PTX, libcuda loads and the driver reports a device; it never throws.
 */
public final class CudaBackendProvider implements Backends.BackendProvider {

    @Override
    public String name() { return "cuda"; }

    @Override
    public boolean available() { return unavailableReason() == null; }

    /** Why the backend cannot run here, or null when it can. Never throws. */
    public static String unavailableReason() {
        try {
            CudaBuildInfo build = CudaBuildInfo.load();
            if (!build.ptxAvailable()) return "this JAR has no CUDA kernels (" + build.reason() + ")";
            JCudaGpu.Probe p = JCudaGpu.probe();
            return p.available() ? null : p.reason();
        } catch (Throwable t) {
            return "CUDA probe failed: " + t;
        }
    }

    @Override
    public String whyUnavailable() { return unavailableReason(); }

    /** PTX in this JAR, the cuBLAS library, and the devices (or why there are none), one line each. */
    @Override
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        try {
            out.add("ptx      " + CudaBuildInfo.load().notice());
        } catch (Throwable t) {
            out.add("ptx      unreadable (" + t.getMessage() + ")");
        }
        out.add("cublas   " + cublasStatus());
        String why = unavailableReason();
        out.add("devices  " + (why == null ? "usable (cuda:0 ...)" : "none usable: " + why));
        return out;
    }

    /** "found LIB" when a libcublas opens (and a handle is created), else why not. Never throws. */
    static String cublasStatus() {
        try (Cublas c = Cublas.load()) {
            return "found " + c.library();
        } catch (Cublas.Unavailable e) {
            return "not found (" + e.getMessage() + ")";
        } catch (Throwable t) {
            return "library present but unusable here (" + t.getMessage() + ")";
        }
    }

    @Override
    public Backend create(int ordinal) {
        return new CudaBackend(new JCudaGpu(ordinal), ordinal, !"off".equals(System.getenv("DUST4J_CUBLAS")));
    }
}
