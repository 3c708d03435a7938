package org.dust4j.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Parallel;
import org.dust4j.tensor.Tensor;

/**
 * Times dust4j's CPU GEMM on a list of shapes and prints one line per shape:
 * {@code shape<TAB>GFLOP/s<TAB>median seconds}. Used by {@code bench/compare-gemm}, which runs numpy's sgemm on
 * the same shapes and prints the ratio table.
 *
 * <p>Arguments: shapes as {@code MxNxK} or {@code MxNxK:nt} (B stored [N, K] and passed transposed, as in
 * {@code x @ W^T}); options {@code --samples S} (median over S samples, default 7) and {@code --min-ms T}
 * (each sample repeats the call until it lasts T ms, default 200).
 */
public final class GemmCompare {
    private GemmCompare() {}

    /** Entry point; see the class comment for the arguments. */
    public static void main(String[] args) {
        int samples = 7;
        double minMs = 200;
        List<String> shapes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--min-ms" -> minMs = Double.parseDouble(args[++i]);
                default -> shapes.add(args[i]);
            }
        }
        if (shapes.isEmpty()) shapes = List.of("512x512x512", "1024x1024x1024", "2048x2048x2048",
                "81x1536x1536", "81x6144x1536", "648x1536x1536");
        Backend cpu = Backends.cpu();
        System.err.println("dust4j: " + Parallel.threads() + " threads, " + Runtime.version());
        List<Runnable> calls = new ArrayList<>();
        for (String spec : shapes) {
            boolean nt = spec.endsWith(":nt");
            int[] d = Arrays.stream(spec.replace(":nt", "").split("x")).mapToInt(Integer::parseInt).toArray();
            Tensor a = cpu.random(1, true, d[0], d[2]);
            Tensor b = nt ? cpu.random(2, true, d[1], d[2]) : cpu.random(2, true, d[2], d[1]);
            Tensor c = Tensor.zeros(d[0], d[1]);
            calls.add(() -> cpu.gemm(1f, a, false, b, nt, 0f, c));
        }
        // JIT warm-up over all shapes until a whole round compiles nothing more (on a busy machine the compiler
        // threads get little CPU and the kernels can still be interpreted after seconds), at most 30 s
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long w0 = System.nanoTime(), before = -1;
        for (int round = 0; System.nanoTime() - w0 < 30_000_000_000L; round++) {
            long now = jit.getTotalCompilationTime();
            if (round >= 2 && now == before) break;
            before = now;
            for (Runnable call : calls) {
                long t = System.nanoTime();
                do call.run(); while (System.nanoTime() - t < 300_000_000L);
            }
        }
        for (int si = 0; si < shapes.size(); si++) {
            String spec = shapes.get(si);
            int[] d = Arrays.stream(spec.replace(":nt", "").split("x")).mapToInt(Integer::parseInt).toArray();
            Runnable call = calls.get(si);
            double flops = 2.0 * d[0] * d[1] * d[2];
            // per-shape warm-up (caches, pool threads) and the repeat count: at least 1.5 s or 20 calls
            long t0 = System.nanoTime();
            int warm = 0;
            while (warm < 20 || System.nanoTime() - t0 < 1_500_000_000L) {
                call.run();
                warm++;
            }
            double perCall = (System.nanoTime() - t0) / 1e9 / warm;
            int reps = Math.max(1, (int) Math.ceil(minMs / 1e3 / perCall));
            double[] sec = new double[samples];
            for (int s = 0; s < samples; s++) {
                long st = System.nanoTime();
                for (int r = 0; r < reps; r++) call.run();
                sec[s] = (System.nanoTime() - st) / 1e9 / reps;
            }
            Arrays.sort(sec);
            double med = sec[samples / 2];
            System.out.printf("%s\t%.1f\t%.6f%n", spec, flops / med / 1e9, med);
        }
    }
}
