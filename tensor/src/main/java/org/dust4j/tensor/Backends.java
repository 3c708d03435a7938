package org.dust4j.tensor;

import java.util.ArrayList;
import java.util.List;
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

        /** Why the backend cannot run here (one line), or null when it can. Never throws. */
        default String whyUnavailable() {
            return available() ? null : "not available on this machine";
        }

        /** Lines for {@code dust4j info}: what this backend found (kernels, libraries, devices). Never throws. */
        default List<String> describe() {
            String why = whyUnavailable();
            return List.of(why == null ? "available" : "unavailable: " + why);
        }
    }

    /** Every provider on the class path ({@link ServiceLoader}), in discovery order. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> out = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) out.add(p);
        return out;
    }

    /** The environment variable {@link #device(String)} reads when no device is named. */
    public static final String DEVICE_ENV = "DUST4J_DEVICE";

    /**
     * The device a {@code --device} value names: {@code cpu}, {@code cuda} (= cuda:0) or {@code cuda:N}; null or blank
     * reads {@link #DEVICE_ENV}, else cpu. A device whose backend cannot run here is one clear error naming why (no
     * silent fall-back to the CPU); so is an unknown name.
     */
    public static Device device(String name) {
        String given = name == null || name.isBlank() ? System.getenv(DEVICE_ENV) : name;
        String n = given == null || given.isBlank() ? "cpu" : given.trim().toLowerCase(java.util.Locale.ROOT);
        if (n.equals("cpu")) return Device.CPU;
        int ordinal = 0;
        if (n.startsWith("cuda:")) {
            try {
                ordinal = Integer.parseInt(n.substring(5));
            } catch (NumberFormatException e) {
                ordinal = -1;
            }
            if (ordinal < 0) throw new IllegalArgumentException("device '" + given + "': bad CUDA ordinal (use cpu, cuda or cuda:N)");
        } else if (!n.equals("cuda")) {
            throw new IllegalArgumentException("device '" + given + "' is unknown (use cpu, cuda or cuda:N)");
        }
        Device d = Device.cuda(ordinal);
        if (EXTRA.containsKey(d)) return d;
        String why = "no CUDA backend on the class path";
        for (BackendProvider p : providers()) {
            if (p.name().equalsIgnoreCase("cuda")) {
                why = p.whyUnavailable();
                if (why == null) return d;
            }
        }
        throw new IllegalArgumentException("device " + d + " requested but not available: " + why);
    }

    /**
     * Installs {@code b} as the backend of its device, ahead of the providers (tests: the CUDA backend over a fake GPU
     * that checks every launch). Returns the backend it replaced, or null.
     */
    public static Backend register(Backend b) {
        if (b.device().kind() == Device.Kind.CPU) throw new IllegalArgumentException("register: the CPU backend is fixed");
        return EXTRA.put(b.device(), b);
    }

    /** Removes a backend installed with {@link #register}. */
    public static void unregister(Device d) {
        EXTRA.remove(d);
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
