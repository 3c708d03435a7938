package org.dust4j.weights;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Half;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException.Rule;

/**
 * One safetensors file, mapped once (files over 2 GiB work) and validated as the reference
 * implementation does before any tensor is handed out:
 * <ol>
 * <li>the file has at least 8 bytes; the little-endian u64 header length N is at most 100,000,000 and
 *     8 + N (overflow-checked) lies inside the file;</li>
 * <li>the header is UTF-8 JSON, one object, starting with '{' after optional spaces; no duplicate keys;</li>
 * <li>{@code __metadata__} (optional, may be null) maps strings to strings;</li>
 * <li>every other key is a tensor {@code {"dtype": D, "shape": [..], "data_offsets": [begin, end]}};
 *     sorted by offsets the tensors are contiguous from 0 (no holes, no overlaps), end >= begin, and
 *     prod(shape) * dtype size (overflow-checked) equals end - begin;</li>
 * <li>the last tensor ends exactly at the end of the file.</li>
 * </ol>
 * Nothing is allocated in proportion to a size claimed by the file before that claim has been checked
 * against the real file size.
 */
public final class SafetensorsFile implements TensorSource {
    /** Largest header accepted, as the reference implementation. */
    public static final long MAX_HEADER_SIZE = 100_000_000L;

