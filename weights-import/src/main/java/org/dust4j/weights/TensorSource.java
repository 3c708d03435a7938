package org.dust4j.weights;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;

/**
 * Named tensors read from one safetensors file or a sharded checkpoint. Views returned by
 * {@link #segment} are valid until {@link #close}; tensors from {@link #toTensor} are copies and outlive it.
 */
public interface TensorSource extends AutoCloseable {

    /** The file or directory this source was opened from. */
    Path path();

    /** Tensor names (data order for a file, index order for a sharded checkpoint). */
    Set<String> names();

    /** True when a tensor of this name exists. */
    default boolean contains(String name) { return names().contains(name); }

    /** The {@code __metadata__} map of a file, or the index "metadata" of a sharded checkpoint. */
    Map<String, String> metadata();

    /** Name, dtype, shape and byte range of one tensor. */
    TensorInfo info(String name) throws SafetensorsException;

    /** Zero-copy read-only view of a tensor's little-endian bytes. */
    MemorySegment segment(String name) throws SafetensorsException;

    /**
     * A CPU tensor copy in the natural dust4j dtype: F32 for F32/F16/BF16/F64, I64 for I64, I32 for I32/U8/BOOL.
     */
    Tensor toTensor(String name) throws SafetensorsException;

    /**
     * A CPU tensor copy converted to {@code target}; BF16/F16 data asked for in its own dtype stays as bit
     * patterns ({@link Tensor#ofHalfBits}).
     */
    Tensor toTensor(String name, DType target) throws SafetensorsException;

    /** Unmaps the file(s); segments obtained before become invalid. */
    @Override
    void close();

    /**
     * Opens a safetensors file, a {@code model.safetensors.index.json}, or a directory holding either
     * ({@code model.safetensors.index.json} is preferred over {@code model.safetensors}).
     */
    static TensorSource open(Path path) throws SafetensorsException {
        if (Files.isDirectory(path)) {
            Path index = path.resolve(ShardedCheckpoint.INDEX_NAME);
            if (Files.isRegularFile(index)) return ShardedCheckpoint.open(index);
            Path single = path.resolve("model.safetensors");
            if (Files.isRegularFile(single)) return SafetensorsFile.open(single);
            throw new SafetensorsException(path, null, SafetensorsException.Rule.IO,
                    "directory has neither " + ShardedCheckpoint.INDEX_NAME + " nor model.safetensors");
        }
        if (path.getFileName() != null && path.getFileName().toString().endsWith(".index.json")) {
            return ShardedCheckpoint.open(path);
        }
        return SafetensorsFile.open(path);
    }
}
