package org.dust4j.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The one thread pool of dust4j, sized to the machine's cores ({@code -Ddust4j.threads=N} or the
 * {@code DUST4J_THREADS} environment variable override it). Work is split into fixed chunks whose
 * boundaries do not depend on the thread count, and each output element is written by one chunk, so
 * results are bit-identical at any thread count.
 */
public final class Parallel {
    private Parallel() {}

    /** Body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static volatile ForkJoinPool pool = newPool(configuredThreads());

    static int configuredThreads() {
        String p = System.getProperty("dust4j.threads");
        if (p == null) p = System.getenv("DUST4J_THREADS");
        if (p != null && !p.isBlank()) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("dust4j.threads / DUST4J_THREADS must be a positive integer, got '" + p + "'", e);
            }
            throw new IllegalArgumentException("dust4j.threads / DUST4J_THREADS must be a positive integer, got '" + p + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static ForkJoinPool newPool(int threads) {
        return new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("dust4j-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    public static int threads() { return pool.getParallelism(); }

    /** Replaces the pool (tests use this to show results do not depend on the thread count). */
    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        ForkJoinPool old = pool;
        pool = newPool(threads);
        old.shutdown();
    }

    /**
     * Runs body over [0, n) in chunks of {@code grain} elements (the last may be shorter). Runs inline
     * when there is one chunk or one thread, or when already inside a pool worker (no nested parallelism).
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        int chunks = (n + g - 1) / g;
        ForkJoinPool p = pool;
        if (chunks == 1 || p.getParallelism() == 1 || ForkJoinTask.inForkJoinPool()) {
            for (int c = 0; c < chunks; c++) body.run(c * g, Math.min(n, (c + 1) * g));
            return;
        }
        List<RecursiveAction> tasks = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            int from = c * g, to = Math.min(n, (c + 1) * g);
            tasks.add(new RecursiveAction() {
                @Override
                protected void compute() { body.run(from, to); }
            });
        }
        p.invoke(new RecursiveAction() {
            @Override
            protected void compute() { invokeAll(tasks); }
        });
    }

    /** A grain that gives roughly {@code perThread} chunks per thread for n items (at least {@code min}). */
    public static int grain(int n, int min) {
        int chunks = Math.max(1, threads() * 4);
        return Math.max(min, (n + chunks - 1) / chunks);
    }
}
