package org.dust4j.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.dust4j.tensor.Tensor;

/** The |got - ref| <= atol + rtol*|ref| comparison used by the autograd tests. */
public final class TestUtil {
    private TestUtil() {}

    public static void close(String what, float[] ref, float[] got, double atol, double rtol) {
        if (ref.length != got.length) fail(what + ": length " + got.length + " vs expected " + ref.length);
        for (int i = 0; i < ref.length; i++) {
            if (!(Math.abs(got[i] - ref[i]) <= atol + rtol * Math.abs(ref[i]))) {
                fail(what + ": element " + i + " expected " + ref[i] + " got " + got[i] + " (atol " + atol + ", rtol " + rtol + ")");
            }
        }
    }

    public static void close(String what, Tensor ref, Tensor got, double atol, double rtol) {
        assertArrayEquals(ref.shape(), got.shape(), what + ": shape");
        close(what, ref.toFloatArray(), got.toFloatArray(), atol, rtol);
    }
}
