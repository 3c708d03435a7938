package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of {@code model.safetensors.index.json} ({@link JsonFuzz} mutations of a real sharded checkpoint's
 * index): opening it, validating every shard against it and reading every tensor either works or fails with one
 * bounded {@link SafetensorsException} line; also the index limits (size, tensor count, duplicate keys, shards
 * holding one tensor twice, non-regular files).
 */
class IndexFuzzTest {
    static final int CASES = 600;
    static final long SEED = 0x1DE7F022L;

    static Path sharded(Path dir) throws Exception {
        ShardedWriter w = new ShardedWriter(24);
        for (int i = 0; i < 6; i++) w.put("layer" + i + ".weight", Tensor.of(new float[] {i, i + 1, i + 2, i + 3, i + 4, i + 5}, 2, 3), SafeDType.F32);
        return w.write(dir);
    }

    @Test
    void mutatedIndexesOpenOrFailWithOneLine(@TempDir Path tmp) throws Exception {
        Path index = sharded(tmp.resolve("ck"));
        String valid = Files.readString(index);
        int[] counts = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SplittableRandom rng = new SplittableRandom(SEED);
            for (int c = 0; c < CASES; c++) {
                String text = JsonFuzz.mutate(valid, rng);
                Files.writeString(index, text);
                try (ShardedCheckpoint ck = ShardedCheckpoint.open(index)) {
                    ck.validateAll();
                    for (String n : ck.names()) ck.toTensor(n);
                    counts[0]++;
                } catch (SafetensorsException e) {
                    String m = e.getMessage();
                    assertTrue(!m.contains("\n") && m.length() <= SafetensorsException.MAX_MESSAGE + 40, "case " + c + ": " + m);
                    counts[1]++;
                } catch (Throwable t) {
                    fail("case " + c + ": " + t + " for " + (text.length() > 300 ? text.substring(0, 300) : text), t);
                }
            }
        });
        System.out.printf("index fuzz: %d cases, %d opened, %d rejected with one line%n", CASES, counts[0], counts[1]);
        assertTrue(counts[1] > CASES / 3 && counts[0] > 10, "both outcomes exercised");
    }

    @Test
    void indexLimits(@TempDir Path tmp) throws Exception {
        Path index = sharded(tmp.resolve("ck"));
        String valid = Files.readString(index);
        // duplicate key in the weight map
        Files.writeString(index, valid.replaceFirst("\"layer0.weight\"", "\"layer0.weight\" : \"x.safetensors\", \"layer0.weight\""));
        var e = org.junit.jupiter.api.Assertions.assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
        assertTrue(e.getMessage().contains("layer0.weight"), e.getMessage());
        // too big: refused before reading
        Files.writeString(index, valid + " ".repeat((int) ShardedCheckpoint.MAX_INDEX_BYTES));
        e = org.junit.jupiter.api.Assertions.assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
        // a device instead of a file
        Files.delete(index);
        Files.createSymbolicLink(index, Path.of("/dev/zero"));
        e = org.junit.jupiter.api.Assertions.assertThrows(SafetensorsException.class, () -> ShardedCheckpoint.open(index));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        Files.delete(index);
        // a million bogus names: the error lists a few and a count, not 41 MB
        StringBuilder sb = new StringBuilder("{\"weight_map\": {");
        for (int i = 0; i < 200_000; i++) sb.append(i == 0 ? "" : ",").append("\"bogus.").append(i).append("\": \"shard.safetensors\"");
        Files.writeString(index, sb.append("}}").toString());
        try (ShardedCheckpoint ck = ShardedCheckpoint.open(index)) {
            var slots = new java.util.LinkedHashMap<String, StateDict.Slot>();
            e = org.junit.jupiter.api.Assertions.assertThrows(SafetensorsException.class, () -> StateDict.load(ck, slots));
            assertTrue(e.getMessage().length() < 3000 && e.getMessage().contains("and 199992 more"), e.getMessage().length() + ": "
                    + e.getMessage().substring(0, Math.min(400, e.getMessage().length())));
        }
        // two shards holding one tensor: validateAll (done by every model load) refuses it, as inspect does
        Files.writeString(index, valid);
        Path dir = index.getParent();
        String second;
        try (ShardedCheckpoint ck = ShardedCheckpoint.open(index)) {
            ck.validateAll();
            assertTrue(ck.shardNames().size() > 1);
            second = ck.weightMap().get("layer1.weight");
            assertTrue(!second.equals(ck.weightMap().get("layer0.weight")));
        }
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(second))) {
            assertEquals(java.util.Set.of("layer1.weight"), f.names());
        }
        new SafetensorsWriter().put("layer0.weight", Tensor.zeros(2, 3)).put("layer1.weight", Tensor.zeros(2, 3))
                .write(dir.resolve(second));
        try (ShardedCheckpoint ck = ShardedCheckpoint.open(index)) {
            e = org.junit.jupiter.api.Assertions.assertThrows(SafetensorsException.class, ck::validateAll);
            assertTrue(e.getMessage().contains("layer0.weight"), e.getMessage());
        }
    }
}
