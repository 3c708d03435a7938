package org.dust4j.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * A recorded episode: T actions and the T+1 frames and states around them (frame t is seen before
 * action t). {@code actions} is null for an action-free (video only) episode.
 */
public record Episode(String task, String instruction, long seed, List<Frame> frames, List<float[]> states,
                      List<float[]> actions, boolean success) {
    /** Number of actions (steps) T. */
    public int length() { return frames.size() - 1; }

    /**
     * Records the scripted expert on {@code task} from layout {@code seed} until success or the step limit.
     * States are what the policy observes ({@link Task#observedState}). Labels: v1 tasks record the executed
     * (noisy, perturbed) actions, as the v1 results were made; v2 tasks record the expert's <em>clean</em>
     * decision at each visited state ({@link ScriptedExpert.Step#clean}) while the world is driven by the
     * executed action. Why clean labels rather than masking the perturbation steps out: the perturbations exist
     * to visit off-nominal states, and the clean decision there is exactly the recovery a policy should learn
     * (the DART/DAgger argument); masking would throw those states' labels away and still leave the Gaussian
     * jitter in every other label.
     */
    public static Episode record(Task task, long seed, ScriptedExpert.Noise noise, Renderer renderer) {
        Env env = new Env(task, seed, renderer);
        ScriptedExpert expert = new ScriptedExpert(task, seed, noise);
        List<Frame> frames = new ArrayList<>();
        List<float[]> states = new ArrayList<>();
        List<float[]> actions = new ArrayList<>();
        frames.add(Frame.render(renderer, env.world()));
        states.add(task.observedState(env.world()));
        boolean clean = task.suiteVersion() >= 2;
        while (!env.done()) {
            ScriptedExpert.Step s = expert.step(env.world());
            env.step(s.executed());
            actions.add(clean ? s.clean() : s.executed());
            frames.add(Frame.render(renderer, env.world()));
            states.add(task.observedState(env.world()));
        }
        return new Episode(task.name(), task.instruction(), seed, frames, states, actions, env.success());
    }
}
