package org.dust4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.sim.Evaluator;
import org.dust4j.sim.Task;
import org.dust4j.sim.Wilson;
import org.dust4j.sim.train.ClosedLoop;
import org.dust4j.sim.train.SimSpec;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dust4j demo}: the main job. Evaluates the committed DUST and GR00T-N1.5 demo checkpoints (models/, made by
 * the command in docs/results.md) closed-loop on the demo tasks, runs the asynchronous sweep N_O in {4, 16, 32, 64}
 * with N_A = 4 on DUST, prints a table and writes a PNG chart.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The main job: closed-loop success of DUST against the standard VLA head (GR00T-N1.5) on simulated tasks, plus the "
                + "test-time sweep N_O = 4/16/32/64 at N_A = 4; a table on the terminal and a PNG chart. Uses the checkpoints in models/ "
                + "(see docs/results.md for the command that trains them).")
public final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--models", paramLabel = "DIR", description = "Directory with demo-dust/ and demo-gr00t/ (default: models/ of the repository).")
    Path models;

    @Option(names = "--tasks", defaultValue = "open_drawer,close_drawer,push_left", paramLabel = "LIST",
            description = "Evaluation tasks (default ${DEFAULT-VALUE}).")
    String tasks;

    @Option(names = "--episodes-per-task", defaultValue = "12", paramLabel = "N", description = "Episodes per task for the head-to-head (default ${DEFAULT-VALUE}).")
    int episodes;

    @Option(names = "--sweep-episodes-per-task", defaultValue = "8", paramLabel = "N", description = "Episodes per task for each sweep point: the first N layouts of the head-to-head (default ${DEFAULT-VALUE}).")
    int sweepEpisodes;

    @Option(names = "--seed", defaultValue = "2026", description = "Evaluation seed (default ${DEFAULT-VALUE}; layouts never seen in training).")
    long seed;

    @Option(names = "--execute-steps", defaultValue = "8", paramLabel = "K", description = "Actions executed per chunk (default ${DEFAULT-VALUE}).")
    int execute;

    @Option(names = "--out", defaultValue = "demo-out", paramLabel = "DIR", description = "Where the chart goes (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--threads", defaultValue = "2", description = "Episodes in parallel (default ${DEFAULT-VALUE}).")
    int threads;

    @CommandLine.Mixin
    DeviceOption device;

    /** models/ next to the working directory, else the repository root above the JAR (cli/target/dust4j.jar). */
    static Path defaultModels() {
        Path cwd = Path.of("models");
        if (Files.isDirectory(cwd.resolve("demo-dust"))) return cwd;
        try {
            Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path root = jar.getParent() == null ? null : jar.getParent().getParent() == null ? null : jar.getParent().getParent().getParent();
            if (root != null && Files.isDirectory(root.resolve("models/demo-dust"))) return root.resolve("models");
        } catch (Exception ignored) {
            // fall through
        }
        return cwd;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        org.dust4j.tensor.Device dev = device.resolve();
        Path dir = models != null ? models : defaultModels();
        List<Task> ts = Task.parseList(tasks);
        Path dustDir = dir.resolve("demo-dust"), grootDir = dir.resolve("demo-gr00t");
        for (Path p : List.of(dustDir, grootDir)) {
            if (!Files.isRegularFile(p.resolve("model.safetensors")))
                throw new IllegalArgumentException("demo checkpoint " + p + " is missing (train it with the command in docs/results.md, or pass --models)");
        }
        long t0 = System.nanoTime();
        PolicyModel dust = EvalCommand.loadModel(dustDir, dev), groot = EvalCommand.loadModel(grootDir, dev);
        SimSpec dustSim = SimSpec.read(dustDir), grootSim = SimSpec.read(grootDir);
        o.printf(Locale.ROOT, "dust4j demo: %d tasks x %d episodes, eval seed %d, execute %d of %d actions per chunk, %d threads%n", ts.size(), episodes, seed,
                execute, dustSim.actionHorizon(), threads);
        o.flush();
        java.util.function.Consumer<String> prog = line -> {
            err.println("  " + line);
            err.flush();
        };
        err.println("GR00T-N1.5 head (standard VLA), N_A 4:");
        Evaluator.Result rg = ClosedLoop.evaluate(groot, grootSim, SamplerOptions.defaults(), ts, episodes, seed, execute, threads, prog);
        err.println("DUST, N_A 4, N_O 4:");
        Evaluator.Result rd = ClosedLoop.evaluate(dust, dustSim, SamplerOptions.defaults(), ts, episodes, seed, execute, threads, prog);
        o.println();
        o.printf(Locale.ROOT, "%-18s %-22s %-22s%n", "task", "GR00T-N1.5 head", "DUST");
        for (int i = 0; i < ts.size(); i++) {
            o.printf(Locale.ROOT, "%-18s %-22s %-22s%n", ts.get(i).name(), cell(rg.tasks().get(i).successes(), rg.tasks().get(i).episodes()),
                    cell(rd.tasks().get(i).successes(), rd.tasks().get(i).episodes()));
        }
        o.printf(Locale.ROOT, "%-18s %-22s %-22s%n", "overall", cellCi(rg.successes(), rg.episodes()), cellCi(rd.successes(), rd.episodes()));
        o.flush();
        int[] qs = {1, 4, 8, 16};
        List<int[]> sweep = new ArrayList<>();
        o.printf(Locale.ROOT, "%nDUST test-time scaling, N_A = 4 (%d episodes per task):%n%-6s %-24s %s%n", sweepEpisodes, "N_O", "success", "s/episode");
        for (int q : qs) {
            long s0 = System.nanoTime();
            Evaluator.Result r = ClosedLoop.evaluate(dust, dustSim, new SamplerOptions(4, q, SamplerOptions.Variant.START), ts, sweepEpisodes, seed,
                    execute, threads, null);
            double secs = (System.nanoTime() - s0) / 1e9;
            sweep.add(new int[] {4 * q, r.successes(), r.episodes()});
            o.printf(Locale.ROOT, "%-6d %-24s %.2f%n", 4 * q, cellCi(r.successes(), r.episodes()), secs / r.episodes());
            o.flush();
        }
        Files.createDirectories(out);
        Path png = out.resolve("demo.png").toAbsolutePath();
        chart(rg, rd, sweep, png);
        o.printf(Locale.ROOT, "%nchart: %s%ntotal %.0f s%n", png, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    static String cell(int k, int n) {
        return String.format(Locale.ROOT, "%d/%d (%.2f)", k, n, (double) k / n);
    }

    static String cellCi(int k, int n) {
        double[] ci = Wilson.interval95(k, n);
        return String.format(Locale.ROOT, "%.2f [%.2f, %.2f]", (double) k / n, ci[0], ci[1]);
    }

    static void chart(Evaluator.Result rg, Evaluator.Result rd, List<int[]> sweep, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart c = new CategoryChartBuilder().width(1200).height(500).title("dust4j demo: closed-loop success; right: DUST with N_A = 4, N_O = 4..64 (bars: 95% Wilson, larger side)")
                .yAxisTitle("success rate").build();
        c.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        List<String> xs = new ArrayList<>();
        List<Double> g = new ArrayList<>(), ge = new ArrayList<>(), d = new ArrayList<>(), de = new ArrayList<>();
        for (int i = 0; i < rg.tasks().size(); i++) {
            xs.add(rg.tasks().get(i).task());
            add(g, ge, rg.tasks().get(i).successes(), rg.tasks().get(i).episodes());
            add(d, de, rd.tasks().get(i).successes(), rd.tasks().get(i).episodes());
        }
        xs.add("overall");
        add(g, ge, rg.successes(), rg.episodes());
        add(d, de, rd.successes(), rd.episodes());
        for (int[] s : sweep) {
            xs.add("N_O " + s[0]);
            g.add(0.0);
            ge.add(0.0);
            add(d, de, s[1], s[2]);
        }
        c.addSeries("GR00T-N1.5 head", xs, g, ge);
        c.addSeries("DUST", xs, d, de);
        AblateCommand.save(c, png);
    }

    private static void add(List<Double> v, List<Double> e, int k, int n) {
        double p = (double) k / n;
        double[] ci = Wilson.interval95(k, n);
        v.add(p);
        e.add(Math.max(p - ci[0], ci[1] - p));
    }
}
