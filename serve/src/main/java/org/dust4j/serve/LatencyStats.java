package org.dust4j.serve;

import java.util.Arrays;

/** Request latencies of the last {@code capacity} requests, with nearest-rank percentiles. Thread-safe. */
public final class LatencyStats {
    private final long[] nanos;
    private long count;

    /** Keeps the most recent {@code capacity} samples. */
    public LatencyStats(int capacity) {
        nanos = new long[capacity];
    }

    /** Records one request's latency. */
    public synchronized void record(long ns) {
        nanos[(int) (count % nanos.length)] = ns;
        count++;
    }

    /** Requests recorded in all. */
    public synchronized long count() {
        return count;
    }

    /** The p-th percentile (0 &lt; p &lt;= 100, nearest rank) of the kept samples in milliseconds; NaN when empty. */
    public synchronized double percentileMs(double p) {
        int n = (int) Math.min(count, nanos.length);
        if (n == 0) return Double.NaN;
        long[] s = Arrays.copyOf(nanos, n);
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * n);
        return s[Math.max(0, Math.min(n - 1, rank - 1))] / 1e6;
    }

    /** One log line: count, p50, p90, p99, max. */
    public synchronized String summary(String what) {
        return String.format(java.util.Locale.ROOT, "%s: %d requests, latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (last %d)",
                what, count, percentileMs(50), percentileMs(90), percentileMs(99), percentileMs(100), Math.min(count, nanos.length));
    }
}
