package org.dust4j.sim;

/**
 * Episode seeds. Training data and evaluation draw from different streams, so the same user seed never
 * gives an evaluation layout that was in the training data.
 */
public final class Seeds {
    private Seeds() {}

    /** Stream for demonstrations. */
    public static final int TRAIN = 1;
    /** Stream for closed-loop evaluation. */
    public static final int EVAL = 2;

    /** The layout/expert seed of episode {@code i} of task {@code task} in stream {@code role}. */
    public static long episode(long seed, int role, Task task, int i) {
        return SimRng.of(seed, role * 1_000_003L + task.streamIndex(), i).nextLong();
    }
}
