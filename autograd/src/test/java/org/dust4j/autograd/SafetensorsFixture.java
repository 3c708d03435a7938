package org.dust4j.autograd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;

/**
 * Minimal safetensors reader for the PyTorch fixtures under {@code testdata/} (written by
 * {@code tools/reference/st.py}). Not the production reader: it parses only the JSON those files use
 * (objects, arrays, strings, integers) and reads the whole file into memory.
 */
final class SafetensorsFixture {
    private record Entry(DType dtype, int[] shape, long begin, long end) {}

    private final Path path;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final ByteBuffer data;

    private SafetensorsFixture(Path path) {
        this.path = path;
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + path, e);
        }
        ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 8) throw new IllegalStateException(path + ": shorter than the 8-byte header length");
        long n = all.getLong(0);
        if (n < 2 || 8 + n > bytes.length) throw new IllegalStateException(path + ": bad header length " + n);
        String json = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        Object parsed = new Json(json).parseValue();
        if (!(parsed instanceof Map<?, ?> header)) throw new IllegalStateException(path + ": header is not an object");
        this.data = all.slice(8 + (int) n, bytes.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            Map<?, ?> info = (Map<?, ?>) e.getValue();
            if (name.equals("__metadata__")) {
                info.forEach((k, v) -> metadata.put((String) k, (String) v));
                continue;
            }
            DType dt = DType.valueOf((String) info.get("dtype"));
            List<?> shp = (List<?>) info.get("shape");
            int[] shape = new int[shp.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = Math.toIntExact((Long) shp.get(i));
                numel *= shape[i];
            }
            List<?> off = (List<?>) info.get("data_offsets");
            long b = (Long) off.get(0), en = (Long) off.get(1);
            if (en - b != numel * dt.byteSize() || en > data.capacity()) {
                throw new IllegalStateException(path + ": tensor " + name + " has offsets [" + b + "," + en
                        + "] for " + numel + " x " + dt + " in a data section of " + data.capacity() + " bytes");
            }
            entries.put(name, new Entry(dt, shape, b, en));
        }
    }

    /** The repository's {@code testdata/} directory, found by walking up from the working directory. */
    static Path testdata() {
        Path start = Path.of("").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata").resolve("engine"))) return p.resolve("testdata");
        }
        throw new IllegalStateException("no testdata/engine directory found in " + start + " or any parent; the"
                + " PyTorch fixtures are committed under <repo>/testdata (regenerate with"
                + " /usr/bin/python3 tools/reference/make_engine_fixtures.py)");
    }

    /** Loads {@code testdata/<relative>}, e.g. {@code engine/layernorm.safetensors}. */
    static SafetensorsFixture load(String relative) {
        Path p = testdata().resolve(relative);
        if (!Files.isRegularFile(p)) throw new IllegalStateException("fixture file missing: " + p);
        return new SafetensorsFixture(p);
    }

    Set<String> names() { return entries.keySet(); }

    Map<String, String> metadata() { return metadata; }

    int[] shape(String name) { return entry(name).shape.clone(); }

    DType dtype(String name) { return entry(name).dtype; }

    /** The tensor as a fresh CPU tensor: F32, I64, I32 as values; BF16 and F16 as bit-pattern tensors. */
    Tensor tensor(String name) {
        Entry e = entry(name);
        int n = (int) ((e.end - e.begin) / e.dtype.byteSize());
        int at = (int) e.begin;
        switch (e.dtype) {
            case F32 -> {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) v[i] = data.getFloat(at + 4 * i);
                return Tensor.of(v, e.shape);
            }
            case I64 -> {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) v[i] = data.getLong(at + 8 * i);
                return Tensor.ofLongs(v, e.shape);
            }
            case I32 -> {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) v[i] = data.getInt(at + 4 * i);
                return Tensor.ofInts(v, e.shape);
            }
            case BF16, F16 -> {
                return Tensor.ofHalfBits(e.dtype, halfBits(name), e.shape);
            }
            default -> throw new IllegalStateException("unsupported dtype " + e.dtype);
        }
    }

    /** Raw 32-bit patterns of an F32 or I32 tensor (NaN payloads exactly as stored). */
    int[] bits32(String name) {
        Entry e = entry(name);
        if (e.dtype != DType.F32 && e.dtype != DType.I32) {
            throw new IllegalArgumentException(path + ": " + name + " is " + e.dtype + ", not a 32-bit type");
        }
        int[] v = new int[(int) ((e.end - e.begin) / 4)];
        for (int i = 0; i < v.length; i++) v[i] = data.getInt((int) e.begin + 4 * i);
        return v;
    }

    /** Raw 16-bit patterns of a BF16 or F16 tensor. */
    short[] halfBits(String name) {
        Entry e = entry(name);
        if (e.dtype != DType.BF16 && e.dtype != DType.F16) {
            throw new IllegalArgumentException(path + ": " + name + " is " + e.dtype + ", not BF16/F16");
        }
        short[] v = new short[(int) ((e.end - e.begin) / 2)];
        for (int i = 0; i < v.length; i++) v[i] = data.getShort((int) e.begin + 2 * i);
        return v;
    }

    float[] floats(String name) { return tensor(name).toFloatArray(); }

    /** A one-element F32 tensor (0-d in the file) as a float. */
    float scalar(String name) {
        float[] v = floats(name);
        if (v.length != 1) throw new IllegalArgumentException(path + ": " + name + " has " + v.length + " elements, not 1");
        return v[0];
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new IllegalArgumentException(path.getFileName() + ": no tensor named '" + name + "' (has " + entries.keySet() + ")");
        return e;
    }

    @Override
    public String toString() { return "SafetensorsFixture(" + path + ")"; }

    /** Just enough JSON: objects (insertion-ordered), arrays, strings with escapes, integers, true/false/null. */
    private static final class Json {
        private final String s;
        private int i;

        Json(String s) { this.s = s; }

        Object parseValue() {
            skipWs();
            if (i >= s.length()) throw error("unexpected end");
            char c = s.charAt(i);
            return switch (c) {
                case '{' -> parseObject();
                case '[' -> parseArray();
                case '"' -> parseString();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> parseInteger();
            };
        }

        private Map<String, Object> parseObject() {
            Map<String, Object> m = new LinkedHashMap<>();
            expect('{');
            skipWs();
            if (peek() == '}') { i++; return m; }
            while (true) {
                skipWs();
                String key = parseString();
                skipWs();
                expect(':');
                m.put(key, parseValue());
                skipWs();
                if (peek() == ',') { i++; continue; }
                expect('}');
                return m;
            }
        }

        private List<Object> parseArray() {
            List<Object> l = new ArrayList<>();
            expect('[');
            skipWs();
            if (peek() == ']') { i++; return l; }
            while (true) {
                l.add(parseValue());
                skipWs();
                if (peek() == ',') { i++; continue; }
                expect(']');
                return l;
            }
        }

        private String parseString() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw error("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return sb.toString();
                if (c != '\\') { sb.append(c); continue; }
                char esc = s.charAt(i++);
                switch (esc) {
                    case '"', '\\', '/' -> sb.append(esc);
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> { sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    default -> throw error("bad escape \\" + esc);
                }
            }
        }

        private Long parseInteger() {
            int b = i;
            if (peek() == '-') i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            if (b == i || (i < s.length() && ".eE".indexOf(s.charAt(i)) >= 0)) throw error("expected an integer");
            return Long.parseLong(s.substring(b, i));
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, i)) throw error("expected " + word);
            i += word.length();
            return value;
        }

        private void skipWs() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

        private char peek() { return i < s.length() ? s.charAt(i) : '\0'; }

        private void expect(char c) {
            if (peek() != c) throw error("expected '" + c + "'");
            i++;
        }

        private IllegalStateException error(String what) {
            return new IllegalStateException("fixture header JSON: " + what + " at offset " + i);
        }
    }
}
