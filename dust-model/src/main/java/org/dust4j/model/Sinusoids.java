package org.dust4j.model;

import org.dust4j.tensor.Tensor;

/**
 * The three fixed sinusoid codes of contract section 4, computed in double from the integer bucket (or grid
 * coordinate) and rounded to float once. (GR00T computes the timestep codes in float32; at buckets near 1000
 * the float32 product t·f is off by up to ~3e-5 rad, which moves the outputs by ~1e-4 relative. The exact
 * value is the one an independent implementation of the contract can agree on.)
 */
public final class Sinusoids {
    private Sinusoids() {}

    /**
     * tsin256: t is the integer bucket; f_i = exp(-ln(10000)·i/127), i &lt; 128; output [cos(t·f), sin(t·f)]
     * (cos first) -> [B, 256].
     */
    public static Tensor timestep256(float[] t) {
        int half = 128;
        double[] f = new double[half];
        for (int i = 0; i < half; i++) f[i] = Math.exp(-Math.log(10000.0) * i / (half - 1));
        float[] out = new float[t.length * 2 * half];
        for (int b = 0; b < t.length; b++) {
            for (int i = 0; i < half; i++) {
                double arg = t[b] * f[i];
                out[b * 2 * half + i] = (float) Math.cos(arg);
                out[b * 2 * half + half + i] = (float) Math.sin(arg);
            }
        }
        return Tensor.of(out, t.length, 2 * half);
    }

    /**
     * The action encoder's timestep code over {@code width} channels, broadcast over {@code tokens}:
     * f_i = exp(-i·ln(10000)/(width/2)); output [sin(t·f), cos(t·f)] (sin first) -> [B, tokens, width].
     */
    public static Tensor actionTimestep(float[] t, int tokens, int width) {
        int half = width / 2;
        double[] f = new double[half];
        for (int i = 0; i < half; i++) f[i] = Math.exp(-i * Math.log(10000.0) / half);
        float[] out = new float[t.length * tokens * width];
        for (int b = 0; b < t.length; b++) {
            float[] row = new float[width];
            for (int i = 0; i < half; i++) {
                double arg = t[b] * f[i];
                row[i] = (float) Math.sin(arg);
                row[half + i] = (float) Math.cos(arg);
            }
            for (int k = 0; k < tokens; k++) System.arraycopy(row, 0, out, (b * tokens + k) * width, width);
        }
        return Tensor.of(out, t.length, tokens, width);
    }

    /**
     * Fixed 2D position code of the vision tokens [To, D]: grid g = sqrt(To), token n = r·g + c;
     * emb1d(p) over D/2 channels with ω_i = 10000^(-i/(D/4)), [sin(p·ω), cos(p·ω)];
     * pe(n) = concat[emb1d(c), emb1d(r)] (column first).
     */
    public static Tensor position2d(int tokens, int width) {
        int g = (int) Math.round(Math.sqrt(tokens));
        if (g * g != tokens || width % 4 != 0) {
            throw new IllegalArgumentException("position2d: tokens " + tokens + " must be square and width " + width + " divisible by 4");
        }
        int q = width / 4;
        float[] out = new float[tokens * width];
        for (int n = 0; n < tokens; n++) {
            int r = n / g, col = n % g;
            for (int i = 0; i < q; i++) {
                double w = Math.pow(10000.0, -(double) i / q);
                out[n * width + i] = (float) Math.sin(col * w);
                out[n * width + q + i] = (float) Math.cos(col * w);
                out[n * width + 2 * q + i] = (float) Math.sin(r * w);
                out[n * width + 3 * q + i] = (float) Math.cos(r * w);
            }
        }
        return Tensor.of(out, tokens, width);
    }
}
