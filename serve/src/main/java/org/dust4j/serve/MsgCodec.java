package org.dust4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

/**
 * The message encoding of GR00T's inference protocol ({@code gr00t/eval/service.py}, {@code MsgSerializer}): a
 * msgpack map whose numpy arrays are maps {@code {"__ndarray_class__": true, "as_npy": <bytes of np.save>}} and
 * whose modality configs are {@code {"__ModalityConfig_class__": true, "as_json": <pydantic JSON>}}. The
 * msgpack-numpy form ({@code {"nd": true, "type": "<f4", "shape": [..], "data": <bytes>}}) is read as well.
 *
 * <p>Decoded values are {@code null}, {@link Boolean}, {@link Long}, {@link Double}, {@link String},
 * {@code byte[]}, {@link List}, {@code Map<String, Object>}, {@link NdArray} and {@link ModalityConfig}. Decoding
 * is bounded by {@link Limits} before anything large is allocated.
 */
public final class MsgCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        // msgpack-core's default buffers use sun.misc.Unsafe, which JDK 25 warns about on every run; its portable
        // ByteBuffer implementation is chosen by this property, read when MessageBuffer loads (after this class)
        if (System.getProperty("msgpack.universal-buffer") == null) System.setProperty("msgpack.universal-buffer", "true");
    }

    /**
     * Bounds on a decoded message.
     *
     * @param maxDepth       deepest nesting of maps and lists
     * @param maxEntries     most entries of one map or list
     * @param maxRank        highest array rank
     * @param maxElements    most elements of one array
     */
    public record Limits(int maxDepth, int maxEntries, int maxRank, long maxElements) {
        /** Depth 16, 4096 entries, rank 6, 64 Mi elements. */
        public static Limits defaults() {
            return new Limits(16, 4096, 6, 64L << 20);
        }
    }

    private final Limits limits;

    /** A codec that decodes within the given limits. */
    public MsgCodec(Limits limits) {
        this.limits = limits;
    }

    /** Encodes a value tree (maps need String keys). */
    public static byte[] encode(Object value) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            pack(p, value);
            return p.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("msgpack encoding failed: " + e.getMessage(), e);
        }
    }

    /** Decodes one message; throws {@link IllegalArgumentException} naming what is wrong. */
    public Object decode(byte[] bytes) {
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            Object v = unpack(u, 0);
            if (u.hasNext()) throw new IllegalArgumentException("trailing bytes after the msgpack message");
            return v;
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed msgpack message: " + e.getMessage(), e);
        } catch (org.msgpack.core.MessagePackException e) {
            throw new IllegalArgumentException("malformed msgpack message: " + e.getMessage(), e);
        }
    }

    private static void pack(MessageBufferPacker p, Object v) throws IOException {
        switch (v) {
            case null -> p.packNil();
            case Boolean b -> p.packBoolean(b);
            case Integer i -> p.packInt(i);
            case Long l -> p.packLong(l);
            case Float f -> p.packFloat(f);
            case Double d -> p.packDouble(d);
            case String s -> p.packString(s);
            case byte[] b -> p.packBinaryHeader(b.length).writePayload(b);
            case NdArray a -> {
                p.packMapHeader(2);
                p.packString("__ndarray_class__").packBoolean(true);
                byte[] npy = Npy.write(a);
                p.packString("as_npy").packBinaryHeader(npy.length).writePayload(npy);
            }
            case ModalityConfig m -> {
                ObjectNode o = JSON.createObjectNode();
                m.deltaIndices().forEach(o.putArray("delta_indices")::add);
                m.modalityKeys().forEach(o.putArray("modality_keys")::add);
                p.packMapHeader(2);
                p.packString("__ModalityConfig_class__").packBoolean(true);
                p.packString("as_json").packString(JSON.writeValueAsString(o));
            }
            case Map<?, ?> m -> {
                p.packMapHeader(m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String k)) throw new IllegalArgumentException("map keys must be strings, got " + e.getKey());
                    p.packString(k);
                    pack(p, e.getValue());
                }
            }
            case List<?> l -> {
                p.packArrayHeader(l.size());
                for (Object o : l) pack(p, o);
            }
            default -> throw new IllegalArgumentException("cannot encode a " + v.getClass().getName());
        }
    }

    private Object unpack(MessageUnpacker u, int depth) throws IOException {
        if (depth > limits.maxDepth()) throw new IllegalArgumentException("message nests deeper than " + limits.maxDepth() + " levels");
        MessageFormat f = u.getNextFormat();
        switch (f.getValueType()) {
            case NIL -> {
                u.unpackNil();
                return null;
            }
            case BOOLEAN -> {
                return u.unpackBoolean();
            }
            case INTEGER -> {
                if (f == MessageFormat.UINT64) {
                    java.math.BigInteger b = u.unpackBigInteger();
                    if (b.bitLength() > 63) throw new IllegalArgumentException("integer " + b + " does not fit in 64 bits");
                    return b.longValue();
                }
                return u.unpackLong();
            }
            case FLOAT -> {
                return u.unpackDouble();
            }
            case STRING -> {
                return u.unpackString();
            }
            case BINARY -> {
                int n = u.unpackBinaryHeader();
                return u.readPayload(n);
            }
            case ARRAY -> {
                int n = u.unpackArrayHeader();
                checkEntries(n);
                List<Object> l = new ArrayList<>(Math.min(n, 64));
                for (int i = 0; i < n; i++) l.add(unpack(u, depth + 1));
                return l;
            }
            case MAP -> {
                int n = u.unpackMapHeader();
                checkEntries(n);
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    Object k = unpack(u, depth + 1);
                    String key = switch (k) {
                        case String s -> s;
                        case byte[] b -> new String(b, StandardCharsets.UTF_8);
                        default -> throw new IllegalArgumentException("map key " + k + " is not a string");
                    };
                    m.put(key, unpack(u, depth + 1));
                }
                return special(m);
            }
            default -> throw new IllegalArgumentException("unsupported msgpack type " + f.getValueType() + " (ext types are not part of the protocol)");
        }
    }

    private void checkEntries(int n) {
        if (n < 0 || n > limits.maxEntries()) throw new IllegalArgumentException("a map or list has " + n + " entries, the limit is " + limits.maxEntries());
    }

    private Object special(Map<String, Object> m) {
        if (Boolean.TRUE.equals(m.get("__ndarray_class__"))) {
            if (!(m.get("as_npy") instanceof byte[] npy)) throw new IllegalArgumentException("__ndarray_class__ without 'as_npy' bytes");
            return Npy.read(npy, limits.maxRank(), limits.maxElements());
        }
        if (Boolean.TRUE.equals(m.get("nd")) && m.containsKey("type") && m.containsKey("data")) {
            return msgpackNumpy(m);
        }
        if (Boolean.TRUE.equals(m.get("__ModalityConfig_class__"))) {
            if (!(m.get("as_json") instanceof String js)) throw new IllegalArgumentException("__ModalityConfig_class__ without 'as_json'");
            try {
                JsonNode n = JSON.readTree(js);
                List<Integer> d = new ArrayList<>();
                n.path("delta_indices").forEach(x -> d.add(x.asInt()));
                List<String> k = new ArrayList<>();
                n.path("modality_keys").forEach(x -> k.add(x.asText()));
                return new ModalityConfig(d, k);
            } catch (IOException e) {
                throw new IllegalArgumentException("bad ModalityConfig JSON: " + e.getMessage(), e);
            }
        }
        return m;
    }

    private NdArray msgpackNumpy(Map<String, Object> m) {
        Object type = m.get("type");
        String dtype = type instanceof byte[] b ? new String(b, StandardCharsets.US_ASCII) : String.valueOf(type);
        if (!(m.get("shape") instanceof List<?> sl)) throw new IllegalArgumentException("msgpack-numpy array without a shape list");
        if (sl.size() > limits.maxRank()) throw new IllegalArgumentException("array has rank " + sl.size() + ", the limit is " + limits.maxRank());
        int[] shape = new int[sl.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(sl.get(i) instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) throw new IllegalArgumentException("bad array dimension " + sl.get(i));
            shape[i] = (int) (long) l;
        }
        long n = NdArray.elementCount(shape);
        if (n > limits.maxElements()) throw new IllegalArgumentException("array has " + n + " elements, the limit is " + limits.maxElements());
        if (!(m.get("data") instanceof byte[] data)) throw new IllegalArgumentException("msgpack-numpy array without data bytes");
        return new NdArray(dtype, shape, data);
    }
}
