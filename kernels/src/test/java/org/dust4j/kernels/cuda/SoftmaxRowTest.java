package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.ReferenceBackend;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The row algorithm of softmax.cu (one block of 256 threads per row: per-thread online max/sum, block max, block
 * sum, write pass) emulated on the CPU in float, against ReferenceBackend.softmax on rows longer than 256 with -inf
 * entries (the case that gave NaN: a thread whose first element is -inf computed exp(-inf - -inf)). The same rows
 * run on a GPU in {@code CudaKernelsGpuTest.softmaxRowsWithMinusInfinity}. A fully -inf row is NaN, as in
 * torch.softmax and the reference; a NaN anywhere makes the row NaN.
 */
class SoftmaxRowTest {
    static final int THREADS = LaunchGeometry.THREADS;
    static final ReferenceBackend R = Backends.reference();

    static float expf(float x) { return (float) Math.exp(x); }

    static float nanMax(float a, float b) { return Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : Math.max(a, b); }

    /** softmax_row of softmax.cu, thread by thread. */
    static float[] emulateRow(float[] row) {
        int d = row.length;
        float[] m = new float[THREADS], s = new float[THREADS];
        for (int t = 0; t < THREADS; t++) {
            float mt = Float.NEGATIVE_INFINITY, st = 0f;
            for (int i = t; i < d; i += THREADS) {
                float v = row[i];
                if (v > mt) { st = st * expf(mt - v) + 1f; mt = v; }
                else if (v != Float.NEGATIVE_INFINITY) st += expf(v - mt);
            }
            m[t] = mt;
            s[t] = st;
        }
        float gm = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < THREADS; t++) gm = nanMax(gm, m[t]);
        float total = 0f;
        for (int t = 0; t < THREADS; t++) total += s[t] == 0f ? 0f : s[t] * expf(m[t] - gm);
        float inv = 1f / total;
        float[] out = new float[d];
        for (int i = 0; i < d; i++) out[i] = expf(row[i] - gm) * inv;
        return out;
    }

    /** Rows of length d: partial -inf patterns (leading, strided so each thread starts with -inf, all but one), all -inf, NaN. */
    static Tensor minusInfRows(int d) {
        int rows = 6;
        float[] x = TestData.randn(7 + d, rows, d).toFloatArray();
        for (int i = 0; i < d; i++) {
            if (i < THREADS) x[i] = Float.NEGATIVE_INFINITY;                        // row 0: every thread's first element
            if (i % 3 != 1) x[d + i] = Float.NEGATIVE_INFINITY;                     // row 1: two of three
            if (i != d - 1) x[2 * d + i] = Float.NEGATIVE_INFINITY;                 // row 2: only the last finite
            x[3 * d + i] = Float.NEGATIVE_INFINITY;                                 // row 3: all -inf -> NaN
        }
        x[4 * d + d / 2] = Float.NaN;                                               // row 4: one NaN -> NaN row
        x[5 * d] = Float.NEGATIVE_INFINITY;                                         // row 5: one -inf
        x[5 * d + d - 1] = Float.NEGATIVE_INFINITY;
        return Tensor.of(x, rows, d);
    }

    @Test
    void kernelRowAlgorithmMatchesTheReferenceWithMinusInfinity() {
        for (int d : new int[] {1, 7, 255, 256, 257, 300, 1000, 4099}) {
            Tensor x = minusInfRows(d);
            float[] ref = R.softmax(x).toFloatArray(), xv = x.toFloatArray();
            float[] got = new float[xv.length];
            for (int r = 0; r < 6; r++) {
                float[] row = java.util.Arrays.copyOfRange(xv, r * d, (r + 1) * d);
                System.arraycopy(emulateRow(row), 0, got, r * d, d);
            }
            // float online sums of <= 4099 terms in [0, 1] against a double reference: rtol 1e-5 (eps_f32 * ~100)
            TestData.close("emulated softmax d=" + d, Tensor.of(ref, 6, d), Tensor.of(got, 6, d), 1e-7, 1e-5);
            if (d > 1) {
                assertTrue(Float.isNaN(got[3 * d]) && Float.isNaN(got[4 * d]), "all -inf and NaN rows are NaN (torch semantics)");
                assertTrue(got[2 * d + d - 1] == 1f, "a row with one finite entry puts all mass there");
            }
        }
    }

    /** The emulation above is of the code in softmax.cu: the two lines that carry the -inf handling are there. */
    @Test
    void emulatedLinesAreTheKernelsLines() throws IOException {
        String src = Files.readString(TestData.cudaSources().resolve("softmax.cu"));
        assertTrue(src.contains("else if (v != -INFINITY) s += expf(v - m);"), "softmax.cu per-thread update changed: update the emulation");
        assertTrue(src.contains("float part = s == 0.f ? 0.f : s * expf(m - gm);"), "softmax.cu block merge changed: update the emulation");
    }
}
