package org.dust4j.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Parallel;
import org.dust4j.tensor.Tensor;

/**
 * Single-thread CPU-time comparison of the small-M {@code x @ W^T} path against the packed path (property
 * {@code dust4j.gemm.nosmallm}) in the same run, alternating samples. Prints per shape {@code M x N x K}: packed
 * GFLOP/s, small-M GFLOP/s and their ratio (best of the samples; the machine is shared, so numbers are noisy).
 * Arguments: shapes as {@code MxNxK}, or none for the DUST linears. The small-M path is only taken up to its
 * row limit: run with {@code -Ddust4j.gemm.smallm.maxm=96} to time it on more rows.
 */
public final class GemmSmallMCompare {
    private GemmSmallMCompare() {}

    /** Entry point; see the class comment. */
    public static void main(String[] args) {
        String[] shapes = args.length > 0 ? args : new String[] {"17x256x256", "64x1024x256", "81x1536x1536", "81x6144x1536"};
        Parallel.setThreads(1);
        Backend cpu = Backends.cpu();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (String spec : shapes) {
            String[] d = spec.split("x");
            int m = Integer.parseInt(d[0]), n = Integer.parseInt(d[1]), k = Integer.parseInt(d[2]);
            Tensor x = cpu.random(1, true, m, k), w = cpu.random(2, true, n, k), c = Tensor.zeros(m, n);
            Runnable call = () -> cpu.gemm(1f, x, false, w, true, 0f, c);
            double flops = 2.0 * m * n * k;
            int reps = (int) Math.max(1, 2e7 / flops * 5);
            double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
            for (int s = 0; s < 24; s++) {
                int mode = s & 1;
                System.setProperty("dust4j.gemm.nosmallm", mode == 0 ? "true" : "false");
                long t0 = mx.getCurrentThreadCpuTime();
                for (int r = 0; r < reps; r++) call.run();
                double t = (mx.getCurrentThreadCpuTime() - t0) / 1e9 / reps;
                if (s >= 4) best[mode] = Math.min(best[mode], t);
            }
            System.setProperty("dust4j.gemm.nosmallm", "false");
            System.out.printf("%s\tpacked %.1f\tsmallM %.1f GFLOP/s\tratio %.2f%n", spec, flops / best[0] / 1e9,
                    flops / best[1] / 1e9, best[0] / best[1]);
        }
    }
}
