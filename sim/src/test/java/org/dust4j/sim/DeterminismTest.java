package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Same seed, same trajectory, bit for bit; different seeds, different layouts. */
class DeterminismTest {
    private final Renderer renderer = new Renderer(64, 32);

    @Test
    void expertEpisodesRepeatBitForBit() {
        for (Task t : Task.all()) {
            long seed = Seeds.episode(7, Seeds.TRAIN, t, 0);
            Episode a = Episode.record(t, seed, ScriptedExpert.Noise.DEFAULT, renderer);
            Episode b = Episode.record(t, seed, ScriptedExpert.Noise.DEFAULT, renderer);
            assertEquals(a.length(), b.length(), t.name());
            for (int i = 0; i <= a.length(); i++) {
                assertArrayEquals(a.states().get(i), b.states().get(i), t.name() + " state " + i);
                assertArrayEquals(a.frames().get(i).top(), b.frames().get(i).top(), t.name() + " top frame " + i);
                assertArrayEquals(a.frames().get(i).wrist(), b.frames().get(i).wrist(), t.name() + " wrist frame " + i);
            }
            for (int i = 0; i < a.length(); i++) assertArrayEquals(a.actions().get(i), b.actions().get(i));
        }
    }

    @Test
    void randomActionsRepeatBitForBitAndCopiesAgree() {
        Task t = Task.byName("push_green");
        World w1 = t.reset(123), w2 = t.reset(123);
        SimRng r = new SimRng(99);
        World snapshot = null;
        float[][] actions = new float[300][4];
        for (float[] a : actions) for (int i = 0; i < 4; i++) a[i] = (float) r.uniform(-1.2, 1.2);
        for (int k = 0; k < actions.length; k++) {
            if (k == 150) snapshot = w1.copy();
            w1.step(actions[k]);
            w2.step(actions[k]);
            assertTrue(w1.sameAs(w2), "diverged at step " + k);
        }
        for (int k = 150; k < actions.length; k++) snapshot.step(actions[k]);
        assertTrue(snapshot.sameAs(w1), "a copy continues exactly like the original");
    }

    @Test
    void seedsChangeTheLayout() {
        Task t = Task.byName("pick_red_green");
        World a = t.reset(1), b = t.reset(2);
        assertFalse(a.sameAs(b));
        assertFalse(Arrays.equals(a.state(), b.state()));
        assertTrue(t.reset(1).sameAs(a));
    }

    @Test
    void expertWithoutNoiseIsDeterministicToo() {
        Task t = Task.byName("open_drawer");
        Episode a = Episode.record(t, 5, ScriptedExpert.Noise.NONE, renderer);
        Episode b = Episode.record(t, 5, ScriptedExpert.Noise.NONE, renderer);
        assertTrue(a.success());
        for (int i = 0; i <= a.length(); i++) assertArrayEquals(a.states().get(i), b.states().get(i));
    }
}
