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
        subcommands = {V2Commands.EncoderTrain.class, V2Commands.EncoderProbeCmd.class, V2Commands.Baselines.class})
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
}
