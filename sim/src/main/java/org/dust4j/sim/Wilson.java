package org.dust4j.sim;

/** The Wilson score interval for a binomial proportion. */
public final class Wilson {
    private Wilson() {}

    /** z for a two-sided 95% interval. */
    public static final double Z95 = 1.959963984540054;

    /** {lo, hi} of the 95% Wilson interval for {@code k} successes in {@code n} trials ({0, 1} when n = 0). */
    public static double[] interval95(int k, int n) {
        if (n < 0 || k < 0 || k > n) throw new IllegalArgumentException("Wilson: need 0 <= k <= n, got k=" + k + ", n=" + n);
        if (n == 0) return new double[] {0, 1};
        double z = Z95, p = (double) k / n, z2 = z * z;
        double den = 1 + z2 / n;
        double centre = (p + z2 / (2.0 * n)) / den;
        double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / den;
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }
}
