package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dust4j.tensor.CpuStorage;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Half;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads the files PyTorch wrote through tools/reference/st_roundtrip.py (testdata/weights) and compares every
 * element bit for bit with the values the script stored in plain JSON; then writes the same tensors back with
 * the Java writer into target/interop for {@code st_roundtrip.py verify} (no Python is needed here).
 */
class TorchInteropTest {
    static Path testdata;
    static JsonNode expected;
    static final Path OUT = Path.of("target", "interop");

    @BeforeAll
    static void find() throws Exception {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("testdata/weights"))) p = p.getParent();
        assertTrue(p != null, "testdata/weights not found above " + Path.of("").toAbsolutePath());
        testdata = p.resolve("testdata/weights");
        expected = SafetensorsFile.JSON.readTree(testdata.resolve("torch_expected.json").toFile());
    }

    @Test
    void torchFilesMatchTheirPlainValuesBitForBit() throws Exception {
        int checked = 0;
        for (Map.Entry<String, JsonNode> file : expected.properties()) {
            try (SafetensorsFile f = SafetensorsFile.open(testdata.resolve(file.getKey()))) {
                assertEquals(file.getValue().size(), f.names().size(), file.getKey());
                for (Map.Entry<String, JsonNode> e : file.getValue().properties()) {
                    checkTensor(f, e.getKey(), e.getValue());
                    checked++;
                }
                assertEquals("pt", f.metadata().get("format"));
            }
        }
        assertEquals(23, checked);
    }

    private static void checkTensor(SafetensorsFile f, String name, JsonNode want) throws Exception {
        String where = f.path().getFileName() + ":" + name;
        TensorInfo info = f.info(name);
        assertEquals(want.get("dtype").asText(), info.dtype().name(), where);
        long[] shape = new long[want.get("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = want.get("shape").get(i).asLong();
        assertArrayEquals(shape, info.shape(), where);
        long[] bits = longs(want.get("bits"));
        MemorySegment seg = f.segment(name);
        for (int i = 0; i < bits.length; i++) {
            long raw = switch (info.dtype()) {
                case F32, I32 -> seg.get(Convert.I32_LE, 4L * i);
                case F16, BF16 -> seg.get(Convert.I16_LE, 2L * i);
                case I64 -> seg.get(Convert.I64_LE, 8L * i);
                default -> throw new AssertionError(info.dtype());
            };
            assertEquals(bits[i], raw, where + " raw element " + i);
        }
        if (want.has("f32_bits")) {
            long[] f32 = longs(want.get("f32_bits"));
            float[] got = f.toTensor(name).toFloatArray();
            assertEquals(f32.length, got.length);
            for (int i = 0; i < got.length; i++) assertEquals((int) f32[i], Float.floatToRawIntBits(got[i]), where + " f32 element " + i);
        } else {
            assertArrayEquals(bits, f.toTensor(name).toLongArray(), where);
        }
    }

    /** torch's F32 -> BF16/F16 rounding, stored by the script, equals dust4j's Half (NaN: both NaN). */
    @Test
    void halfRoundingAgreesWithTorch() {
        JsonNode f32 = expected.get("torch_f32.safetensors");
        for (String tag : new String[] {"bf16", "f16"}) {
            JsonNode h = expected.get("torch_" + tag + ".safetensors");
            for (Map.Entry<String, JsonNode> e : f32.properties()) {
                long[] src = longs(e.getValue().get("bits"));
                long[] torch = longs(h.get(e.getKey()).get("bits"));
                for (int i = 0; i < src.length; i++) {
                    float x = Float.intBitsToFloat((int) src[i]);
                    short mine = tag.equals("bf16") ? Half.floatToBf16(x) : Half.floatToF16(x);
                    if (Float.isNaN(x)) {
                        float back = tag.equals("bf16") ? Half.bf16ToFloat((short) torch[i]) : Half.f16ToFloat((short) torch[i]);
                        assertTrue(Float.isNaN(back));
                    } else {
                        assertEquals((short) torch[i], mine, tag + " " + e.getKey() + "[" + i + "] of " + x);
                    }
                }
            }
        }
    }

    @Test
    void shardedTorchCheckpointReadsLazily() throws Exception {
        try (ShardedCheckpoint s = (ShardedCheckpoint) TensorSource.open(testdata.resolve("torch_sharded"))) {
            assertEquals("400", s.metadata().get("total_size"));
            assertArrayEquals(new long[] {-3, -2, -1, 0, 1, 2, 3, 4}, s.toTensor("action_head.steps").toLongArray());
            assertEquals(Set.of("model-00002-of-00002.safetensors"), s.openedShards());
            s.validateAll();
        }
    }

    /** Writes target/interop/java_* for {@code python3 tools/reference/st_roundtrip.py verify weights-import/target/interop}. */
    @Test
    void writesJavaFilesForThePythonVerifier() throws Exception {
        Files.createDirectories(OUT);
        for (String rel : iterable(expected.fieldNames())) {
            try (SafetensorsFile f = SafetensorsFile.open(testdata.resolve(rel))) {
                SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
                for (String name : f.names()) w.put(name, f.toTensor(name, nativeDType(f.info(name).dtype())));
                Path out = OUT.resolve("java_" + rel.replace('/', '_'));
                w.write(out);
                try (SafetensorsFile back = SafetensorsFile.open(out)) {
                    for (String name : f.names()) {
                        assertArrayEquals(f.segment(name).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                                back.segment(name).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), rel + ":" + name);
                    }
                }
            }
        }
        try (SafetensorsFile f = SafetensorsFile.open(testdata.resolve("torch_f32.safetensors"))) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (String src : new String[] {"special", "layer.weight", "layer.bias", "small"}) {
                Tensor t = f.toTensor(src);
                w.put(src + ".bf16", t, SafeDType.BF16).put(src + ".f16", t, SafeDType.F16);
            }
            w.write(OUT.resolve("java_converted.safetensors"));
        }
        try (ShardedCheckpoint s = (ShardedCheckpoint) TensorSource.open(testdata.resolve("torch_sharded"))) {
            ShardedWriter w = new ShardedWriter(250); // shard 1 holds 192 bytes, shard 2 208
            for (String shard : s.shardNames()) {
                for (TensorInfo t : s.shard(shard).infos()) w.put(t.name(), s.toTensor(t.name(), nativeDType(t.dtype())));
            }
            Path idx = w.write(OUT.resolve("java_sharded"));
            try (ShardedCheckpoint back = ShardedCheckpoint.open(idx)) {
                back.validateAll();
                assertEquals(s.weightMap(), back.weightMap());
            }
        }
    }

    private static DType nativeDType(SafeDType d) {
        return switch (d) {
            case BF16 -> DType.BF16;
            case F16 -> DType.F16;
            case I64 -> DType.I64;
            case I32 -> DType.I32;
            default -> DType.F32;
        };
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asLong();
        return out;
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    static short bitsOf(Tensor t, int i) { return ((CpuStorage.Shorts) t.storage()).data()[i]; }
}
