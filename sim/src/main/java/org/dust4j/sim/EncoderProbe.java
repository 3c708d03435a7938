package org.dust4j.sim;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Linear-probe R^2 of the scene state ({@link SceneSamples#NAMES}) from an encoder's image features: ridge fit on
 * expert frames of seed stream {@link SceneSamples#ENCODER_TRAIN}, scored on frames of stream
 * {@link SceneSamples#PROBE} (other layouts). The headline number is the mean R^2 over the 14 scene values a v2
 * policy cannot get from its proprioceptive state (objects, pads, cabinet, drawer).
 */
public final class EncoderProbe {
    private EncoderProbe() {}

    /** Scene values the v2 state hides (the first 14 of {@link SceneSamples#NAMES}). */
    public static final int HIDDEN_SCENE = 14;
    /** Ridge strengths tried; the one with the best mean scene R^2 on a validation split of the training frames wins. */
    public static final double[] LAMBDAS = {1e-4, 1e-3, 1e-2, 1e-1, 1};

    /** R^2 per scene value and the headline mean over the hidden ones. */
    public record Report(String encoder, double[] r2, int trainFrames, int testFrames, double lambda) {
        /** Mean R^2 over the scene values the v2 state hides. */
        public double hiddenSceneMean() {
            return mean(r2);
        }

        /** A plain-text table. */
        public String table() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s: linear-probe R^2 (%d train / %d held-out frames, ridge %.0e)%n", encoder, trainFrames, testFrames,
                    lambda));
            for (int i = 0; i < r2.length; i++) sb.append(String.format(Locale.ROOT, "  %-16s %7.3f%n", SceneSamples.NAMES[i], r2[i]));
            sb.append(String.format(Locale.ROOT, "  %-16s %7.3f%n", "mean (scene)", hiddenSceneMean()));
            return sb.toString();
        }
    }

    /** Image features of the v1 random stand-in: its 2 x 16 image VL tokens, flattened. */
    public static Function<Frame, float[]> randomFeatures(FrozenRandomEncoder enc) {
        return f -> {
            float[] all = new float[enc.vlTokens() * enc.vlDim()];
            enc.encodeVl(f, "", all, 0);
            return java.util.Arrays.copyOf(all, 2 * enc.visionTokens() * enc.vlDim());
        };
    }

    /**
     * Probes {@code features}: the ridge strength is picked on the last quarter of {@code train} (fit on the rest),
     * then the probe is refit on all of {@code train} and scored on {@code test}.
     */
    public static Report probe(String name, Function<Frame, float[]> features, List<SceneSamples.Sample> train, List<SceneSamples.Sample> test) {
        float[][] x = feats(features, train), y = scenes(train);
        int cut = x.length * 3 / 4;
        float[][] fx = java.util.Arrays.copyOf(x, cut), fy = java.util.Arrays.copyOf(y, cut);
        float[][] vx = java.util.Arrays.copyOfRange(x, cut, x.length), vy = java.util.Arrays.copyOfRange(y, cut, y.length);
        double best = Double.NEGATIVE_INFINITY, lambda = LAMBDAS[0];
        for (double l : LAMBDAS) {
            double m = mean(LinearProbe.r2(fx, fy, vx, vy, l));
            if (m > best) {
                best = m;
                lambda = l;
            }
        }
        return new Report(name, LinearProbe.r2(x, y, feats(features, test), scenes(test), lambda), train.size(), test.size(), lambda);
    }

    private static double mean(double[] r2) {
        double s = 0;
        for (int i = 0; i < HIDDEN_SCENE; i++) s += r2[i];
        return s / HIDDEN_SCENE;
    }

    private static float[][] feats(Function<Frame, float[]> f, List<SceneSamples.Sample> s) {
        float[][] x = new float[s.size()][];
        for (int i = 0; i < x.length; i++) x[i] = f.apply(s.get(i).frame());
        return x;
    }

    private static float[][] scenes(List<SceneSamples.Sample> s) {
        float[][] y = new float[s.size()][];
        for (int i = 0; i < y.length; i++) y[i] = s.get(i).scene();
        return y;
    }
}
