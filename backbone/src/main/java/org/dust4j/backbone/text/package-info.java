/**
 * Text input of the GR00T-N1.5 backbone: a pure-Java byte-level BPE {@link org.dust4j.backbone.text.Tokenizer}
 * that reads Qwen2/Qwen3 tokenizer files, and the {@link org.dust4j.backbone.text.PromptBuilder} that writes
 * GR00T's prompt (images, then the instruction) and pads batches on the left (backbone-contract.md section 7).
 *
 * <pre>{@code
 * Tokenizer tok = Tokenizer.load(Path.of("eagle2_hg_model"));      // tokenizer.json or vocab.json + merges.txt
 * PromptBuilder pb = new PromptBuilder(tok, 256);                 // T = 256 image tokens per image (N1.5)
 * Batch batch = pb.batch(List.of(new PromptBuilder.Sample("pick up the cube", 2),
 *                                new PromptBuilder.Sample(null, 1)));  // null: "Perform the default behavior."
 * Tensor ids = batch.inputIdsTensor(), mask = batch.attentionMaskTensor();   // I64 [B, L], left-padded
 * }</pre>
 */
package org.dust4j.backbone.text;
