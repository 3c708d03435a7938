package org.dust4j.sim;

/**
 * Turns observations into the two feature sets a DUST policy consumes, in the roles the DUST paper gives
 * the frozen VLM (dust-spec.md a.2, a.3): VL tokens {@code [S, Dvl]} from the current images and the
 * instruction (Eagle-2's layer-12 features in the paper) and future target tokens {@code [To, Dv]} from the
 * frame after the action chunk (SigLIP patch embeddings, 2x2 average pooled). Implementations are frozen:
 * the same input always gives the same output. {@link FrozenRandomEncoder} is the built-in stand-in; real VLM
 * features plug in by implementing this interface.
 */
public interface VisionLanguageEncoder {
    /** Dvl: width of a VL token (backbone_embedding_dim). */
    int vlDim();

    /** S: number of VL tokens per observation (fixed, so batches stack). */
    int vlTokens();

    /** Dv: width of a future target token (vision_token_dim). */
    int visionDim();

    /** To: number of future target tokens (num_vision_tokens, a square). */
    int visionTokens();

    /** Writes the VL tokens of {@code frame} and {@code instruction}, {@code [S, Dvl]} row-major, at {@code out[off]}. */
    void encodeVl(Frame frame, String instruction, float[] out, int off);

    /** Writes the future target tokens of {@code frame}, {@code [To, Dv]} row-major, at {@code out[off]}. */
    void encodeFuture(Frame frame, float[] out, int off);
}
