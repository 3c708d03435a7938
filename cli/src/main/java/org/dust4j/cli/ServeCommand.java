package org.dust4j.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dust4j.model.DustPolicy;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.SamplerOptions;
import org.dust4j.serve.DataConfig;
import org.dust4j.serve.Gr00tMetadata;
import org.dust4j.serve.MsgCodec;
import org.dust4j.serve.NdArray;
import org.dust4j.serve.PolicyServer;
import org.dust4j.serve.PolicyService;
import org.dust4j.serve.RobotUnits;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dust4j serve}: the policy as a GR00T-protocol ZeroMQ server. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over ZeroMQ with Isaac-GR00T's inference protocol (endpoints ping, kill, get_action, "
                + "get_modality_config; msgpack with numpy arrays), so a GR00T-style client works unchanged. States and actions are in "
                + "robot units: normalised with the checkpoint's GR00T-N1.5 metadata (experiment_cfg/metadata.json).",
                "get_action takes the state keys as [1,w] (or [B,1,w]) arrays and, until the Java VL backbone lands, the VL features "
                        + "'backbone_features' [S,Dvl] (or [B,S,Dvl]); video.* and annotation.* keys are accepted and ignored; optional "
                        + "'noise_seed' (int). Replies map each action key to float32 [Ta,w] (or [B,Ta,w]). See docs/cli.md.",
                "Ends on the kill endpoint or SIGTERM/Ctrl-C after the request in flight."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (config.json + weights).")
    Path model;

    @Option(names = "--port", defaultValue = "5555", description = "TCP port (default ${DEFAULT-VALUE}; 0 picks a free one and prints it).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Interface to bind (default ${DEFAULT-VALUE}; '*' for all).")
    String host;

    @Option(names = "--metadata", paramLabel = "FILE", description = "GR00T metadata.json (default: DIR/experiment_cfg/metadata.json).")
    Path metadata;

    @Option(names = "--data-config", paramLabel = "FILE", description = "Key order and normalisation modes (JSON, see docs/cli.md); "
            + "default: the metadata's keys in file order, min_max (binary for discrete keys).")
    Path dataConfig;

    @Option(names = "--embodiment", paramLabel = "TAG", description = "Embodiment tag to serve (default: the data config's, else the metadata's only tag).")
    String embodiment;

    @Option(names = "--action-steps", defaultValue = "0", paramLabel = "N_A", description = "Action denoising steps (default: the config's).")
    int actionSteps;

    @Option(names = "--seed", defaultValue = "0", description = "First noise seed for requests without 'noise_seed' (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--max-message-mb", defaultValue = "256", paramLabel = "MB", description = "Largest request the transport accepts (default ${DEFAULT-VALUE}).")
    int maxMessageMb;

    @Option(names = "--api-token", paramLabel = "T", description = "Require this api_token in every request (GR00T's option).")
    String apiToken;

    @Option(names = "--log-every", defaultValue = "100", paramLabel = "N", description = "Log latency percentiles every N get_action requests (default ${DEFAULT-VALUE}).")
    int logEvery;

    @CommandLine.Mixin
    DeviceOption device;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N", description = "Warm-up samples before listening (default ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be 0..65535, got " + port);
        if (maxMessageMb < 1 || maxMessageMb > 4096) throw new IllegalArgumentException("--max-message-mb must be 1..4096, got " + maxMessageMb);
        if (warmup < 0 || logEvery < 0) throw new IllegalArgumentException("--warmup and --log-every must be >= 0");
        if (!Files.isDirectory(model)) throw new IllegalArgumentException("--model " + model + " is not a directory");
        Path meta = metadata != null ? metadata : model.resolve("experiment_cfg").resolve("metadata.json");
        if (!Files.isRegularFile(meta)) {
            throw new IllegalArgumentException("serve: no normalisation metadata at " + meta + " (GR00T checkpoints keep it in experiment_cfg/metadata.json; "
                    + "pass --metadata FILE)");
        }
        DataConfig dc = dataConfig != null ? DataConfig.load(dataConfig) : DataConfig.defaults();
        if (embodiment != null) {
            dc = new DataConfig(embodiment, dc.embodimentId(), dc.videoKeys(), dc.stateKeys(), dc.actionKeys(), dc.languageKeys(),
                    dc.observationIndices(), dc.actionIndices(), dc.normalization());
        }
        PrintStream log = System.err;
        DustPolicy policy = DustPolicy.load(model, device.resolve()).withOptions(new SamplerOptions(actionSteps, 1, SamplerOptions.Variant.START));
        ModelConfig c = policy.model().config();
        RobotUnits units = RobotUnits.forModel(Gr00tMetadata.load(meta), dc, c);
        PolicyService service = new PolicyService(policy, units, seed);
        log.printf("serve: %s (%s), embodiment %s -> projector %d; state %s; action %s x %d steps%n", model, c.type(), units.tag(),
                units.embodimentId(), names(units.stateKeys()), names(units.actionKeys()), c.horizon());
        warmUp(service, units, c, log);
        PolicyServer.Options o = new PolicyServer.Options(host, port, (long) maxMessageMb << 20, MsgCodec.Limits.defaults(), apiToken, logEvery);
        PolicyServer server = new PolicyServer(service, o, log);
        Thread hook = new Thread(() -> {
            try {
                server.stopAndWait(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        log.println("serve: listening on tcp://" + host + ":" + server.port());
        log.flush();
        server.run();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting because of the signal; the hook has stopped the server
        }
        return 0;
    }

    private static String names(java.util.List<RobotUnits.Key> keys) {
        return keys.stream().map(k -> k.name() + "[" + k.width() + "]").toList().toString();
    }

    /** Runs a few samples on zero inputs so the first request does not pay for class loading and JIT warm-up. */
    private void warmUp(PolicyService service, RobotUnits units, ModelConfig c, PrintStream log) {
        if (warmup == 0) return;
        Map<String, Object> obs = new java.util.LinkedHashMap<>();
        for (RobotUnits.Key k : units.stateKeys()) obs.put(k.name(), NdArray.ofFloats(new float[k.width()], 1, k.width()));
        obs.put(PolicyService.FEATURES, NdArray.ofFloats(new float[16 * c.vlDim()], 16, c.vlDim()));
        obs.put(PolicyService.SEED, 0L);
        long t0 = System.nanoTime();
        for (int i = 0; i < warmup; i++) service.getAction(obs);
        log.printf(java.util.Locale.ROOT, "serve: warm-up %d samples in %.0f ms%n", warmup, (System.nanoTime() - t0) / 1e6);
    }
}
