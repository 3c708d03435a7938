package org.dust4j.sim;

/**
 * A closed-loop controller, as the evaluator sees it: given an observation it returns an action chunk
 * ({@code [Ta][action_dim]}: the next Ta actions, each at least 4 values dx, dy, dz, grip; values past the
 * fourth are model padding and ignored). The evaluator executes the first k and asks again.
 */
public interface Policy {
    /** Called before each episode. */
    default void reset(Task task, long episodeSeed) {}

    /** The next action chunk. */
    float[][] actChunk(Observation obs);
}