    static final ObjectMapper JSON = strictMapper();

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final long fileSize;
    private final long headerLength;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, long fileSize, long headerLength,
                            Map<String, String> metadata, Map<String, TensorInfo> tensors) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.fileSize = fileSize;
        this.headerLength = headerLength;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    static ObjectMapper strictMapper() {
        JsonFactory f = JsonFactory.builder()
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxStringLength((int) MAX_HEADER_SIZE + 1)
                        .maxNameLength((int) MAX_HEADER_SIZE + 1)
                        .maxNestingDepth(1000)
                        .build())
                .build();
        ObjectMapper m = new ObjectMapper(f);
        m.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        return m;
    }

    /** Maps and validates a file. The returned object owns the mapping: close it. */
    public static SafetensorsFile open(Path path) throws SafetensorsException {
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            throw new SafetensorsException(path, null, Rule.IO, "not a regular file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsException(path, null, Rule.FILE_TOO_SMALL,
                        size + " bytes, need at least 8 for the header length");
            }
            MemorySegment whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return parse(whole, path, arena);
        } catch (SafetensorsException e) {
            arena.close();
            throw e;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw new SafetensorsException(path, null, Rule.IO, e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
        }
    }

    /**
     * Validates safetensors bytes already in memory (a heap or native segment); {@code label} names them in
     * errors. The returned object views {@code bytes} without copying.
     */
    public static SafetensorsFile parse(MemorySegment bytes, Path label) throws SafetensorsException {
        return parse(bytes, label, null);
    }

    private static SafetensorsFile parse(MemorySegment whole, Path path, Arena arena) throws SafetensorsException {
        long size = whole.byteSize();
        if (size < 8) {
            throw new SafetensorsException(path, null, Rule.FILE_TOO_SMALL, size + " bytes, need at least 8 for the header length");
        }
        long n = whole.get(Convert.I64_LE, 0);
        // u64 compare: a length with the top bit set is above every limit
        if (Long.compareUnsigned(n, MAX_HEADER_SIZE) > 0) {
            throw new SafetensorsException(path, null, Rule.HEADER_TOO_LARGE,
                    "header length " + Long.toUnsignedString(n) + " exceeds the limit of " + MAX_HEADER_SIZE + " bytes");
        }
        long stop = Math.addExact(n, 8L); // n <= 1e8, cannot overflow
        if (stop > size) {
            throw new SafetensorsException(path, null, Rule.HEADER_OUT_OF_BOUNDS,
                    "header length " + n + " runs past the end of the file (" + size + " bytes)");
        }
        byte[] header = whole.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path, null, Rule.HEADER_NOT_UTF8, "the " + n + " header bytes are not valid UTF-8");
        }
        int p = 0;
        while (p < text.length() && text.charAt(p) == ' ') p++;
        if (p == text.length() || text.charAt(p) != '{') {
            throw new SafetensorsException(path, null, Rule.HEADER_START,
                    p == text.length() ? "header is empty" : "header must start with '{' (after optional spaces)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonParseException e) {
            String m = e.getOriginalMessage();
            if (m != null && m.startsWith("Duplicate field '")) {
                String dup = m.substring("Duplicate field '".length(), m.lastIndexOf('\''));
                throw new SafetensorsException(path, dup, Rule.DUPLICATE_NAME, "the key appears more than once in the header");
            }
            throw new SafetensorsException(path, null, Rule.HEADER_JSON, m, e);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(path, null, Rule.HEADER_JSON, e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(path, null, Rule.HEADER_JSON, "header is not a JSON object");
        }

        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> list = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                parseMetadata(path, v, metadata);
            } else {
                list.add(parseEntry(path, name, v));
            }
        }

        // sort by offsets (stable), then the sequence must tile [0, end) exactly
        list.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long start = 0;
        for (TensorInfo t : list) {
            if (t.end() < t.begin()) {
                throw new SafetensorsException(path, t.name(), Rule.OFFSETS_REVERSED,
                        "data_offsets [" + t.begin() + ", " + t.end() + "] end before begin");
            }
            if (t.begin() != start) {
                throw new SafetensorsException(path, t.name(), Rule.OFFSETS_NOT_CONTIGUOUS,
                        "data_offsets [" + t.begin() + ", " + t.end() + "] should begin at " + start
                        + (t.begin() > start ? " (a hole)" : " (an overlap)"));
            }
            start = t.end();
            long numel = 1;
            for (long d : t.shape()) {
                try {
                    numel = Math.multiplyExact(numel, d);
                } catch (ArithmeticException ex) {
                    throw new SafetensorsException(path, t.name(), Rule.SIZE_OVERFLOW,
                            "shape " + t.shapeString() + " has more than 2^63 elements");
                }
            }
            long bytes = t.dtype().byteSize(numel);
            if (bytes == -1) {
                throw new SafetensorsException(path, t.name(), Rule.SIZE_OVERFLOW,
                        "shape " + t.shapeString() + " of " + t.dtype() + " takes more than 2^63 bytes");
            }
            if (bytes == -2) {
                throw new SafetensorsException(path, t.name(), Rule.SIZE_MISMATCH,
                        "shape " + t.shapeString() + " of " + t.dtype() + " is not a whole number of bytes");
            }
            if (bytes != t.end() - t.begin()) {
                throw new SafetensorsException(path, t.name(), Rule.SIZE_MISMATCH,
                        "shape " + t.shapeString() + " of " + t.dtype() + " needs " + bytes
                        + " bytes but data_offsets [" + t.begin() + ", " + t.end() + "] span " + (t.end() - t.begin()));
            }
        }
        long dataLen = size - stop;
        if (start != dataLen) {
            throw new SafetensorsException(path, null, Rule.DATA_NOT_AT_EOF,
                    "tensor data ends at byte " + start + " of the data section but the file has " + dataLen
                    + " data bytes after the header");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo t : list) tensors.put(t.name(), t);
        return new SafetensorsFile(path, arena, whole.asSlice(stop), size, n, metadata, tensors);
    }

    private static void parseMetadata(Path path, JsonNode v, Map<String, String> out) throws SafetensorsException {
        if (v.isNull()) return;
        if (!v.isObject()) {
            throw new SafetensorsException(path, null, Rule.METADATA, "__metadata__ must be a map of strings to strings, found " + kind(v));
        }
        for (Map.Entry<String, JsonNode> m : v.properties()) {
            if (!m.getValue().isTextual()) {
                throw new SafetensorsException(path, null, Rule.METADATA, "__metadata__ key '"
                        + SafetensorsException.printable(m.getKey()) + "' has a " + kind(m.getValue()) + " value, must be a string");
            }
            out.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode v) throws SafetensorsException {
        if (!v.isObject()) {
            throw new SafetensorsException(path, name, Rule.TENSOR_ENTRY, "entry must be an object, found " + kind(v));
        }
        JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
        if (dt == null || sh == null || off == null) {
            String missing = dt == null ? "dtype" : sh == null ? "shape" : "data_offsets";
            throw new SafetensorsException(path, name, Rule.TENSOR_ENTRY, "missing field '" + missing + "'");
        }
        if (!dt.isTextual()) {
            throw new SafetensorsException(path, name, Rule.TENSOR_ENTRY, "dtype must be a string, found " + kind(dt));
        }
        SafeDType dtype = SafeDType.byName(dt.textValue());
        if (dtype == null) {
            throw new SafetensorsException(path, name, Rule.UNKNOWN_DTYPE,
                    "'" + SafetensorsException.printable(dt.textValue()) + "' is not a safetensors dtype");
        }
        if (!sh.isArray()) {
            throw new SafetensorsException(path, name, Rule.TENSOR_ENTRY, "shape must be an array, found " + kind(sh));
        }
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = unsigned(path, name, "shape", sh.get(i));
        }
        if (!off.isArray() || off.size() != 2) {
            throw new SafetensorsException(path, name, Rule.TENSOR_ENTRY, "data_offsets must be [begin, end], found "
                    + (off.isArray() ? "an array of " + off.size() : kind(off)));
        }
        long begin = unsigned(path, name, "data_offsets", off.get(0));
        long end = unsigned(path, name, "data_offsets", off.get(1));
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long unsigned(Path path, String name, String field, JsonNode x) throws SafetensorsException {
        if (x == null || !x.isIntegralNumber() || x.bigIntegerValue().signum() < 0) {
            throw new SafetensorsException(path, name, Rule.TENSOR_ENTRY, field + " entries must be non-negative integers, found "
                    + (x == null ? "nothing" : SafetensorsException.printable(x.toString())));
        }
        if (!x.canConvertToLong()) {
            throw new SafetensorsException(path, name, Rule.SIZE_OVERFLOW, field + " value " + x.bigIntegerValue() + " exceeds 2^63-1");
        }
        return x.longValue();
    }

    private static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> v.getNodeType().toString().toLowerCase();
        };
    }

    // ---------------------------------------------------------------- access

    @Override
    public Path path() { return path; }

    /** File size in bytes. */
    public long fileSize() { return fileSize; }

    /** Header length N (the JSON bytes, padding included, without the 8-byte length). */
    public long headerLength() { return headerLength; }

    @Override
    public Set<String> names() { return tensors.keySet(); }

    /** All entries in data order. */
    public List<TensorInfo> infos() { return List.copyOf(tensors.values()); }

    @Override
    public Map<String, String> metadata() { return metadata; }

    @Override
    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new SafetensorsException(path, name, Rule.NO_SUCH_TENSOR, "the file has " + tensors.size() + " tensors, not this one");
        return t;
    }

    @Override
    public MemorySegment segment(String name) throws SafetensorsException {
        TensorInfo t = info(name);
        return data.asSlice(t.begin(), t.byteSize()).asReadOnly();
    }

    @Override
    public Tensor toTensor(String name) throws SafetensorsException {
        TensorInfo t = info(name);
        DType natural = switch (t.dtype()) {
            case I64 -> DType.I64;
            case I32, U8, BOOL -> DType.I32;
            default -> DType.F32;
        };
        return toTensor(name, natural);
    }

    @Override
    public Tensor toTensor(String name, DType target) throws SafetensorsException {
        TensorInfo t = info(name);
        SafeDType src = t.dtype();
        if (!src.supported()) {
            throw new SafetensorsException(path, name, Rule.UNSUPPORTED_DTYPE, src
                    + " cannot be loaded (supported: F32, F16, BF16, F64, I64, I32, U8, BOOL); its bytes are readable with segment()");
        }
        int[] shape = intShape(t);
        int n = (int) t.numel();
        MemorySegment seg = data.asSlice(t.begin(), t.byteSize());
        boolean floatSrc = src == SafeDType.F32 || src == SafeDType.F16 || src == SafeDType.BF16 || src == SafeDType.F64;
        if (floatSrc && !target.isFloating()) {
            throw new SafetensorsException(path, name, Rule.UNSUPPORTED_DTYPE, "cannot convert floating " + src + " to integer " + target);
        }
        switch (target) {
            case BF16, F16 -> {
                if (src.name().equals(target.name())) {
                    short[] bits = new short[n];
                    Convert.bits16(seg, 0, bits, 0, n);
                    return Tensor.ofHalfBits(target, bits, shape);
                }
                float[] f = floats(seg, src, n);
                short[] bits = new short[n];
                for (int i = 0; i < n; i++) bits[i] = target == DType.BF16 ? Half.floatToBf16(f[i]) : Half.floatToF16(f[i]);
                return Tensor.ofHalfBits(target, bits, shape);
            }
            case F32 -> {
                return Tensor.of(floats(seg, src, n), shape);
            }
            case I64 -> {
                long[] out = new long[n];
                for (int i = 0; i < n; i++) out[i] = integer(seg, src, i);
                return Tensor.ofLongs(out, shape);
            }
            case I32 -> {
                int[] out = new int[n];
                for (int i = 0; i < n; i++) {
                    long v = integer(seg, src, i);
                    if (v != (int) v) {
                        throw new SafetensorsException(path, name, Rule.UNSUPPORTED_DTYPE,
                                "element " + i + " = " + v + " does not fit I32");
                    }
                    out[i] = (int) v;
                }
                return Tensor.ofInts(out, shape);
            }
            default -> throw new SafetensorsException(path, name, Rule.UNSUPPORTED_DTYPE, "cannot convert " + src + " to " + target);
        }
    }

    private static float[] floats(MemorySegment seg, SafeDType src, int n) {
        float[] out = new float[n];
        switch (src) {
            case F32 -> Convert.f32(seg, 0, out, 0, n);
            case BF16 -> Convert.bf16ToF32(seg, 0, out, 0, n);
            case F16 -> Convert.f16ToF32(seg, 0, out, 0, n);
            case F64 -> Convert.f64ToF32(seg, 0, out, 0, n);
            default -> {
                for (int i = 0; i < n; i++) out[i] = integer(seg, src, i);
            }
        }
        return out;
    }

    private static long integer(MemorySegment seg, SafeDType src, int i) {
        return switch (src) {
            case I64 -> seg.get(Convert.I64_LE, 8L * i);
            case I32 -> seg.get(Convert.I32_LE, 4L * i);
            case U8 -> seg.get(ValueLayout.JAVA_BYTE, i) & 0xff;
            case BOOL -> seg.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
            default -> throw new IllegalStateException("not an integer dtype: " + src);
        };
    }

    private int[] intShape(TensorInfo t) throws SafetensorsException {
        long[] s = t.shape();
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            if (s[i] > Integer.MAX_VALUE) {
                throw new SafetensorsException(path, t.name(), Rule.TOO_LARGE, "dimension " + s[i] + " exceeds 2^31-1");
            }
            out[i] = (int) s[i];
        }
        if (t.numel() > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(path, t.name(), Rule.TOO_LARGE, t.numel()
                    + " elements do not fit one Java array; use segment() for zero-copy access");
        }
        return out;
    }

    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() { return "SafetensorsFile(" + path + ", " + tensors.size() + " tensors)"; }
}
