package org.dust4j.backbone;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dust4j.tensor.Half;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsWriter;
import org.dust4j.weights.ShardedWriter;

/**
 * A GR00T-N1.5-shaped model directory with random BF16 backbone weights, written streamed (no tensor is ever held:
 * each 1 MiB chunk is generated from a hash of (seed, tensor, element) while the file is written), plus an embed
 * input of the N1.5 prompt layout. Used by the opt-in full-size test and the backbone benchmark.
 *
 * <p>Values: linear weights uniform with std 1/sqrt(fan_in), norm weights 1, biases and embeddings small uniform,
 * so activations stay O(1) through all layers. The config.json has no {@code eagle_config}, like a real checkpoint.
 *
 * <pre>java -cp cli/target/dust4j.jar org.dust4j.backbone.RandomCheckpoint DIR [INSTRUCTION_TOKENS]</pre>
 * writes DIR/config.json, the shards, and DIR/embed_in.safetensors (one 224x224 U8 frame).
 */
public final class RandomCheckpoint {
    private RandomCheckpoint() {}

    /** Shard size limit, as GR00T's published checkpoint (about 2 GB per shard). */
    static final long SHARD_BYTES = 2_000_000_000L;

    /** Writes config.json and the backbone tensors of {@code c}'s layout (must be the N1.5 defaults' config here) into dir. */
    public static void write(Path dir, long seed) throws IOException {
        BackboneConfig c = BackboneConfig.n15();
        Files.createDirectories(dir);
        ShardedWriter w = new ShardedWriter(SHARD_BYTES).metadata(Map.of("format", "pt"));
        int t = 0;
        for (Map.Entry<String, long[]> e : BackboneWeights.required(c, BackboneWeights.EMBED).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            long fanIn = 1;
            for (int i = 1; i < shape.length; i++) fanIn *= shape[i];
            float amp;
            float base = 0;
            if (shape.length == 1 && name.endsWith(".weight")) {
                amp = 0;
                base = 1;                                            // norm weights
            } else if (name.endsWith(".bias")) {
                amp = 0.02f;
            } else if (name.contains("position_embedding") || name.equals(BackboneWeights.EMBED)) {
                amp = 0.05f;
            } else {
                amp = (float) (Math.sqrt(3.0) / Math.sqrt(fanIn));   // uniform(-a, a) has std a/sqrt(3)
            }
            long key = seed * 0x9E3779B97F4A7C15L + (t++) * 0xBF58476D1CE4E5B9L;
            float a = amp, b0 = base;
            w.putStreamed(name, SafeDType.BF16, shape, (off, buf) -> {
                buf.order(ByteOrder.LITTLE_ENDIAN);
                for (long i = off / 2; buf.hasRemaining(); i++) buf.putShort(Half.floatToBf16(b0 + a * uniform(key, i)));
            });
        }
        w.write(dir);
        ObjectNode root = BackboneConfig.JSON.createObjectNode();
        root.put("model_type", "gr00t_n1_5");
        ObjectNode bb = root.putObject("backbone_cfg");
        bb.put("select_layer", 12).putNull("project_to_dim");
        bb.put("reproject_vision", false).put("eagle_path", "NVEagle/eagle_er-qwen3_1_7B-Siglip2_400M_stage1_5_128gpu_er_v7_1mlp_nops")
                .put("load_bf16", false).put("tune_llm", false).put("tune_visual", true).put("use_flash_attention", true);
        byte[] json = BackboneConfig.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        atomicWrite(dir.resolve("config.json"), json);
    }

    /** Writes bytes through a temp file in the same directory: write, fsync, atomic rename, fsync of the directory. */
    static void atomicWrite(Path file, byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Uniform in [-1, 1) from (key, i): SplitMix64 finaliser. */
    static float uniform(long key, long i) {
        long z = key + i * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return ((z >>> 40) * 0x1.0p-24f) * 2 - 1;
    }

    /**
     * input_ids of one sample in the N1.5 prompt layout (section 7) with one image and {@code words} instruction
     * tokens (random ids below the added tokens): L = 20 + 256 + 1 + words + 5.
     */
    public static long[] promptIds(int words, long seed) {
        List<Long> ids = new ArrayList<>();
        for (long x : new long[] {151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198, 27, 1805, 220, 16, 29, 151670}) {
            ids.add(x);
        }
        for (int i = 0; i < 256; i++) ids.add(151669L);
        ids.add(151671L);
        for (int i = 0; i < words; i++) ids.add((long) ((uniform(seed, i) + 1) / 2 * 151643) % 151643);
        for (long x : new long[] {151645, 198, 151644, 77091, 198}) ids.add(x);
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    /** An embed IN file: one random 224x224 U8 frame and a {@code words}-token instruction prompt. */
    public static void writeInputs(Path file, int words, long seed) throws IOException {
        long[] ids = promptIds(words, seed);
        int[] px = new int[224 * 224 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (int) ((uniform(seed + 1, i) + 1) * 128) & 255;
        long[] mask = new long[ids.length];
        java.util.Arrays.fill(mask, 1);
        new SafetensorsWriter().put("images", Tensor.ofInts(px, 1, 224, 224, 3), SafeDType.U8)
                .put("input_ids", Tensor.ofLongs(ids, 1, ids.length)).put("attention_mask", Tensor.ofLongs(mask, 1, ids.length))
                .write(file);
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: RandomCheckpoint DIR [INSTRUCTION_TOKENS (default 32)]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int words = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        long t0 = System.nanoTime();
        write(dir, 1);
        writeInputs(dir.resolve("embed_in.safetensors"), words, 7);
        System.err.printf("wrote %s (%.1f s)%n", dir, (System.nanoTime() - t0) / 1e9);
    }
}
