package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dust4j embed} end to end on the backbone fixtures (testdata/backbone, written by
 * tools/reference/backbone_fixtures.py): outputs within the contract's check |out - ref| <= 1e-4 + 1e-3·|ref|
 * (section 5), the mask exactly, and a refusal that exits 1 with one line and writes nothing.
 */
class EmbedCommandTest {

    static Path fixture(String name) {
        return ModelCommandsTest.repo().resolve("testdata/backbone").resolve(name);
    }

    @Test
    void embedWithIntermediatesMatchesTheReference(@TempDir Path tmp) throws Exception {
        for (String[] c : new String[][] {{"n15layout", "mapped"}, {"bf16shard", "f32"}}) {
            Path dir = fixture(c[0]), out = tmp.resolve(c[0] + ".st");
            var r = ModelCommandsTest.run("embed", "--model", dir.toString(), "--inputs", dir.resolve("case0.in.safetensors").toString(),
                    "--out", out.toString(), "--intermediates", "--weights", c[1]);
            assertEquals(0, r.code(), r.err());
            Map<String, Tensor> want = ModelCommandsTest.read(dir.resolve("case0.out.safetensors")), got = ModelCommandsTest.read(out);
            assertEquals(want.keySet(), got.keySet());
            for (String k : want.keySet()) {
                if (k.equals("backbone_attention_mask")) {
                    assertArrayEquals(want.get(k).toLongArray(), got.get(k).toLongArray(), k);
                    continue;
                }
                assertArrayEquals(want.get(k).shape(), got.get(k).shape(), k);
                float[] w = want.get(k).toFloatArray(), g = got.get(k).toFloatArray();
                for (int i = 0; i < w.length; i++) {
                    assertTrue(Math.abs(g[i] - w[i]) <= 1e-4 + 1e-3 * Math.abs(w[i]), c[0] + " " + k + "[" + i + "] " + g[i] + " vs " + w[i]);
                }
            }
        }
    }

    @Test
    void refusalWritesNothing(@TempDir Path tmp) throws Exception {
        Path dir = fixture("n15layout");
        Map<String, Tensor> in = ModelCommandsTest.read(dir.resolve("case0.in.safetensors"));
        SafetensorsWriter w = new SafetensorsWriter();
        in.forEach((k, v) -> w.put(k, v, k.equals("images") ? SafeDType.U8 : SafeDType.of(v.dtype())));
        w.put("pixel_values", Tensor.zeros(3, 3, 30, 30));
        Path bad = tmp.resolve("both.st"), out = tmp.resolve("out.st");
        w.write(bad);
        var r = ModelCommandsTest.run("embed", "--model", dir.toString(), "--inputs", bad.toString(), "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dust4j: error: inputs: ") && r.err().contains("both"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }
}
