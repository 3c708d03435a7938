package org.dust4j.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GR00T-N1.5-shaped checkpoint (573 backbone tensors, 1.33 B parameters, BF16, two ~2 GB shards, no eagle_config: the
 * published defaults) written with random weights by streaming ({@link RandomCheckpoint}; no tensor is held), loaded
 * in MAPPED mode (BF16 stays BF16) and run once: one 224x224 U8 frame and a 32-token instruction in the N1.5 prompt
 * layout (L = 314). Checks the output shapes, that every value is finite, and that the process's peak RSS stays within
 * 1.3x the BF16 weight bytes (the memory target). Prints load and embed time and peak RSS.
 *
 * <p>Opt-in because it writes 2.7 GB and runs ~600 GFLOP:
 * {@code mvn -B -q -o -pl backbone -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=FullSizeEmbedTest -Ddust4j.backbone.full=true}
 * (add {@code -Ddust4j.threads=2} to pin the thread count). Without the property the test is reported as aborted
 * (skipped) and prints why.
 */
class FullSizeEmbedTest {
    static final String PROPERTY = "dust4j.backbone.full";

    @Test
    void n15ShapedRandomCheckpointLoadsAndEmbeds(@TempDir Path dir) throws Exception {
        if (!Boolean.getBoolean(PROPERTY)) {
            String msg = "FullSizeEmbedTest NOT RUN: it writes a 2.7 GB GR00T-N1.5-shaped checkpoint; opt in with -D" + PROPERTY + "=true";
            System.out.println(msg);
            Assumptions.abort(msg);
        }
        assertTrue(Files.getFileStore(dir).getUsableSpace() > 4L << 30, "need 4 GiB free in " + dir);
        long t0 = System.nanoTime();
        RandomCheckpoint.write(dir, 1);
        Path in = dir.resolve("embed_in.safetensors");
        RandomCheckpoint.writeInputs(in, 32, 7);
        long t1 = System.nanoTime();
        long files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().startsWith("model-")).mapToLong(p -> p.toFile().length()).sum();
        }
        try (EagleBackbone bb = EagleBackbone.load(dir, BackboneWeights.Mode.MAPPED)) {
            long t2 = System.nanoTime();
            assertEquals(2_658_956_768L, bb.weights().boundBytes(), "1,329,478,384 BF16 parameters");
            EmbedFiles.Inputs x = EmbedFiles.read(in, bb.config());
            long t3 = System.nanoTime();
            EagleBackbone.Output o = bb.embed(x.pixelValues(), x.inputIds(), x.attentionMask());
            long t4 = System.nanoTime();
            long rss = Rss.peakBytes();
            assertArrayEquals(new int[] {1, 314, 2048}, o.features().shape());
            assertArrayEquals(new int[] {1, 256, 1152}, o.visionFeatures().shape());
            assertArrayEquals(new int[] {1, 256, 2048}, o.imageEmbeds().shape());
            for (float v : o.features().toFloatArray()) assertTrue(Float.isFinite(v), "finite features");
            for (float v : o.visionFeatures().toFloatArray()) assertTrue(Float.isFinite(v), "finite vision features");
            double sd = 0;
            for (float v : o.features().toFloatArray()) sd += v * v;
            sd = Math.sqrt(sd / o.features().numel());
            System.out.printf("FullSizeEmbedTest: checkpoint %.2f GB in shards, written in %.1f s; load %.2f s; embed (1 frame, L=314, %d threads) %.2f s;"
                    + " peak RSS %.2f GB = %.2fx the %.2f GB of BF16 weights; features rms %.3f%n",
                    files / 1e9, (t1 - t0) / 1e9, (t2 - t1) / 1e9, org.dust4j.tensor.Parallel.threads(), (t4 - t3) / 1e9,
                    rss / 1e9, rss / (double) bb.weights().boundBytes(), bb.weights().boundBytes() / 1e9, sd);
            assertTrue(sd > 0.1 && sd < 10, "RMS-normed features have O(1) scale, got " + sd);
            assertTrue(rss <= 1.3 * bb.weights().boundBytes(), "peak RSS " + rss + " exceeds 1.3x the BF16 weight bytes " + bb.weights().boundBytes());
        }
    }
}
