package org.dust4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.Trainer;
import org.dust4j.sim.FrozenRandomEncoder;
import org.dust4j.sim.train.SimSpec;
import org.dust4j.sim.train.TrainRun;
import org.dust4j.sim.train.Variant;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dust4j train}: trains a policy head on a simulator dataset. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a policy head (a built-in --variant or a --config file) on a dataset from 'dust4j datagen'. Writes into --out: "
                + "checkpoint/ (the newest 2 complete checkpoints, every --checkpoint-every steps, with checksums; --resume continues the newest bit for bit), metrics.jsonl (one line per step), "
                + "loss.png, and model/ (the final model for 'dust4j eval').")
public final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Dataset directory (dust4j datagen).")
    Path data;

    @Option(names = "--variant", paramLabel = "NAME", description = "Built-in head: gr00t, flare, single-decoupled, dual-joint, dust (default dust unless --config).")
    String variant;

    @Option(names = "--config", paramLabel = "FILE", description = "A config.json instead of a built-in variant (the encoder follows its sizes).")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory (created; must be empty unless --resume).")
    Path out;

    @Option(names = "--steps", defaultValue = "600", description = "Optimizer steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate, cosine schedule with 5%% warm-up (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the initialisation, data order and noise (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "100", paramLabel = "N", description = "Checkpoint interval in steps (default ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue the checkpoint in --out (the settings must match).")
    boolean resume;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Option(names = "--vision-encoder", defaultValue = "random", paramLabel = "random|oracle|learned[:FILE]",
            description = "Image encoder: the v1 frozen random stand-in, or the v2 oracle / learned encoder (default ${DEFAULT-VALUE}).")
    String visionEncoder;

    @CommandLine.Mixin
    DeviceOption device;

    /** The config and simulator settings of a --variant / --config choice. */
    static ModelConfig resolveConfig(String variant, Path config) {
        if (variant != null && config != null) throw new IllegalArgumentException("give either --variant or --config, not both");
        return config != null ? ModelConfig.read(config) : Variant.parse(variant == null ? "dust" : variant).config();
    }

    /** The encoder for a config: Variant.ENCODER with the config's VL width and future-token shape. */
    static SimSpec simSpec(ModelConfig c) {
        var e = Variant.ENCODER;
        int[] fut = Variant.futureShape(c);
        return SimSpec.of(c, new FrozenRandomEncoder.Config(c.vlDim(), fut == null ? e.visionDim() : fut[1], fut == null ? e.visionTokens() : fut[0],
                e.maxWords(), e.seed()));
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr(), stdout = spec.commandLine().getOut();
        org.dust4j.tensor.Device dev = device.resolve();
        ModelConfig cfg = resolveConfig(variant, config);
        SimSpec sim = simSpec(cfg).withVisionEncoder(visionEncoder);
        TrainRun.Settings s = new TrainRun.Settings(steps, batch, lr, seed, checkpointEvery);
        Progress p = quiet ? null : new Progress(err, steps, out.resolve("metrics.jsonl"), out.resolve("loss.png"));
        TrainRun.Summary sum;
        try {
            sum = TrainRun.run(data, cfg, sim, s, out, resume, p == null ? new TrainRun.Listener() {
                @Override
                public void onCheckpoint(long step) { writeLossPng(out.resolve("metrics.jsonl"), out.resolve("loss.png"), null); }
            } : p, dev);
        } finally {
            if (p != null) p.close();
        }
        writeLossPng(out.resolve("metrics.jsonl"), out.resolve("loss.png"), null);
        if (sum.steps() == sum.resumedFrom()) {
            // a resumed run that had already finished trains nothing: report its last logged loss, not NaN
            double[][] mt = TrainRun.readMetrics(out.resolve("metrics.jsonl"));
            String last = mt[1].length == 0 ? "no metrics" : String.format(Locale.ROOT, "final loss %.4f", mt[1][mt[1].length - 1]);
            stdout.printf(Locale.ROOT, "%s had already finished all %d steps (%s); nothing was trained. To train longer, start a new run "
                    + "with more --steps.%n", out, sum.steps(), last);
        } else {
            stdout.printf(Locale.ROOT, "trained %s (%d parameters) for %d steps%s in %.1f s (%.2f steps/s), final loss %.4f%n", cfg.type(), sum.parameters(),
                    sum.steps(), sum.resumedFrom() > 0 ? " (resumed at " + sum.resumedFrom() + ")" : "", sum.seconds(), sum.steps() / sum.seconds(), sum.finalLoss());
        }
        stdout.printf(Locale.ROOT, "model: %s   metrics: %s   loss curve: %s%n", sum.modelDir(), out.resolve("metrics.jsonl"), out.resolve("loss.png"));
        return 0;
    }

    /** Progress: a bar on a terminal, else one line per ~5% of the steps; the loss PNG at every checkpoint. */
    static final class Progress implements TrainRun.Listener, AutoCloseable {
        private final PrintWriter err;
        private final int total;
        private final Path metrics, png;
        private final ProgressBar bar;

        Progress(PrintWriter err, int total, Path metrics, Path png) {
            this.err = err;
            this.total = total;
            this.metrics = metrics;
            this.png = png;
            boolean tty = System.console() != null && System.console().isTerminal();
            this.bar = tty ? new ProgressBarBuilder().setTaskName("train").setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250).continuousUpdate().build() : null;
        }

        @Override
        public void onStep(Trainer.StepResult r, double sps) {
            String msg = String.format(Locale.ROOT, "loss %.4f (act %.4f, wm %.4f) %.2f step/s", r.loss(), r.lossAction(), r.lossWm(), sps);
            if (bar != null) {
                bar.stepTo(r.step());
                bar.setExtraMessage(msg);
            } else if (r.step() % Math.max(1, total / 20) == 0 || r.step() == total || r.step() == 1) {
                err.printf(Locale.ROOT, "train step %d/%d  %s%n", r.step(), total, msg);
                err.flush();
            }
        }

        @Override
        public void onCheckpoint(long step) {
            writeLossPng(metrics, png, null);
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
        }
    }

    /** Writes the loss curves of a metrics.jsonl as a PNG (atomically); errors only warn. */
    static void writeLossPng(Path metrics, Path png, String title) {
        try {
            if (!Files.exists(metrics)) return;
            double[][] m = TrainRun.readMetrics(metrics);
            if (m[0].length == 0) return;
            XYChart c = lossChart(m, title);
            AblateCommand.savePng(c, png);
        } catch (IOException | RuntimeException e) {
            System.err.println("dust4j: warning: could not write " + png + ": " + e.getMessage());
        }
    }

    /**
     * The loss chart of metrics columns (step, loss, loss_action, loss_wm): log y axis with intermediate tick labels
     * (a loss within one decade would otherwise show no numbers at all), integer steps spaced so labels do not overlap.
     */
    static XYChart lossChart(double[][] m, String title) {
        System.setProperty("java.awt.headless", "true");
        XYChart c = new XYChartBuilder().width(800).height(500).title(title == null ? "training loss" : title).xAxisTitle("step").yAxisTitle("loss").build();
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setYAxisLogarithmicDecadeOnly(false);
        double lo = Double.POSITIVE_INFINITY;
        for (int k = 1; k <= 3; k++) for (double v : m[k]) if (v > 0) lo = Math.min(lo, v);
        c.getStyler().setYAxisDecimalPattern(lo >= 1e-3 ? "0.####" : "0.##E0");
        c.getStyler().setXAxisTickMarkSpacingHint(110);
        c.getStyler().setXAxisMin(0.0);
        c.getStyler().setYAxisTickMarkSpacingHint(40);
        c.getStyler().setMarkerSize(0);
        String[] names = {"loss", "loss_action", "loss_wm / align"};
        for (int k = 1; k <= 3; k++) {
            double[] y = smooth(m[k], 10);
            boolean positive = true;
            for (double v : y) positive &= v > 0;
            if (positive) c.addSeries(names[k - 1], m[0], y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        }
        // XChart puts one tick on every n-th value of an equally spaced x axis (steps 1, 2, 3, ...), which gave labels
        // like 1 30 59 88 ... touching each other; an invisible point at x = 0.5 breaks the equal spacing, so the
        // axis gets round ticks spaced by the spacing hint
        if (!c.getSeriesMap().isEmpty() && m[0].length > 1) {
            double y0 = c.getSeriesMap().values().iterator().next().getYMin();
            XYSeries pad = c.addSeries(" ", new double[] {0.5}, new double[] {y0});
            pad.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            pad.setMarkerColor(new java.awt.Color(0, 0, 0, 0));
            pad.setShowInLegend(false);
        }
        return c;
    }

    /** Trailing moving average over {@code w} points. */
    static double[] smooth(double[] y, int w) {
        double[] out = new double[y.length];
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += y[i];
            if (i >= w) s -= y[i - w];
            out[i] = s / Math.min(i + 1, w);
        }
        return out;
    }
}
