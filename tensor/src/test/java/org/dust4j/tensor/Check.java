package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Shared test helpers: the |got - ref| <= atol + rtol*|ref| comparison and random inputs, contiguous or not. */
public final class Check {
    private Check() {}

    /** Fails with the worst element, its index and both values when any element is outside the tolerance. */
    public static void close(String what, Tensor ref, Tensor got, double atol, double rtol) {
        assertArrayEquals(ref.shape(), got.shape(), what + ": shape");
        float[] r = ref.toFloatArray(), g = got.toFloatArray();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < r.length; i++) {
            if (Float.isNaN(r[i]) != Float.isNaN(g[i])) fail(what + ": NaN mismatch at " + i + ": ref " + r[i] + " got " + g[i]);
            if (Float.isNaN(r[i])) continue;
            if (Float.isInfinite(r[i]) || Float.isInfinite(g[i])) {
                if (r[i] != g[i]) fail(what + ": infinity mismatch at " + i + ": ref " + r[i] + " got " + g[i]);
                continue;
            }
            double excess = Math.abs(g[i] - r[i]) - (atol + rtol * Math.abs(r[i]));
            if (excess > worstExcess) {
                worstExcess = excess;
                worst = i;
            }
        }
        if (worst >= 0) {
            fail(what + ": element " + worst + " ref " + r[worst] + " got " + g[worst] + " |diff| "
                    + Math.abs(g[worst] - r[worst]) + " > atol " + atol + " + rtol " + rtol + "*|ref|");
        }
    }

    /** Bit-identical comparison. */
    public static void identical(String what, Tensor a, Tensor b) {
        assertArrayEquals(a.shape(), b.shape(), what + ": shape");
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                fail(what + ": element " + i + " differs: " + x[i] + " vs " + y[i]);
            }
        }
    }

    /** Contiguous N(0,1) * scale tensor from a seed. */
    public static Tensor randn(long seed, float scale, int... shape) {
        float[] d = Backends.reference().random(seed, true, shape).toFloatArray();
        for (int i = 0; i < d.length; i++) d[i] *= scale;
        return Tensor.of(d, shape);
    }

    /**
     * A non-contiguous view with the given logical shape and the same values as {@code randn(seed, scale, shape)}:
     * the data is stored with the last two axes swapped (or, for rank 1, every other element).
     */
    public static Tensor randnStrided(long seed, float scale, int... shape) {
        Tensor dense = randn(seed, scale, shape);
        if (shape.length == 1) {
            Tensor wide = Tensor.zeros(shape[0], 2);
            Backends.reference().copyInto(dense.unsqueeze(1), wide.narrow(1, 0, 1));
            return wide.select(1, 0);
        }
        int r = shape.length;
        Tensor swapped = Backends.reference().copy(dense.transpose(r - 2, r - 1));
        return swapped.transpose(r - 2, r - 1);
    }
}
