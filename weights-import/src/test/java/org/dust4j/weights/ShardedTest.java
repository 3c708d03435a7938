package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException.Rule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded checkpoints: size-limited writing, index format, lazy shard opening, index validation. */
class ShardedTest {

    private static Path writeTwoShards(Path dir) throws Exception {
        // 3 tensors of 64, 64 and 32 bytes with a 100-byte limit: shards {a}, {b, c}
        return new ShardedWriter(100)
                .metadata(Map.of("format", "pt"))
                .put("a", Tensor.of(seq(16), 4, 4))
                .put("b", Tensor.of(seq(32), 32), SafeDType.BF16)
                .put("c", Tensor.ofInts(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 8))
                .write(dir);
    }

    static float[] seq(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = i * 0.5f - 3;
        return f;
    }

    @Test
    void twoShardRoundTripWithIndexAndLazyOpening(@TempDir Path dir) throws Exception {
        Path index = writeTwoShards(dir);
        assertEquals(dir.resolve("model.safetensors.index.json"), index);
        assertTrue(Files.isRegularFile(dir.resolve("model-00001-of-00002.safetensors")));
        assertTrue(Files.isRegularFile(dir.resolve("model-00002-of-00002.safetensors")));
        JsonNode j = SafetensorsFile.JSON.readTree(index.toFile());
        assertEquals(64 + 64 + 32, j.get("metadata").get("total_size").asLong());
        assertEquals("model-00001-of-00002.safetensors", j.get("weight_map").get("a").asText());
        assertEquals("model-00002-of-00002.safetensors", j.get("weight_map").get("c").asText());

        try (TensorSource src = TensorSource.open(dir)) {
            ShardedCheckpoint s = (ShardedCheckpoint) src;
            assertEquals(Set.of("a", "b", "c"), src.names());
            assertTrue(s.openedShards().isEmpty(), "opening the index opens no shard");
            assertArrayEquals(new long[] {1, 2, 3, 4, 5, 6, 7, 8}, src.toTensor("c").toLongArray());
            assertEquals(Set.of("model-00002-of-00002.safetensors"), s.openedShards());
            float[] b = seq(32);
            float[] got = src.toTensor("b").toFloatArray();
            for (int i = 0; i < 32; i++) assertEquals(b[i], got[i]); // k*0.5-3 is exact in BF16
            assertEquals(DType.BF16, src.toTensor("b", DType.BF16).dtype());
            assertArrayEquals(seq(16), src.toTensor("a").toFloatArray());
            assertEquals(2, s.openedShards().size());
            s.validateAll();
            assertEquals(Map.of("format", "pt"), s.shard("model-00001-of-00002.safetensors").metadata());
        }
    }

    @Test
    void singleShardWritesPlainFile(@TempDir Path dir) throws Exception {
        Path p = new ShardedWriter(1 << 20).put("a", Tensor.scalar(1f)).write(dir);
        assertEquals(dir.resolve("model.safetensors"), p);
        assertTrue(Files.notExists(dir.resolve(ShardedCheckpoint.INDEX_NAME)));
        try (TensorSource s = TensorSource.open(dir)) {
            assertEquals(List.of("a"), List.copyOf(s.names()));
        }
    }

    @Test
    void badIndexesAreRejected(@TempDir Path dir) throws Exception {
        Path index = writeTwoShards(dir);
        String good = Files.readString(index);
        // tensor placed in the wrong shard
        Files.writeString(index, good.replace("\"c\" : \"model-00002", "\"c\" : \"model-00001"));
        try (ShardedCheckpoint s = ShardedCheckpoint.open(index)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> s.toTensor("c"));
            assertEquals(Rule.INDEX, e.rule());
            assertEquals("c", e.tensor());
        }
        // shard tensor missing from the index
        Files.writeString(index, good.replaceAll(",\\s*\"c\" : \"[^\"]*\"", ""));
        try (ShardedCheckpoint s = ShardedCheckpoint.open(index)) {
            assertEquals(Set.of("a", "b"), s.names());
            SafetensorsException e = assertThrows(SafetensorsException.class, s::validateAll);
            assertEquals(Rule.INDEX, e.rule());
            assertTrue(e.getMessage().contains("does not list it"), e.getMessage());
        }
        // path traversal, missing shard file, malformed JSON, no weight_map
        Files.writeString(index, "{\"weight_map\":{\"a\":\"../x.safetensors\"}}");
        assertEquals(Rule.INDEX, assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index)).rule());
        Files.writeString(index, "{\"weight_map\":{\"a\":\"missing.safetensors\"}}");
        try (ShardedCheckpoint s = ShardedCheckpoint.open(index)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> s.info("a"));
            assertEquals(Rule.IO, e.rule());
            assertTrue(e.getMessage().contains("missing.safetensors"), e.getMessage());
        }
        Files.writeString(index, "{\"weight_map\":{\"a\":\"x\",\"a\":\"y\"}}");
        assertEquals(Rule.INDEX, assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index)).rule());
        Files.writeString(index, "{\"metadata\":{}}");
        assertEquals(Rule.INDEX, assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index)).rule());
    }
}
