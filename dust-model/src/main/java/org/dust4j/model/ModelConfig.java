package org.dust4j.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import org.dust4j.weights.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * A parsed and validated config.json: {@link DustConfig} ("dust"), {@link Gr00tConfig} ("gr00t_n1_5") or
 * {@link FlareConfig} ("gr00t_flare", the FLARE baseline).
 */
public sealed interface ModelConfig permits DustConfig, Gr00tConfig, FlareConfig {

    /**
     * Snake-case keys, unknown keys fail (the gr00t records opt out), integers must be integers, no coercion
     * between JSON types ("12" is not an int, "true" not a bool, 1 not a string), duplicate keys and content after
     * the document fail.
     */
    ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfigDefaults(c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Float, c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.TryConvert))
            .enable(SerializationFeature.INDENT_OUTPUT)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    /** The largest config.json read. */
    long MAX_FILE_BYTES = 1L << 20;

    /** Bounds of every size in a config: widths (incl. heads x head_dim), layers, embodiments, tokens, steps. */
    int MAX_WIDTH = 1 << 16;
    int MAX_LAYERS = 1024;
    int MAX_EMBODIMENTS = 1 << 16;
    int MAX_TOKENS = 1 << 16;
    /** num_vision_tokens x inner width: the 2D position code table DUST builds when it is created. */
    long MAX_POSITION_TABLE = 1L << 24;
    int MAX_BUCKETS = 1 << 24;
    int MAX_INFERENCE_STEPS = 100_000;

    /** "dust" or "gr00t_n1_5". */
    String type();

    int actionDimension();

    int horizon();

    int stateDim();

    int vlDim();

    int embodiments();

    int inferenceSteps();

    int buckets();

    /** Checks the size constraints; returns this. */
    ModelConfig validate();

    /** Reads and validates {@code dir/config.json} (or the file itself when {@code path} is a file). */
    static ModelConfig read(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        String text;
        try {
            text = AtomicFiles.readStringCapped(file, MAX_FILE_BYTES, "config");
        } catch (IOException e) {
            throw new ConfigException(e.getMessage().startsWith(file.toString()) ? e.getMessage()
                    : file + ": cannot read config (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        try {
            return parse(text);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses and validates a config.json text, dispatching on {@code model_type}. */
    static ModelConfig parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException("config: not valid JSON (" + firstLine(e.getOriginalMessage()) + ")", e);
        }
        if (root == null || !root.isObject()) throw new ConfigException("config: must be a JSON object");
        JsonNode mt = root.get("model_type");
        if (mt == null || !mt.isTextual()) {
            throw new ConfigException("config: \"model_type\" is missing (expected \"dust\" or \"gr00t_n1_5\")");
        }
        if ("gr00t_flare".equals(mt.asText())) return FlareConfig.parse((com.fasterxml.jackson.databind.node.ObjectNode) root);
        Class<? extends ModelConfig> cls = switch (mt.asText()) {
            case "dust" -> DustConfig.class;
            case "gr00t_n1_5" -> Gr00tConfig.class;
            default -> throw new ConfigException("config: unknown model_type \"" + mt.asText() + "\" (expected \"dust\", \"gr00t_n1_5\" or \"gr00t_flare\")");
        };
        try {
            return JSON.treeToValue(root, cls).validate();
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException("config: unknown key \"" + path(e) + "\" for model_type " + mt.asText());
        } catch (JsonMappingException e) {
            throw new ConfigException("config: bad value at \"" + path(e) + "\": " + firstLine(e.getOriginalMessage()));
        } catch (JsonProcessingException e) {
            throw new ConfigException("config: " + firstLine(e.getOriginalMessage()));
        }
    }

    /** The first line of a parser message, cut to 300 characters (parsers quote the offending input). */
    static String firstLine(String m) {
        String l = m == null ? "" : m.lines().findFirst().orElse("");
        return l.length() > 300 ? l.substring(0, 300) + "..." : l;
    }

    /** Checks {@code lo <= v <= hi} for a config size; one line naming the key otherwise. */
    static void inRange(String key, long v, long lo, long hi) {
        if (v < lo || v > hi) {
            throw new ConfigException("config: " + key + " must be " + (lo == 0 ? ">= 0" : lo == 1 ? "positive" : ">= " + lo)
                    + " and at most " + hi + ", got " + v);
        }
    }

    /** Checks a real config value is finite and within [lo, hi] (NaN and Infinity fail: 1e400 parses to Infinity). */
    static void finiteIn(String key, double v, double lo, double hi, boolean loOpen, boolean hiOpen) {
        boolean ok = Double.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
        if (!ok) {
            throw new ConfigException("config: " + key + " must be a finite number in " + (loOpen ? "(" : "[") + lo + ", " + hi
                    + (hiOpen ? ")" : "]") + ", got " + v);
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    /** The config as config.json text (snake-case keys). */
    default String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config: cannot serialise: " + e.getMessage(), e);
        }
    }
}
