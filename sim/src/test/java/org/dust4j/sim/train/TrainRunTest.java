package org.dust4j.sim.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dust4j.model.ModelConfig;
import org.dust4j.sim.DatasetWriter;
import org.dust4j.sim.Episode;
import org.dust4j.sim.Renderer;
import org.dust4j.sim.ScriptedExpert;
import org.dust4j.sim.Seeds;
import org.dust4j.sim.Task;
import org.dust4j.weights.SafetensorsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainRunTest {
    @TempDir
    static Path dir;
    static Path data;

    @BeforeAll
    static void dataset() throws Exception {
        data = dir.resolve("data");
        Renderer r = new Renderer(64, 32);
        Task t = Task.byName("close_drawer");
        try (DatasetWriter w = new DatasetWriter(data, false, 64, 32, 2, Map.of("seed", 3))) {
            for (int i = 0; i < 2; i++) w.add(Episode.record(t, Seeds.episode(3, Seeds.TRAIN, t, i), ScriptedExpert.Noise.DEFAULT, r));
            w.finish();
        }
    }

    /** Thrown by a listener to simulate a crash right after a checkpoint. */
    static final class Crash extends RuntimeException {}

    static float[] weights(Path model, String name) throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(model.resolve("model.safetensors"))) {
            return f.toTensor(name).toFloatArray();
        }
    }

    @Test
    void resumedRunEndsWithTheSameWeightsAndMetricsAsAnUninterruptedOne() throws Exception {
        for (Variant v : new Variant[] {Variant.DUST, Variant.FLARE}) {
            ModelConfig cfg = v.config();
            SimSpec sim = SimSpec.of(cfg, Variant.ENCODER);
            TrainRun.Settings s = new TrainRun.Settings(4, 2, 1e-3f, 11, 2);
            Path straight = dir.resolve(v.id() + "-straight"), resumed = dir.resolve(v.id() + "-resumed");
            TrainRun.run(data, cfg, sim, s, straight, false, null);
            List<Long> seen = new ArrayList<>();
            assertThrows(Crash.class, () -> TrainRun.run(data, cfg, sim, s, resumed, false, new TrainRun.Listener() {
                @Override
                public void onCheckpoint(long step) {
                    seen.add(step);
                    throw new Crash();
                }
            }));
            assertEquals(List.of(2L), seen);
            assertFalse(Files.exists(resumed.resolve("model")), "no final model after a crash");
            TrainRun.Summary sum = TrainRun.run(data, cfg, sim, s, resumed, true, null);
            assertEquals(2, sum.resumedFrom());
            assertEquals(4, sum.steps());
            try (SafetensorsFile f = SafetensorsFile.open(straight.resolve("model/model.safetensors"))) {
                for (String name : f.names()) {
                    assertArrayEquals(weights(straight.resolve("model"), name), weights(resumed.resolve("model"), name), v.id() + " " + name);
                }
            }
            List<String> a = Files.readAllLines(straight.resolve("metrics.jsonl")), b = Files.readAllLines(resumed.resolve("metrics.jsonl"));
            assertEquals(4, b.size());
            for (int i = 0; i < 4; i++) assertEquals(a.get(i).replaceAll(",\"elapsed_s\".*", ""), b.get(i).replaceAll(",\"elapsed_s\".*", ""));
        }
    }

    @Test
    void resumeWithOtherSettingsIsRefused() throws Exception {
        ModelConfig cfg = Variant.GR00T.config();
        SimSpec sim = SimSpec.of(cfg, Variant.ENCODER);
        Path out = dir.resolve("settings");
        TrainRun.run(data, cfg, sim, new TrainRun.Settings(2, 2, 1e-3f, 1, 1), out, false, null);
        var e = assertThrows(IllegalArgumentException.class,
                () -> TrainRun.run(data, cfg, sim, new TrainRun.Settings(2, 2, 1e-3f, 2, 1), out, true, null));
        assertEquals("--resume: the checkpoint in " + out + " was made with other settings (seed 1 vs 2)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainRun.run(data, cfg, sim, new TrainRun.Settings(2, 2, 1e-3f, 1, 1), dir.resolve("nothing"), true, null));
        assertTrue(e.getMessage().startsWith("--resume: " + dir.resolve("nothing") + " holds no checkpoint"), e.getMessage());
    }

    /** Bug 5: a NaN in metrics.jsonl (written bare by the old writer) must not make --resume truncate valid lines. */
    @Test
    void truncateKeepsLinesHoldingNaN() throws Exception {
        Path m = dir.resolve("nan-metrics.jsonl");
        Files.writeString(m, "{\"step\":1,\"loss\":0.5,\"elapsed_s\":0.1}\n{\"step\":2,\"loss\":NaN,\"elapsed_s\":0.2}\n"
                + "{\"step\":3,\"loss\":0.4,\"elapsed_s\":0.3}\n{\"step\":4,\"lo");
        assertEquals(0.3, TrainRun.truncateMetrics(m, 3));
        assertEquals(3, Files.readAllLines(m).size(), "only the torn last line is dropped");
        // the Jackson writer: NaN becomes a string, every line is valid JSON and reads back as NaN
        String line = TrainRun.metricsLine(new org.dust4j.model.Trainer.StepResult(5, 1e-3f, Double.NaN, 1, Double.POSITIVE_INFINITY, Double.NaN), 1.5);
        assertEquals("NaN", new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("loss").textValue());
        Files.writeString(m, line, java.nio.file.StandardOpenOption.APPEND);
        assertTrue(Double.isNaN(TrainRun.readMetrics(m)[1][3]));
        // an unreadable line in the middle is an error, not a silent truncation
        Files.writeString(m, "{\"step\":1}\n{garbage\n{\"step\":2}\n");
        var e = assertThrows(java.io.IOException.class, () -> TrainRun.truncateMetrics(m, 2));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertEquals(3, Files.readAllLines(m).size());
    }

    /** A run killed before its first checkpoint restarts in place, with or without --resume; temp leftovers are removed. */
    @Test
    void aRunKilledBeforeItsFirstCheckpointRestartsInPlace() throws Exception {
        ModelConfig cfg = Variant.GR00T.config();
        SimSpec sim = SimSpec.of(cfg, Variant.ENCODER);
        TrainRun.Settings s = new TrainRun.Settings(2, 2, 1e-3f, 5, 2);
        Path straight = dir.resolve("restart-straight");
        TrainRun.run(data, cfg, sim, s, straight, false, null);
        for (boolean resume : new boolean[] {false, true}) {
            Path out = dir.resolve("restart-" + resume);
            assertThrows(Crash.class, () -> TrainRun.run(data, cfg, sim, s, out, false, new TrainRun.Listener() {
                @Override
                public void onStep(org.dust4j.model.Trainer.StepResult r, double sps) {
                    throw new Crash();
                }
            }));
            Files.writeString(out.resolve(".run.json.123.tmp"), "{\"torn");
            Files.createDirectories(out.resolve("checkpoint/.tmp-ckpt-000000001-step-2"));
            TrainRun.Summary sum = TrainRun.run(data, cfg, sim, s, out, resume, null);
            assertEquals(0, sum.resumedFrom());
            try (SafetensorsFile f = SafetensorsFile.open(straight.resolve("model/model.safetensors"))) {
                for (String name : f.names()) assertArrayEquals(weights(straight.resolve("model"), name), weights(out.resolve("model"), name), name);
            }
            try (var st = Files.list(out)) {
                assertTrue(st.noneMatch(p -> p.getFileName().toString().startsWith(".")), "temp files cleaned");
            }
            try (var st = Files.list(out.resolve("checkpoint"))) {
                assertTrue(st.allMatch(p -> p.getFileName().toString().startsWith("ckpt-")), "stale checkpoint temp folders cleaned");
            }
        }
        // a finished run (complete checkpoint) is still refused without --resume
        var e = assertThrows(IllegalArgumentException.class, () -> TrainRun.run(data, cfg, sim, s, straight, false, null));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    }
}
