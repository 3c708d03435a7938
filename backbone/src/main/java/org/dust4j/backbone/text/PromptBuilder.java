package org.dust4j.backbone.text;

import java.util.List;

/**
 * GR00T-N1.5's prompt (backbone-contract.md section 7) and its batching. For one sample with V images and an
 * instruction the text is
 * <pre>
 * "&lt;|im_start|&gt;system\nYou are a helpful assistant.&lt;|im_end|&gt;\n&lt;|im_start|&gt;user\n"
 * for k = 1..V: "&lt;image k&gt;&lt;img&gt;" + "&lt;IMG_CONTEXT&gt;" x T + "&lt;/img&gt;"
 * instruction
 * "&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n"
 * </pre>
 * encoded as one string by the {@link Tokenizer} (so special-token text inside the instruction is cut out as
 * special tokens, as GR00T's processor does). {@code <image k>} is plain text. T, the image-context tokens per
 * image, is a parameter: 256 for N1.5, P/k² for other configurations (contract section 8 item 17).
 * A null instruction means GR00T's default {@value #DEFAULT_INSTRUCTION}; any string, empty included, is used
 * as given (no lower-casing, no stripping).
 *
 * <p>Batches are padded on the left to the longest row with {@code <|endoftext|>}, attention_mask 0 there and 1
 * elsewhere; no truncation.
 */
public final class PromptBuilder {
    public static final String DEFAULT_INSTRUCTION = "Perform the default behavior.";
    public static final String SYSTEM_PROMPT = "You are a helpful assistant.";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    public static final String IMG_START = "<img>";
    public static final String IMG_END = "</img>";
    public static final String IMG_CONTEXT = "<IMG_CONTEXT>";
    public static final String PAD = "<|endoftext|>";
    /** Upper bound on images per sample. */
    public static final int MAX_IMAGES = 4096;

    private final Tokenizer tokenizer;
    private final int imageTokens;
    private final int padId;
    private final int imageContextId;

    /** One row of a batch: its instruction (null: the default) and its number of images. */
    public record Sample(String instruction, int numImages) {}

    /**
     * @param imageTokens T, image-context tokens per image (at least 1)
     * @throws IllegalArgumentException if the tokenizer lacks one of the added tokens the template uses
     */
    public PromptBuilder(Tokenizer tokenizer, int imageTokens) {
        if (imageTokens < 1 || imageTokens > 1 << 20) {
            throw new IllegalArgumentException("image tokens per image must be in [1, 2^20], got " + imageTokens);
        }
        this.tokenizer = tokenizer;
        this.imageTokens = imageTokens;
        for (String t : new String[] {IM_START, IM_END, IMG_START, IMG_END}) tokenizer.requireAddedToken(t);
        this.padId = tokenizer.requireAddedToken(PAD);
        this.imageContextId = tokenizer.requireAddedToken(IMG_CONTEXT);
    }

    /** The id of {@code <IMG_CONTEXT>} (must equal the model's image_token_index). */
    public int imageContextId() {
        return imageContextId;
    }

    /** The padding id ({@code <|endoftext|>}). */
    public int padId() {
        return padId;
    }

    /** The tokenizer the prompts are encoded with. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** T, image-context tokens per image. */
    public int imageTokens() {
        return imageTokens;
    }

    /** The prompt text for one sample. */
    public String text(String instruction, int numImages) {
        if (numImages < 0 || numImages > MAX_IMAGES) {
            throw new IllegalArgumentException("number of images must be in [0, " + MAX_IMAGES + "], got " + numImages);
        }
        String instr = instruction == null ? DEFAULT_INSTRUCTION : instruction;
        long len = 120L + instr.length() + (long) numImages * (30L + (long) imageTokens * IMG_CONTEXT.length());
        if (len > tokenizer.maxChars()) {
            throw new IllegalArgumentException("prompt of about " + len + " characters (" + numImages + " images x "
                    + imageTokens + " image tokens, instruction of " + instr.length() + " characters) exceeds the "
                    + tokenizer.maxChars() + " the tokenizer accepts");
        }
        StringBuilder sb = new StringBuilder((int) len);
        sb.append(IM_START).append("system\n").append(SYSTEM_PROMPT).append(IM_END).append('\n')
                .append(IM_START).append("user\n");
        String ctx = IMG_CONTEXT.repeat(imageTokens);
        for (int k = 1; k <= numImages; k++) {
            sb.append("<image ").append(k).append('>').append(IMG_START).append(ctx).append(IMG_END);
        }
        sb.append(instr).append(IM_END).append('\n').append(IM_START).append("assistant\n");
        return sb.toString();
    }

    /** The token ids of one sample's prompt. */
    public int[] encode(String instruction, int numImages) {
        return tokenizer.encode(text(instruction, numImages));
    }

    /** A batch of one row. */
    public Batch batch(String instruction, int numImages) {
        return batch(List.of(new Sample(instruction, numImages)));
    }

    /** Encodes each sample and pads the rows on the left to the longest (see the class comment). */
    public Batch batch(List<Sample> samples) {
        if (samples.isEmpty()) throw new IllegalArgumentException("a batch needs at least one sample");
        int[][] rows = new int[samples.size()][];
        int len = 0;
        for (int b = 0; b < rows.length; b++) {
            Sample s = samples.get(b);
            rows[b] = encode(s.instruction(), s.numImages());
            len = Math.max(len, rows[b].length);
        }
        long total = (long) rows.length * len;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("batch of " + rows.length + " rows x " + len + " tokens is too large");
        }
        long[] ids = new long[(int) total];
        long[] mask = new long[(int) total];
        for (int b = 0; b < rows.length; b++) {
            int pad = len - rows[b].length;
            int base = b * len;
            for (int l = 0; l < pad; l++) ids[base + l] = padId;
            for (int l = 0; l < rows[b].length; l++) {
                ids[base + pad + l] = rows[b][l];
                mask[base + pad + l] = 1;
            }
        }
        return new Batch(rows.length, len, ids, mask);
    }
}
