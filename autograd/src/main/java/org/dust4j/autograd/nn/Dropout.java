package org.dust4j.autograd.nn;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.tensor.Rng;

/**
 * Inverted dropout, active only in training mode. Call n (from 0) uses the mask stream
 * {@code Rng.bits(seed, n)}, so a run is reproducible and successive calls get fresh masks.
 */
public final class Dropout extends Module implements Layer {
    public final float p;
    private final long seed;
    private long calls;

    public Dropout(float p, long seed) {
        if (!(p >= 0f && p <= 1f)) throw new IllegalArgumentException("Dropout: p must be in [0, 1], got " + p);
        this.p = p;
        this.seed = seed;
    }

    @Override
    public Var forward(Var x) {
        if (!isTraining() || p == 0f) return x;
        return F.dropout(x, p, Rng.bits(seed, calls++), true);
    }

    /** Number of masks drawn so far (checkpointing restores it with {@link #setCalls}). */
    public long calls() { return calls; }

    public void setCalls(long n) { calls = n; }
}
