package org.dust4j.kernels.cuda;

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
    public Backend create(int ordinal) {
        return new CudaBackend(new JCudaGpu(ordinal), ordinal, !"off".equals(System.getenv("DUST4J_CUBLAS")));
    }
}
