package org.dust4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dust4j.model.DustConfig;
import org.dust4j.model.Gr00tModel;
import org.dust4j.model.InputSpec;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsException;
import org.dust4j.weights.SafetensorsFile;
import org.dust4j.weights.SafetensorsWriter;
import org.dust4j.weights.TensorInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The numeric command-line interface of model-contract.md section 7 ({@code forward}, {@code loss},
 * {@code sample}) and {@code init}. Inputs and outputs are safetensors; outputs are F32 and written only after
 * every input has been validated and the computation has finished (atomically: temp file + rename). A missing
 * input, a wrong shape or dtype, or a model/input mismatch is one {@code dust4j: error:} line naming the tensor
 * and both shapes, exit 1, and nothing is written.
 */
public final class ModelCommands {
    private ModelCommands() {}

    /** Reads every tensor of IN; dtypes other than F32/F16/BF16/I64/I32 are an error naming the tensor. */
    static Map<String, Tensor> readInputs(Path file, InputSpec spec) throws SafetensorsException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("inputs: no such file " + file);
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (InputSpec.Entry e : spec.entries()) {
                if (!f.contains(e.name())) continue;              // reported as missing by the spec check
                TensorInfo info = f.info(e.name());
                SafeDType d = info.dtype();
                boolean ok = e.integer() ? (d == SafeDType.I64 || d == SafeDType.I32)
                        : (d == SafeDType.F32 || d == SafeDType.F16 || d == SafeDType.BF16);
                if (!ok) {
                    throw new IllegalArgumentException(spec.op() + ": input '" + e.name() + "' " + info.shapeString() + " has dtype " + d
                            + " but " + (e.integer() ? "I64 or I32" : "F32, F16 or BF16") + " is expected");
                }
                out.put(e.name(), e.integer() ? f.toTensor(e.name()) : f.toTensor(e.name(), DType.F32));
            }
        }
        return out;
    }

    /** Writes F32 outputs atomically (the writer renames a temp file into place). */
    static void writeOutputs(Path file, Map<String, Tensor> outputs, Map<String, String> metadata) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        SafetensorsWriter w = new SafetensorsWriter().metadata(metadata);
        for (Map.Entry<String, Tensor> e : outputs.entrySet()) w.put(e.getKey(), e.getValue().to(DType.F32).contiguous(), SafeDType.F32);
        w.write(file);
    }

    /**
     * Refuses an output path that is the input file or a file the model directory holds (config.json, weights,
     * index, shards): a failed or partial run must never destroy what it reads.
     */
    static void checkOut(Path out, Path inputs, Path model) throws IOException {
        Path o = real(out);
        if (inputs != null && o.equals(real(inputs))) {
            throw new IllegalArgumentException("--out " + out + " is the --inputs file; write the outputs elsewhere");
        }
        if (model != null && Files.isDirectory(model) && o.getParent() != null && o.getParent().equals(real(model))) {
            String n = o.getFileName().toString();
            if (Files.exists(o) || n.equals("config.json") || n.equals("model.safetensors") || n.endsWith(".index.json")
                    || n.matches("model-\\d+-of-\\d+\\.safetensors")) {
                throw new IllegalArgumentException("--out " + out + " would overwrite a file of the model directory " + model + "; write the outputs elsewhere");
            }
        }
    }

    /** The real path of {@code p} (links resolved) or, for a file not yet there, its real parent plus its name. */
    private static Path real(Path p) throws IOException {
        Path a = p.toAbsolutePath().normalize();
        if (Files.exists(a)) return a.toRealPath();
        Path parent = a.getParent();
        return parent != null && Files.exists(parent) ? parent.toRealPath().resolve(a.getFileName()) : a;
    }

    static PolicyModel loadModel(Path dir, Device device) throws SafetensorsException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model: " + dir + " is not a directory");
        return PolicyModel.load(dir, 0L, device);
    }

    /** Options shared by forward, loss and sample. */
    abstract static class Io implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (config.json + weights).")
        Path model;

        @Option(names = "--inputs", required = true, paramLabel = "IN", description = "Input tensors (safetensors).")
        Path inputs;

        @Option(names = "--out", required = true, paramLabel = "OUT", description = "Output file (safetensors, F32).")
        Path out;

        @CommandLine.Mixin
        DeviceOption device;

        @Option(names = "--allow-non-finite", description = "Accept inputs holding NaN or Infinity (default: an error naming the tensor); "
                + "they then propagate through the model as in PyTorch.")
        boolean allowNonFinite;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        /** Checks the device, then that --out overwrites neither the inputs nor a file of the model, then loads the model there. */
        PolicyModel load() throws IOException {
            org.dust4j.tensor.Device d = device.resolve();
            checkOut(out, inputs, model);
            return loadModel(model, d).allowNonFinite(allowNonFinite);
        }

        void done(Map<String, Tensor> outputs) {
            PrintWriter err = spec.commandLine().getErr();
            StringBuilder sb = new StringBuilder("wrote " + out + ":");
            outputs.forEach((k, v) -> sb.append(' ').append(k).append(Shape.str(v.shape())));
            err.println(sb);
            err.flush();
        }
    }

    @Command(name = "forward", mixinStandardHelpOptions = true,
            description = "Velocities for given noisy inputs and timestep buckets (model-contract.md section 7).")
    public static final class Forward extends Io {
        @Override
        public Integer call() throws Exception {
            PolicyModel m = load();
            Map<String, Tensor> o = m.forward(readInputs(inputs, m.forwardSpec()));
            writeOutputs(out, o, Map.of("command", "forward"));
            done(o);
            return 0;
        }
    }

    @Command(name = "loss", mixinStandardHelpOptions = true,
            description = "Flow-matching loss for given data, noise and tau (eval mode; section 5 and 7).")
    public static final class Loss extends Io {
        @Override
        public Integer call() throws Exception {
            PolicyModel m = load();
            PolicyModel.Losses l;
            try (var g = org.dust4j.autograd.GradMode.noGrad()) {
                l = m.loss(readInputs(inputs, m.lossSpec()));
            }
            Map<String, Tensor> o = new LinkedHashMap<>();
            o.put("loss", l.loss().value());
            o.put("loss_action", l.lossAction().value());
            o.put("loss_wm", l.lossWm().value());
            writeOutputs(out, o, Map.of("command", "loss"));
            done(o);
            return 0;
        }
    }

    @Command(name = "sample", mixinStandardHelpOptions = true,
            description = "Asynchronous joint sampling from given noise (DUST), or GR00T-N1.5's Euler sampler.")
    public static final class Sample extends Io {
        @Option(names = "--action-steps", paramLabel = "N_A", description = "Action steps (default: num_inference_timesteps).")
        Integer actionSteps;

        @Option(names = "--q", paramLabel = "Q", description = "Vision steps per action step, N_O = Q·N_A (default 1: synchronous).")
        Integer q;

        @Option(names = "--variant", paramLabel = "start|end", description = "Update the action at the start (default) or end of each block of Q steps.")
        String variant;

        @Override
        public Integer call() throws Exception {
            if (actionSteps != null && actionSteps <= 0) throw new IllegalArgumentException("sample: --action-steps must be positive, got " + actionSteps);
            if (q != null && q <= 0) throw new IllegalArgumentException("sample: --q must be positive, got " + q);
            SamplerOptions.Variant v = variant == null ? SamplerOptions.Variant.START : SamplerOptions.Variant.parse(variant);
            PolicyModel m = load();
            if (m instanceof Gr00tModel && (q != null || variant != null)) {
                throw new IllegalArgumentException("sample: --q and --variant do not apply to a gr00t_n1_5 model (it samples actions only)");
            }
            SamplerOptions o = new SamplerOptions(actionSteps == null ? 0 : actionSteps, q == null ? 1 : q, v);
            Map<String, Tensor> res = m.sample(readInputs(inputs, m.sampleSpec()), o);
            Map<String, Tensor> ordered = new LinkedHashMap<>();
            ordered.put("actions", res.get("actions"));
            if (res.containsKey("vision")) ordered.put("vision", res.get("vision"));
            writeOutputs(out, ordered, Map.of("command", "sample", "action_steps",
                    Integer.toString(actionSteps == null ? m.config().inferenceSteps() : actionSteps), "q", Integer.toString(o.q()),
                    "variant", o.variant().name().toLowerCase(java.util.Locale.ROOT)));
            done(ordered);
            return 0;
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Write a randomly initialised model directory (config.json + model.safetensors).")
    public static final class Init implements Callable<Integer> {
        @Option(names = "--config", required = true, paramLabel = "C", description = "A config.json (e.g. configs/dust-small.json).")
        Path config;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output model directory.")
        Path out;

        @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Initialisation seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--no-zero-adaln", description = "Keep the AdaLN modulation linears random (default: zero, as DiT).")
        boolean noZeroAdaln;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!Files.exists(config)) throw new IllegalArgumentException("init: no such config file " + config);
            ModelConfig c = ModelConfig.read(config);
            if (Files.exists(out.resolve("model.safetensors")) || Files.exists(out.resolve("config.json"))) {
                throw new IllegalArgumentException("init: " + out + " already holds a model (config.json or model.safetensors); not overwriting");
            }
            PolicyModel m = PolicyModel.create(c, seed);
            if (!noZeroAdaln) m.zeroAdaLn();
            m.save(out);
            long n = 0;
            for (var p : m.parameters()) n += p.value().numel();
            spec.commandLine().getErr().printf("wrote %s: %s%s, %,d parameters, seed %d, AdaLN %s%n", out, c.type(),
                    c instanceof DustConfig d ? " " + d.architecture() : "", n, seed, noZeroAdaln ? "random" : "zero");
            spec.commandLine().getErr().flush();
            return 0;
        }
    }
}
