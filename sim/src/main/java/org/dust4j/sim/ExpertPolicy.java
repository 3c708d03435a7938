package org.dust4j.sim;

/**
 * The scripted expert behind the {@link Policy} interface, for testing the evaluator. It plans a chunk by
 * running the expert forward on a copy of the (privileged) world. Because the simulator is deterministic the
 * executed prefix of a chunk is exactly what the expert would have done closed-loop; on the next call it
 * resumes from the expert's state after the executed steps.
 */
public final class ExpertPolicy implements Policy {
    private final ScriptedExpert.Noise noise;
    private final int horizon;
    private ScriptedExpert expert;
    private ScriptedExpert[] after;
    private int planStep;

    /** Chunks of {@code horizon} actions from an expert with {@code noise}. */
    public ExpertPolicy(ScriptedExpert.Noise noise, int horizon) {
        if (horizon < 1) throw new IllegalArgumentException("ExpertPolicy: horizon must be >= 1, got " + horizon);
        this.noise = noise;
        this.horizon = horizon;
    }

    @Override
    public void reset(Task task, long episodeSeed) {
        expert = new ScriptedExpert(task, episodeSeed, noise);
        after = null;
    }

    @Override
    public float[][] actChunk(Observation obs) {
        if (expert == null) reset(obs.task(), obs.seed());
        if (after != null) {
            int k = obs.step() - planStep;
            if (k < 0 || k > after.length)
                throw new IllegalStateException("ExpertPolicy: observation step " + obs.step() + " does not follow the plan made at step " + planStep);
            if (k > 0) expert = after[k - 1];
        }
        World w = obs.world().copy();
        ScriptedExpert e = expert.copy();
        float[][] chunk = new float[horizon][];
        after = new ScriptedExpert[horizon];
        for (int i = 0; i < horizon; i++) {
            chunk[i] = e.act(w);
            w.step(chunk[i]);
            after[i] = e.copy();
        }
        planStep = obs.step();
        return chunk;
    }
}
