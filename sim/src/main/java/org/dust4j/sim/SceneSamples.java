package org.dust4j.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * Frames with the true scene state behind them, from scripted-expert rollouts (default noise, so frames cover
 * perturbed states too): the data for training the learned v2 encoder and for its linear probe.
 */
public final class SceneSamples {
    private SceneSamples() {}

    /** Seed stream of the encoder's training frames (disjoint from demonstrations and evaluation). */
    public static final int ENCODER_TRAIN = 3;
    /** Seed stream of the probe's held-out frames. */
    public static final int PROBE = 4;

    /** Names of the scene-state values, in order. */
    public static final String[] NAMES = {"red x", "red y", "blue x", "blue y", "yellow x", "yellow y", "puck x", "puck y",
            "green pad x", "green pad y", "purple pad x", "purple pad y", "cabinet x", "drawer opening", "ee x", "ee y", "ee lift", "grip"};

    /** One frame and its scene state ({@link #NAMES}). */
    public record Sample(Frame frame, float[] scene) {}

    /** The scene-state vector of {@code w}. */
    public static float[] scene(World w) {
        float[] s = new float[NAMES.length];
        for (int i = 0; i < 4; i++) {
            s[2 * i] = (float) w.objX(i);
            s[2 * i + 1] = (float) w.objY(i);
        }
        for (int p = 0; p < 2; p++) {
            s[8 + 2 * p] = (float) w.padX(p);
            s[9 + 2 * p] = (float) w.padY(p);
        }
        s[12] = (float) w.cabinetX();
        s[13] = (float) w.drawerOpening();
        s[14] = (float) w.eeX();
        s[15] = (float) w.eeY();
        s[16] = (float) w.eeZ();
        s[17] = (float) w.grip();
        return s;
    }

    /**
     * Every {@code stride}-th frame of {@code episodesPerTask} expert episodes per task, layouts from seed stream
     * {@code role} of {@code seed}. Deterministic.
     */
    public static List<Sample> collect(List<Task> tasks, int episodesPerTask, long seed, int role, int stride, Renderer renderer) {
        if (episodesPerTask < 1 || episodesPerTask > 10_000) throw new IllegalArgumentException("episodes per task must be in [1, 10000], got " + episodesPerTask);
        if (stride < 1) throw new IllegalArgumentException("stride must be >= 1, got " + stride);
        List<Sample> out = new ArrayList<>();
        for (Task t : tasks) {
            for (int i = 0; i < episodesPerTask; i++) {
                long s = Seeds.episode(seed, role, t, i);
                Env env = new Env(t, s, renderer);
                ScriptedExpert ex = new ScriptedExpert(t, s, ScriptedExpert.Noise.DEFAULT);
                int k = 0;
                while (true) {
                    if (k++ % stride == 0) out.add(new Sample(Frame.render(renderer, env.world()), scene(env.world())));
                    if (env.done()) break;
                    env.step(ex.act(env.world()));
                }
            }
        }
        return out;
    }
}
