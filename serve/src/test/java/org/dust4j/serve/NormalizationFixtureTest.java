package org.dust4j.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Robot units against testdata/serve/normalization.json, computed by tools/reference/make_serve_fixtures.py from
 * GR00T-N1.5's formulas in numpy float32. Compared exactly: both sides do the same IEEE float32 operations in
 * the same order (no fused multiply-add), so any difference is a formula or ordering error.
 */
class NormalizationFixtureTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RobotUnits units() throws Exception {
        return RobotUnits.create(Fixtures.metadata(), Fixtures.dataConfig(), 16, 12, 4, 32);
    }

    private static float[] floats(JsonNode a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) a.get(i).asDouble();
        return v;
    }

    @Test
    void statesNormaliseAsGr00t() throws Exception {
        RobotUnits u = units();
        JsonNode cases = JSON.readTree(Fixtures.dir().resolve("normalization.json").toFile()).get("state_cases");
        assertEquals(6, cases.size());
        for (JsonNode c : cases) {
            Map<String, float[]> raw = new LinkedHashMap<>();
            c.get("raw").fields().forEachRemaining(e -> raw.put(e.getKey(), floats(e.getValue())));
            assertArrayEquals(floats(c.get("normalised")), u.normaliseState(raw), 0f, "state case " + c);
        }
    }

    @Test
    void actionsUnnormaliseAsGr00t() throws Exception {
        RobotUnits u = units();
        JsonNode cases = JSON.readTree(Fixtures.dir().resolve("normalization.json").toFile()).get("action_cases");
        assertEquals(4, cases.size());
        for (JsonNode c : cases) {
            float[][] rows = new float[c.get("normalised").size()][];
            for (int t = 0; t < rows.length; t++) rows[t] = floats(c.get("normalised").get(t));
            Map<String, float[][]> got = u.unnormaliseActions(rows);
            assertEquals(List.of("action.arm", "action.base", "action.wrist", "action.gripper"), List.copyOf(got.keySet()));
            c.get("raw").fields().forEachRemaining(e -> {
                for (int t = 0; t < rows.length; t++) {
                    assertArrayEquals(floats(e.getValue().get(t)), got.get(e.getKey())[t], 0f, e.getKey() + " step " + t);
                }
            });
        }
    }

    @Test
    void tagsMapToProjectorIndices() throws Exception {
        assertEquals(31, units().embodimentId());
        DataConfig gr1 = new DataConfig("gr1", null, null, null, null, null, null, null, null);
        RobotUnits u = RobotUnits.create(Fixtures.metadata(), gr1, 16, 12, 4, 32);
        assertEquals(24, u.embodimentId());
        assertEquals("min_max", u.actionKeys().get(0).normalizer().mode().gr00tName(), "modes default to min_max");
        assertEquals("binary", u.actionKeys().get(3).normalizer().mode().gr00tName(), "discrete keys default to binary");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RobotUnits.create(Fixtures.metadata(), gr1, 16, 12, 4, 20));
        assertTrue(e.getMessage().contains("embodiment id 24"), e.getMessage());
    }

    @Test
    void layoutErrorsNameTheProblem(@TempDir Path tmp) throws Exception {
        Gr00tMetadata meta = Fixtures.metadata();
        DataConfig dc = Fixtures.dataConfig();
        assertMessage("max_state_dim is 8", () -> RobotUnits.create(meta, dc, 8, 12, 4, 32));
        assertMessage("action_dim is 9", () -> RobotUnits.create(meta, dc, 16, 9, 4, 32));
        assertMessage("horizon is 16", () -> RobotUnits.create(meta, dc, 16, 12, 16, 32));
        DataConfig typo = new DataConfig(null, null, null, List.of("state.armm"), null, null, null, null, null);
        assertMessage("\"state.armm\" is not in the metadata", () -> RobotUnits.create(meta, typo, 16, 12, 4, 32));
        DataConfig badMode = new DataConfig(null, null, null, null, null, null, null, null, Map.of("action.arm", "scale"));
        assertMessage("\"scale\" is not one of", () -> RobotUnits.create(meta, badMode, 16, 12, 4, 32));
        DataConfig discrete = new DataConfig(null, null, null, null, null, null, null, null, Map.of("action.gripper", "min_max"));
        assertMessage("must use binary", () -> RobotUnits.create(meta, discrete, 16, 12, 4, 32));
        Path f = tmp.resolve("dc.json");
        Files.writeString(f, "{\"state_keyz\": []}");
        Exception e = assertThrows(Exception.class, () -> DataConfig.load(f));
        assertTrue(e.getMessage().contains("state_keyz"), e.getMessage());
        Path m = tmp.resolve("meta.json");
        Files.writeString(m, Files.readString(Fixtures.dir().resolve("metadata.json")).replaceFirst("\"shape\": \\[\\s*4\\s*\\]", "\"shape\": [5]"));
        assertMessage("has 4 values, the key's shape says 5", () -> Gr00tMetadata.load(m));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable ex) {
        Throwable e = assertThrows(Exception.class, ex);
        assertTrue(e.getMessage().contains(part), "expected \"" + part + "\" in: " + e.getMessage());
    }
}
