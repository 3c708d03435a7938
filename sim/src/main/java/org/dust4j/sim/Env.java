package org.dust4j.sim;

/**
 * One episode of a task: the world from the task's seeded layout, a step counter, the success predicate
 * checked after every step and the step limit. An episode is done when it succeeds or hits the limit.
 */
public final class Env {
    private final Task task;
    private final long seed;
    private final Renderer renderer;
    private final World world;
    private int steps;
    private boolean success;

    /** A fresh episode of {@code task} from layout {@code seed}. */
    public Env(Task task, long seed, Renderer renderer) {
        this.task = task;
        this.seed = seed;
        this.renderer = renderer;
        this.world = task.reset(seed);
        this.success = task.success(world);
    }

    /** The task. */
    public Task task() { return task; }
    /** The layout seed. */
    public long seed() { return seed; }
    /** Steps taken. */
    public int steps() { return steps; }
    /** Whether the success predicate holds now. */
    public boolean success() { return success; }
    /** Whether the episode is over (success or step limit). */
    public boolean done() { return success || steps >= task.stepLimit(); }
    /** The live world (read it, do not keep it across steps). */
    public World world() { return world; }

    /** The current observation (images rendered now, a copy of the world). */
    public Observation observe() {
        return new Observation(task, seed, steps, Frame.render(renderer, world), task.observedState(world), world.copy());
    }

    /** Applies one action; returns whether the task is now solved. Stepping a finished episode is an error. */
    public boolean step(float[] action) {
        if (done())
            throw new IllegalStateException("Env.step: episode of " + task.name() + " (seed " + seed + ") is already done after " + steps + " steps");
        world.step(action);
        steps++;
        success = task.success(world);
        return success;
    }
}
