package org.dust4j.sim;

/** Does nothing (all-zero actions, gripper open): the no-op floor of the success tables. */
public final class NoOpPolicy implements Policy {
    private final int horizon;

    /** Chunks of {@code horizon} zero actions. */
    public NoOpPolicy(int horizon) {
        if (horizon < 1) throw new IllegalArgumentException("NoOpPolicy: horizon must be >= 1, got " + horizon);
        this.horizon = horizon;
    }

    @Override
    public float[][] actChunk(Observation obs) {
        return new float[horizon][World.ACTION_DIM];
    }
}
