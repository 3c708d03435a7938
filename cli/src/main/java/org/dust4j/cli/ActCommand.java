package org.dust4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dust4j.backbone.VisionLanguagePolicy;
import org.dust4j.backbone.image.U8Image;
import org.dust4j.model.DustPolicy;
import org.dust4j.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dust4j act}: camera frames + instruction + robot state to one action chunk, backbone and head in one call
 * ({@link VisionLanguagePolicy}) on a GR00T-N1.5 checkpoint directory (backbone.* and action_head.* tensors).
 * Prints the chunk, one action per line; {@code --out} also writes it (safetensors, F32 [Ta, Da]).
 */
@Command(name = "act", mixinStandardHelpOptions = true,
        description = "Frames + instruction + state -> actions with a GR00T-N1.5 checkpoint (backbone + action head in one call).")
public final class ActCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "GR00T-N1.5 checkpoint directory (config.json + safetensors).")
    Path model;

    @Option(names = "--image", required = true, split = ",", paramLabel = "FILE",
            description = "Camera frames (PNG/JPEG, any size: resized to the model's image size), comma-separated, in the data config's view order.")
    List<Path> images;

    @Option(names = "--instruction", paramLabel = "TEXT", description = "Task instruction (default: GR00T's \"Perform the default behavior.\").")
    String instruction;

    @Option(names = "--state", required = true, split = ",", paramLabel = "X", description = "Robot state values, comma-separated (zero-padded to max_state_dim).")
    List<Float> state;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "Tokenizer files (tokenizer.json, or vocab.json + merges.txt + added tokens); default: the model directory.")
    Path tokenizer;

    @Option(names = "--embodiment", defaultValue = "0", paramLabel = "ID", description = "Embodiment id (default ${DEFAULT-VALUE}).")
    int embodiment;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the initial action noise (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--weights", defaultValue = "mapped", paramLabel = "mapped|f32", description = "Backbone weight mode (see embed).")
    String weights;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the chunk as safetensors (actions [Ta, Da] F32).")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        var mode = EmbedCommand.mode(weights);
        List<U8Image> frames = new ArrayList<>();
        for (Path p : images) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("act: no such image file " + p);
            frames.add(U8Image.read(p));
        }
        float[] s = new float[state.size()];
        for (int i = 0; i < s.length; i++) {
            if (!Float.isFinite(state.get(i))) throw new IllegalArgumentException("act: --state value " + (i + 1) + " is " + state.get(i));
            s[i] = state.get(i);
        }
        Path tok = tokenizer == null ? model : tokenizer;
        DustPolicy.ActionChunk a;
        try (VisionLanguagePolicy p = VisionLanguagePolicy.load(model, tok, mode)) {
            a = p.act(frames, instruction, s, embodiment, seed);
        }
        PrintWriter o = spec.commandLine().getOut();
        for (float[] row : a.actions()) {
            StringBuilder sb = new StringBuilder();
            for (float v : row) sb.append(sb.isEmpty() ? "" : " ").append(v);
            o.println(sb);
        }
        o.flush();
        if (out != null) {
            int ta = a.actions().length, da = a.actions()[0].length;
            float[] flat = new float[ta * da];
            for (int i = 0; i < ta; i++) System.arraycopy(a.actions()[i], 0, flat, i * da, da);
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("actions", Tensor.of(flat, ta, da));
            ModelCommands.writeOutputs(out, m, Map.of("command", "act"));
        }
        return 0;
    }
}
