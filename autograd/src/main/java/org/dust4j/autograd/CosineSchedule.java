package org.dust4j.autograd;

/**
 * Linear warm-up then half-cosine decay to 0, as transformers.get_cosine_schedule_with_warmup
 * (num_cycles 0.5). The learning rate for optimiser step s (counting from 1) is {@code lr(s - 1)}, as
 * torch's LambdaLR applies it.
 */
public final class CosineSchedule {
    private final float baseLr;
    private final int warmupSteps;
    private final int totalSteps;

    public CosineSchedule(float baseLr, int warmupSteps, int totalSteps) {
        if (warmupSteps < 0 || totalSteps < 0) {
            throw new IllegalArgumentException("CosineSchedule: steps must be >= 0, got warmup " + warmupSteps + ", total " + totalSteps);
        }
        this.baseLr = baseLr;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
    }

    /** The multiplier of the base learning rate after {@code step} scheduler steps. */
    public double factor(int step) {
        if (step < warmupSteps) return (double) step / Math.max(1, warmupSteps);
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
    }

    /** The learning rate after {@code step} scheduler steps. */
    public float lr(int step) {
        return (float) (baseLr * factor(step));
    }

    public float baseLr() { return baseLr; }

    public int warmupSteps() { return warmupSteps; }

    public int totalSteps() { return totalSteps; }
}
