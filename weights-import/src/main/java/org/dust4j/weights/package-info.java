/** safetensors reader/writer, sharded checkpoints, state-dict binding by name. Not built yet. */
package org.dust4j.weights;
