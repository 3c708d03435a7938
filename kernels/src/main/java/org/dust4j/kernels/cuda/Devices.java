package org.dust4j.kernels.cuda;

import java.util.function.Consumer;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Device;

/**
 * Chooses the backend for {@code --device} / {@code DUST4J_DEVICE}: {@code cpu}, {@code cuda} or {@code cuda:N}.
 * Asking for CUDA where it cannot run gives the CPU backend and prints one line saying why.
 */
public final class Devices {
    private Devices() {}

    /** The backend for a device name (null or blank: {@code DUST4J_DEVICE}, else cpu); notices go to stderr. */
    public static Backend select(String name) { return select(name, System.err::println); }

    /** As {@link #select(String)}, with the one-line notice sent to {@code notice}. */
    public static Backend select(String name, Consumer<String> notice) {
        String n = name == null || name.isBlank() ? System.getenv("DUST4J_DEVICE") : name;
        n = n == null || n.isBlank() ? "cpu" : n.trim().toLowerCase();
        if (n.equals("cpu")) return Backends.cpu();
        if (n.equals("reference")) return Backends.reference();
        int ordinal = 0;
        if (n.startsWith("cuda:")) {
            try {
                ordinal = Integer.parseInt(n.substring(5));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("device: bad CUDA ordinal in '" + name + "' (use cuda or cuda:N)");
            }
        } else if (!n.equals("cuda")) {
            throw new IllegalArgumentException("device: unknown device '" + n + "' (use cpu, cuda or cuda:N)");
        }
        String why = CudaBackendProvider.unavailableReason();
        if (why != null) {
            notice.accept("dust4j: --device " + n + " requested but no CUDA device is usable (" + why + "); running on the CPU");
            return Backends.cpu();
        }
        return Backends.forDevice(Device.cuda(ordinal));
    }
}
