package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The v2 suite: proprioceptive observation, layouts, predicates (positive and negative), multimodal expert, seeds. */
class SuiteV2Test {
    private final Renderer renderer = new Renderer(64, 32);
    private final Renderer tiny = new Renderer(4, 4);     // images are not looked at where only success matters

    @Test
    void registry() {
        assertTrue(Task.allV2().size() >= 6);
        Set<Integer> streams = new HashSet<>();
        for (Task t : Task.all()) streams.add(t.streamIndex());
        for (Task t : Task.allV2()) {
            assertEquals(2, t.suiteVersion());
            assertSame(t, Task.byName(t.name()));
            assertTrue(streams.add(t.streamIndex()), "stream index of " + t + " reused");
        }
        assertEquals(Task.allV2(), Task.parseList("all-v2"));
        assertEquals(Task.allV2(), Task.suite("v2"));
        assertEquals(Task.all(), Task.suite("v1"));
        assertThrows(IllegalArgumentException.class, () -> Task.suite("v3"));
        // v1 seeds are unchanged: the stream index of a v1 task is its position in the v1 list
        Task od = Task.byName("open_drawer");
        assertEquals(SimRng.of(5, Seeds.EVAL * 1_000_003L + Task.all().indexOf(od), 3).nextLong(), Seeds.episode(5, Seeds.EVAL, od, 3));
    }

    @Test
    void stateHoldsOnlyProprioception() {
        Task t = Task.byName("v2_pick_green");
        Env env = new Env(t, 11, renderer);
        Observation o = env.observe();
        float[] full = env.world().state();
        for (int i = 0; i < 5; i++) assertEquals(full[i], o.state()[i], "proprio slot " + i);
        for (int i = 5; i < World.STATE_DIM; i++) assertEquals(0f, o.state()[i], "scene slot " + i + " leaks into the v2 state");
        // moving the block changes the images but not the state
        World moved = env.world().copy();
        moved.ox[World.RED] += 0.1;
        assertArrayEquals(t.observedState(env.world()), t.observedState(moved));
        assertFalse(java.util.Arrays.equals(Frame.render(renderer, env.world()).top(), Frame.render(renderer, moved).top()));
        // v1 is unchanged: the full state
        Task v1 = Task.byName("pick_red_green");
        assertArrayEquals(v1.reset(11).state(), new Env(v1, 11, renderer).observe().state());
    }

    @Test
    void layoutsStartUnsolvedAndExpertSolves() {
        for (Task t : Task.allV2()) {
            for (int i = 0; i < 50; i++) {
                World w = t.reset(Seeds.episode(2, Seeds.TRAIN, t, i));
                assertFalse(t.success(w), t + " starts solved at index " + i);
                for (int a = 0; a < w.numObjects(); a++)
                    for (int b = a + 1; b < w.numObjects(); b++)
                        assertTrue(World.dist(w.objX(a), w.objY(a), w.objX(b), w.objY(b)) > w.objR(a) + w.objR(b), t + ": overlap");
            }
            int ok = 0;
            for (int i = 0; i < 4; i++) if (Episode.record(t, Seeds.episode(1, Seeds.EVAL, t, i), ScriptedExpert.Noise.NONE, tiny).success()) ok++;
            assertEquals(4, ok, t + ": noise-free expert must solve every episode");
        }
    }

    @Test
    void drawerPushOvershootAndHoldingFail() {
        Task t = Task.byName("v2_drawer_push");
        World w = t.reset(Seeds.episode(0, Seeds.EVAL, t, 0));
        // grasp the handle
        w.eeX = w.handleX();
        w.eeY = w.handleY();
        w.eeZ = 0.05;
        w.step(new float[] {0, 0, 0, 1});
        w.step(new float[] {0, 0, 0, 1});
        assertTrue(w.holdingHandle());
        boolean passedOnPad = false;
        for (int i = 0; i < 12; i++) {
            w.step(new float[] {0, -1, 0, 1});
            if (w.onPad(World.RED, World.GREEN, Task.PLACE_MARGIN)) {
                passedOnPad = true;
                assertFalse(t.success(w), "still holding the handle must not count");
            }
        }
        assertTrue(passedOnPad, "the drawer pushes the block across the pad");
        assertEquals(1.0, w.drawerOpening(), 1e-9);
        for (int i = 0; i < 3; i++) w.step(new float[] {0, 0, 0, -1});
        assertFalse(w.holdingHandle());
        assertFalse(t.success(w), "pulled fully open: the block overshoots the pad");
        assertTrue(t.goalDistance(w) > World.PAD_HALF - Task.PLACE_MARGIN, "overshoot distance " + t.goalDistance(w));
    }

    @Test
    void eitherPadAcceptsBothPadsAndExpertIsMultimodal() {
        Task t = Task.byName("v2_pick_either");
        World w = t.reset(7);
        for (int p = 0; p < 2; p++) {
            World c = w.copy();
            c.ox[t.object()] = c.px[p];
            c.oy[t.object()] = c.py[p];
            assertTrue(t.success(c), "pad " + p);
            assertEquals(0.0, t.goalDistance(c), 1e-12);
        }
        assertFalse(t.success(w));
        Set<Integer> chosen = new HashSet<>();
        for (int i = 0; i < 20; i++) chosen.add(new ScriptedExpert(t, Seeds.episode(0, Seeds.TRAIN, t, i), ScriptedExpert.Noise.NONE).targetPad());
        assertEquals(Set.of(0, 1), chosen, "the demonstrations must use both goals");
        assertEquals(World.GREEN, new ScriptedExpert(Task.byName("v2_pick_green"), 3, ScriptedExpert.Noise.NONE).targetPad());
    }

    @Test
    void episodesArePairedAcrossPoliciesAndThreadCounts() {
        List<Task> ts = List.of(Task.byName("v2_open_drawer"), Task.byName("v2_pick_either"));
        PairedEvaluator pe = new PairedEvaluator(3, 5, 8, renderer);
        PairedEvaluator.Run a = pe.evaluate(ts, i -> new ExpertPolicy(ScriptedExpert.Noise.NONE, 16), 1);
        PairedEvaluator.Run b = pe.evaluate(ts, i -> new RandomPolicy(1, 16), 3);
        PairedEvaluator.Run b1 = pe.evaluate(ts, i -> new RandomPolicy(1, 16), 1);
        assertEquals(6, a.outcomes().size());
        for (int k = 0; k < 6; k++) {
            var x = a.outcomes().get(k);
            var y = b.outcomes().get(k);
            assertEquals(x.task(), y.task());
            assertEquals(x.index(), y.index());
            assertEquals(x.seed(), y.seed(), "episode " + k + " must start from the same layout for every policy");
            assertEquals(pe.episodeSeed(Task.byName(x.task()), x.index()), x.seed());
        }
        assertEquals(b1, b, "the outcome must not depend on the thread count");
        assertEquals(6, a.successCount());
        assertEquals(0, b.successCount());
        // another evaluation seed gives other layouts
        assertNotEquals(a.outcomes().get(0).seed(), new PairedEvaluator(3, 6, 8, renderer).episodeSeed(ts.get(0), 0));
    }
}
