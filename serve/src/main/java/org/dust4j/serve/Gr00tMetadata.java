package org.dust4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GR00T-N1.5 checkpoint's normalisation metadata, {@code experiment_cfg/metadata.json}: for each embodiment tag
 * a {@code DatasetMetadata} dump with {@code statistics.{state,action}.KEY.{min,max,mean,std,q01,q99}} and
 * {@code modalities.{state,action}.KEY.{shape,continuous,absolute,rotation_type}} (keys without the
 * {@code state.}/{@code action.} prefix, as GR00T writes them). The JSON key order of {@code modalities} is kept:
 * it is the default concatenation order.
 *
 * @param embodiments per embodiment tag, in file order
 */
public record Gr00tMetadata(Map<String, Embodiment> embodiments) {
    /** Longest statistics vector accepted (GR00T pads states to 64 and actions to 32 values). */
    public static final int MAX_WIDTH = 4096;
    private static final long MAX_FILE_BYTES = 64L << 20;

    /**
     * The statistics of one key; each array has the key's width.
     *
     * @param min  per-dimension minimum
     * @param max  per-dimension maximum
     * @param mean per-dimension mean
     * @param std  per-dimension standard deviation
     * @param q01  per-dimension 1st percentile
     * @param q99  per-dimension 99th percentile
     */
    public record Stats(float[] min, float[] max, float[] mean, float[] std, float[] q01, float[] q99) {}

    /**
     * What {@code modalities.state|action.KEY} says about a key.
     *
     * @param width        its shape[0]
     * @param continuous   false for discrete keys (only binary normalisation allowed)
     * @param absolute     absolute or relative values
     * @param rotationType GR00T rotation type name or null
     */
    public record KeyInfo(int width, boolean continuous, boolean absolute, String rotationType) {}

    /**
     * One embodiment's statistics and layout; map keys carry the modality prefix ({@code state.x}, {@code action.y}).
     *
     * @param tag        the embodiment tag
     * @param stats      statistics per prefixed key
     * @param keys       layout per prefixed key, file order, state keys first
     * @param videoKeys  prefixed video keys
     */
    public record Embodiment(String tag, Map<String, Stats> stats, Map<String, KeyInfo> keys, java.util.List<String> videoKeys) {}

    /** Reads a metadata.json; a one-line error names the file and the offending key. */
    public static Gr00tMetadata load(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) throw new IOException(file + ": " + size + " bytes, more than a metadata file can be (" + MAX_FILE_BYTES + ")");
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the JSON tree of a metadata.json. */
    public static Gr00tMetadata parse(JsonNode root) {
        if (!root.isObject() || root.isEmpty()) throw new IllegalArgumentException("metadata must be a JSON object keyed by embodiment tag");
        Map<String, Embodiment> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), embodiment(e.getKey(), e.getValue()));
        }
        return new Gr00tMetadata(out);
    }

    /** The embodiment of a tag; the error lists the tags present. */
    public Embodiment embodiment(String tag) {
        Embodiment e = embodiments.get(tag);
        if (e == null) throw new IllegalArgumentException("embodiment tag \"" + tag + "\" is not in the metadata (it has " + embodiments.keySet() + ")");
        return e;
    }

    private static Embodiment embodiment(String tag, JsonNode n) {
        Map<String, Stats> stats = new LinkedHashMap<>();
        Map<String, KeyInfo> keys = new LinkedHashMap<>();
        java.util.List<String> video = new java.util.ArrayList<>();
        n.path("modalities").path("video").fieldNames().forEachRemaining(k -> video.add("video." + k));
        for (String modality : new String[] {"state", "action"}) {
            JsonNode mods = n.path("modalities").path(modality);
            JsonNode st = n.path("statistics").path(modality);
            if (!mods.isObject()) throw new IllegalArgumentException(tag + ": modalities." + modality + " is missing");
            for (Iterator<Map.Entry<String, JsonNode>> it = mods.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> k = it.next();
                String key = modality + "." + k.getKey();
                JsonNode shape = k.getValue().path("shape");
                if (!shape.isArray() || shape.size() != 1 || !shape.get(0).canConvertToInt() || shape.get(0).asInt() < 1 || shape.get(0).asInt() > MAX_WIDTH) {
                    throw new IllegalArgumentException(tag + ": " + key + " shape " + shape + " is not [n] with 1 <= n <= " + MAX_WIDTH);
                }
                int w = shape.get(0).asInt();
                JsonNode rot = k.getValue().path("rotation_type");
                keys.put(key, new KeyInfo(w, k.getValue().path("continuous").asBoolean(true), k.getValue().path("absolute").asBoolean(true),
                        rot.isTextual() ? rot.asText() : null));
                JsonNode s = st.path(k.getKey());
                if (s.isObject()) {
                    String p = tag + ": statistics." + key + ".";
                    stats.put(key, new Stats(vec(s, "min", w, p), vec(s, "max", w, p), vec(s, "mean", w, p), vec(s, "std", w, p),
                            vec(s, "q01", w, p), vec(s, "q99", w, p)));
                }
            }
        }
        return new Embodiment(tag, stats, keys, video);
    }

    /** One statistics vector, or null when absent; wrong length or non-finite values are errors. */
    private static float[] vec(JsonNode s, String name, int width, String where) {
        JsonNode a = s.get(name);
        if (a == null || a.isNull()) return null;
        if (!a.isArray() || a.size() != width) throw new IllegalArgumentException(where + name + " has " + (a.isArray() ? a.size() : 0) + " values, the key's shape says " + width);
        float[] v = new float[width];
        for (int i = 0; i < width; i++) {
            JsonNode x = a.get(i);
            if (!x.isNumber() || !Double.isFinite(x.asDouble())) throw new IllegalArgumentException(where + name + "[" + i + "] is not a finite number: " + x);
            v[i] = (float) x.asDouble();
        }
        return v;
    }
}
