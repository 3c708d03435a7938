package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import org.dust4j.weights.JsonFuzz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of a dataset's manifest.json ({@link JsonFuzz} mutations): opening the dataset and sampling a
 * batch either works or fails with one bounded {@link DatasetException} line; never another exception, a hang or
 * an OutOfMemoryError.
 */
class ManifestFuzzTest {
    static final int CASES = 400;
    static final long SEED = 0x3A41FE57L;

    @Test
    void mutatedManifestsOpenOrFailWithOneLine(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("ds");
        Renderer r = new Renderer(32, 16);
        try (DatasetWriter w = new DatasetWriter(dir, false, 32, 16, 1, Map.of("seed", 1))) {
            for (Task t : new Task[] {Task.byName("open_drawer"), Task.byName("push_left")}) {
                w.add(Episode.record(t, Seeds.episode(1, Seeds.TRAIN, t, 0), ScriptedExpert.Noise.DEFAULT, r));
            }
            w.finish();
        }
        Path mf = dir.resolve(DatasetWriter.MANIFEST);
        String valid = Files.readString(mf);
        int[] counts = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SplittableRandom rng = new SplittableRandom(SEED);
            for (int c = 0; c < CASES; c++) {
                String text = JsonFuzz.mutate(valid, rng);
                Files.writeString(mf, text);
                try (DatasetReader reader = DatasetReader.open(dir)) {
                    reader.episodes().forEach(e -> { });
                    counts[0]++;
                } catch (DatasetException e) {
                    String m = e.getMessage();
                    assertTrue(m != null && !m.contains("\n") && m.length() <= 1050, "case " + c + ": " + (m == null ? null : m.substring(0, Math.min(300, m.length()))));
                    counts[1]++;
                } catch (Throwable t) {
                    fail("case " + c + ": " + t + " for " + (text.length() > 300 ? text.substring(0, 300) : text), t);
                }
            }
        });
        System.out.printf("manifest fuzz: %d cases, %d opened, %d rejected with one line%n", CASES, counts[0], counts[1]);
        assertTrue(counts[1] > CASES / 3 && counts[0] > 10, "both outcomes exercised");
    }
}
