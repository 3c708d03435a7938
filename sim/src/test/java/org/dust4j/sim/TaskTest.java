package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Task registry, layouts, success predicates (positive and negative) and the expert's success rate. */
class TaskTest {
    @Test
    void registry() {
        assertTrue(Task.all().size() >= 8);
        EnumSet<Task.Family> fams = EnumSet.noneOf(Task.Family.class);
        for (Task t : Task.all()) {
            fams.add(t.family());
            assertSame(t, Task.byName(t.name()));
            assertFalse(t.instruction().isBlank());
        }
        assertEquals(EnumSet.allOf(Task.Family.class), fams);
        var e = assertThrows(IllegalArgumentException.class, () -> Task.byName("fly_away"));
        assertTrue(e.getMessage().contains("'fly_away'") && e.getMessage().contains("open_drawer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Task.parseList("open_drawer,nope,zap"));
        assertTrue(e.getMessage().startsWith("unknown tasks nope, zap"), e.getMessage());
        assertEquals(List.of(Task.byName("open_drawer"), Task.byName("push_left")), Task.parseList("open_drawer, push_left,open_drawer"));
        assertEquals(Task.all(), Task.parseList("all"));
        assertThrows(IllegalArgumentException.class, () -> Task.parseList(" "));
    }

    @Test
    void initialLayoutsAreValidAndNotSolved() {
        for (Task t : Task.all()) {
            for (int i = 0; i < 200; i++) {
                World w = t.reset(Seeds.episode(3, Seeds.TRAIN, t, i));
                assertFalse(t.success(w), t.name() + " starts solved, seed index " + i);
                for (int a = 0; a < w.numObjects(); a++) {
                    for (int b = a + 1; b < w.numObjects(); b++)
                        assertTrue(World.dist(w.objX(a), w.objY(a), w.objX(b), w.objY(b)) > w.objR(a) + w.objR(b), "overlap");
                    for (int p = 0; p < 2; p++) assertFalse(w.onPad(a, p, -w.objR(a)), "object starts on a pad");
                }
                if (t.name().equals("close_drawer")) assertTrue(w.drawerOpening() >= 0.6);
                else assertEquals(0, w.drawerD());
            }
        }
    }

    @Test
    void pickPlacePredicate() {
        Task t = Task.byName("pick_red_green");
        World w = WorldTest.blank();
        assertFalse(t.success(w));
        w.ox[World.RED] = w.px[World.GREEN] + 0.05; w.oy[World.RED] = w.py[World.GREEN] - 0.05;
        assertTrue(t.success(w));
        w.held = World.RED;                                  // still in the gripper: not placed
        assertFalse(t.success(w));
        w.held = -1;
        w.ox[World.RED] = w.px[World.GREEN] + World.PAD_HALF - Task.PLACE_MARGIN + 0.001;   // just past the edge
        assertFalse(t.success(w));
        w.ox[World.RED] = w.px[World.PURPLE]; w.oy[World.RED] = w.py[World.PURPLE];         // wrong pad
        assertFalse(t.success(w));
        assertTrue(Task.byName("pick_red_purple").success(w));
        w.ox[World.BLUE] = w.px[World.GREEN]; w.oy[World.BLUE] = w.py[World.GREEN];        // wrong block on green
        assertFalse(t.success(w));
    }

    @Test
    void pushPredicates() {
        World w = WorldTest.blank();
        Task green = Task.byName("push_green"), left = Task.byName("push_left"), right = Task.byName("push_right");
        w.ox[World.PUCK] = 0.5; w.oy[World.PUCK] = 0.5;
        assertFalse(green.success(w) || left.success(w) || right.success(w));
        w.ox[World.PUCK] = w.px[World.GREEN]; w.oy[World.PUCK] = w.py[World.GREEN] + World.PAD_HALF - 0.02;
        assertTrue(green.success(w));
        w.oy[World.PUCK] = w.py[World.GREEN] + World.PAD_HALF - 0.01;
        assertFalse(green.success(w));
        w.ox[World.PUCK] = 0.14;
        assertTrue(left.success(w));
        assertFalse(right.success(w));
        w.ox[World.PUCK] = 0.86;
        assertTrue(right.success(w));
        assertFalse(left.success(w));
    }

    @Test
    void drawerPredicates() {
        World w = WorldTest.blank();
        Task open = Task.byName("open_drawer"), close = Task.byName("close_drawer");
        assertTrue(close.success(w));
        assertFalse(open.success(w));
        w.drawerD = 0.79 * World.DRAWER_MAX;
        assertFalse(open.success(w) || close.success(w));
        w.drawerD = 0.8 * World.DRAWER_MAX;
        assertTrue(open.success(w));
        w.drawerD = 0.11 * World.DRAWER_MAX;
        assertFalse(close.success(w));
    }

    @Test
    void expertSolvesEveryTaskFromAtLeast95PercentOfSeeds() {
        Renderer r = new Renderer(16, 16);     // rendering is not needed here; keep it cheap
        for (Task t : Task.all()) {
            int ok = 0, n = 40;
            for (int i = 0; i < n; i++) {
                long s = Seeds.episode(2024, Seeds.TRAIN, t, i);
                Env env = new Env(t, s, r);
                ScriptedExpert e = new ScriptedExpert(t, s, ScriptedExpert.Noise.DEFAULT);
                while (!env.done()) env.step(e.act(env.world()));
                if (env.success()) ok++;
            }
            assertTrue(ok >= 38, t.name() + ": expert solved " + ok + "/" + n);
        }
    }

    @Test
    void doingNothingSolvesNothing() {
        Renderer r = new Renderer(16, 16);
        for (Task t : Task.all()) {
            Env env = new Env(t, 11, r);
            while (!env.done()) env.step(new float[] {0, 0, 0, -1});
            assertFalse(env.success(), t.name());
            assertEquals(t.stepLimit(), env.steps());
            assertThrows(IllegalStateException.class, () -> env.step(new float[] {0, 0, 0, 0}));
        }
    }
}
