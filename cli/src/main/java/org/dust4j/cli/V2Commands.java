package org.dust4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.dust4j.sim.EncoderProbe;
import org.dust4j.sim.ExpertPolicy;
import org.dust4j.sim.FrozenRandomEncoder;
import org.dust4j.sim.LearnedEncoder;
import org.dust4j.sim.NoOpPolicy;
import org.dust4j.sim.OracleEncoder;
import org.dust4j.sim.PairedEvaluator;
import org.dust4j.sim.PairedStats;
import org.dust4j.sim.Policy;
import org.dust4j.sim.RandomPolicy;
import org.dust4j.sim.Renderer;
import org.dust4j.sim.SceneSamples;
import org.dust4j.sim.ScriptedExpert;
import org.dust4j.sim.Task;
import org.dust4j.sim.TokenGridEncoder;
import org.dust4j.sim.train.SimSpec;
import org.dust4j.sim.train.Variant;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dust4j v2 ...}: the benchmark-v2 suite's encoder and baseline commands (issue 9). */
@Command(name = "v2", mixinStandardHelpOptions = true,
        description = "Benchmark v2: proprioceptive-state tasks that need vision or foresight, the learned/oracle image encoders, "
                + "expert ceiling and no-op/random floor.",
        subcommands = {V2Commands.EncoderTrain.class, V2Commands.EncoderProbeCmd.class, V2Commands.Baselines.class, V2Commands.Diagnose.class})
