package org.dust4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.sim.DatasetReader;
import org.dust4j.sim.Evaluator;
import org.dust4j.sim.Task;
import org.dust4j.sim.Wilson;
import org.dust4j.sim.train.ClosedLoop;
import org.dust4j.sim.train.SimSpec;
import org.dust4j.sim.train.TrainRun;
import org.dust4j.sim.train.Variant;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dust4j ablate}: trains and evaluates the five heads with one budget and the same seeds. */
@Command(name = "ablate", mixinStandardHelpOptions = true,
        description = "Train and evaluate the ablation variants (gr00t, flare, single-decoupled, dual-joint, dust) with the same data, steps, "
                + "batch, learning rate and seeds; then the test-time sweep N_O = q x N_A (N_A = 4) on the dust runs. Writes into --out: "
                + "runs/<variant>-s<seed>/ (train run + eval JSON; finished parts are reused, so a stopped ablation continues), ablation.md, "
                + "ablation.json, ablation.png, sweep.png.")
public final class AblateCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Training dataset (dust4j datagen).")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--variants", defaultValue = "gr00t,flare,single-decoupled,dual-joint,dust", paramLabel = "LIST", description = "Variants (default: all five).")
    String variants;

    @Option(names = "--seeds", defaultValue = "0,1,2", paramLabel = "LIST", description = "Training seeds (default ${DEFAULT-VALUE}).")
    String seeds;

    @Option(names = "--steps", defaultValue = "600", description = "Optimizer steps per run (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--tasks", defaultValue = "dataset", paramLabel = "LIST", description = "Evaluation tasks (default: the dataset's tasks).")
    String tasks;

    @Option(names = "--episodes-per-task", defaultValue = "10", paramLabel = "N", description = "Evaluation episodes per task and run (default ${DEFAULT-VALUE}).")
    int episodes;

    @Option(names = "--eval-seed", defaultValue = "1000", description = "Evaluation seed (default ${DEFAULT-VALUE}).")
    long evalSeed;

    @Option(names = "--execute-steps", defaultValue = "8", paramLabel = "K", description = "Actions executed per chunk (default ${DEFAULT-VALUE}).")
    int execute;

    @Option(names = "--sweep-q", defaultValue = "1,4,8,16", paramLabel = "LIST", description = "q values of the async sweep on dust, N_O = 4q (default ${DEFAULT-VALUE}; empty: no sweep).")
    String sweepQ;

    @Option(names = "--threads", defaultValue = "2", description = "Evaluation episodes in parallel (default ${DEFAULT-VALUE}).")
    int threads;

    static final ObjectMapper JSON = new ObjectMapper();

    /** One evaluated run. */
    record Run(Variant variant, long seed, long params, double trainSeconds, int trainSteps, double finalActionLoss, Evaluator.Result result, double evalSeconds) {}

    /** One sweep point over the dust seeds. */
    record Sweep(int q, int successes, int episodes, double evalSeconds, List<Double> perSeed) {}

    static List<Long> longs(String s) {
        List<Long> out = new ArrayList<>();
        for (String x : s.split(",")) if (!x.isBlank()) out.add(Long.parseLong(x.trim()));
        return out;
    }

    static List<Task> datasetTasks(Path data) throws IOException {
        try (DatasetReader r = DatasetReader.open(data)) {
            List<String> names = r.episodes().stream().map(e -> e.task()).distinct().toList();
            return Task.parseList(String.join(",", names));
        }
    }

    @CommandLine.Mixin
    DeviceOption device;

    private org.dust4j.tensor.Device dev;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        dev = device.resolve();
        List<Variant> vs = new ArrayList<>();
        for (String v : variants.split(",")) if (!v.isBlank()) vs.add(Variant.parse(v));
        List<Long> ss = longs(seeds);
        if (vs.isEmpty() || ss.isEmpty()) throw new IllegalArgumentException("--variants and --seeds must not be empty");
        List<Integer> qs = new ArrayList<>();
        for (Long q : longs(sweepQ)) qs.add(q.intValue());
        List<Task> ts = tasks.equals("dataset") ? datasetTasks(data) : Task.parseList(tasks);
        TrainRun.Settings settings = new TrainRun.Settings(steps, batch, lr, 0, Math.max(1, steps / 4));
        Files.createDirectories(out.resolve("runs"));
        Map<Variant, List<Run>> runs = new LinkedHashMap<>();
        List<Sweep> sweep = new ArrayList<>();
        for (Variant v : vs) {
            for (long seed : ss) {
                Path dir = out.resolve("runs").resolve(v.id() + "-s" + seed);
                runs.computeIfAbsent(v, k -> new ArrayList<>()).add(trainAndEval(v, seed, dir, settings, ts, SamplerOptions.defaults(), "eval.json", err));
            }
        }
        if (vs.contains(Variant.DUST) && !qs.isEmpty()) {
            for (int q : qs) {
                int ok = 0, n = 0;
                double secs = 0;
                List<Double> per = new ArrayList<>();
                for (long seed : ss) {
                    Path dir = out.resolve("runs").resolve(Variant.DUST.id() + "-s" + seed);
                    Run r = trainAndEval(Variant.DUST, seed, dir, settings, ts, new SamplerOptions(4, q, SamplerOptions.Variant.START),
                            q == 1 ? "eval.json" : "eval-q" + q + ".json", err);
                    ok += r.result().successes();
                    n += r.result().episodes();
                    secs += r.evalSeconds();
                    per.add(r.result().rate());
                }
                sweep.add(new Sweep(q, ok, n, secs, per));
                err.printf(Locale.ROOT, "ablate sweep N_A 4, N_O %d: %d/%d%n", 4 * q, ok, n);
                err.flush();
            }
        }
        String md = markdown(runs, sweep, ts, settings, ss);
        writeAtomically(out.resolve("ablation.md"), md);
        writeAtomically(out.resolve("ablation.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json(runs, sweep)) + "\n");
        barChart(runs, out.resolve("ablation.png"));
        if (!sweep.isEmpty()) sweepChart(sweep, out.resolve("sweep.png"));
        stdout.print(md);
        stdout.printf("charts: %s %s%n", out.resolve("ablation.png"), sweep.isEmpty() ? "" : out.resolve("sweep.png"));
        stdout.flush();
        return 0;
    }

    /** Trains the run in {@code dir} unless its model exists (resuming a checkpoint), then evaluates unless {@code evalName} exists. */
    Run trainAndEval(Variant v, long seed, Path dir, TrainRun.Settings base, List<Task> ts, SamplerOptions opts, String evalName, PrintWriter err)
            throws IOException {
        ModelConfig cfg = v.config();
        SimSpec sim = TrainCommand.simSpec(cfg);
        Path model = dir.resolve("model");
        if (!Files.isRegularFile(model.resolve("model.safetensors"))) {
            boolean resume = Files.isRegularFile(dir.resolve("run.json")) && org.dust4j.model.Trainer.checkpointIn(dir.resolve("checkpoint")).isPresent();
            if (!resume && Files.exists(dir)) TrainRunFiles.clear(dir);
            TrainRun.Settings s = new TrainRun.Settings(base.steps(), base.batchSize(), base.lr(), seed, base.checkpointEvery());
            err.printf(Locale.ROOT, "ablate train %s seed %d (%d steps)%s%n", v.id(), seed, s.steps(), resume ? ", resuming" : "");
            err.flush();
            TrainRun.Summary sum = TrainRun.run(data, cfg, sim, s, dir, resume, new TrainRun.Listener() {
                @Override
                public void onCheckpoint(long step) {
                    err.printf(Locale.ROOT, "ablate train %s seed %d step %d%n", v.id(), seed, step);
                    err.flush();
                }
            }, dev);
            TrainCommand.writeLossPng(dir.resolve("metrics.jsonl"), dir.resolve("loss.png"), v.label() + " seed " + seed);
            err.printf(Locale.ROOT, "ablate trained %s seed %d in %.1f s%n", v.id(), seed, sum.seconds());
        }
        double[][] m = TrainRun.readMetrics(dir.resolve("metrics.jsonl"));
        double trainSecs = lastElapsed(dir.resolve("metrics.jsonl"));
        PolicyModel pm = EvalCommand.loadModel(model, dev);
        long params = pm.parameters().stream().mapToLong(p -> p.value().numel()).sum();
        Path evalFile = dir.resolve(evalName);
        Evaluator.Result r;
        double evalSecs;
        if (Files.isRegularFile(evalFile)) {
            JsonNode n = JSON.readTree(Files.readString(evalFile));
            List<Evaluator.TaskResult> tr = new ArrayList<>();
            for (JsonNode t : n.path("tasks")) tr.add(new Evaluator.TaskResult(t.path("task").asText(), t.path("successes").asInt(), t.path("episodes").asInt(), t.path("mean_steps").asDouble()));
            r = new Evaluator.Result(tr);
            evalSecs = n.path("eval_seconds").asDouble();
        } else {
            long t0 = System.nanoTime();
            r = ClosedLoop.evaluate(pm, SimSpec.read(model), opts, ts, episodes, evalSeed, execute, threads, null);
            evalSecs = (System.nanoTime() - t0) / 1e9;
            EvalCommand.writeJson(evalFile, r, opts, opts.actionSteps() > 0 ? opts.actionSteps() : pm.config().inferenceSteps());
            ObjectNode n = (ObjectNode) JSON.readTree(Files.readString(evalFile));
            n.put("eval_seconds", evalSecs);
            writeAtomically(evalFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
            err.printf(Locale.ROOT, "ablate eval %s seed %d q %d: %d/%d (%.1f s)%n", v.id(), seed, opts.q(), r.successes(), r.episodes(), evalSecs);
            err.flush();
        }
        int n = m[0].length, tail = Math.max(1, n / 10);
        double fal = 0;
        for (int i = Math.max(0, n - tail); i < n; i++) fal += m[2][i] / Math.min(n, tail);
        return new Run(v, seed, params, trainSecs, (int) (n == 0 ? 0 : m[0][n - 1]), fal, r, evalSecs);
    }

    static double lastElapsed(Path metrics) throws IOException {
        List<String> lines = Files.readAllLines(metrics);
        for (int i = lines.size() - 1; i >= 0; i--) if (!lines.get(i).isBlank()) return JSON.readTree(lines.get(i)).path("elapsed_s").asDouble();
        return 0;
    }

    static String markdown(Map<Variant, List<Run>> runs, List<Sweep> sweep, List<Task> ts, TrainRun.Settings s, List<Long> seeds) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Ablation: %d steps x batch %d, lr %s, seeds %s; success pooled over seeds with 95%% Wilson interval; "
                + "mean +- sd of the per-seed rates; action loss = flow-matching action loss averaged over the last 10%% of training steps "
                + "(mean over seeds).%n%n", s.steps(), s.batchSize(), s.lr(), seeds));
        sb.append("| variant | params | train s/run | action loss | ");
        for (Task t : ts) sb.append(t.name()).append(" | ");
        sb.append("overall | 95% CI | per-seed mean +- sd |\n|---|---:|---:|---:|");
        sb.append("---:|".repeat(ts.size())).append("---:|---|---|\n");
        for (var e : runs.entrySet()) {
            List<Run> rs = e.getValue();
            sb.append("| ").append(e.getKey().label()).append(" | ").append(rs.get(0).params()).append(" | ")
                    .append(String.format(Locale.ROOT, "%.0f | %.3f", rs.stream().mapToDouble(Run::trainSeconds).average().orElse(0),
                            rs.stream().mapToDouble(Run::finalActionLoss).average().orElse(0))).append(" | ");
            for (int i = 0; i < ts.size(); i++) {
                int k = 0, n = 0;
                for (Run r : rs) {
                    k += r.result().tasks().get(i).successes();
                    n += r.result().tasks().get(i).episodes();
                }
                sb.append(k).append('/').append(n).append(" | ");
            }
            int k = rs.stream().mapToInt(r -> r.result().successes()).sum(), n = rs.stream().mapToInt(r -> r.result().episodes()).sum();
            double[] ci = Wilson.interval95(k, n);
            double[] per = rs.stream().mapToDouble(r -> r.result().rate()).toArray();
            sb.append(String.format(Locale.ROOT, "**%.3f** (%d/%d) | [%.3f, %.3f] | %.3f +- %.3f |%n", (double) k / n, k, n, ci[0], ci[1], mean(per), sd(per)));
        }
        if (!sweep.isEmpty()) {
            sb.append("\nTest-time sweep on the dust runs (N_A = 4, N_O = q x N_A, update at the start of each block):\n\n");
            sb.append("| N_O | success | 95% CI | per-seed rates | eval s per episode |\n|---:|---:|---|---|---:|\n");
            for (Sweep w : sweep) {
                double[] ci = Wilson.interval95(w.successes(), w.episodes());
                sb.append(String.format(Locale.ROOT, "| %d | **%.3f** (%d/%d) | [%.3f, %.3f] | %s | %.2f |%n", 4 * w.q(), (double) w.successes() / w.episodes(),
                        w.successes(), w.episodes(), ci[0], ci[1], w.perSeed().stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList(),
                        w.evalSeconds() / w.episodes()));
            }
        }
        return sb.toString();
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return x.length == 0 ? 0 : s / x.length;
    }

    static double sd(double[] x) {
        if (x.length < 2) return 0;
        double m = mean(x), s = 0;
        for (double v : x) s += (v - m) * (v - m);
        return Math.sqrt(s / (x.length - 1));
    }

    static ObjectNode json(Map<Variant, List<Run>> runs, List<Sweep> sweep) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode a = root.putArray("runs");
        for (List<Run> rs : runs.values()) {
            for (Run r : rs) {
                ObjectNode n = a.addObject();
                n.put("variant", r.variant().id());
                n.put("seed", r.seed());
                n.put("params", r.params());
                n.put("train_steps", r.trainSteps());
                n.put("train_seconds", r.trainSeconds());
                n.put("final_action_loss", r.finalActionLoss());
                n.put("eval_seconds", r.evalSeconds());
                n.put("successes", r.result().successes());
                n.put("episodes", r.result().episodes());
                ObjectNode per = n.putObject("tasks");
                for (Evaluator.TaskResult t : r.result().tasks()) per.put(t.task(), t.successes() + "/" + t.episodes());
            }
        }
        ArrayNode sw = root.putArray("sweep");
        for (Sweep w : sweep) {
            ObjectNode n = sw.addObject();
            n.put("n_a", 4);
            n.put("n_o", 4 * w.q());
            n.put("successes", w.successes());
            n.put("episodes", w.episodes());
            n.put("eval_seconds", w.evalSeconds());
        }
        return root;
    }

    static void barChart(Map<Variant, List<Run>> runs, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart c = new CategoryChartBuilder().width(900).height(500).title("closed-loop success (pooled over seeds, 95% Wilson)")
                .yAxisTitle("success rate").build();
        c.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        c.getStyler().setLegendVisible(false);
        List<String> names = new ArrayList<>();
        List<Double> rates = new ArrayList<>(), errs = new ArrayList<>();
        for (var e : runs.entrySet()) {
            int k = e.getValue().stream().mapToInt(r -> r.result().successes()).sum(), n = e.getValue().stream().mapToInt(r -> r.result().episodes()).sum();
            double p = (double) k / n;
            double[] ci = Wilson.interval95(k, n);
            names.add(e.getKey().id());
            rates.add(p);
            errs.add(Math.max(p - ci[0], ci[1] - p));
        }
        c.addSeries("success", names, rates, errs);
        save(c, png);
    }

    static void sweepChart(List<Sweep> sweep, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart c = new CategoryChartBuilder().width(700).height(450).title("DUST test-time scaling (N_A = 4)").xAxisTitle("N_O")
                .yAxisTitle("success rate").build();
        c.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        c.getStyler().setLegendVisible(false);
        List<String> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>(), es = new ArrayList<>();
        for (Sweep w : sweep) {
            double p = (double) w.successes() / w.episodes();
            double[] ci = Wilson.interval95(w.successes(), w.episodes());
            xs.add(Integer.toString(4 * w.q()));
            ys.add(p);
            es.add(Math.max(p - ci[0], ci[1] - p));
        }
        c.addSeries("success", xs, ys, es);
        save(c, png);
    }

    static void save(CategoryChart c, Path png) throws IOException {
        savePng(c, png);
    }

    /** Writes a chart as PNG atomically (temp, fsync, rename, directory fsync). */
    static void savePng(org.knowm.xchart.internal.chartpart.Chart<?, ?> c, Path png) throws IOException {
        org.dust4j.weights.AtomicFiles.writeVia(png, tmp -> {
            try (var os = Files.newOutputStream(tmp)) {
                BitmapEncoder.saveBitmap(c, os, BitmapEncoder.BitmapFormat.PNG);
            }
        });
    }

    static void writeAtomically(Path file, String text) throws IOException {
        org.dust4j.weights.AtomicFiles.writeString(file, text);
    }

    /** Removes an unfinished run directory (no checkpoint yet) before starting it again. */
    static final class TrainRunFiles {
        static void clear(Path dir) throws IOException {
            try (var s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
