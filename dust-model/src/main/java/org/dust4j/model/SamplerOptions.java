package org.dust4j.model;

/**
 * Options of the asynchronous joint sampler (contract section 5). GR00T-N1.5 ignores q and the variant.
 *
 * @param actionSteps N_A, the action denoising steps (0 = the config's num_inference_timesteps)
 * @param q           vision steps per action step, N_O = q·N_A (1 = synchronous)
 * @param variant     where in each block of q steps the action is updated (null = {@link Variant#START})
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

    /** Validates: actionSteps at least 0, q at least 1. */
    public SamplerOptions {
        if (actionSteps < 0) throw new IllegalArgumentException("sampler: action steps must be >= 0 (0 = config default), got " + actionSteps);
        if (q < 1) throw new IllegalArgumentException("sampler: q must be >= 1, got " + q);
        if (variant == null) variant = Variant.START;
    }

    /** Config default N_A, q = 1, variant start. */
    public static SamplerOptions defaults() {
        return new SamplerOptions(0, 1, Variant.START);
    }
}
