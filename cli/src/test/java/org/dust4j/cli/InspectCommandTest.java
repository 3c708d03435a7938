package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsWriter;
import org.dust4j.weights.ShardedWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void listsTensorsMetadataAndTotals(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter().metadata(Map.of("format", "pt"))
                .put("w", Tensor.zeros(2, 3)).put("b", Tensor.zeros(3), SafeDType.BF16).put("s", Tensor.scalar(1f))
                .write(p);
        Result r = run("inspect", p.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("metadata   format = pt"), r.out());
        assertTrue(r.out().matches("(?s).*\\n  w\\s+F32\\s+\\[2, 3\\]\\s+24\\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*\\n  b\\s+BF16\\s+\\[3\\]\\s+6\\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*\\n  F32\\s+2 tensors\\s+7 elements\\s+28 bytes\\n.*"), r.out());
        assertTrue(r.out().contains("valid      yes"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void jsonOutputForAShardedDirectory(@TempDir Path dir) throws Exception {
        new ShardedWriter(20).put("a", Tensor.zeros(4)).put("b", Tensor.zeros(4)).write(dir);
        Result r = run("inspect", "--json", dir.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("valid").asBoolean());
        assertEquals("sharded", j.get("format").asText());
        assertEquals(2, j.get("files").size());
        assertEquals(2, j.get("tensors").size());
        assertEquals("model-00002-of-00002.safetensors", j.get("tensors").get(1).get("file").asText());
        assertEquals(32, j.get("totals").get("F32").get("bytes").asLong());
        assertEquals(2, j.get("total").get("tensors").asLong());
    }

    @Test
    void invalidFileIsOneErrorLineAndNonZero(@TempDir Path dir) throws Exception {
        byte[] h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, b.array());
        Result r = run("inspect", p.toString());
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("dust4j: error: " + p + ": tensor 'a': size mismatch"), r.err());
        Result j = run("inspect", "--json", p.toString());
        assertEquals(1, j.code());
        JsonNode n = new ObjectMapper().readTree(j.out());
        assertFalse(n.get("valid").asBoolean());
        assertEquals("SIZE_MISMATCH", n.get("rule").asText());
    }

    @Test
    void missingPathAndBrokenShardFail(@TempDir Path dir) throws Exception {
        Result r = run("inspect", dir.resolve("nope.safetensors").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dust4j: error: "), r.err());
        new ShardedWriter(20).put("a", Tensor.zeros(4)).put("b", Tensor.zeros(4)).write(dir);
        Files.write(dir.resolve("model-00002-of-00002.safetensors"), new byte[5]);
        Result s = run("inspect", dir.toString());
        assertEquals(1, s.code());
        assertTrue(s.err().contains("model-00002-of-00002.safetensors: file too small"), s.err());
    }
}
