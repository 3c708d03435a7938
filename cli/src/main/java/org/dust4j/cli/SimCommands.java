package org.dust4j.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.dust4j.sim.DatasetWriter;
import org.dust4j.sim.Episode;
import org.dust4j.sim.Evaluator;
import org.dust4j.sim.ExpertPolicy;
import org.dust4j.sim.Frame;
import org.dust4j.sim.Policy;
import org.dust4j.sim.RandomPolicy;
import org.dust4j.sim.Renderer;
import org.dust4j.sim.ScriptedExpert;
import org.dust4j.sim.Seeds;
import org.dust4j.sim.Task;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The simulator commands: {@code datagen}, {@code sim-eval}, {@code sim-render}. */
public final class SimCommands {
    private SimCommands() {}

    static ScriptedExpert.Noise noise(String name) {
        return switch (name) {
            case "default" -> ScriptedExpert.Noise.DEFAULT;
            case "none" -> ScriptedExpert.Noise.NONE;
            default -> throw new IllegalArgumentException("--noise must be 'default' or 'none', got '" + name + "'");
        };
    }

    static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** {@code dust4j datagen}: scripted-expert demonstrations as a dataset directory. */
    @Command(name = "datagen", mixinStandardHelpOptions = true,
            description = "Generate scripted-expert demonstrations of the simulated tabletop tasks as a dataset directory: "
                    + "safetensors shards (images, states, actions per episode) plus manifest.json. The directory appears only "
                    + "when complete (written to a hidden temporary directory, then renamed).")
    public static final class Datagen implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--tasks", defaultValue = "all", paramLabel = "LIST",
                description = "Comma-separated task names, or 'all' (default). Tasks: pick_red_green, pick_blue_purple, "
                        + "pick_yellow_green, pick_red_purple, push_green, push_purple, push_left, push_right, open_drawer, close_drawer.")
        String tasks;

        @Option(names = "--episodes-per-task", defaultValue = "50", paramLabel = "N", description = "Successful episodes per task (default ${DEFAULT-VALUE}).")
        int episodesPerTask;

        @Option(names = "--seed", defaultValue = "0", description = "Base seed; episode layouts derive from it (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Dataset directory to create (must not exist).")
        Path out;

        @Option(names = "--action-free", description = "Store video only (no states, no actions): data for world-model pretraining.")
        boolean actionFree;

        @Option(names = "--top-size", defaultValue = "64", paramLabel = "PX", description = "Top view side in pixels (default ${DEFAULT-VALUE}).")
        int topSize;

        @Option(names = "--wrist-size", defaultValue = "32", paramLabel = "PX", description = "Wrist view side in pixels (default ${DEFAULT-VALUE}).")
        int wristSize;

        @Option(names = "--episodes-per-shard", defaultValue = "50", paramLabel = "N", description = "Episodes per shard file (default ${DEFAULT-VALUE}).")
        int perShard;

        @Option(names = "--noise", defaultValue = "default", paramLabel = "default|none", description = "Expert noise and perturbations (default: ${DEFAULT-VALUE}).")
        String noise;

        @Option(names = "--keep-failures", description = "Also store episodes in which the expert failed (default: discard and draw another layout).")
        boolean keepFailures;

        @Override
        public Integer call() throws IOException {
            PrintWriter stdout = spec.commandLine().getOut(), err = spec.commandLine().getErr();
            require(episodesPerTask >= 1 && episodesPerTask <= 1_000_000, "--episodes-per-task must be in [1, 1000000], got " + episodesPerTask);
            require(topSize >= 4 && topSize <= 1024, "--top-size must be in [4, 1024], got " + topSize);
            require(wristSize >= 4 && wristSize <= 1024, "--wrist-size must be in [4, 1024], got " + wristSize);
            require(perShard >= 1, "--episodes-per-shard must be >= 1, got " + perShard);
            ScriptedExpert.Noise nz = noise(noise);
            List<Task> ts = Task.parseList(tasks);
            Renderer renderer = new Renderer(topSize, wristSize);
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("generator", "scripted_expert");
            settings.put("seed", seed);
            settings.put("tasks", ts.stream().map(Task::name).toList());
            settings.put("episodes_per_task", episodesPerTask);
            settings.put("expert_noise_sigma", nz.sigma());
            settings.put("expert_perturb_prob", nz.perturbProb());
            settings.put("keep_failures", keepFailures);
            long t0 = System.nanoTime();
            long steps = 0;
            int discarded = 0, written = 0;
            DatasetWriter w = new DatasetWriter(out, actionFree, topSize, wristSize, perShard, settings);
            // on an interrupt (Ctrl-C) remove the temporary directory too
            Thread cleanup = new Thread(() -> {
                try {
                    w.close();
                } catch (IOException ignored) {
                    // best effort
                }
            });
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                int every = Math.max(1, episodesPerTask / 4);
                for (Task task : ts) {
                    int made = 0, tried = 0;
                    while (made < episodesPerTask) {
                        if (tried >= 2 * episodesPerTask + 20)
                            throw new IllegalStateException("the expert failed too often on " + task.name() + " (" + made + " successes in " + tried + " tries)");
                        long s = Seeds.episode(seed, Seeds.TRAIN, task, tried++);
                        Episode ep = Episode.record(task, s, nz, renderer);
                        if (!ep.success() && !keepFailures) {
                            discarded++;
                            continue;
                        }
                        w.add(ep);
                        made++;
                        written++;
                        steps += ep.length();
                        if (made % every == 0 || made == episodesPerTask)
                            err.printf(Locale.ROOT, "datagen %-18s %d/%d episodes (%.1f s)%n", task.name(), made, episodesPerTask, (System.nanoTime() - t0) / 1e9);
                    }
                    err.flush();
                }
                w.finish();
            } finally {
                Runtime.getRuntime().removeShutdownHook(cleanup);
                w.close();
            }
            stdout.printf(Locale.ROOT, "wrote %d episodes (%d steps%s, %d failed expert runs discarded) of %d task%s to %s in %.1f s%n", written, steps,
                    actionFree ? ", video only" : "", discarded, ts.size(), ts.size() == 1 ? "" : "s", out, (System.nanoTime() - t0) / 1e9);
            return 0;
        }
    }

    /** {@code dust4j sim-eval}: closed-loop evaluation of a built-in policy. */
    @Command(name = "sim-eval", mixinStandardHelpOptions = true,
            description = "Closed-loop evaluation of a built-in policy (the scripted expert or uniform random actions) on the "
                    + "simulated tasks, with action chunking: success rate per task and overall with 95%% Wilson intervals.")
    public static final class SimEval implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--policy", defaultValue = "expert", paramLabel = "expert|random", description = "Policy to evaluate (default ${DEFAULT-VALUE}).")
        String policy;

        @Option(names = "--tasks", defaultValue = "all", paramLabel = "LIST", description = "Comma-separated task names, or 'all' (default).")
        String tasks;

        @Option(names = "--episodes-per-task", defaultValue = "20", paramLabel = "N", description = "Episodes per task (default ${DEFAULT-VALUE}).")
        int episodes;

        @Option(names = "--seed", defaultValue = "0", description = "Evaluation seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--horizon", defaultValue = "16", paramLabel = "TA", description = "Actions per chunk (default ${DEFAULT-VALUE}).")
        int horizon;

        @Option(names = "--execute-steps", defaultValue = "8", paramLabel = "K", description = "Actions executed per chunk before replanning (default ${DEFAULT-VALUE}).")
        int execute;

        @Option(names = "--noise", defaultValue = "default", paramLabel = "default|none", description = "Expert noise (default: ${DEFAULT-VALUE}).")
        String noise;

        @Override
        public Integer call() {
            require(episodes >= 1, "--episodes-per-task must be >= 1, got " + episodes);
            require(horizon >= 1, "--horizon must be >= 1, got " + horizon);
            require(execute >= 1 && execute <= horizon, "--execute-steps must be in [1, horizon=" + horizon + "], got " + execute);
            Policy p = switch (policy) {
                case "expert" -> new ExpertPolicy(noise(noise), horizon);
                case "random" -> new RandomPolicy(seed, horizon);
                default -> throw new IllegalArgumentException("--policy must be 'expert' or 'random', got '" + policy + "'");
            };
            List<Task> ts = Task.parseList(tasks);
            PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
            Evaluator ev = new Evaluator(episodes, seed, execute, new Renderer(64, 32));
            Evaluator.Result r = ev.evaluate(ts, p, line -> {
                err.println(line);
                err.flush();
            });
            out.printf(Locale.ROOT, "policy %s, %d episodes per task, seed %d, chunk %d, execute %d%n", policy, episodes, seed, horizon, execute);
            out.print(r.table());
            out.flush();
            return 0;
        }
    }

    /** {@code dust4j sim-render}: a PNG filmstrip of one expert episode. */
    @Command(name = "sim-render", mixinStandardHelpOptions = true,
            description = "Write a PNG filmstrip of one scripted-expert episode (top view above, wrist view below).")
    public static final class SimRender implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--task", required = true, description = "Task name.")
        String task;

        @Option(names = "--seed", defaultValue = "0", description = "Episode index seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--frames", defaultValue = "8", paramLabel = "N", description = "Frames in the strip (default ${DEFAULT-VALUE}).")
        int frames;

        @Option(names = "--scale", defaultValue = "3", description = "Pixel upscaling (default ${DEFAULT-VALUE}).")
        int scale;

        @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "Output PNG.")
        Path out;

        @Override
        public Integer call() throws IOException {
            require(frames >= 1 && frames <= 64, "--frames must be in [1, 64], got " + frames);
            require(scale >= 1 && scale <= 16, "--scale must be in [1, 16], got " + scale);
            Task t = Task.byName(task);
            Renderer r = new Renderer(64, 32);
            Episode ep = Episode.record(t, Seeds.episode(seed, Seeds.TRAIN, t, 0), ScriptedExpert.Noise.DEFAULT, r);
            int cell = 64 * scale;
            BufferedImage img = new BufferedImage(frames * cell, cell + cell / 2, BufferedImage.TYPE_INT_RGB);
            for (int k = 0; k < frames; k++) {
                int fi = frames == 1 ? ep.length() : (int) ((long) k * ep.length() / (frames - 1));
                Frame f = ep.frames().get(fi);
                blit(img, f.top(), 64, scale, k * cell, 0);
                blit(img, f.wrist(), 32, scale, k * cell, cell);
            }
            org.dust4j.weights.AtomicFiles.writeVia(out, tmp -> {
                if (!ImageIO.write(img, "png", tmp.toFile())) throw new java.io.IOException(out + ": no PNG writer available");
            });
            spec.commandLine().getOut().printf(Locale.ROOT, "%s: \"%s\", %d steps, %s; wrote %s%n", t.name(), t.instruction(), ep.length(),
                    ep.success() ? "solved" : "not solved", out);
            return 0;
        }

        private static void blit(BufferedImage img, byte[] rgb, int n, int scale, int x0, int y0) {
            for (int y = 0; y < n * scale; y++)
                for (int x = 0; x < n * scale; x++) {
                    int p = ((y / scale) * n + x / scale) * 3;
                    img.setRGB(x0 + x, y0 + y, ((rgb[p] & 255) << 16) | ((rgb[p + 1] & 255) << 8) | (rgb[p + 2] & 255));
                }
        }
    }
}
