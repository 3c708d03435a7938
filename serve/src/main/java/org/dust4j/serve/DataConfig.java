package org.dust4j.serve;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * What GR00T keeps in a Python data config class ({@code gr00t/experiment/data_config.py}: video/state/action/
 * language keys, observation and action indices, and the normalisation mode of each key from its transforms),
 * written as JSON so that no Python is needed:
 * <pre>
 * {"embodiment_tag": "new_embodiment",
 *  "video_keys": ["video.webcam"], "state_keys": ["state.single_arm", "state.gripper"],
 *  "action_keys": ["action.single_arm", "action.gripper"],
 *  "language_keys": ["annotation.human.task_description"],
 *  "observation_indices": [0], "action_indices": [0, 1, ..., 15],
 *  "normalization": {"state.single_arm": "min_max", "action.gripper": "binary", ...},
 *  "embodiment_id": 31}
 * </pre>
 * The state and action key lists give the concatenation order. Absent fields take defaults from the metadata
 * ({@link #defaults}); {@code embodiment_id} defaults to GR00T-N1.5's projector index of the tag.
 *
 * @param embodimentTag      the tag to look up in metadata.json
 * @param embodimentId       projector index override, or null
 * @param videoKeys          video keys (accepted and ignored until the Java backbone encodes them)
 * @param stateKeys          state keys, concatenation order
 * @param actionKeys         action keys, concatenation order
 * @param languageKeys       language keys (accepted and ignored, as video)
 * @param observationIndices time offsets of observations (dust4j uses one step)
 * @param actionIndices      time offsets of the action chunk (its length must equal the model's horizon)
 * @param normalization      mode per key; keys not listed default to min_max (binary for keys the metadata marks
 *                           as not continuous)
 */
public record DataConfig(
        @JsonProperty("embodiment_tag") String embodimentTag,
        @JsonProperty("embodiment_id") Integer embodimentId,
        @JsonProperty("video_keys") List<String> videoKeys,
        @JsonProperty("state_keys") List<String> stateKeys,
        @JsonProperty("action_keys") List<String> actionKeys,
        @JsonProperty("language_keys") List<String> languageKeys,
        @JsonProperty("observation_indices") List<Integer> observationIndices,
        @JsonProperty("action_indices") List<Integer> actionIndices,
        @JsonProperty("normalization") Map<String, String> normalization) {

    /** GR00T's language key in its published data configs. */
    public static final String DEFAULT_LANGUAGE_KEY = "annotation.human.task_description";

    /** Reads a data config file; unknown fields are an error naming the field. */
    public static DataConfig load(Path file) throws IOException {
        if (Files.size(file) > (1 << 20)) throw new IOException(file + ": larger than 1 MiB, not a data config");
        return new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(file.toFile(), DataConfig.class);
    }

    /**
     * Fills absent fields: the metadata's only tag (or "new_embodiment" when it has several), its video/state/action
     * keys in file order, GR00T's default language key, observation index 0, action indices 0..horizon-1, min_max.
     */
    public DataConfig withDefaults(Gr00tMetadata meta, int horizon) {
        String tag = embodimentTag;
        if (tag == null) {
            tag = meta.embodiments().size() == 1 ? meta.embodiments().keySet().iterator().next() : "new_embodiment";
        }
        Gr00tMetadata.Embodiment e = meta.embodiment(tag);
        List<String> st = new ArrayList<>(), ac = new ArrayList<>();
        for (String k : e.keys().keySet()) (k.startsWith("state.") ? st : ac).add(k);
        Map<String, String> norm = new LinkedHashMap<>();
        if (normalization != null) norm.putAll(normalization);
        return new DataConfig(tag, embodimentId,
                videoKeys != null ? videoKeys : e.videoKeys(),
                stateKeys != null ? stateKeys : st,
                actionKeys != null ? actionKeys : ac,
                languageKeys != null ? languageKeys : List.of(DEFAULT_LANGUAGE_KEY),
                observationIndices != null ? observationIndices : List.of(0),
                actionIndices != null ? actionIndices : IntStream.range(0, horizon).boxed().toList(),
                norm);
    }

    /** An empty config: every field from {@link #withDefaults}. */
    public static DataConfig defaults() {
        return new DataConfig(null, null, null, null, null, null, null, null, null);
    }
}
