package org.dust4j.sim;

/**
 * Base of the v2 image encoders: each camera view becomes a 4 x 4 grid of tokens with {@link #CHANNELS} scene
 * channels ({@link #viewTokens}); the shapes match the v1 stand-in ({@code Variant.ENCODER}: Dvl 32, Dv 16,
 * To 16, 10 words, S = 42), so every model config trains on either.
 *
 * <p>VL token of an image cell: its 16 channels, then a one-hot column (4), a one-hot row (4), the view
 * (+1 top, -1 wrist) and 7 zeros. The 10 instruction tokens are the v1 stand-in's word tokens
 * ({@link FrozenRandomEncoder#encodeWords}): language is not what the v2 suite tests. The future target is
 * the top view's 16 tokens x 16 channels of the frame after the chunk, the same encoder at t + Ta, as in the
 * paper. Implementations: {@link OracleEncoder} (analytic ceiling), {@link LearnedEncoder} (trained by dust4j);
 * a real VLM plugs in through {@link VisionLanguageEncoder} instead.
 */
public abstract class TokenGridEncoder implements VisionLanguageEncoder {
    /** Tokens per side of a view. */
    public static final int GRID = 4;
    /** Tokens per view. */
    public static final int TOKENS = GRID * GRID;
    /** Channels per token (Dv). */
    public static final int CHANNELS = 16;
    /** VL width. */
    public static final int VL_DIM = 32;
    /** Instruction tokens. */
    public static final int WORDS = 10;
    /** Top / wrist camera sides the v2 encoders are built for. */
    public static final int TOP = 64, WRIST = 32;
    /** Word embedding seed (the v1 stand-in's). */
    public static final long WORD_SEED = 7;

    private final FrozenRandomEncoder words = new FrozenRandomEncoder(new FrozenRandomEncoder.Config(VL_DIM, CHANNELS, TOKENS, WORDS, WORD_SEED), TOP, WRIST);

    /** Writes the {@code [TOKENS][CHANNELS]} features of one view ({@code view} 0 top, 1 wrist) at {@code out[0]}. */
    public abstract void viewTokens(byte[] img, int size, int view, float[] out);

    @Override public int vlDim() { return VL_DIM; }
    @Override public int vlTokens() { return 2 * TOKENS + WORDS; }
    @Override public int visionDim() { return CHANNELS; }
    @Override public int visionTokens() { return TOKENS; }

    @Override
    public void encodeVl(Frame frame, String instruction, float[] out, int off) {
        check(frame);
        float[] f = new float[TOKENS * CHANNELS];
        int o = off;
        for (int v = 0; v < 2; v++) {
            if (v == 0) viewTokens(frame.top(), frame.topSize(), 0, f);
            else viewTokens(frame.wrist(), frame.wristSize(), 1, f);
            for (int t = 0; t < TOKENS; t++) {
                java.util.Arrays.fill(out, o, o + VL_DIM, 0f);
                System.arraycopy(f, t * CHANNELS, out, o, CHANNELS);
                out[o + CHANNELS + t % GRID] = 1;
                out[o + CHANNELS + GRID + t / GRID] = 1;
                out[o + CHANNELS + 2 * GRID] = v == 0 ? 1 : -1;
                o += VL_DIM;
            }
        }
        words.encodeWords(instruction, out, o);
    }

    @Override
    public void encodeFuture(Frame frame, float[] out, int off) {
        check(frame);
        float[] f = new float[TOKENS * CHANNELS];
        viewTokens(frame.top(), frame.topSize(), 0, f);
        System.arraycopy(f, 0, out, off, f.length);
    }

    /** All features of a frame: top then wrist, {@code [2 TOKENS][CHANNELS]}. */
    public float[] frameFeatures(Frame frame) {
        check(frame);
        float[] f = new float[2 * TOKENS * CHANNELS], v = new float[TOKENS * CHANNELS];
        viewTokens(frame.top(), frame.topSize(), 0, v);
        System.arraycopy(v, 0, f, 0, v.length);
        viewTokens(frame.wrist(), frame.wristSize(), 1, v);
        System.arraycopy(v, 0, f, v.length, v.length);
        return f;
    }

    private static void check(Frame f) {
        if (f.topSize() != TOP || f.wristSize() != WRIST)
            throw new IllegalArgumentException("v2 encoder: built for top " + TOP + " / wrist " + WRIST + " px images, got top " + f.topSize()
                    + " / wrist " + f.wristSize());
    }
}
