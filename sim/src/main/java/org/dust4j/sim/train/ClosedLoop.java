package org.dust4j.sim.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.sim.Env;
import org.dust4j.sim.Evaluator;
import org.dust4j.sim.Seeds;
import org.dust4j.sim.Task;
import org.dust4j.sim.VisionLanguageEncoder;

/**
 * Closed-loop evaluation of a trained model with action chunking (execute k of the Ta actions, then replan),
 * episodes run on {@code threads} worker threads. Each episode is a pure function of (model, options, seed,
 * task, index): layouts come from {@link Seeds#EVAL} as in {@link Evaluator}, the sampler noise from
 * {@link ModelPolicy}; results are collected in task/episode order, so the outcome does not depend on the
 * thread count.
 */
public final class ClosedLoop {
    private ClosedLoop() {}

    /** Evaluates {@code model} on {@code tasks}. {@code progress} (may be null) gets one line per finished task. */
    public static Evaluator.Result evaluate(PolicyModel model, SimSpec spec, SamplerOptions options, List<Task> tasks, int episodesPerTask,
                                            long seed, int executeSteps, int threads, Consumer<String> progress) {
        if (executeSteps < 1 || executeSteps > spec.actionHorizon())
            throw new IllegalArgumentException("execute steps must be in [1, horizon " + spec.actionHorizon() + "], got " + executeSteps);
        if (episodesPerTask < 1) throw new IllegalArgumentException("episodes per task must be >= 1, got " + episodesPerTask);
        VisionLanguageEncoder enc = spec.newEncoder();
        Evaluator ev = new Evaluator(episodesPerTask, seed, executeSteps, spec.renderer());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Evaluator.TaskResult> out = new ArrayList<>();
            for (Task task : tasks) {
                List<Future<Env>> fs = new ArrayList<>();
                for (int i = 0; i < episodesPerTask; i++) {
                    long s = Seeds.episode(seed, Seeds.EVAL, task, i);
                    fs.add(pool.submit(() -> ev.runEpisode(task, s, new ModelPolicy(model, options, enc, spec, seed))));
                }
                int ok = 0;
                long steps = 0;
                for (Future<Env> f : fs) {
                    Env env = get(f);
                    if (env.success()) ok++;
                    steps += env.steps();
                }
                out.add(new Evaluator.TaskResult(task.name(), ok, episodesPerTask, (double) steps / episodesPerTask));
                if (progress != null) progress.accept(String.format(Locale.ROOT, "eval %-18s %d/%d", task.name(), ok, episodesPerTask));
            }
            return new Evaluator.Result(out);
        } finally {
            pool.shutdownNow();
        }
    }

    private static <T> T get(Future<T> f) {
        return org.dust4j.sim.PairedEvaluator.await(f);
    }
}
