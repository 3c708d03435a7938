package org.dust4j.backbone.text;

import org.dust4j.tensor.Tensor;

/**
 * Token ids and attention mask of a padded batch, row-major [rows, length]: {@code inputIds[b * length + l]}.
 * Built by {@link PromptBuilder#batch}; the arrays are owned by this object (do not modify them).
 */
public record Batch(int rows, int length, long[] inputIds, long[] attentionMask) {
    public Batch {
        if ((long) rows * length != inputIds.length || inputIds.length != attentionMask.length) {
            throw new IllegalArgumentException("batch arrays do not match " + rows + " x " + length);
        }
    }

    /** input_ids as an I64 tensor [rows, length] (wraps the array). */
    public Tensor inputIdsTensor() {
        return Tensor.ofLongs(inputIds, rows, length);
    }

    /** attention_mask as an I64 tensor [rows, length] (wraps the array). */
    public Tensor attentionMaskTensor() {
        return Tensor.ofLongs(attentionMask, rows, length);
    }

    /** Row {@code b}'s ids, padding included. */
    public long[] row(int b) {
        return java.util.Arrays.copyOfRange(inputIds, b * length, (b + 1) * length);
    }
}
