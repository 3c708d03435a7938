package org.dust4j.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Closed-loop evaluation that keeps every episode, for paired comparisons: episode i of task T always starts
 * from layout {@code Seeds.episode(seed, EVAL, T, i)}, whatever the policy (common random numbers), so two
 * variants evaluated with the same seed face exactly the same layouts and their outcomes pair up episode by
 * episode ({@link PairedStats}). Besides success it records the continuous metrics: the final goal distance
 * ({@link Task#goalDistance}) and the final drawer opening fraction.
 */
public final class PairedEvaluator {
    /** One finished episode. */
    public record Outcome(String task, int index, long seed, boolean success, int steps, double goalDistance, double drawerFraction) {}

    /** All outcomes of one policy, in task then episode order. */
    public record Run(List<Outcome> outcomes) {
        /** Outcomes of one task. */
        public List<Outcome> task(String name) {
            return outcomes.stream().filter(o -> o.task().equals(name)).toList();
        }

        /** Success indicators, in order. */
        public boolean[] successes() {
            boolean[] s = new boolean[outcomes.size()];
            for (int i = 0; i < s.length; i++) s[i] = outcomes.get(i).success();
            return s;
        }

        /** Number of successes. */
        public int successCount() {
            return (int) outcomes.stream().filter(Outcome::success).count();
        }

        /** Mean final goal distance. */
        public double meanGoalDistance() {
            return outcomes.stream().mapToDouble(Outcome::goalDistance).average().orElse(Double.NaN);
        }

        /** Mean final drawer fraction. */
        public double meanDrawerFraction() {
            return outcomes.stream().mapToDouble(Outcome::drawerFraction).average().orElse(Double.NaN);
        }
    }

    private final int episodesPerTask;
    private final long seed;
    private final int executeSteps;
    private final Renderer renderer;

    /** See {@link Evaluator}: the same layouts for the same {@code seed}. */
    public PairedEvaluator(int episodesPerTask, long seed, int executeSteps, Renderer renderer) {
        if (episodesPerTask < 1) throw new IllegalArgumentException("episodes per task must be >= 1, got " + episodesPerTask);
        if (executeSteps < 1) throw new IllegalArgumentException("execute steps must be >= 1, got " + executeSteps);
        this.episodesPerTask = episodesPerTask;
        this.seed = seed;
        this.executeSteps = executeSteps;
        this.renderer = renderer;
    }

    /** The layout seed of episode {@code i} of {@code task}: the same for every policy. */
    public long episodeSeed(Task task, int i) {
        return Seeds.episode(seed, Seeds.EVAL, task, i);
    }

    /**
     * Runs every episode; {@code policies} makes one fresh policy per episode (so episodes may run on
     * {@code threads} threads and the result does not depend on the thread count).
     */
    public Run evaluate(List<Task> tasks, Function<Integer, Policy> policies, int threads) {
        Evaluator ev = new Evaluator(1, seed, executeSteps, renderer);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Future<Outcome>> fs = new ArrayList<>();
            for (Task task : tasks) {
                for (int i = 0; i < episodesPerTask; i++) {
                    int idx = i;
                    long s = episodeSeed(task, i);
                    fs.add(pool.submit(() -> {
                        Env env = ev.runEpisode(task, s, policies.apply(idx));
                        World w = env.world();
                        return new Outcome(task.name(), idx, s, env.success(), env.steps(), task.goalDistance(w), w.drawerOpening());
                    }));
                }
            }
            List<Outcome> out = new ArrayList<>();
            for (Future<Outcome> f : fs) out.add(await(f));
            return new Run(out);
        } finally {
            pool.shutdownNow();
        }
    }

    /** One line per task and overall: successes, rate, Wilson 95%, mean goal distance, mean drawer fraction. */
    public static String table(List<Task> tasks, Run run) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-18s %9s  %-15s %9s %7s%n", "task", "success", "95% Wilson", "goal dist", "drawer"));
        for (Task t : tasks) line(sb, t.name(), new Run(run.task(t.name())));
        line(sb, "overall", run);
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, Run r) {
        int n = r.outcomes().size(), k = r.successCount();
        double[] ci = Wilson.interval95(k, n);
        sb.append(String.format(Locale.ROOT, "%-18s %4d/%-4d  [%.3f, %.3f]  %9.3f %7.2f%n", name, k, n, ci[0], ci[1], r.meanGoalDistance(),
                r.meanDrawerFraction()));
    }

    /** The result of {@code f}; an episode's runtime exception is rethrown as it is, interruption as an error. */
    public static <T> T await(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("evaluation interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            throw new IllegalStateException(c.getMessage(), c);
        }
    }
}
