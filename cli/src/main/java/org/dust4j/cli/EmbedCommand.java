package org.dust4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dust4j.backbone.BackboneWeights;
import org.dust4j.backbone.EagleBackbone;
import org.dust4j.backbone.EmbedFiles;
import org.dust4j.tensor.Shape;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dust4j embed} (backbone-contract.md section 5): the GR00T-N1.5 backbone from preprocessed pixel_values or U8
 * images plus token ids to backbone_features. Inputs and config are validated before any work; OUT is written
 * atomically and only on success.
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "GR00T-N1.5 backbone: images/pixel_values + input_ids + attention_mask -> backbone_features (backbone-contract.md).")
public final class EmbedCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "GR00T-N1.5 model directory (config.json + safetensors).")
    Path model;

    @Option(names = "--inputs", required = true, paramLabel = "IN",
            description = "Safetensors with pixel_values [N,3,S,S] F32/F16/BF16 or images [N,S,S,3] U8, input_ids and attention_mask [B,L] I64/I32.")
    Path inputs;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Output safetensors: backbone_features F32, backbone_attention_mask I64.")
    Path out;

    @Option(names = "--intermediates", description = "Also write vision_features [N,P,Dv] and image_embeds [N,T,D].")
    boolean intermediates;

    @Option(names = "--weights", defaultValue = "mapped", paramLabel = "mapped|f32",
            description = "mapped (default): weights stay in their stored dtype (BF16), decoded per use; f32: decoded once at load.")
    String weights;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    static BackboneWeights.Mode mode(String s) {
        return switch (s) {
            case "mapped" -> BackboneWeights.Mode.MAPPED;
            case "f32" -> BackboneWeights.Mode.F32;
            default -> throw new IllegalArgumentException("embed: --weights must be mapped or f32, got '" + s + "'");
        };
    }

    @Override
    public Integer call() throws Exception {
        BackboneWeights.Mode m = mode(weights);
        try (EagleBackbone bb = EagleBackbone.load(model, m)) {
            EmbedFiles.Inputs in = EmbedFiles.read(inputs, bb.config());
            long t0 = System.nanoTime();
            EagleBackbone.Output o = bb.embed(in.pixelValues(), in.inputIds(), in.attentionMask());
            double s = (System.nanoTime() - t0) / 1e9;
            Map<String, String> md = new LinkedHashMap<>();
            md.put("command", "embed");
            md.put("weights", weights);
            EmbedFiles.write(out, o, intermediates, md);
            spec.commandLine().getErr().printf("wrote %s: backbone_features%s backbone_attention_mask%s%s (embed %.2f s, %s weights)%n", out,
                    Shape.str(o.features().shape()), Shape.str(o.attentionMask().shape()),
                    intermediates ? " vision_features" + Shape.str(o.visionFeatures().shape()) + " image_embeds" + Shape.str(o.imageEmbeds().shape()) : "",
                    s, weights);
            spec.commandLine().getErr().flush();
        }
        return 0;
    }
}
