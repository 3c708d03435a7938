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

    /** Records the scripted expert on {@code task} from layout {@code seed} until success or the step limit. */
    public static Episode record(Task task, long seed, ScriptedExpert.Noise noise, Renderer renderer) {
        Env env = new Env(task, seed, renderer);
        ScriptedExpert expert = new ScriptedExpert(task, seed, noise);
        List<Frame> frames = new ArrayList<>();
        List<float[]> states = new ArrayList<>();
        List<float[]> actions = new ArrayList<>();
        frames.add(Frame.render(renderer, env.world()));
        states.add(env.world().state());
        while (!env.done()) {
            float[] a = expert.act(env.world());
            env.step(a);
            actions.add(a);
            frames.add(Frame.render(renderer, env.world()));
            states.add(env.world().state());
        }
        return new Episode(task.name(), task.instruction(), seed, frames, states, actions, env.success());
    }
}
