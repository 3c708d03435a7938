package org.dust4j.serve;

import java.util.Locale;

/**
 * GR00T-N1.5's per-key normaliser ({@code gr00t/data/transform/state_action.py}, {@code Normalizer}), in float32
 * with the same operation order so results match torch float32 bit for bit:
 * <ul>
 *   <li>{@code min_max}: {@code 2·(x-min)/(max-min) - 1}, 0 where min == max; inverse {@code (x+1)/2·(max-min)+min}</li>
 *   <li>{@code q99}: {@code 2·(x-q01)/(q99-q01) - 1} (x itself where q01 == q99), then clamped to [-1, 1];
 *       inverse {@code (x+1)/2·(q99-q01)+q01}</li>
 *   <li>{@code mean_std}: {@code (x-mean)/std} (x itself where std == 0); inverse {@code x·std+mean}</li>
 *   <li>{@code binary}: {@code x > 0.5 ? 1 : 0} both ways (grippers)</li>
 * </ul>
 * GR00T's forward-only {@code scale} mode has no inverse there and is rejected here.
 */
public final class Normalizer {
    /** The normalisation modes GR00T-N1.5 can invert. */
    public enum Mode {
        MIN_MAX, Q99, MEAN_STD, BINARY;

        /** Parses GR00T's names: min_max, q99, mean_std, binary. */
        public static Mode parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "min_max" -> MIN_MAX;
                case "q99" -> Q99;
                case "mean_std" -> MEAN_STD;
                case "binary" -> BINARY;
                default -> throw new IllegalArgumentException("normalisation mode \"" + s + "\" is not one of min_max, q99, mean_std, binary");
            };
        }

        /** GR00T's name of the mode. */
        public String gr00tName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Mode mode;
    private final float[] lo;
    private final float[] hi;

    /**
     * A normaliser of one key.
     *
     * @param mode the mode
     * @param lo   min (min_max), q01 (q99), mean (mean_std); unused for binary (may be null)
     * @param hi   max, q99, std; unused for binary
     */
    public Normalizer(Mode mode, float[] lo, float[] hi) {
        this.mode = mode;
        if (mode != Mode.BINARY && (lo == null || hi == null || lo.length != hi.length)) {
            throw new IllegalArgumentException(mode.gr00tName() + " normaliser needs two statistics of equal length");
        }
        this.lo = lo == null ? null : lo.clone();
        this.hi = hi == null ? null : hi.clone();
    }

    /** The mode. */
    public Mode mode() {
        return mode;
    }

    /** Number of values per step this normaliser covers (-1 for binary, which takes any width). */
    public int width() {
        return lo == null ? -1 : lo.length;
    }

    /** Normalises {@code x[off .. off+n)} in place (n = width, or any n for binary). */
    public void forward(float[] x, int off, int n) {
        check(n);
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            x[off + i] = switch (mode) {
                case BINARY -> v > 0.5f ? 1f : 0f;
                case MIN_MAX -> lo[i] != hi[i] ? 2 * ((v - lo[i]) / (hi[i] - lo[i])) - 1 : 0f;
                case Q99 -> Math.clamp(lo[i] != hi[i] ? 2 * ((v - lo[i]) / (hi[i] - lo[i])) - 1 : v, -1f, 1f);
                case MEAN_STD -> hi[i] != 0 ? (v - lo[i]) / hi[i] : v;
            };
        }
    }

    /** Maps normalised values back to robot units, in place. */
    public void inverse(float[] x, int off, int n) {
        check(n);
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            x[off + i] = switch (mode) {
                case BINARY -> v > 0.5f ? 1f : 0f;
                case MIN_MAX, Q99 -> (v + 1) / 2 * (hi[i] - lo[i]) + lo[i];
                case MEAN_STD -> v * hi[i] + lo[i];
            };
        }
    }

    private void check(int n) {
        if (lo != null && n != lo.length) throw new IllegalArgumentException(mode.gr00tName() + " normaliser covers " + lo.length + " values, got " + n);
    }
}
