package org.dust4j.tensor;

/**
 * Counter-based random numbers: the value at position {@code i} of stream {@code seed} is a pure
 * function of the two, so any partitioning over threads gives the same tensor.
 * Uniforms come from a SplitMix64-style finaliser over (seed, i); normals from Box-Muller on two
 * uniforms drawn at counters 2j and 2j+1 (the cosine branch for even i, the sine branch for odd i).
 */
public final class Rng {
    private Rng() {}

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** 64 random bits for counter i of stream seed. */
    public static long bits(long seed, long i) {
        return mix(mix(seed * 0x9e3779b97f4a7c15L + 0x632be59bd9b4e019L) + i * 0x9e3779b97f4a7c15L);
    }

    /** U[0,1) with 24 bits of resolution (exactly representable as a float). */
    public static float uniform(long seed, long i) {
        return (bits(seed, i) >>> 40) * 0x1.0p-24f;
    }

    /** U[0,1) as a double with 53 bits. */
    public static double uniformDouble(long seed, long i) {
        return (bits(seed, i) >>> 11) * 0x1.0p-53;
    }

    /** N(0,1). */
    public static float normal(long seed, long i) {
        long j = i >>> 1;
        double u1 = 1.0 - uniformDouble(seed, 2 * j);     // (0, 1], safe for log
        double u2 = uniformDouble(seed, 2 * j + 1);
        double r = Math.sqrt(-2.0 * Math.log(u1));
        double a = 2.0 * Math.PI * u2;
        return (float) (((i & 1) == 0) ? r * Math.cos(a) : r * Math.sin(a));
    }
}
