package org.dust4j.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Parallel;
import org.dust4j.tensor.Tensor;

/**
 * Contention-resistant GEMM timings for tuning on a shared machine: per shape, the single-thread GFLOP/s from
 * this thread's CPU time (unaffected by other processes' load, apart from cache and frequency effects) and the
 * multi-thread GFLOP/s from the minimum wall time over many calls. Prints
 * {@code shape<TAB>1-thread cpu GFLOP/s<TAB>T-thread best wall GFLOP/s<TAB>T-thread GFLOP/s per process CPU second}.
 *
 * <p>Arguments: shapes as {@code MxNxK} (or {@code MxNxK:nt}); {@code --threads T} (default 2),
 * {@code --samples S} (default 15), {@code --min-ms T} per sample (default 100).
 */
public final class GemmTune {
    private GemmTune() {}

    /** Entry point; see the class comment. */
    public static void main(String[] args) {
        int threads = 2, samples = 15;
        double minMs = 100;
        List<String> shapes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--min-ms" -> minMs = Double.parseDouble(args[++i]);
                default -> shapes.add(args[i]);
            }
        }
        if (shapes.isEmpty()) shapes = List.of("512x512x512", "1024x1024x1024", "2048x2048x2048",
                "81x1536x1536", "81x6144x1536", "648x1536x1536");
        Backend cpu = Backends.cpu();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (String spec : shapes) {
            boolean nt = spec.endsWith(":nt");
            int[] d = Arrays.stream(spec.replace(":nt", "").split("x")).mapToInt(Integer::parseInt).toArray();
            int m = d[0], n = d[1], k = d[2];
            Tensor a = cpu.random(1, true, m, k);
            Tensor b = nt ? cpu.random(2, true, n, k) : cpu.random(2, true, k, n);
            Tensor c = Tensor.zeros(m, n);
            Runnable call = () -> cpu.gemm(1f, a, false, b, nt, 0f, c);
            double flops = 2.0 * m * n * k;
            double[] res = new double[3];
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            for (int mode = 0; mode < 2; mode++) {
                Parallel.setThreads(mode == 0 ? 1 : threads);
                long t0 = System.nanoTime();
                int warm = 0;
                while (warm < 10 || System.nanoTime() - t0 < 2_500_000_000L) {
                    call.run();
                    warm++;
                }
                double perCall = (System.nanoTime() - t0) / 1e9 / warm;
                int reps = Math.max(1, (int) Math.ceil(minMs / 1e3 / perCall));
                double best = Double.MAX_VALUE, bestCpu = Double.MAX_VALUE;
                for (int s = 0; s < samples; s++) {
                    if (mode == 0) {
                        long st = mx.getCurrentThreadCpuTime();
                        for (int r = 0; r < reps; r++) call.run();
                        best = Math.min(best, (mx.getCurrentThreadCpuTime() - st) / 1e9 / reps);
                    } else {
                        long pc0 = os.getProcessCpuTime();
                        for (int r = 0; r < reps; r++) {
                            long st = System.nanoTime();
                            call.run();
                            best = Math.min(best, (System.nanoTime() - st) / 1e9);
                        }
                        bestCpu = Math.min(bestCpu, (os.getProcessCpuTime() - pc0) / 1e9 / reps);
                    }
                }
                res[mode] = flops / best / 1e9;
                if (mode == 1) res[2] = flops / bestCpu / 1e9;
            }
            System.out.printf("%s\t%.1f\t%.1f\t%.1f%n", spec, res[0], res[1], res[2]);
        }
    }
}
