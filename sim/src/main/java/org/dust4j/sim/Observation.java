package org.dust4j.sim;

/**
 * What a policy sees at one step.
 *
 * @param task   the task (its instruction is what a learned policy should use)
 * @param seed   the episode seed
 * @param step   steps taken so far in the episode
 * @param frame  the camera images
 * @param state  the raw state vector ({@link World#STATE_DIM} values; {@link #paddedState} pads it)
 * @param world  a private copy of the full world state: privileged information for scripted policies
 *               only; a learned policy must not read it
 */
public record Observation(Task task, long seed, int step, Frame frame, float[] state, World world) {
    /** The instruction. */
    public String instruction() { return task.instruction(); }

    /** The state zero-padded to {@code maxStateDim} (the model's max_state_dim). */
    public float[] paddedState(int maxStateDim) {
        return pad(state, maxStateDim, "state");
    }

    static float[] pad(float[] v, int n, String what) {
        if (n < v.length)
            throw new IllegalArgumentException("cannot pad " + what + " of size " + v.length + " to " + n + " (smaller than the raw size)");
        float[] out = new float[n];
        System.arraycopy(v, 0, out, 0, v.length);
        return out;
    }
}
