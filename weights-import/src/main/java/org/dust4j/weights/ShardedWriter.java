package org.dust4j.weights;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.dust4j.tensor.Tensor;

/**
 * Writes a checkpoint split by a size limit, as transformers does: tensors are taken in insertion order and
 * a new shard starts when the next tensor would push the current one past {@code maxShardBytes} (a tensor
 * larger than the limit gets a shard of its own). Shards are named {@code model-00001-of-00002.safetensors}
 * and listed in {@code model.safetensors.index.json} (metadata {@code total_size}), written last. When
 * everything fits one shard a plain {@code model.safetensors} is written and no index.
 */
public final class ShardedWriter {
    private final long maxShardBytes;
    private final SafetensorsWriter all = new SafetensorsWriter();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public ShardedWriter(long maxShardBytes) {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        this.maxShardBytes = maxShardBytes;
    }

    /** Metadata for every shard's {@code __metadata__}. */
    public ShardedWriter metadata(Map<String, String> m) {
        metadata.putAll(m);
        return this;
    }

    public ShardedWriter put(String name, Tensor t) {
        all.put(name, t);
        return this;
    }

    public ShardedWriter put(String name, Tensor t, SafeDType as) {
        all.put(name, t, as);
        return this;
    }

    public ShardedWriter putRaw(String name, SafeDType dtype, long[] shape, MemorySegment bytes) {
        all.putRaw(name, dtype, shape, bytes);
        return this;
    }

    /** See {@link SafetensorsWriter#putStreamed}. */
    public ShardedWriter putStreamed(String name, SafeDType dtype, long[] shape, SafetensorsWriter.ByteProducer producer) {
        all.putStreamed(name, dtype, shape, producer);
        return this;
    }

    /** Writes the shards and the index into {@code dir}; returns the path to open ({@link TensorSource#open}). */
    public Path write(Path dir) throws IOException {
        List<List<SafetensorsWriter.Entry>> shards = new ArrayList<>();
        List<SafetensorsWriter.Entry> cur = new ArrayList<>();
        long size = 0;
        for (SafetensorsWriter.Entry e : all.entries()) {
            if (!cur.isEmpty() && size + e.nbytes > maxShardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                size = 0;
            }
            cur.add(e);
            size += e.nbytes;
        }
        shards.add(cur);
        if (shards.size() == 1) {
            Path single = dir.resolve("model.safetensors");
            SafetensorsWriter.write(single, metadata, shards.getFirst());
            return single;
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            SafetensorsWriter.write(dir.resolve(file), metadata, shards.get(i));
            for (SafetensorsWriter.Entry e : shards.get(i)) weightMap.put(e.name, file);
        }
        ObjectNode root = SafetensorsFile.JSON.createObjectNode();
        ObjectNode meta = root.putObject("metadata");
        meta.put("total_size", all.dataBytes());
        ObjectNode wm = root.putObject("weight_map");
        weightMap.forEach(wm::put);
        byte[] json = SafetensorsFile.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        Path index = dir.resolve(ShardedCheckpoint.INDEX_NAME);
        SafetensorsWriter.atomicWrite(index, ch -> SafetensorsWriter.writeFully(ch, ByteBuffer.wrap(json)));
        return index;
    }
}
