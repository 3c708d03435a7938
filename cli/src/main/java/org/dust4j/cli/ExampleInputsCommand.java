package org.dust4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dust4j.model.InputSpec;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dust4j example-inputs}: a valid input file for forward, loss or sample, to start from. */
@Command(name = "example-inputs", mixinStandardHelpOptions = true,
        description = "Write a valid input file for 'forward', 'loss' or 'sample' of a model: every tensor the operation reads, with the "
                + "model's shapes (B = --batch, S = --vl-tokens): seeded N(0,1) values for features, states and noise, 1 for masks, 0.5 "
                + "for tau, the middle bucket for timesteps, --embodiment for embodiment_id (I64). Names and shapes: docs/cli.md.")
public final class ExampleInputsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (only config.json is read).")
    Path model;

    @Option(names = "--op", required = true, paramLabel = "forward|loss|sample", description = "The operation the file is for.")
    String op;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output safetensors file.")
    Path out;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "B", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--vl-tokens", defaultValue = "8", paramLabel = "S", description = "VL feature tokens per sample (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--embodiment", defaultValue = "0", paramLabel = "ID", description = "embodiment_id of every sample (default ${DEFAULT-VALUE}).")
    int embodiment;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random values (default ${DEFAULT-VALUE}).")
    long seed;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || batch > 4096) throw new IllegalArgumentException("example-inputs: --batch must be 1..4096, got " + batch);
        if (tokens < 1 || tokens > 65536) throw new IllegalArgumentException("example-inputs: --vl-tokens must be 1..65536, got " + tokens);
        if (!Files.isRegularFile(model.resolve("config.json"))) throw new IllegalArgumentException("example-inputs: " + model + " has no config.json");
        ModelConfig c = ModelConfig.read(model);
        if (embodiment < 0 || embodiment >= c.embodiments()) {
            throw new IllegalArgumentException("example-inputs: --embodiment must be 0.." + (c.embodiments() - 1) + " for this model, got " + embodiment);
        }
        PolicyModel m = PolicyModel.create(c, org.dust4j.autograd.nn.ParamInit.placeholders(0));   // input specs only: no weights
        InputSpec s = switch (op.toLowerCase(Locale.ROOT)) {
            case "forward" -> m.forwardSpec();
            case "loss" -> m.lossSpec();
            case "sample" -> m.sampleSpec();
            default -> throw new IllegalArgumentException("example-inputs: --op must be forward, loss or sample, got \"" + op + "\"");
        };
        SafetensorsWriter w = new SafetensorsWriter().metadata(Map.of("op", s.op(), "model_type", c.type(), "seed", Long.toString(seed)));
        StringBuilder sb = new StringBuilder("wrote " + out + " (" + s.op() + "):");
        long stream = 0;
        for (InputSpec.Entry e : s.entries()) {
            int[] shape = InputSpec.shape(e, batch, tokens);
            int n = Math.toIntExact(Shape.numel(shape));
            if (e.integer()) {
                long[] v = new long[n];
                java.util.Arrays.fill(v, e.name().equals("embodiment_id") ? embodiment : c.buckets() / 2);
                w.put(e.name(), Tensor.ofLongs(v, shape), SafeDType.I64);
            } else {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = e.name().startsWith("tau_") ? 0.5f
                            : e.name().equals("action_mask") || e.name().equals("has_action") ? 1f
                            : Rng.normal(seed * 31 + stream, i);
                }
                w.put(e.name(), Tensor.of(v, shape), SafeDType.F32);
            }
            stream++;
            sb.append(' ').append(e.name()).append(Shape.str(shape)).append(e.integer() ? " I64" : " F32");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new IllegalArgumentException("example-inputs: folder " + parent + " does not exist");
        w.write(out);
        spec.commandLine().getErr().println(sb);
        spec.commandLine().getErr().flush();
        return 0;
    }
}
