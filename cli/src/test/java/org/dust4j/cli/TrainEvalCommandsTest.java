package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end: datagen -> train -> eval through the command line, plus the bad-input paths. */
class TrainEvalCommandsTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @TempDir
    static Path dir;
    static Path data, runDir;

    @BeforeAll
    static void trainTinyModel() {
        data = dir.resolve("data");
        Result r = run("datagen", "--tasks", "open_drawer", "--episodes-per-task", "2", "--out", data.toString());
        assertEquals(0, r.code(), r.err());
        runDir = dir.resolve("run");
        r = run("train", "--data", data.toString(), "--variant", "gr00t", "--out", runDir.toString(), "--steps", "3", "--batch-size", "2",
                "--checkpoint-every", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("trained gr00t_n1_5"), r.out());
    }

    @Test
    void trainWritesCheckpointMetricsCurveAndModel() throws Exception {
        for (String f : new String[] {"run.json", "sim.json", "metrics.jsonl", "loss.png", "checkpoint/ckpt-000000002-step-3/trainer.json",
                "checkpoint/ckpt-000000002-step-3/optimizer.safetensors", "checkpoint/ckpt-000000002-step-3/COMMIT.json",
                "model/config.json", "model/model.safetensors", "model/sim.json"})
            assertTrue(Files.isRegularFile(runDir.resolve(f)), f);
        assertEquals(3, Files.readAllLines(runDir.resolve("metrics.jsonl")).size());
        try (Stream<Path> s = Files.list(runDir)) {       // no temporary leftovers
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("tmp")));
        }
    }

    /** Strips the timing from the header line. */
    static String table(String out) {
        return out.replaceAll("; [0-9.]+ s", "");
    }

    @Test
    void evalIsReproducibleForAFixedCheckpointAndSeedAtAnyThreadCount() {
        String model = runDir.resolve("model").toString();
        Result a = run("eval", "--model", model, "--tasks", "open_drawer", "--episodes-per-task", "2", "--seed", "7", "--execute-steps", "16", "--threads", "1");
        Result b = run("eval", "--model", model, "--tasks", "open_drawer", "--episodes-per-task", "2", "--seed", "7", "--execute-steps", "16", "--threads", "2");
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertTrue(a.out().contains("open_drawer") && a.out().contains("overall"), a.out());
        assertEquals(table(a.out()), table(b.out()));
    }

    static void assertOneLineError(Result r, String start) {
        assertEquals(1, r.code(), r.out());
        String[] lines = r.err().strip().split("\n");
        assertTrue(lines[0].startsWith("dust4j: error: " + start), r.err());
        assertEquals(2, lines.length, r.err());          // the error + the --stacktrace hint
    }

    @Test
    void unknownTaskIsOneLine() {
        assertOneLineError(run("eval", "--model", runDir.resolve("model").toString(), "--tasks", "open_drawer,fly_to_moon"), "unknown task fly_to_moon");
    }

    @Test
    void unknownVariantIsOneLineAndWritesNothing() {
        Path out = dir.resolve("never");
        assertOneLineError(run("train", "--data", data.toString(), "--variant", "mamba", "--out", out.toString()), "unknown variant 'mamba'");
        assertFalse(Files.exists(out));
    }

    @Test
    void emptyOrCorruptDatasetIsOneLineAndWritesNothing() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path out = dir.resolve("out-empty");
        assertOneLineError(run("train", "--data", empty.toString(), "--out", out.toString(), "--steps", "1"), "dataset " + empty + ": no manifest.json");
        assertFalse(Files.exists(out));

        Path bad = Files.createDirectories(dir.resolve("corrupt"));
        try (Stream<Path> s = Files.list(data)) {
            for (Path p : s.toList()) Files.copy(p, bad.resolve(p.getFileName()));
        }
        Path shard;
        try (Stream<Path> s = Files.list(bad)) {
            shard = s.filter(p -> p.toString().endsWith(".safetensors")).findFirst().orElseThrow();
        }
        Files.write(shard, new byte[0]);                  // an empty shard
        Path out2 = dir.resolve("out-corrupt");
        Result r = run("train", "--data", bad.toString(), "--out", out2.toString(), "--steps", "1");
        assertOneLineError(r, "dataset shard ");
        assertTrue(r.err().contains(shard.getFileName().toString()), r.err());
        assertFalse(Files.exists(out2));
    }

    @Test
    void checkpointOfAnotherConfigIsOneLine() throws Exception {
        // a model directory whose config.json is for another head than its weights
        Path other = Files.createDirectories(dir.resolve("other"));
        Files.copy(runDir.resolve("model/model.safetensors"), other.resolve("model.safetensors"));
        Files.copy(runDir.resolve("model/sim.json"), other.resolve("sim.json"));
        Files.writeString(other.resolve("config.json"), org.dust4j.sim.train.Variant.DUST.config().toJson());
        Path json = dir.resolve("other.json");
        assertOneLineError(run("eval", "--model", other.toString(), "--tasks", "open_drawer", "--out", json.toString()), "");
        assertFalse(Files.exists(json));
        // resuming a run with another variant
        Result r = run("train", "--data", data.toString(), "--variant", "dust", "--out", runDir.toString(), "--steps", "3", "--batch-size", "2",
                "--checkpoint-every", "2", "--resume");
        assertOneLineError(r, "--resume: the checkpoint in " + runDir + " was made with other settings (model config differs)");
        // a fresh run into a used directory
        r = run("train", "--data", data.toString(), "--variant", "gr00t", "--out", runDir.toString(), "--steps", "3");
        assertOneLineError(r, runDir + " already exists and is not empty");
    }

    @Test
    void committedDemoConfigsAreTheBuiltInVariants() throws Exception {
        for (org.dust4j.sim.train.Variant v : org.dust4j.sim.train.Variant.values()) {
            Path f = Path.of("..", "configs", "demo-" + v.id() + ".json");
            assertEquals(v.config().toJson(), org.dust4j.model.ModelConfig.read(f).toJson(), f.toString());
        }
    }
}
