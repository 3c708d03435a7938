/**
 * The GR00T-N1.5 vision-language backbone as in backbone-contract.md: SigLIP vision tower, optional pixel
 * shuffle, the mlp1 projector, image-token splicing and the Qwen3 language model truncated to select_layer;
 * the byte-level BPE tokenizer and the image preprocessing that feed it.
 */
package org.dust4j.backbone;
