package org.dust4j.model;

/**
 * Options of the asynchronous joint sampler (contract section 5): {@code actionSteps} N_A (0 = the config's
 * num_inference_timesteps), {@code q} vision steps per action step (N_O = q·N_A; q = 1 is synchronous) and
 * where in each block of q steps the action is updated. GR00T-N1.5 ignores q and the variant.
 */
public record SamplerOptions(int actionSteps, int q, Variant variant) {
    /** "start": update A when j mod q == 0; "end": when j mod q == q-1, feeding tA = bucket(floor(j/q)/N_A). */
    public enum Variant {
        START, END;

        /** Parses "start" or "end". */
        public static Variant parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "start" -> START;
                case "end" -> END;
                default -> throw new IllegalArgumentException("variant must be \"start\" or \"end\", got \"" + s + "\"");
            };
        }
    }

    /** The most model evaluations one sample call may take: N_A and N_O = q·N_A are bounded by it. */
    public static final int MAX_STEPS = 100_000;

    public SamplerOptions {
        if (actionSteps < 0 || actionSteps > MAX_STEPS) {
            throw new IllegalArgumentException("sampler: action steps must be in [0, " + MAX_STEPS + "] (0 = config default), got " + actionSteps);
        }
        if (q < 1 || q > MAX_STEPS) throw new IllegalArgumentException("sampler: q must be in [1, " + MAX_STEPS + "], got " + q);
        if (variant == null) variant = Variant.START;
    }

    /**
     * N_O = q·N_A for {@code nA} action steps, computed without int overflow and bounded by {@link #MAX_STEPS}
     * (q = 2^30 with N_A = 4 used to wrap to 0 and return the input noise unchanged).
     */
    public int visionSteps(int nA) {
        long nO = (long) q * nA;
        if (nA < 1 || nO > MAX_STEPS) {
            throw new IllegalArgumentException("sample: N_O = q x N_A = " + q + " x " + nA + " = " + nO + " vision steps; must be in [1, " + MAX_STEPS + "]");
        }
        return (int) nO;
    }

    /** Config default N_A, q = 1, variant start. */
    public static SamplerOptions defaults() {
        return new SamplerOptions(0, 1, Variant.START);
    }
}
