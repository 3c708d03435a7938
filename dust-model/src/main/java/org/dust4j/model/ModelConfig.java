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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * A parsed and validated config.json: {@link DustConfig} ("dust"), {@link Gr00tConfig} ("gr00t_n1_5") or
 * {@link FlareConfig} ("gr00t_flare", the FLARE baseline).
 */
public sealed interface ModelConfig permits DustConfig, Gr00tConfig, FlareConfig {

    /** Snake-case keys, unknown keys fail (the gr00t records opt out), integers must be integers. */
    ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

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
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
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
            throw new ConfigException("config: not valid JSON (" + e.getOriginalMessage() + ")", e);
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
            throw new ConfigException("config: bad value at \"" + path(e) + "\": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (JsonProcessingException e) {
            throw new ConfigException("config: " + e.getOriginalMessage());
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
