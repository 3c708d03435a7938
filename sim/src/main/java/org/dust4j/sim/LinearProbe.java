package org.dust4j.sim;

/**
 * Linear-probe quality of frozen features: ridge regression from a feature vector to each scene-state value,
 * fitted on one set of frames and scored as R^2 on held-out frames. Features are standardised with the
 * training mean and sd; the bias is not penalised. Plain double arithmetic in a fixed order (deterministic).
 */
public final class LinearProbe {
    private LinearProbe() {}

    /**
     * Held-out R^2 per target.
     *
     * @param trainX [n][d] features, trainY [n][m] targets; testX, testY likewise
     * @param lambda ridge strength on standardised features (per sample: the penalty is lambda * n)
     */
    public static double[] r2(float[][] trainX, float[][] trainY, float[][] testX, float[][] testY, double lambda) {
        int n = trainX.length, d = trainX[0].length, m = trainY[0].length;
        if (n != trainY.length || testX.length != testY.length || testX.length == 0)
            throw new IllegalArgumentException("LinearProbe: feature and target counts differ or the test set is empty");
        if (!(lambda > 0)) throw new IllegalArgumentException("LinearProbe: lambda must be > 0, got " + lambda);
        double[] mu = new double[d], sd = new double[d];
        for (float[] x : trainX) for (int j = 0; j < d; j++) mu[j] += x[j];
        for (int j = 0; j < d; j++) mu[j] /= n;
        for (float[] x : trainX) for (int j = 0; j < d; j++) sd[j] += (x[j] - mu[j]) * (x[j] - mu[j]);
        for (int j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j] / n) + 1e-6;
        int p = d + 1;                                  // + bias
        double[][] a = new double[p][p];
        double[][] b = new double[p][m];
        double[] z = new double[p];
        for (int i = 0; i < n; i++) {
            standardise(trainX[i], mu, sd, z);
            for (int r = 0; r < p; r++) {
                if (z[r] == 0) continue;
                for (int c = 0; c < p; c++) a[r][c] += z[r] * z[c];
                for (int k = 0; k < m; k++) b[r][k] += z[r] * trainY[i][k];
            }
        }
        for (int r = 0; r < d; r++) a[r][r] += lambda * n;
        double[][] w = solve(a, b);
        double[] r2 = new double[m], mean = new double[m], sse = new double[m], sst = new double[m];
        for (float[] y : testY) for (int k = 0; k < m; k++) mean[k] += y[k];
        for (int k = 0; k < m; k++) mean[k] /= testY.length;
        for (int i = 0; i < testX.length; i++) {
            standardise(testX[i], mu, sd, z);
            for (int k = 0; k < m; k++) {
                double pred = 0;
                for (int r = 0; r < p; r++) pred += z[r] * w[r][k];
                double e = testY[i][k] - pred, t = testY[i][k] - mean[k];
                sse[k] += e * e;
                sst[k] += t * t;
            }
        }
        for (int k = 0; k < m; k++) r2[k] = sst[k] > 0 ? 1 - sse[k] / sst[k] : Double.NaN;
        return r2;
    }

    private static void standardise(float[] x, double[] mu, double[] sd, double[] z) {
        for (int j = 0; j < mu.length; j++) z[j] = (x[j] - mu[j]) / sd[j];
        z[mu.length] = 1;
    }

    /** Solves a w = b for symmetric positive definite a (Cholesky). */
    static double[][] solve(double[][] a, double[][] b) {
        int p = a.length, m = b[0].length;
        double[][] l = new double[p][p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                if (i == j) {
                    if (!(s > 0)) throw new IllegalStateException("LinearProbe: normal matrix is not positive definite at " + i);
                    l[i][i] = Math.sqrt(s);
                } else l[i][j] = s / l[j][j];
            }
        }
        double[][] w = new double[p][m];
        for (int k = 0; k < m; k++) {
            double[] y = new double[p];
            for (int i = 0; i < p; i++) {
                double s = b[i][k];
                for (int j = 0; j < i; j++) s -= l[i][j] * y[j];
                y[i] = s / l[i][i];
            }
            for (int i = p - 1; i >= 0; i--) {
                double s = y[i];
                for (int j = i + 1; j < p; j++) s -= l[j][i] * w[j][k];
                w[i][k] = s / l[i][i];
            }
        }
        return w;
    }
}
