package org.dust4j.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What the build put in this JAR: {@code cuda-build.properties}, written by {@code kernels/build-ptx.sh}.
 * A JAR built without nvcc has {@code ptx.available=false} and runs on the CPU only.
 */
public record CudaBuildInfo(boolean ptxAvailable, String reason, String nvccVersion, String archs) {

    static final String RESOURCE = "/org/dust4j/kernels/cuda/cuda-build.properties";

    /** Reads the properties from the class path; a missing file counts as a CPU-only build. */
    public static CudaBuildInfo load() {
        try (InputStream in = CudaBuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in == null) return new CudaBuildInfo(false, "no " + RESOURCE + " in the JAR", "", "");
            Properties p = new Properties();
            p.load(in);
            return new CudaBuildInfo(Boolean.parseBoolean(p.getProperty("ptx.available", "false")),
                    p.getProperty("reason", ""), p.getProperty("nvcc.version", ""), p.getProperty("archs", ""));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE, e);
        }
    }

    /** One line for start-up logs. */
    public String notice() {
        return ptxAvailable ? "dust4j CUDA kernels: PTX for compute_" + archs.replace(",", "/compute_") + " (nvcc " + nvccVersion + ")"
                : "dust4j CUDA kernels: none in this JAR (" + reason + "), CPU only";
    }
}
