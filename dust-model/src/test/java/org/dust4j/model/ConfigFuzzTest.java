package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.dust4j.weights.JsonFuzz;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of config.json: mutations ({@link JsonFuzz}) of every committed config. Each case must either parse
 * into a config whose model size check ({@link PolicyModel#requireMemory}) answers quickly, or fail with a one-line
 * {@link ConfigException} of bounded length; any other exception, a hang or an OutOfMemoryError fails the test.
 */
class ConfigFuzzTest {
    static final int CASES = 2000;
    static final long SEED = 0xC0F1647L;

    @Test
    void mutatedConfigsGiveAConfigOrOneLine() throws Exception {
        List<String> bases;
        try (Stream<Path> s = Files.list(ConfigTest.repo().resolve("configs"))) {
            bases = s.filter(p -> p.toString().endsWith(".json")).sorted().map(p -> {
                try {
                    return Files.readString(p);
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
        }
        int[] counts = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SplittableRandom rng = new SplittableRandom(SEED);
            for (int c = 0; c < CASES; c++) {
                String text = JsonFuzz.mutate(bases.get(rng.nextInt(bases.size())), rng);
                try {
                    ModelConfig cfg = ModelConfig.parse(text);
                    try {
                        PolicyModel.requireMemory(cfg, 1, "fuzz");
                    } catch (ConfigException tooBig) {
                        assertOneLine(tooBig, c, text);
                    }
                    counts[0]++;
                } catch (ConfigException e) {
                    assertOneLine(e, c, text);
                    counts[1]++;
                } catch (Throwable t) {
                    fail("case " + c + ": " + t + " for " + cut(text), t);
                }
            }
        });
        System.out.printf("config fuzz: %d cases, %d accepted, %d rejected with one line%n", CASES, counts[0], counts[1]);
        assertTrue(counts[1] > CASES / 3 && counts[0] > 10, "the mutations exercise both outcomes");
    }

    static void assertOneLine(Exception e, int c, String text) {
        String m = e.getMessage();
        assertTrue(m != null && !m.contains("\n") && m.length() <= 1100, "case " + c + ": " + cut(m) + " for " + cut(text));
    }

    static String cut(String s) {
        return s == null ? "null" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
