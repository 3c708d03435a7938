package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Closed-loop evaluation with chunking: expert, random policy, reproducibility, Wilson intervals. */
class EvaluatorTest {
    private final Renderer renderer = new Renderer(32, 16);   // small cameras: these policies do not look

    @Test
    void wilsonMatchesHandValues() {
        // reference values from the closed form (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n), z = 1.95996
        double[] a = Wilson.interval95(0, 10);
        assertEquals(0.0, a[0], 1e-12);
        assertEquals(0.2775327998628892, a[1], 1e-12);
        double[] b = Wilson.interval95(5, 10);
        assertEquals(0.236593090512564, b[0], 1e-12);
        assertEquals(0.7634069094874361, b[1], 1e-12);
        double[] c = Wilson.interval95(38, 40);
        assertEquals(0.8349612263085903, c[0], 1e-12);
        assertEquals(0.9861793326138516, c[1], 1e-12);
        assertEquals(1.0, Wilson.interval95(40, 40)[1], 0);
        assertThrows(IllegalArgumentException.class, () -> Wilson.interval95(3, 2));
    }

    @Test
    void expertPolicyWithChunkingScoresAtLeast95Percent() {
        Evaluator ev = new Evaluator(20, 77, 8, renderer);
        Evaluator.Result r = ev.evaluate(Task.all(), new ExpertPolicy(ScriptedExpert.Noise.DEFAULT, 16), null);
        for (Evaluator.TaskResult t : r.tasks()) assertTrue(t.successes() >= 19, t.task() + " " + t.successes() + "/20");
        assertTrue(r.rate() >= 0.95, r.table());
        assertEquals(200, r.episodes());
        assertTrue(r.wilson95()[0] > 0.9, r.table());
    }

    @Test
    void chunkedExpertReproducesTheClosedLoopExpert() {
        // executing k of Ta planned actions then replanning must give exactly the closed-loop trajectory
        for (Task t : List.of(Task.byName("push_right"), Task.byName("pick_blue_purple"))) {
            long seed = Seeds.episode(5, Seeds.EVAL, t, 0);
            Episode closed = Episode.record(t, seed, ScriptedExpert.Noise.DEFAULT, renderer);
            for (int k : new int[] {1, 5, 16}) {
                Env env = new Evaluator(1, 0, k, renderer).runEpisode(t, seed, new ExpertPolicy(ScriptedExpert.Noise.DEFAULT, 16));
                assertEquals(closed.length(), env.steps(), t.name() + " k=" + k);
                assertArrayEquals(closed.states().get(closed.length()), env.world().state(), t.name() + " k=" + k);
            }
        }
    }

    @Test
    void randomPolicyRarelySucceeds() {
        Evaluator ev = new Evaluator(10, 77, 8, renderer);
        Evaluator.Result r = ev.evaluate(Task.all(), new RandomPolicy(3, 16), null);
        assertTrue(r.rate() < 0.2, r.table());
        for (Task t : Task.all())
            if (t.family() == Task.Family.PICK_PLACE) assertEquals(0, r.tasks().get(Task.all().indexOf(t)).successes(), r.table());
    }

    @Test
    void evaluationIsReproducible() {
        List<String> lines1 = new ArrayList<>(), lines2 = new ArrayList<>();
        Evaluator.Result a = new Evaluator(6, 9, 4, renderer).evaluate(Task.all(), new RandomPolicy(1, 8), lines1::add);
        Evaluator.Result b = new Evaluator(6, 9, 4, renderer).evaluate(Task.all(), new RandomPolicy(1, 8), lines2::add);
        assertEquals(a, b);
        assertEquals(lines1, lines2);
        assertEquals(Task.all().size(), lines1.size());
        // a different evaluation seed gives different layouts (and so, in general, different outcomes)
        Env e1 = new Evaluator(1, 9, 4, renderer).runEpisode(Task.byName("push_left"), Seeds.episode(9, Seeds.EVAL, Task.byName("push_left"), 0), new RandomPolicy(1, 8));
        Env e2 = new Evaluator(1, 9, 4, renderer).runEpisode(Task.byName("push_left"), Seeds.episode(10, Seeds.EVAL, Task.byName("push_left"), 0), new RandomPolicy(1, 8));
        assertFalse(e1.world().sameAs(e2.world()));
    }

    @Test
    void emptyChunkIsAClearError() {
        Evaluator ev = new Evaluator(1, 0, 4, renderer);
        var e = assertThrows(IllegalStateException.class, () -> ev.runEpisode(Task.byName("open_drawer"), 1, obs -> new float[0][]));
        assertTrue(e.getMessage().contains("empty action chunk") && e.getMessage().contains("open_drawer"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Evaluator(0, 0, 4, renderer));
        assertThrows(IllegalArgumentException.class, () -> new Evaluator(1, 0, 0, renderer));
    }

    @Test
    void tableListsEveryTaskAndOverall() {
        Evaluator.Result r = new Evaluator.Result(List.of(new Evaluator.TaskResult("a", 5, 10, 3.0), new Evaluator.TaskResult("b", 0, 10, 4.0)));
        assertEquals(0.25, r.rate(), 0);
        String t = r.table();
        assertTrue(t.contains("a     ") && t.contains("   5/10") && t.contains("[0.237, 0.763]"), t);
        assertTrue(t.contains("overall") && t.contains("5/20"), t);
    }
}
