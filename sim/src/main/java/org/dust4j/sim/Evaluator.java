package org.dust4j.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Closed-loop evaluation with action chunking: per step the policy returns a chunk of Ta actions, the first
 * {@code executeSteps} are applied (fewer if the chunk is shorter or the episode ends), then the policy is
 * asked again. Episode layouts come from {@link Seeds#EVAL}, so a fixed policy and seed give the same
 * result every run.
 */
public final class Evaluator {
    /** Outcome of one task. */
    public record TaskResult(String task, int successes, int episodes, double meanSteps) {
        public double rate() { return episodes == 0 ? 0 : (double) successes / episodes; }
        public double[] wilson95() { return Wilson.interval95(successes, episodes); }
    }

    /** Outcome of a run: per task and overall. */
    public record Result(List<TaskResult> tasks) {
        public int successes() { return tasks.stream().mapToInt(TaskResult::successes).sum(); }
        public int episodes() { return tasks.stream().mapToInt(TaskResult::episodes).sum(); }
        public double rate() { return episodes() == 0 ? 0 : (double) successes() / episodes(); }
        public double[] wilson95() { return Wilson.interval95(successes(), episodes()); }

        /** A plain-text table: task, successes/episodes, rate, 95% Wilson interval, mean steps. */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%-18s %9s %6s  %-15s %s%n", "task", "success", "rate", "95% Wilson", "mean steps"));
            for (TaskResult t : tasks) {
                double[] ci = t.wilson95();
                sb.append(String.format(Locale.ROOT, "%-18s %4d/%-4d %6.3f  [%.3f, %.3f]  %.1f%n", t.task(), t.successes(), t.episodes(),
                        t.rate(), ci[0], ci[1], t.meanSteps()));
            }
            double[] ci = wilson95();
            sb.append(String.format(Locale.ROOT, "%-18s %4d/%-4d %6.3f  [%.3f, %.3f]%n", "overall", successes(), episodes(), rate(), ci[0], ci[1]));
            return sb.toString();
        }
    }

    private final int episodesPerTask;
    private final long seed;
    private final int executeSteps;
    private final Renderer renderer;

    /**
     * @param episodesPerTask episodes per task
     * @param seed            evaluation seed (layouts are {@code Seeds.episode(seed, EVAL, task, i)})
     * @param executeSteps    actions executed from each chunk before replanning (k)
     * @param renderer        the cameras
     */
    public Evaluator(int episodesPerTask, long seed, int executeSteps, Renderer renderer) {
        if (episodesPerTask < 1) throw new IllegalArgumentException("Evaluator: episodes per task must be >= 1, got " + episodesPerTask);
        if (executeSteps < 1) throw new IllegalArgumentException("Evaluator: execute steps must be >= 1, got " + executeSteps);
        this.episodesPerTask = episodesPerTask;
        this.seed = seed;
        this.executeSteps = executeSteps;
        this.renderer = renderer;
    }

    /** Runs every task; {@code progress} (may be null) gets one line per finished task. */
    public Result evaluate(List<Task> tasks, Policy policy, java.util.function.Consumer<String> progress) {
        List<TaskResult> out = new ArrayList<>();
        for (Task task : tasks) {
            int ok = 0;
            long steps = 0;
            for (int i = 0; i < episodesPerTask; i++) {
                long s = Seeds.episode(seed, Seeds.EVAL, task, i);
                Env env = runEpisode(task, s, policy);
                if (env.success()) ok++;
                steps += env.steps();
            }
            TaskResult r = new TaskResult(task.name(), ok, episodesPerTask, (double) steps / episodesPerTask);
            out.add(r);
            if (progress != null)
                progress.accept(String.format(Locale.ROOT, "eval %-18s %d/%d", task.name(), ok, episodesPerTask));
        }
        return new Result(out);
    }

    /** Runs one episode of {@code task} from layout {@code episodeSeed} and returns the finished env. */
    public Env runEpisode(Task task, long episodeSeed, Policy policy) {
        Env env = new Env(task, episodeSeed, renderer);
        policy.reset(task, episodeSeed);
        while (!env.done()) {
            float[][] chunk = policy.actChunk(env.observe());
            if (chunk == null || chunk.length == 0)
                throw new IllegalStateException("policy returned an empty action chunk at step " + env.steps() + " of " + task.name());
            int n = Math.min(executeSteps, chunk.length);
            for (int j = 0; j < n && !env.done(); j++) env.step(chunk[j]);
        }
        return env;
    }
}
