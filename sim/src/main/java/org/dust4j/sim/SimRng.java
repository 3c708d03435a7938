package org.dust4j.sim;

/**
 * A small sequential random generator (SplitMix64) for the simulator, the expert and the encoder stand-in.
 * Normals use Box-Muller through {@link StrictMath}, so every value is the same bit for bit on every JVM,
 * interpreted or compiled (plain {@code Math.log}/{@code Math.cos} may use platform intrinsics).
 */
public final class SimRng {
    private long state;

    /** A generator seeded with {@code seed}. */
    public SimRng(long seed) {
        this.state = seed;
    }

    /** A generator for the sub-stream {@code (seed, a, b)}: independent streams for tasks, episodes, roles. */
    public static SimRng of(long seed, long a, long b) {
        return new SimRng(mix(mix(seed ^ 0x3c6ef372fe94f82bL) + a * 0x9e3779b97f4a7c15L) + b * 0xd1b54a32d192ed03L);
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The next 64 random bits. */
    public long nextLong() {
        state += 0x9e3779b97f4a7c15L;
        return mix(state);
    }

    /** U[0,1) with 53 bits. */
    public double uniform() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** U[lo,hi). */
    public double uniform(double lo, double hi) {
        return lo + (hi - lo) * uniform();
    }

    /** An integer in [0, n). */
    public int nextInt(int n) {
        if (n <= 0) throw new IllegalArgumentException("SimRng.nextInt: bound must be positive, got " + n);
        return (int) Math.floorMod(nextLong() >>> 1, (long) n);
    }

    /** N(0,1), Box-Muller with StrictMath (one normal per call, two uniforms consumed). */
    public double normal() {
        double u1 = 1.0 - uniform();          // (0, 1]
        double u2 = uniform();
        return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * StrictMath.PI * u2);
    }

    /** A copy that continues the same sequence. */
    public SimRng copy() {
        SimRng r = new SimRng(0);
        r.state = state;
        return r;
    }
}
