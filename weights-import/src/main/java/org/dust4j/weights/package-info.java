/**
 * safetensors for dust4j: {@link org.dust4j.weights.SafetensorsFile} maps and validates one file (zero-copy
 * segments, {@code toTensor} into CPU F32 or half bits), {@link org.dust4j.weights.SafetensorsWriter} writes the
 * official aligned layout atomically, {@link org.dust4j.weights.ShardedCheckpoint} / {@link
 * org.dust4j.weights.ShardedWriter} handle {@code model.safetensors.index.json} checkpoints, and
 * {@link org.dust4j.weights.StateDict} binds tensors to model parameters by exact name. Every rejection is a
 * one-line {@link org.dust4j.weights.SafetensorsException}.
 */
package org.dust4j.weights;
