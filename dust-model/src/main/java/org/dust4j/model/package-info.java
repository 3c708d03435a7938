/**
 * The DUST action head (dual_stream and the single_stream ablation) and the GR00T-N1.5 head as in
 * model-contract.md: configs ({@link org.dust4j.model.ModelConfig}), modules with the contract's tensor names,
 * flow-matching loss and training noise ({@link org.dust4j.model.FlowNoise}), the asynchronous joint sampler,
 * the {@link org.dust4j.model.Trainer} and the embedder API {@link org.dust4j.model.DustPolicy}.
 */
package org.dust4j.model;
