package org.dust4j.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dust4j.model.DustPolicy;
import org.dust4j.model.PolicyModel;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Frames + instruction + state -> actions in one call, on a directory holding a tiny GR00T-N1.5 head
 * (testdata/model/gr00t, VL width 16) and the n15layout backbone with project_to_dim 16. The one-call result must be
 * bit-identical to embedding the same frames and ids and sampling the head from those features by hand (all L rows,
 * in order, no mask), and differ when the instruction changes.
 */
class VisionLanguagePolicyTest {

    /** A stand-in prompt encoder: a few ids per word, then T image tokens per image, then two more ids. */
    static VisionLanguagePolicy.PromptEncoder encoder(BackboneConfig c) {
        return (text, images) -> {
            List<Long> ids = new ArrayList<>(List.of(3L, 5L));
            for (int i = 0; i < images; i++) {
                ids.add(7L);
                for (int t = 0; t < c.imageTokens(); t++) ids.add((long) c.imageToken());
                ids.add(8L);
            }
            for (char ch : text.toCharArray()) ids.add((long) (ch % 100));
            ids.add(9L);
            return ids.stream().mapToLong(Long::longValue).toArray();
        };
    }

    static Path combined(Path dir, Integer projectTo) throws Exception {
        Path head = BackboneParityTest.repo().resolve("testdata/model/gr00t"), bb = BackboneParityTest.fixture("n15layout");
        ObjectNode cfg = (ObjectNode) BackboneConfig.JSON.readTree(Files.readAllBytes(head.resolve("config.json")));
        ObjectNode bbc = (ObjectNode) BackboneConfig.JSON.readTree(Files.readAllBytes(bb.resolve("config.json")));
        cfg.set("eagle_config", bbc.get("eagle_config"));
        ObjectNode b = (ObjectNode) cfg.get("backbone_cfg");
        b.put("select_layer", 2);
        if (projectTo == null) b.putNull("project_to_dim");
        else b.put("project_to_dim", projectTo);
        Files.createDirectories(dir);
        Files.write(dir.resolve("config.json"), BackboneConfig.JSON.writeValueAsBytes(cfg));
        SafetensorsWriter w = new SafetensorsWriter();
        BackboneParityTest.read(head.resolve("model.safetensors")).forEach(w::put);
        BackboneParityTest.read(bb.resolve("model.safetensors")).forEach(w::put);
        if (projectTo != null) {
            float[] wt = new float[projectTo * 48], bias = new float[projectTo];
            for (int i = 0; i < wt.length; i++) wt[i] = (float) Math.sin(i * 0.7) / 7;
            for (int i = 0; i < bias.length; i++) bias[i] = (float) Math.cos(i) / 10;
            w.put("backbone.eagle_linear.weight", Tensor.of(wt, projectTo, 48)).put("backbone.eagle_linear.bias", Tensor.of(bias, projectTo));
        }
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    @Test
    void oneCallEqualsBackboneThenHead(@TempDir Path tmp) throws Exception {
        Path dir = combined(tmp.resolve("m"), 16);
        BackboneConfig c = BackboneConfig.read(dir);
        int s = c.imageSize();
        List<byte[]> frames = new ArrayList<>();
        for (int f = 0; f < 2; f++) {
            byte[] px = new byte[s * s * 3];
            for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 37 + f * 101);
            frames.add(px);
        }
        float[] state = {0.1f, -0.2f, 0.3f};
        try (VisionLanguagePolicy p = VisionLanguagePolicy.load(dir, BackboneWeights.Mode.MAPPED, encoder(c))) {
            DustPolicy.ActionChunk got = p.actOnRaw(frames, "pick up the cube", state, 1, 42);

            // by hand: pixel values, ids, embed, all rows as vl, sample
            int[] u = new int[2 * s * s * 3];
            for (int f = 0; f < 2; f++) for (int i = 0; i < s * s * 3; i++) u[f * s * s * 3 + i] = frames.get(f)[i] & 0xff;
            long[] ids = encoder(c).encode("pick up the cube", 2);
            long[] mask = new long[ids.length];
            java.util.Arrays.fill(mask, 1);
            EagleBackbone.Output o = p.backbone().embed(EmbedFiles.pixelValues(Tensor.ofInts(u, 2, s, s, 3)), Tensor.ofLongs(ids, 1, ids.length),
                    Tensor.ofLongs(mask, 1, ids.length));
            float[] f = o.features().toFloatArray();
            float[][] vl = new float[ids.length][16];
            for (int i = 0; i < ids.length; i++) System.arraycopy(f, i * 16, vl[i], 0, 16);
            DustPolicy head = new DustPolicy(PolicyModel.load(dir), null);
            DustPolicy.ActionChunk want = head.sample(new DustPolicy.Observation(vl, state, 1, 42));
            assertTrue(want.actions().length > 0);
            for (int i = 0; i < want.actions().length; i++) assertArrayEquals(want.actions()[i], got.actions()[i], "action row " + i);

            DustPolicy.ActionChunk other = p.actOnRaw(frames, "place it in the bowl", state, 1, 42);
            boolean differs = false;
            for (int i = 0; i < want.actions().length; i++) differs |= !java.util.Arrays.equals(want.actions()[i], other.actions()[i]);
            assertTrue(differs, "the instruction reaches the actions");

            String msg = assertThrows(IllegalArgumentException.class, () -> p.actOnRaw(List.of(new byte[10]), "x", state, 1, 0)).getMessage();
            assertTrue(msg.contains("frame 0 has 10 bytes, expected 30x30x3"), msg);
        }
    }

    @Test
    void widthMismatchIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = combined(tmp.resolve("m"), null);
        String msg = assertThrows(IllegalArgumentException.class,
                () -> VisionLanguagePolicy.load(dir, BackboneWeights.Mode.MAPPED, (t, n) -> new long[0])).getMessage();
        assertTrue(msg.contains("48-wide features") && msg.contains("backbone_embedding_dim is 16"), msg);
    }
}
