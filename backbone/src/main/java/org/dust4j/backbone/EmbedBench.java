package org.dust4j.backbone;

import java.nio.file.Path;
import java.util.Arrays;
import org.dust4j.tensor.Parallel;

/**
 * Times {@link EagleBackbone#embed} for the backbone benchmark (tools/reference/backbone_bench.py runs it beside
 * PyTorch): loads DIR in one weight mode, runs the IN file {@code repeat} times, prints one line of key=value pairs
 * (load seconds, every embed's seconds, the median, peak RSS, bound weight bytes) and optionally writes the last
 * outputs to OUT so the peer can compare them.
 *
 * <p>{@code -Ddust4j.profile=true} routes the ops through a ProfilingBackend and prints its per-op table (time per embed).
 *
 * <pre>java -Ddust4j.threads=2 -cp cli/target/dust4j.jar org.dust4j.backbone.EmbedBench DIR IN mapped|f32 REPEAT [OUT]</pre>
 */
public final class EmbedBench {
    private EmbedBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4 || args.length > 5) {
            System.err.println("usage: EmbedBench DIR IN mapped|f32 REPEAT [OUT]");
            System.exit(2);
        }
        BackboneWeights.Mode mode = switch (args[2]) {
            case "mapped" -> BackboneWeights.Mode.MAPPED;
            case "f32" -> BackboneWeights.Mode.F32;
            default -> throw new IllegalArgumentException("mode must be mapped or f32, got " + args[2]);
        };
        int repeat = Integer.parseInt(args[3]);
        if (repeat < 1) throw new IllegalArgumentException("REPEAT must be >= 1");
        long t0 = System.nanoTime();
        org.dust4j.tensor.ProfilingBackend prof = Boolean.getBoolean("dust4j.profile")
                ? new org.dust4j.tensor.ProfilingBackend(org.dust4j.tensor.Backends.cpu()) : null;
        try (EagleBackbone bb = prof == null ? EagleBackbone.load(Path.of(args[0]), mode)
                : EagleBackbone.load(Path.of(args[0]), mode, prof)) {
            double load = (System.nanoTime() - t0) / 1e9;
            EmbedFiles.Inputs in = EmbedFiles.read(Path.of(args[1]), bb.config());
            double[] s = new double[repeat];
            EagleBackbone.Output o = null;
            for (int i = 0; i < repeat; i++) {
                long a = System.nanoTime();
                o = bb.embed(in.pixelValues(), in.inputIds(), in.attentionMask());
                s[i] = (System.nanoTime() - a) / 1e9;
            }
            if (prof != null) {
                long total = 0;
                for (double x : s) total += (long) (x * 1e9);
                System.err.println(prof.table(total, repeat));
            }
            double[] sorted = s.clone();
            Arrays.sort(sorted);
            if (args.length == 5) EmbedFiles.write(Path.of(args[4]), o, true, java.util.Map.of("command", "EmbedBench"));
            StringBuilder sb = new StringBuilder();
            for (double x : s) sb.append(sb.isEmpty() ? "" : ",").append(String.format("%.3f", x));
            System.out.printf("mode=%s threads=%d load_s=%.3f embed_s=%s median_s=%.3f min_s=%.3f peak_rss_bytes=%d weight_bytes=%d L=%d%n",
                    args[2], Parallel.threads(), load, sb, sorted[(repeat - 1) / 2], sorted[0], Rss.peakBytes(), bb.weights().boundBytes(),
                    in.inputIds().size(1));
        }
    }
}
