package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.dust4j.backbone.BackboneWeights;
import org.dust4j.backbone.VisionLanguagePolicy;
import org.dust4j.backbone.image.U8Image;
import org.dust4j.model.DustPolicy;
import org.dust4j.tensor.Half;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dust4j act} on a GR00T-N1.5-layout directory built from the fixtures: the tiny head (testdata/model/gr00t,
 * VL width 16) and the n15layout backbone with project_to_dim 16, the real special-token ids (image_token_index
 * 151669, so a 151680-row token table, random BF16) and the mini Qwen tokenizer of testdata/tokenizer/qwen-example.
 * Two PNG frames of odd sizes are resized to 30x30. The printed chunk must equal VisionLanguagePolicy's result for the
 * same frames, and a different instruction must change it.
 */
class ActCommandTest {

    static Path combined(Path dir) throws Exception {
        Path repo = ModelCommandsTest.repo(), head = repo.resolve("testdata/model/gr00t"), bb = repo.resolve("testdata/backbone/n15layout");
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(Files.readAllBytes(head.resolve("config.json")));
        ObjectNode eagle = (ObjectNode) json.readTree(Files.readAllBytes(bb.resolve("config.json"))).get("eagle_config");
        eagle.put("image_token_index", 151669);
        ((ObjectNode) eagle.get("text_config")).put("vocab_size", 151680);
        cfg.set("eagle_config", eagle);
        ((ObjectNode) cfg.get("backbone_cfg")).put("select_layer", 2).put("project_to_dim", 16);
        Files.createDirectories(dir);
        Files.write(dir.resolve("config.json"), json.writeValueAsBytes(cfg));
        SafetensorsWriter w = new SafetensorsWriter();
        ModelCommandsTest.read(head.resolve("model.safetensors")).forEach(w::put);
        String table = "backbone.eagle_model.language_model.model.embed_tokens.weight";
        ModelCommandsTest.read(bb.resolve("model.safetensors")).forEach((k, v) -> { if (!k.equals(table)) w.put(k, v); });
        w.putStreamed(table, SafeDType.BF16, new long[] {151680, 48}, (off, buf) -> {
            buf.order(ByteOrder.LITTLE_ENDIAN);
            for (long i = off / 2; buf.hasRemaining(); i++) buf.putShort(Half.floatToBf16((float) Math.sin(i * 0.37)));
        });
        float[] wt = new float[16 * 48], bias = new float[16];
        for (int i = 0; i < wt.length; i++) wt[i] = (float) Math.cos(i * 0.3) / 7;
        w.put("backbone.eagle_linear.weight", Tensor.of(wt, 16, 48)).put("backbone.eagle_linear.bias", Tensor.of(bias, 16));
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    static Path png(Path file, int h, int wd, int salt) throws Exception {
        BufferedImage img = new BufferedImage(wd, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < wd; x++) img.setRGB(x, y, (x * 40503 + y * 9973 + salt * 77) & 0xffffff);
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    @Test
    void actPrintsThePolicysChunk(@TempDir Path tmp) throws Exception {
        Path dir = combined(tmp.resolve("model"));
        Path tok = ModelCommandsTest.repo().resolve("testdata/tokenizer/qwen-example");
        Path a = png(tmp.resolve("a.png"), 41, 37, 1), b = png(tmp.resolve("b.png"), 30, 30, 2);
        String instr = "pick up the red cube and place it in the bowl";
        var r = ModelCommandsTest.run("act", "--model", dir.toString(), "--tokenizer", tok.toString(), "--image", a + "," + b,
                "--instruction", instr, "--state", "0.1,-0.2,0.3", "--embodiment", "1", "--seed", "5");
        assertEquals(0, r.code(), r.err());
        DustPolicy.ActionChunk want, other;
        try (VisionLanguagePolicy p = VisionLanguagePolicy.load(dir, tok, BackboneWeights.Mode.MAPPED)) {
            List<U8Image> frames = List.of(U8Image.read(a), U8Image.read(b));
            want = p.act(frames, instr, new float[] {0.1f, -0.2f, 0.3f}, 1, 5);
            other = p.act(frames, "pick up the cube", new float[] {0.1f, -0.2f, 0.3f}, 1, 5);
        }
        StringBuilder sb = new StringBuilder();
        for (float[] row : want.actions()) {
            for (int i = 0; i < row.length; i++) sb.append(i == 0 ? "" : " ").append(row[i]);
            sb.append(System.lineSeparator());
        }
        assertEquals(sb.toString(), r.out());
        assertTrue(!java.util.Arrays.deepEquals(want.actions(), other.actions()), "the instruction reaches the actions");
        var bad = ModelCommandsTest.run("act", "--model", dir.toString(), "--tokenizer", tok.toString(), "--image", tmp.resolve("nope.png").toString(),
                "--state", "0");
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("dust4j: error: act: no such image file"), bad.err());
    }
}
