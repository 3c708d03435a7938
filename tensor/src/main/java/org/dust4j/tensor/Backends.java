package org.dust4j.tensor;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds backends: the scalar {@link ReferenceBackend}, the Vector API {@link CpuBackend} (default), and
 * any {@link BackendProvider} on the class path (the CUDA backend registers itself this way).
 */
public final class Backends {
    private Backends() {}

    private static final ReferenceBackend REFERENCE = new ReferenceBackend();
    private static final CpuBackend CPU = new CpuBackend();
    private static final Map<Device, Backend> EXTRA = new ConcurrentHashMap<>();
    /** What {@link #forDevice} returns for CPU tensors: the CPU backend, or a wrapper of it (profiling). */
    private static volatile Backend cpuDispatch = CPU;

    /** Supplies a backend for a non-CPU device; found with {@link ServiceLoader}. */
    public interface BackendProvider {
        /** Name used on the command line, e.g. "cuda". */
        String name();

        /** True when the hardware and libraries are present. */
        boolean available();

        Backend create(int ordinal);
    }

    public static ReferenceBackend reference() { return REFERENCE; }

    public static CpuBackend cpu() { return CPU; }

    /** Sets the backend {@link #forDevice} hands out for CPU tensors (a {@link ProfilingBackend}, or {@link #cpu()}). */
    static void setCpuDispatch(Backend b) {
        cpuDispatch = b;
    }

    /** The backend for tensors on a device. */
    public static Backend forDevice(Device d) {
        if (d.kind() == Device.Kind.CPU) return cpuDispatch;
        return EXTRA.computeIfAbsent(d, dev -> {
            for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
                if (p.name().equalsIgnoreCase(dev.kind().name()) && p.available()) return p.create(dev.ordinal());
            }
            throw new IllegalStateException("no backend available for device " + dev);
        });
    }
}