public final class V2Commands implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static String sha256(Path f) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** {@code dust4j v2 encoder-train}: trains the learned v2 image encoder, bit for bit reproducibly. */
    @Command(name = "encoder-train", mixinStandardHelpOptions = true,
            description = "Train the learned v2 image encoder (a per-view strided CNN, 4x4 tokens of 16 channels) on scripted-expert frames of "
                    + "the v2 tasks, supervised by the oracle's per-token scene facts. Single-threaded, seeded: the same settings give the same "
                    + "weights bit for bit (the SHA-256 is printed).")
    public static final class EncoderTrain implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Weights file to write (safetensors; replaced atomically).")
        Path out;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the frames, initialisation and shuffle (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--episodes-per-task", defaultValue = "40", paramLabel = "N", description = "Expert episodes per v2 task (default ${DEFAULT-VALUE}).")
        int episodes;

        @Option(names = "--stride", defaultValue = "4", paramLabel = "K", description = "Keep every K-th frame (default ${DEFAULT-VALUE}).")
        int stride;

        @Option(names = "--epochs", defaultValue = "16", description = "Epochs (default ${DEFAULT-VALUE}).")
        int epochs;

        @Option(names = "--batch", defaultValue = "64", description = "Tokens per Adam step (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--lr", defaultValue = "0.002", description = "Adam learning rate (default ${DEFAULT-VALUE}).")
        double lr;

        @Override
        public Integer call() throws IOException {
            SimCommands.require(episodes >= 1 && episodes <= 10_000, "--episodes-per-task must be in [1, 10000], got " + episodes);
            SimCommands.require(stride >= 1 && stride <= 1000, "--stride must be in [1, 1000], got " + stride);
            LearnedEncoder.Settings s = new LearnedEncoder.Settings(seed, episodes, stride, epochs, batch, lr);
            PrintWriter err = spec.commandLine().getErr(), o = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            LearnedEncoder e = LearnedEncoder.train(Task.allV2(), s, line -> {
                err.println(line);
                err.flush();
            });
            Path abs = out.toAbsolutePath();
            if (abs.getParent() != null) Files.createDirectories(abs.getParent());
            e.save(out, s);
            o.printf(Locale.ROOT, "wrote %s (%d bytes) in %.1f s%nsha256 %s%n", out, Files.size(out), (System.nanoTime() - t0) / 1e9, sha256(out));
            o.flush();
            return 0;
        }
    }

    /** {@code dust4j v2 encoder-probe}: linear-probe R^2 of the scene state for the v2 encoders and the v1 stand-in. */
    @Command(name = "encoder-probe", mixinStandardHelpOptions = true,
            description = "Linear-probe R^2 of the scene state (objects, pads, cabinet, drawer; ridge, picked on a validation split) from each "
                    + "encoder's image tokens, fitted on expert frames of one seed stream and scored on other layouts.")
    public static final class EncoderProbeCmd implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--encoders", defaultValue = "oracle,learned,random", paramLabel = "LIST", description = "Encoders to probe (default ${DEFAULT-VALUE}).")
        String encoders;

        @Option(names = "--weights", defaultValue = SimSpec.LEARNED_DEFAULT_PATH, paramLabel = "FILE", description = "Learned encoder weights (default ${DEFAULT-VALUE}).")
        Path weights;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the probe frames (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--train-episodes", defaultValue = "40", paramLabel = "N", description = "Probe-fit episodes per task (default ${DEFAULT-VALUE}).")
        int trainEpisodes;

        @Option(names = "--test-episodes", defaultValue = "12", paramLabel = "N", description = "Held-out episodes per task (default ${DEFAULT-VALUE}).")
        int testEpisodes;

        @Option(names = "--stride", defaultValue = "8", paramLabel = "K", description = "Keep every K-th frame (default ${DEFAULT-VALUE}).")
        int stride;

        @Override
        public Integer call() throws IOException {
            SimCommands.require(trainEpisodes >= 2 && trainEpisodes <= 10_000, "--train-episodes must be in [2, 10000], got " + trainEpisodes);
            SimCommands.require(testEpisodes >= 1 && testEpisodes <= 10_000, "--test-episodes must be in [1, 10000], got " + testEpisodes);
            SimCommands.require(stride >= 1 && stride <= 1000, "--stride must be in [1, 1000], got " + stride);
            Renderer r = new Renderer(TokenGridEncoder.TOP, TokenGridEncoder.WRIST);
            // probe-fit frames: a stream other than the encoder's training frames; held-out frames: yet another
            var train = SceneSamples.collect(Task.allV2(), trainEpisodes, seed, SceneSamples.PROBE, stride, r);
            var test = SceneSamples.collect(Task.allV2(), testEpisodes, seed + 1, SceneSamples.PROBE, stride, r);
            PrintWriter o = spec.commandLine().getOut();
            for (String name : encoders.split(",")) {
                Function<org.dust4j.sim.Frame, float[]> f = switch (name.trim()) {
                    case "oracle" -> new OracleEncoder()::frameFeatures;
                    case "learned" -> LearnedEncoder.load(weights)::frameFeatures;
                    case "random" -> EncoderProbe.randomFeatures(new FrozenRandomEncoder(Variant.ENCODER, TokenGridEncoder.TOP, TokenGridEncoder.WRIST));
                    default -> throw new IllegalArgumentException("--encoders: unknown encoder '" + name.trim() + "' (known: oracle, learned, random)");
                };
                o.print(EncoderProbe.probe(name.trim(), f, train, test).table());
                o.flush();
            }
            return 0;
        }
    }

    /** {@code dust4j v2 baselines}: expert ceiling and no-op / random floor on the v2 tasks, paired episodes. */
    @Command(name = "baselines", mixinStandardHelpOptions = true,
            description = "Expert ceiling (noise-free and with demonstration noise) and the no-op and uniform-random floors on the v2 tasks: "
                    + "success with 95%% Wilson intervals, final goal distance and drawer fraction, all on the same (paired) episode layouts, "
                    + "with the exact McNemar p-value of each policy against the noise-free expert.")
    public static final class Baselines implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--tasks", defaultValue = "all-v2", paramLabel = "LIST", description = "Tasks (default ${DEFAULT-VALUE}).")
        String tasks;

        @Option(names = "--episodes-per-task", defaultValue = "20", paramLabel = "N", description = "Episodes per task (default ${DEFAULT-VALUE}).")
        int episodes;

        @Option(names = "--seed", defaultValue = "0", description = "Evaluation seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--threads", defaultValue = "2", description = "Episode threads (results do not depend on it; default ${DEFAULT-VALUE}).")
        int threads;

        @Override
        public Integer call() {
            SimCommands.require(episodes >= 1 && episodes <= 100_000, "--episodes-per-task must be in [1, 100000], got " + episodes);
            SimCommands.require(threads >= 1 && threads <= 256, "--threads must be in [1, 256], got " + threads);
            List<Task> ts = Task.parseList(tasks);
            PairedEvaluator pe = new PairedEvaluator(episodes, seed, 8, new Renderer(TokenGridEncoder.TOP, TokenGridEncoder.WRIST));
            PrintWriter o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "v2 baselines: %d episodes per task, eval seed %d, chunks of 16, execute 8%n%n", episodes, seed);
            String[] names = {"expert (no noise)", "expert (demo noise)", "no-op", "random"};
            List<Function<Integer, Policy>> ps = List.of(i -> new ExpertPolicy(ScriptedExpert.Noise.NONE, 16),
                    i -> new ExpertPolicy(ScriptedExpert.Noise.DEFAULT, 16), i -> new NoOpPolicy(16), i -> new RandomPolicy(seed, 16));
            PairedEvaluator.Run ref = null;
            for (int k = 0; k < names.length; k++) {
                PairedEvaluator.Run run = pe.evaluate(ts, ps.get(k), threads);
                o.println(names[k]);
                o.print(PairedEvaluator.table(ts, run));
                if (ref == null) ref = run;
                else {
                    var d = PairedStats.discordant(ref.successes(), run.successes());
                    o.printf(Locale.ROOT, "vs expert (no noise): discordant %d / %d, exact McNemar p = %.3g%n", d.b(), d.c(),
                            PairedStats.mcnemarExact(d.b(), d.c()));
                }
                o.println();
                o.flush();
            }
            return 0;
        }
    }

    /** {@code dust4j v2 diagnose}: the issue-9 diagnostics on a trained model. */
    @Command(name = "diagnose", mixinStandardHelpOptions = true,
            description = "Diagnostics on a trained model and a held-out dataset: (a) vision reliance: action loss at tau_A in {0.25, 0.5, 0.75} "
                    + "with the true future at tau_O in {0, 0.5, 1}; (b) the N_O sweep (N_A = 4, start and end, plus synchronous N_A = N_O in {4, 16}): "
                    + "success, relative action change vs q = 1, future-embedding error, latency; (c) open-loop action error with the sampled vs "
                    + "the true future.")
    public static final class Diagnose implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (with sim.json).")
        Path model;

        @Option(names = "--data", required = true, paramLabel = "DIR", description = "Held-out dataset (generate it with another --seed than the training data).")
        Path data;

        @Option(names = "--what", defaultValue = "vision,openloop,sweep", paramLabel = "LIST", description = "Diagnostics to run (default ${DEFAULT-VALUE}).")
        String what;

        @Option(names = "--samples", defaultValue = "64", paramLabel = "N", description = "Held-out samples for (a), (c) and the open-loop part of (b) (default ${DEFAULT-VALUE}).")
        int samples;

        @Option(names = "--seed", defaultValue = "0", description = "Sample and noise seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--tasks", defaultValue = "all-v2", paramLabel = "LIST", description = "Closed-loop tasks of the sweep (default ${DEFAULT-VALUE}).")
        String tasks;

        @Option(names = "--episodes-per-task", defaultValue = "10", paramLabel = "N", description = "Closed-loop episodes per task and sweep point (default ${DEFAULT-VALUE}).")
        int episodes;

        @Option(names = "--eval-seed", defaultValue = "0", description = "Closed-loop evaluation seed (default ${DEFAULT-VALUE}).")
        long evalSeed;

        @Option(names = "--n-o", defaultValue = "4,8,16,32,64", paramLabel = "LIST", description = "N_O values of the sweep, multiples of 4 (default ${DEFAULT-VALUE}).")
        String nos;

        @Option(names = "--threads", defaultValue = "2", description = "Episode threads (default ${DEFAULT-VALUE}).")
        int threads;

        @Override
        public Integer call() throws IOException {
            SimCommands.require(samples >= 1 && samples <= 4096, "--samples must be in [1, 4096], got " + samples);
            SimCommands.require(episodes >= 1 && episodes <= 100_000, "--episodes-per-task must be in [1, 100000], got " + episodes);
            SimCommands.require(threads >= 1 && threads <= 256, "--threads must be in [1, 256], got " + threads);
            java.util.Set<String> ws = new java.util.LinkedHashSet<>();
            for (String w : what.split(",")) {
                String x = w.trim();
                SimCommands.require(x.equals("vision") || x.equals("openloop") || x.equals("sweep"), "--what: unknown diagnostic '" + x + "' (known: vision, openloop, sweep)");
                ws.add(x);
            }
            int[] no;
            try {
                no = java.util.Arrays.stream(nos.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--n-o must be a comma-separated list of integers, got '" + nos + "'");
            }
            for (int n : no) SimCommands.require(n >= 4 && n <= 1024 && n % 4 == 0, "--n-o values must be multiples of 4 in [4, 1024], got " + n);
            org.dust4j.model.PolicyModel m = org.dust4j.model.PolicyModel.load(model);
            SimSpec sim = SimSpec.read(model).checkAgainst(m.config(), "--model " + model);
            PrintWriter o = spec.commandLine().getOut();
            try (org.dust4j.sim.DatasetReader r = org.dust4j.sim.DatasetReader.open(data)) {
                if (ws.contains("vision")) {
                    double[][] l = org.dust4j.sim.train.Diagnostics.visionReliance(m, sim, r, samples, seed);
                    o.printf(Locale.ROOT, "(a) vision reliance: action loss, %d held-out samples%n%-8s", samples, "tau_A");
                    for (double t : org.dust4j.sim.train.Diagnostics.TAU_O) o.printf(Locale.ROOT, "  tau_O=%-5.2f", t);
                    o.println();
                    for (int i = 0; i < l.length; i++) {
                        o.printf(Locale.ROOT, "%-8.2f", org.dust4j.sim.train.Diagnostics.TAU_A[i]);
                        for (double x : l[i]) o.printf(Locale.ROOT, "  %-11.5f", x);
                        o.println();
                    }
                    o.flush();
                }
                if (ws.contains("openloop")) {
                    double[] e = org.dust4j.sim.train.Diagnostics.openLoop(m, sim, r, samples, seed);
                    o.printf(Locale.ROOT, "(c) open-loop action MSE vs labels: sampled future %.5f, true future %.5f%n", e[0], e[1]);
                    o.flush();
                }
                if (ws.contains("sweep")) {
                    List<Task> ts = Task.parseList(tasks);
                    o.printf(Locale.ROOT, "(b) sweep: %d episodes per task on %d tasks, eval seed %d%n%-12s %4s %4s %-6s %-22s %10s %10s %10s%n", episodes, ts.size(), evalSeed,
                            "mode", "N_A", "N_O", "update", "success", "rel dA", "fut MSE", "ms/sample");
                    for (var p : org.dust4j.sim.train.Diagnostics.sweep(m, sim, r, samples, seed, no, ts, episodes, evalSeed, 8, threads)) {
                        double[] ci = org.dust4j.sim.Wilson.interval95(p.successes(), p.episodes());
                        o.printf(Locale.ROOT, "%-12s %4d %4d %-6s %.3f [%.3f, %.3f]  %10.4f %10.4f %10.2f%n", p.label(), p.actionSteps(), p.visionSteps(),
                                p.variant().name().toLowerCase(Locale.ROOT), p.success(), ci[0], ci[1], p.relActionChange(), p.futureError(), p.latencyMs());
                        o.flush();
                    }
                }
            }
            return 0;
        }
    }
}
