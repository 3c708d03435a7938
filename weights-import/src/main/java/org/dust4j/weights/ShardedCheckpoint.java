package org.dust4j.weights;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException.Rule;

/**
 * A checkpoint split over several safetensors files, described by {@code model.safetensors.index.json}
 * ({@code {"metadata": {...}, "weight_map": {"tensor name": "shard file"}}}). Shards are opened lazily: a
 * shard is mapped and validated only when one of its tensors is first asked for. Shard names must be plain
 * file names in the index's directory.
 */
public final class ShardedCheckpoint implements TensorSource {
    /** The index file name written by transformers and by {@link ShardedWriter}. */
    public static final String INDEX_NAME = "model.safetensors.index.json";

    private final Path index;
    private final Path dir;
    private final Map<String, String> metadata;
    private final Map<String, String> weightMap;
    private final Map<String, SafetensorsFile> open = new LinkedHashMap<>();

    private ShardedCheckpoint(Path index, Map<String, String> metadata, Map<String, String> weightMap) {
        this.index = index;
        this.dir = index.toAbsolutePath().getParent();
        this.metadata = Collections.unmodifiableMap(metadata);
        this.weightMap = Collections.unmodifiableMap(weightMap);
    }

    /** The largest index file read (GR00T-N1.5's is ~60 KB; a 1000-shard LLM index is a few MB). */
    public static final long MAX_INDEX_BYTES = 32L << 20;

    /** The most tensors an index may list. */
    public static final int MAX_TENSORS = 1_000_000;

    /** Reads the index (no shard is opened); regular files of at most {@link #MAX_INDEX_BYTES} only. */
    public static ShardedCheckpoint open(Path index) throws SafetensorsException {
        JsonNode root;
        try {
            root = SafetensorsFile.JSON.readTree(AtomicFiles.readCapped(index, MAX_INDEX_BYTES, "shard index"));
        } catch (JsonParseException e) {
            throw new SafetensorsException(index, null, Rule.INDEX, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(index, null, Rule.INDEX, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SafetensorsException(index, null, Rule.IO, e.getClass().getSimpleName() + " " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new SafetensorsException(index, null, Rule.INDEX, "index is not a JSON object");
        Map<String, String> meta = new LinkedHashMap<>();
        JsonNode m = root.get("metadata");
        if (m != null && !m.isNull()) {
            if (!m.isObject()) throw new SafetensorsException(index, null, Rule.INDEX, "\"metadata\" must be an object");
            for (Map.Entry<String, JsonNode> e : m.properties()) {
                meta.put(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
            }
        }
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject()) throw new SafetensorsException(index, null, Rule.INDEX, "\"weight_map\" must be an object of tensor name to file name");
        if (wm.size() > MAX_TENSORS) {
            throw new SafetensorsException(index, null, Rule.INDEX, "weight_map lists " + wm.size() + " tensors, more than the limit of " + MAX_TENSORS);
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : wm.properties()) {
            JsonNode f = e.getValue();
            if (!f.isTextual()) throw new SafetensorsException(index, e.getKey(), Rule.INDEX, "weight_map value must be a file name string");
            String file = f.textValue();
            if (file.isEmpty() || file.contains("/") || file.contains("\\") || file.equals(".") || file.equals("..")) {
                throw new SafetensorsException(index, e.getKey(), Rule.INDEX, "shard '" + SafetensorsException.printable(file)
                        + "' must be a plain file name in the index's directory");
            }
            map.put(e.getKey(), file);
        }
        return new ShardedCheckpoint(index, meta, map);
    }

    @Override
    public Path path() { return index; }

    @Override
    public Set<String> names() { return weightMap.keySet(); }

    @Override
    public Map<String, String> metadata() { return metadata; }

    /** Tensor name to shard file name, as in the index. */
    public Map<String, String> weightMap() { return weightMap; }

    /** Distinct shard file names, sorted (so model-00001-of-N comes first). */
    public Set<String> shardNames() { return new TreeSet<>(weightMap.values()); }

    /** Shards opened so far (for tests of laziness). */
    public synchronized Set<String> openedShards() { return new TreeSet<>(open.keySet()); }

    /** The shard holding a tensor, opened and validated on first use. */
    public synchronized SafetensorsFile shardOf(String name) throws SafetensorsException {
        String file = weightMap.get(name);
        if (file == null) throw new SafetensorsException(index, name, Rule.NO_SUCH_TENSOR, "not in weight_map");
        SafetensorsFile f = shard(file);
        if (!f.names().contains(name)) {
            throw new SafetensorsException(index, name, Rule.INDEX, "weight_map places it in " + file + " but that shard does not hold it");
        }
        return f;
    }

    /** Opens (once) a shard by file name. */
    public synchronized SafetensorsFile shard(String file) throws SafetensorsException {
        SafetensorsFile f = open.get(file);
        if (f == null) {
            f = SafetensorsFile.open(dir.resolve(file));
            open.put(file, f);
        }
        return f;
    }

    /**
     * Opens every shard and checks that index and shards agree both ways: every indexed tensor is in its shard
     * and every shard tensor is indexed to that shard.
     */
    public void validateAll() throws SafetensorsException {
        for (String name : weightMap.keySet()) shardOf(name);
        for (String file : shardNames()) {
            for (String t : shard(file).names()) {
                String where = weightMap.get(t);
                if (!file.equals(where)) {
                    throw new SafetensorsException(dir.resolve(file), t, Rule.INDEX, where == null
                            ? "the shard holds it but " + INDEX_NAME + " does not list it"
                            : "the index places it in " + where);
                }
            }
        }
    }

    @Override
    public TensorInfo info(String name) throws SafetensorsException { return shardOf(name).info(name); }

    @Override
    public MemorySegment segment(String name) throws SafetensorsException { return shardOf(name).segment(name); }

    @Override
    public Tensor toTensor(String name) throws SafetensorsException { return shardOf(name).toTensor(name); }

    @Override
    public Tensor toTensor(String name, DType target) throws SafetensorsException { return shardOf(name).toTensor(name, target); }

    @Override
    public synchronized void close() {
        for (SafetensorsFile f : open.values()) f.close();
        open.clear();
    }

    @Override
    public String toString() { return "ShardedCheckpoint(" + index + ", " + weightMap.size() + " tensors)"; }
}
