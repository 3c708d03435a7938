package org.dust4j.autograd.nn;

import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/**
 * Seeded parameter initialiser: the k-th tensor drawn uses its own counter-based stream
 * {@code Rng.bits(seed, k)}, so a model built twice with one seed gets identical parameters, and a
 * tensor's values do not depend on the sizes of the tensors drawn before it.
 *
 * <p>{@link #placeholders(long)} is the same initialiser without values, for a model whose weights are loaded
 * next: every drawn tensor is a broadcast view of one zero (the right shape, no memory), and the seeds advance as
 * usual, so dropout seeds taken with {@link #nextSeed()} are the same as with {@code new ParamInit(seed)}.
 */
public final class ParamInit {
    private final long seed;
    private final boolean placeholders;
    private long counter;

    public ParamInit(long seed) {
        this(seed, false);
    }

    private ParamInit(long seed, boolean placeholders) {
        this.seed = seed;
        this.placeholders = placeholders;
    }

    /**
     * An initialiser that draws no values: {@link #uniform} and {@link #normal} return read-only-by-convention
     * zero views (stride 0) of the requested shape. Every such parameter must be replaced (loaded) before use.
     */
    public static ParamInit placeholders(long seed) {
        return new ParamInit(seed, true);
    }

    /** True for {@link #placeholders(long)}. */
    public boolean isPlaceholder() { return placeholders; }

    private static Tensor placeholder(int[] shape) {
        int[] ones = new int[shape.length];
        java.util.Arrays.fill(ones, 1);
        return Tensor.zeros(ones).expand(shape);
    }

    /** The seed of the next stream (advances the counter); also used to seed dropout modules. */
    public long nextSeed() {
        return Rng.bits(seed, counter++);
    }

    /** U(-bound, bound). */
    public Tensor uniform(float bound, int... shape) {
        long s = nextSeed();
        if (placeholders) return placeholder(shape);
        float[] d = new float[Shape.numelInt(shape)];
        for (int i = 0; i < d.length; i++) d[i] = (2f * Rng.uniform(s, i) - 1f) * bound;
        return Tensor.of(d, shape);
    }

    /** N(0, std^2). */
    public Tensor normal(float std, int... shape) {
        long s = nextSeed();
        if (placeholders) return placeholder(shape);
        float[] d = new float[Shape.numelInt(shape)];
        for (int i = 0; i < d.length; i++) d[i] = Rng.normal(s, i) * std;
        return Tensor.of(d, shape);
    }

    /** Torch's Linear default: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
    public Tensor linearDefault(int fanIn, int... shape) {
        return uniform((float) (1.0 / Math.sqrt(fanIn)), shape);
    }

    /** Zeros, or for {@link #placeholders(long)} a placeholder (no values allocated: the weights are loaded). */
    public Tensor zerosOrPlaceholder(int... shape) {
        return placeholders ? placeholder(shape) : zeros(shape);
    }

    public static Tensor ones(int... shape) {
        return Tensor.full(1f, shape);
    }

    public static Tensor zeros(int... shape) {
        return Tensor.zeros(shape);
    }
}
