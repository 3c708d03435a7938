package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;

/** Random tensors and tolerance checks for the kernels tests. */
final class TestData {
    private TestData() {}

    static Tensor randn(long seed, int... shape) {
        float[] d = new float[org.dust4j.tensor.Shape.numelInt(shape)];
        for (int i = 0; i < d.length; i++) d[i] = Rng.normal(seed, i);
        return Tensor.of(d, shape);
    }

    static Tensor uniform(long seed, float lo, float hi, int... shape) {
        float[] d = new float[org.dust4j.tensor.Shape.numelInt(shape)];
        for (int i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * Rng.uniform(seed, i);
        return Tensor.of(d, shape);
    }

    /** |actual - expected| <= atol + rtol*|expected| element-wise, with the first failure named. */
    static void close(String what, Tensor expected, Tensor actual, double atol, double rtol) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            boolean bothNaN = Float.isNaN(e[i]) && Float.isNaN(a[i]);
            boolean sameInf = Float.isInfinite(e[i]) && e[i] == a[i];
            if (bothNaN || sameInf) continue;
            double err = Math.abs((double) a[i] - e[i]);
            if (!(err <= atol + rtol * Math.abs(e[i]))) {
                fail(what + ": element " + i + " expected " + e[i] + " got " + a[i] + " (|err| " + err + " > " + atol + " + " + rtol + "*|ref|)");
            }
        }
    }

    /** kernels/src/main/cuda (set by surefire; falls back to the module-relative path). */
    static Path cudaSources() {
        String p = System.getProperty("dust4j.cudaSources");
        return p != null ? Path.of(p) : Path.of("src/main/cuda");
    }

    /** Aborts visibly when the build had no nvcc (CPU-only JAR): the PTX checks cannot run. */
    static void requirePtx() {
        CudaBuildInfo info = CudaBuildInfo.load();
        if (!info.ptxAvailable()) {
            String msg = "no PTX in this build (" + info.reason() + "): PTX test skipped";
            System.out.println(msg);
            Assumptions.abort(msg);
        }
    }

    static boolean exists(Path p) { return Files.exists(p); }
}
