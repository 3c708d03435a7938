package org.dust4j.cli;

import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Device;
import picocli.CommandLine.Option;

/**
 * The {@code --device} option, mixed into every command that runs a model (forward, loss, sample, train, eval, ablate,
 * demo). Resolved through the backend SPI ({@link Backends#device}): an unknown name or a device whose backend cannot
 * run here is one error line naming why, before any work.
 */
public final class DeviceOption {
    @Option(names = "--device", paramLabel = "DEVICE",
            description = "Where the model runs: cpu, cuda or cuda:N (default: $DUST4J_DEVICE, else cpu).")
    String name;

    /** The chosen device (checked to be usable). */
    public Device resolve() {
        return Backends.device(name);
    }
}
