package org.dust4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.sim.Evaluator;
import org.dust4j.sim.Task;
import org.dust4j.sim.train.ClosedLoop;
import org.dust4j.sim.train.SimSpec;
import org.dust4j.tensor.Device;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dust4j eval}: closed-loop evaluation of a trained model. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Closed-loop evaluation of a trained model (a model/ directory from 'dust4j train') on the simulated tasks with action "
                + "chunking: execute K of the Ta sampled actions, then replan. Prints the success rate per task and overall with 95%% Wilson "
                + "intervals; the same model, options and --seed give the same result.")
public final class EvalCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (config.json, model.safetensors, sim.json here or in the parent).")
    Path model;

    @Option(names = "--tasks", defaultValue = "all", paramLabel = "LIST", description = "Comma-separated task names, or 'all' (default).")
    String tasks;

    @Option(names = "--episodes-per-task", defaultValue = "10", paramLabel = "N", description = "Episodes per task (default ${DEFAULT-VALUE}).")
    int episodes;

    @Option(names = "--seed", defaultValue = "0", description = "Evaluation seed: layouts and sampler noise (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--execute-steps", defaultValue = "8", paramLabel = "K", description = "Actions executed per chunk before replanning (default ${DEFAULT-VALUE}).")
    int execute;

    @Option(names = "--action-steps", defaultValue = "0", paramLabel = "N_A", description = "Action denoising steps N_A (default: the config's, 4).")
    int actionSteps;

    @Option(names = "--q", defaultValue = "1", description = "DUST vision steps per action step: N_O = q x N_A (default ${DEFAULT-VALUE}: synchronous).")
    int q;

    @Option(names = "--variant", defaultValue = "start", paramLabel = "start|end", description = "Where in each block of q steps the action is updated (default ${DEFAULT-VALUE}).")
    String variant;

    @Option(names = "--threads", defaultValue = "2", description = "Episodes run in parallel (default ${DEFAULT-VALUE}); does not change the result.")
    int threads;

    @Option(names = "--out", paramLabel = "FILE.json", description = "Also write the result as JSON (atomically).")
    Path out;

    @CommandLine.Mixin
    DeviceOption device;

    /** Loads a model directory for evaluation onto {@code device}, with its simulator settings checked against its config. */
    static PolicyModel loadModel(Path dir, Device device) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--model " + dir + " is not a directory");
        PolicyModel m = PolicyModel.load(dir, 0L, device);
        SimSpec.read(dir).checkAgainst(m.config(), "--model " + dir);
        return m;
    }

    @Override
    public Integer call() throws IOException {
        List<Task> ts = Task.parseList(tasks);
        SamplerOptions opts = new SamplerOptions(actionSteps, q, SamplerOptions.Variant.parse(variant));
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        if (out != null) ModelCommands.checkOut(out, null, model);     // never over a file of the model directory
        PolicyModel m = loadModel(model, device.resolve());
        SimSpec sim = SimSpec.read(model);
        PrintWriter stdout = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        Evaluator.Result r = ClosedLoop.evaluate(m, sim, opts, ts, episodes, seed, execute, threads, line -> {
            err.println(line);
            err.flush();
        });
        double secs = (System.nanoTime() - t0) / 1e9;
        int nA = actionSteps > 0 ? actionSteps : m.config().inferenceSteps();
        stdout.printf(Locale.ROOT, "model %s (%s), %d episodes per task, seed %d, execute %d of %d, N_A %d, q %d (N_O %d), %s; %.1f s%n", model,
                m.config().type(), episodes, seed, execute, sim.actionHorizon(), nA, q, q * nA, opts.variant().name().toLowerCase(Locale.ROOT), secs);
        stdout.print(r.table());
        stdout.flush();
        if (out != null) writeJson(out, r, opts, nA);
        return 0;
    }

    static void writeJson(Path file, Evaluator.Result r, SamplerOptions o, int nA) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode n = json.createObjectNode();
        n.put("action_steps", nA);
        n.put("q", o.q());
        n.put("variant", o.variant().name().toLowerCase(Locale.ROOT));
        ArrayNode ts = n.putArray("tasks");
        for (Evaluator.TaskResult t : r.tasks()) {
            ObjectNode x = ts.addObject();
            x.put("task", t.task());
            x.put("successes", t.successes());
            x.put("episodes", t.episodes());
            x.put("rate", t.rate());
            x.put("mean_steps", t.meanSteps());
        }
        n.put("successes", r.successes());
        n.put("episodes", r.episodes());
        n.put("rate", r.rate());
        double[] ci = r.wilson95();
        n.putArray("wilson95").add(ci[0]).add(ci[1]);
        org.dust4j.weights.AtomicFiles.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
    }
}
