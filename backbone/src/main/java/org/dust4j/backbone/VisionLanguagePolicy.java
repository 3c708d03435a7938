package org.dust4j.backbone;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.dust4j.backbone.image.ImagePreprocessor;
import org.dust4j.backbone.image.U8Image;
import org.dust4j.backbone.text.PromptBuilder;
import org.dust4j.backbone.text.Tokenizer;
import org.dust4j.model.DustPolicy;
import org.dust4j.model.PolicyModel;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException;

/**
 * Camera frames + instruction + robot state to an action chunk in one call: the GR00T-N1.5 backbone
 * ({@link EagleBackbone}, backbone-contract.md) computes backbone_features for one sample, which become the
 * head's {@code vl} input ({@link DustPolicy}, model-contract.md), with no mask, as GR00T-N1.5 does (section 4.10).
 *
 * <p>The text side is a {@link PromptEncoder}: it turns the instruction into the input_ids of the contract's prompt
 * (section 7) for a given number of images; {@link #load(Path, Path, BackboneWeights.Mode)} uses the Qwen2 BPE
 * tokenizer and {@link PromptBuilder} of {@code org.dust4j.backbone.text}. Frames of any size are resized to S x S as
 * GR00T's VideoResize does ({@link ImagePreprocessor#resizeAndPreprocess}) and turned into pixel_values (section 4.1).
 *
 * <p>Not thread-safe (the backbone's MAPPED weights share one decode buffer): one call at a time.
 */
public final class VisionLanguagePolicy implements AutoCloseable {

    /** The instruction (and image count) to the prompt's token ids, one row, no padding. */
    @FunctionalInterface
    public interface PromptEncoder {
        long[] encode(String instruction, int images);
    }

    private final EagleBackbone backbone;
    private final DustPolicy head;
    private final PromptEncoder prompt;

    /** Checks that the head's VL width equals the backbone's output width Dout. */
    public VisionLanguagePolicy(EagleBackbone backbone, DustPolicy head, PromptEncoder prompt) {
        int dout = backbone.config().outWidth(), vl = head.model().config().vlDim();
        if (dout != vl) {
            throw new IllegalArgumentException("policy: the backbone writes " + dout + "-wide features (project_to_dim or text hidden_size)"
                    + " but the head's backbone_embedding_dim is " + vl);
        }
        this.backbone = backbone;
        this.head = head;
        this.prompt = prompt;
    }

    /** One model directory holding both (a GR00T-N1.5 checkpoint: backbone.* and action_head.* tensors). */
    public static VisionLanguagePolicy load(Path dir, BackboneWeights.Mode mode, PromptEncoder prompt) throws SafetensorsException {
        EagleBackbone bb = EagleBackbone.load(dir, mode);
        try {
            return new VisionLanguagePolicy(bb, new DustPolicy(PolicyModel.load(dir), null), prompt);
        } catch (RuntimeException | SafetensorsException e) {
            bb.close();
            throw e;
        }
    }

    /**
     * A GR00T-N1.5 checkpoint directory plus the tokenizer files (vocab.json + merges.txt or tokenizer.json with the
     * added tokens; GR00T keeps them in its source tree, gr00t/model/backbone/eagle2_hg_model, not in the checkpoint).
     * The tokenizer's {@code <IMG_CONTEXT>} id must equal the config's image_token_index.
     */
    public static VisionLanguagePolicy load(Path dir, Path tokenizerDir, BackboneWeights.Mode mode) throws IOException {
        BackboneConfig c = BackboneConfig.read(dir);
        PromptBuilder pb = new PromptBuilder(Tokenizer.load(tokenizerDir), c.imageTokens());
        if (pb.imageContextId() != c.imageToken()) {
            throw new IllegalArgumentException("policy: the tokenizer in " + tokenizerDir + " maps <IMG_CONTEXT> to " + pb.imageContextId()
                    + " but the model's eagle_config.image_token_index is " + c.imageToken());
        }
        return load(dir, mode, promptEncoder(pb));
    }

    /** The contract's prompt (section 7) through a {@link PromptBuilder}: one row, no padding. */
    public static PromptEncoder promptEncoder(PromptBuilder pb) {
        return (text, images) -> {
            int[] ids = pb.encode(text, images);
            long[] out = new long[ids.length];
            for (int i = 0; i < ids.length; i++) out[i] = ids[i];
            return out;
        };
    }

    /**
     * Frames of any size (resized to S x S as GR00T's VideoResize, then section 4.1) + instruction (null: GR00T's default)
     * + state to actions.
     */
    public DustPolicy.ActionChunk act(List<U8Image> frames, String instruction, float[] state, int embodimentId, long noiseSeed) {
        Tensor pv = ImagePreprocessor.forImageSize(backbone.config().imageSize()).resizeAndPreprocess(frames);
        return act(pv, prompt.encode(instruction, frames.size()), state, embodimentId, noiseSeed);
    }

    public EagleBackbone backbone() { return backbone; }

    public DustPolicy head() { return head; }

    /**
     * Frames already at S x S (each S·S·3 bytes, U8 RGB, rows top to bottom, in the (time, view) order of the data config;
     * other sizes are refused) + instruction + state to actions. {@code noiseSeed} seeds the head's initial noise.
     */
    public DustPolicy.ActionChunk actOnRaw(List<byte[]> frames, String instruction, float[] state, int embodimentId, long noiseSeed) {
        int s = backbone.config().imageSize(), n = frames.size();
        if (n < 1) throw new IllegalArgumentException("policy: at least one frame is needed");
        byte[] u = new byte[n * s * s * 3];
        for (int i = 0; i < n; i++) {
            byte[] f = frames.get(i);
            if (f.length != s * s * 3) {
                throw new IllegalArgumentException("policy: frame " + i + " has " + f.length + " bytes, expected " + s + "x" + s + "x3 = " + s * s * 3
                        + " (U8 RGB; resize other sizes to " + s + "x" + s + " first)");
            }
            System.arraycopy(f, 0, u, i * f.length, f.length);
        }
        Tensor pv = ImagePreprocessor.forImageSize(s).pixelValues(u, n);
        long[] ids = prompt.encode(instruction, n);
        return act(pv, ids, state, embodimentId, noiseSeed);
    }

    /** As {@link #act(List, String, float[], int, long)} from preprocessed pixel_values [N, 3, S, S] and one row of ids. */
    public DustPolicy.ActionChunk act(Tensor pixelValues, long[] inputIds, float[] state, int embodimentId, long noiseSeed) {
        long[] mask = new long[inputIds.length];
        java.util.Arrays.fill(mask, 1);
        EagleBackbone.Output o = backbone.embed(pixelValues, Tensor.ofLongs(inputIds, 1, inputIds.length), Tensor.ofLongs(mask, 1, mask.length));
        int l = inputIds.length, d = backbone.config().outWidth();
        float[] f = o.features().toFloatArray();
        float[][] vl = new float[l][d];
        for (int i = 0; i < l; i++) System.arraycopy(f, i * d, vl[i], 0, d);
        return head.sample(new DustPolicy.Observation(vl, state, embodimentId, noiseSeed));
    }

    @Override
    public void close() {
        backbone.close();
    }
}
