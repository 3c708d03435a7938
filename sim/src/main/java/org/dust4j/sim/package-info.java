/**
 * The embedded benchmark: a deterministic 2D tabletop simulator ({@link org.dust4j.sim.World}), language
 * tasks ({@link org.dust4j.sim.Task}), a scripted expert, a rasteriser, demonstration datasets as safetensors
 * shards, the frozen stand-in for the VLM, and closed-loop evaluation ({@link org.dust4j.sim.Evaluator}).
 */
package org.dust4j.sim;
