package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * v2 demonstrations record the expert's clean decision, never the executed (noisy or perturbed) action. Fails if
 * perturbations or Gaussian noise leak into the labels.
 */
class CleanLabelTest {
    private static final ScriptedExpert.Noise HEAVY = new ScriptedExpert.Noise(0.3, 0.1);
    private final Renderer renderer = new Renderer(32, 16);

    @Test
    void labelsAreTheCleanDecisionAtEveryVisitedState() {
        int perturbed = 0, differing = 0, steps = 0;
        for (Task t : Task.allV2()) {
            for (int i = 0; i < 2; i++) {
                long seed = Seeds.episode(4, Seeds.TRAIN, t, i);
                Episode ep = Episode.record(t, seed, HEAVY, renderer);
                // replay the same episode step by step: the world follows the executed actions
                Env env = new Env(t, seed, renderer);
                ScriptedExpert ex = new ScriptedExpert(t, seed, HEAVY);
                for (int k = 0; k < ep.length(); k++) {
                    ScriptedExpert.Step s = ex.step(env.world());
                    assertArrayEquals(s.clean(), ep.actions().get(k), t + " step " + k + ": label is not the clean decision");
                    if (s.perturbed()) perturbed++;
                    if (!java.util.Arrays.equals(s.clean(), s.executed())) differing++;
                    env.step(s.executed());
                    assertArrayEquals(t.observedState(env.world()), ep.states().get(k + 1), t + " step " + k + ": replay diverged");
                    steps++;
                }
            }
        }
        assertTrue(perturbed > 20, "the episodes must contain perturbation steps, got " + perturbed);
        assertTrue(differing > steps / 2, "noise must make executed and clean actions differ, got " + differing + " of " + steps);
    }

    @Test
    void labelsLieOnTheCleanActionLattice() {
        // clean decisions command lift and grip only as -1, 0, +1 (grip never 0); Gaussian noise would move dz off it
        for (Task t : Task.allV2()) {
            Episode ep = Episode.record(t, Seeds.episode(9, Seeds.TRAIN, t, 0), HEAVY, renderer);
            for (float[] a : ep.actions()) {
                assertTrue(a[2] == -1f || a[2] == 0f || a[2] == 1f, t + ": dz label " + a[2] + " carries noise");
                assertTrue(a[3] == -1f || a[3] == 1f, t + ": grip label " + a[3]);
            }
        }
    }

    @Test
    void v1LabelsStayTheExecutedActions() {
        Task t = Task.byName("open_drawer");
        long seed = Seeds.episode(4, Seeds.TRAIN, t, 0);
        Episode ep = Episode.record(t, seed, HEAVY, renderer);
        ScriptedExpert ex = new ScriptedExpert(t, seed, HEAVY);
        Env env = new Env(t, seed, renderer);
        for (int k = 0; k < ep.length(); k++) {
            float[] a = ex.act(env.world());
            assertArrayEquals(a, ep.actions().get(k), "v1 step " + k);
            env.step(a);
        }
    }
}
