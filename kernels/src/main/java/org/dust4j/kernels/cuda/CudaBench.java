package org.dust4j.kernels.cuda;

import java.util.Locale;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Tensor;

/**
 * GPU benchmarks timed with CUDA events (warm-up first, median of several runs): fused attention forward and
 * backward (TFLOP/s; BF16 on tensor cores and on the F32-unit kernels, F32), GEMM through cuBLAS (F32, TF32, BF16) and the gemm.cu kernel. Run by scripts/gpu-check.sh;
 * prints one line per case. Not a unit test.
 */
public final class CudaBench {
    private CudaBench() {}

    static float median(CudaBackend cb, int reps, Runnable body) {
        body.run();
        cb.synchronize();
        float[] t = new float[reps];
        for (int i = 0; i < reps; i++) t[i] = cb.gpu().timeMs(body);
        java.util.Arrays.sort(t);
        return t[reps / 2];
    }

    static Tensor dev(CudaBackend cb, long seed, DType t, int... shape) {
        Tensor x = cb.random(seed, true, shape);
        return t == DType.F32 ? x : cb.convert(x, t);
    }

    public static void main(String[] args) {
        String why = CudaBackendProvider.unavailableReason();
        if (why != null) {
            System.out.println("no CUDA device: benchmarks skipped (" + why + ")");
            System.exit(2);
        }
        CudaBackend cb = (CudaBackend) Backends.forDevice(Device.cuda(0));
        System.out.println("device: " + cb.gpu().describe() + "; gemm: " + cb.gemmEngine());
        int[][] att = {{4, 16, 1024, 64}, {4, 16, 1024, 128}, {8, 16, 2048, 64}, {16, 12, 256, 48}};
        // BF16 twice: tensor cores (attention_tc.cu) and the F32-unit kernels (attention.cu); then F32
        String[][] modes = {{"BF16", "tc"}, {"BF16", "simt"}, {"F32", "simt"}};
        for (String[] mode : modes) {
            DType t = DType.valueOf(mode[0]);
            AttentionTc.setEnabled(mode[1].equals("tc"));
            for (int[] s : att) {
                int b = s[0], h = s[1], n = s[2], dh = s[3];
                Tensor q = dev(cb, 1, t, b, h, n, dh), k = dev(cb, 2, t, b, h, n, dh), v = dev(cb, 3, t, b, h, n, dh), g = dev(cb, 4, t, b, h, n, dh);
                float scale = (float) (1 / Math.sqrt(dh));
                var fwd = cb.attention(q, k, v, scale);
                float msF = median(cb, 5, () -> cb.attention(q, k, v, scale));
                float msB = median(cb, 3, () -> cb.attentionBackward(q, k, v, fwd.out(), fwd.lse(), g, scale));
                double flops = 4.0 * b * h * n * (double) n * dh;
                System.out.println(String.format(Locale.ROOT, "attention %s/%s B=%d H=%d T=%d dh=%d: fwd %.3f ms %.2f TFLOP/s, bwd %.3f ms %.2f TFLOP/s",
                        t, mode[1], b, h, n, dh, msF, flops / msF / 1e9, msB, 2.5 * flops / msB / 1e9));
            }
        }
        AttentionTc.setEnabled(true);
        CudaBackend kernelOnly = new CudaBackend(cb.gpu(), 0, false);
        for (int n : new int[] {1024, 4096}) {
            double flops = 2.0 * n * n * (double) n;
            for (DType t : new DType[] {DType.F32, DType.BF16}) {
                Tensor a = dev(cb, 5, t, n, n), b = dev(cb, 6, t, n, n), c = cb.zeros(DType.F32, n, n);
                for (boolean tf32 : t == DType.F32 ? new boolean[] {false, true} : new boolean[] {false}) {
                    cb.setTf32(tf32);
                    float ms = median(cb, 5, () -> cb.gemm(1f, a, false, b, false, 0f, c));
                    System.out.println(String.format(Locale.ROOT, "gemm %s%s %d^3 (%s): %.3f ms %.2f TFLOP/s", t, tf32 ? "/TF32" : "", n,
                            cb.gemmEngine(), ms, flops / ms / 1e9));
                }
                cb.setTf32(false);
                float ms = median(kernelOnly, 3, () -> kernelOnly.gemm(1f, a, false, b, false, 0f, c));
                System.out.println(String.format(Locale.ROOT, "gemm %s %d^3 (gemm.cu kernel): %.3f ms %.2f TFLOP/s", t, n, ms, flops / ms / 1e9));
            }
        }
    }
}
