package org.dust4j.sim;

/**
 * Paired tests for comparing two policies evaluated on the same episodes (common random numbers, see
 * {@link PairedEvaluator}): the exact McNemar test on success pairs and a seeded paired bootstrap of the mean
 * difference of any per-episode metric. A comparison counts as "supported" only at p &lt; 0.05.
 */
public final class PairedStats {
    private PairedStats() {}

    /** Discordant counts: {@code b} = a succeeded and b failed, {@code c} = the reverse. */
    public record Discordant(int b, int c) {}

    /** The discordant pair counts of two equally long success vectors. */
    public static Discordant discordant(boolean[] a, boolean[] b) {
        checkPaired(a.length, b.length);
        int nb = 0, nc = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] && !b[i]) nb++;
            else if (!a[i] && b[i]) nc++;
        }
        return new Discordant(nb, nc);
    }

    /** Two-sided exact McNemar p-value of two paired success vectors. */
    public static double mcnemarExact(boolean[] a, boolean[] b) {
        Discordant d = discordant(a, b);
        return mcnemarExact(d.b(), d.c());
    }

    /**
     * Two-sided exact McNemar p-value for discordant counts b and c: {@code min(1, 2 P(X <= min(b, c)))} with
     * X ~ Binomial(b + c, 1/2); 1 when there are no discordant pairs.
     */
    public static double mcnemarExact(int b, int c) {
        if (b < 0 || c < 0) throw new IllegalArgumentException("McNemar: counts must be >= 0, got " + b + ", " + c);
        int n = b + c, k = Math.min(b, c);
        if (n == 0) return 1.0;
        // log C(n, i) - n log 2, summed from i = 0 up
        double logPmf = -n * Math.log(2);          // i = 0
        double sum = Math.exp(logPmf);
        for (int i = 1; i <= k; i++) {
            logPmf += Math.log((double) (n - i + 1) / i);
            sum += Math.exp(logPmf);
        }
        return Math.min(1.0, 2 * sum);
    }

    /**
     * Paired bootstrap of the mean difference.
     *
     * @param meanDiff the observed mean of a[i] - b[i]
     * @param lo       2.5% percentile of the resampled mean differences
     * @param hi       97.5% percentile
     * @param p        two-sided p-value: 2 min(P*(d &lt;= 0), P*(d &gt;= 0)), capped at 1
     */
    public record Bootstrap(double meanDiff, double lo, double hi, double p) {}

    /** Paired bootstrap over episodes with {@code reps} resamples from a seeded stream (same seed, same result). */
    public static Bootstrap pairedBootstrap(double[] a, double[] b, int reps, long seed) {
        checkPaired(a.length, b.length);
        if (a.length == 0) throw new IllegalArgumentException("paired bootstrap: no pairs");
        if (reps < 100 || reps > 10_000_000) throw new IllegalArgumentException("paired bootstrap: reps must be in [100, 1e7], got " + reps);
        int n = a.length;
        double[] d = new double[n];
        double mean = 0;
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(a[i]) || !Double.isFinite(b[i]))
                throw new IllegalArgumentException("paired bootstrap: pair " + i + " is not finite (" + a[i] + ", " + b[i] + ")");
            d[i] = a[i] - b[i];
            mean += d[i];
        }
        mean /= n;
        SimRng rng = new SimRng(seed);
        double[] means = new double[reps];
        int le = 0, ge = 0;
        for (int r = 0; r < reps; r++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += d[rng.nextInt(n)];
            means[r] = s / n;
            if (means[r] <= 0) le++;
            if (means[r] >= 0) ge++;
        }
        java.util.Arrays.sort(means);
        double p = Math.min(1.0, 2.0 * Math.min(le, ge) / reps);
        return new Bootstrap(mean, percentile(means, 0.025), percentile(means, 0.975), p);
    }

    /** Success vectors as 0/1 doubles (for the bootstrap). */
    public static double[] asDoubles(boolean[] s) {
        double[] d = new double[s.length];
        for (int i = 0; i < s.length; i++) d[i] = s[i] ? 1 : 0;
        return d;
    }

    /** Linear-interpolated percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(sorted.length - 1, i + 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }

    private static void checkPaired(int na, int nb) {
        if (na != nb) throw new IllegalArgumentException("paired test: " + na + " outcomes against " + nb + " (the episodes must pair up)");
    }
}
