package org.dust4j.sim;

/** Uniform random actions in [-1, 1]^4, seeded per episode (a lower bound for the success rates). */
public final class RandomPolicy implements Policy {
    private final long seed;
    private final int horizon;
    private SimRng rng;

    /** Chunks of {@code horizon} actions; the stream for an episode depends on {@code seed} and the episode seed. */
    public RandomPolicy(long seed, int horizon) {
        this.seed = seed;
        this.horizon = horizon;
        this.rng = new SimRng(seed);
    }

    @Override
    public void reset(Task task, long episodeSeed) {
        rng = SimRng.of(seed, episodeSeed, 7);
    }

    @Override
    public float[][] actChunk(Observation obs) {
        float[][] out = new float[horizon][World.ACTION_DIM];
        for (float[] a : out) for (int i = 0; i < a.length; i++) a[i] = (float) rng.uniform(-1, 1);
        return out;
    }
}
