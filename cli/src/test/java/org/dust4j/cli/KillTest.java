package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.dust4j.weights.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real kill -9: {@code dust4j train} runs in a child JVM, checkpointing every step, and is killed with SIGKILL
 * (Process.destroyForcibly) at seeded moments while it trains and saves; each time the run is continued with
 * {@code --resume} (or restarted in place when no checkpoint was complete). The final model must equal an
 * uninterrupted run's bit for bit, and metrics.jsonl must hold one valid line per step.
 */
class KillTest {
    static final long SEED = 0x4B111L;
    static final int STEPS = 6, KILLS = 3;

    static Process start(Path data, Path out, boolean resume) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), "org.dust4j.cli.Main",
                "train", "--data", data.toString(), "--variant", "gr00t", "--out", out.toString(), "--steps", Integer.toString(STEPS),
                "--batch-size", "2", "--checkpoint-every", "1", "--quiet"));
        if (resume) cmd.add("--resume");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolveSibling(out.getFileName() + ".log").toFile()).start();
    }

    static long metricLines(Path out) {
        try {
            return Files.isRegularFile(out.resolve("metrics.jsonl")) ? Files.readAllLines(out.resolve("metrics.jsonl")).size() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    @Test
    void trainingKilledWithSigkillResumesBitExact(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        ModelCommandsTest.Result g = ModelCommandsTest.run("datagen", "--tasks", "open_drawer", "--episodes-per-task", "2", "--out", data.toString());
        assertEquals(0, g.code(), g.err());
        Path straight = tmp.resolve("straight");
        ModelCommandsTest.Result s = ModelCommandsTest.run("train", "--data", data.toString(), "--variant", "gr00t", "--out", straight.toString(),
                "--steps", Integer.toString(STEPS), "--batch-size", "2", "--checkpoint-every", "1", "--quiet");
        assertEquals(0, s.code(), s.err());

        Path out = tmp.resolve("killed");
        SplittableRandom rng = new SplittableRandom(SEED);
        int kills = 0;
        boolean resume = false;
        for (int attempt = 0; attempt < 20; attempt++) {
            Process p = start(data, out, resume);
            if (kills < KILLS) {
                // wait for some progress (a new metrics line), then a seeded extra delay, then SIGKILL
                long before = metricLines(out), deadline = System.nanoTime() + 60_000_000_000L;
                while (p.isAlive() && metricLines(out) <= before && System.nanoTime() < deadline) Thread.sleep(5);
                Thread.sleep(rng.nextInt(0, 40));
                if (p.isAlive()) {
                    p.destroyForcibly();
                    kills++;
                }
            }
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child finished");
            if (p.exitValue() == 0) break;
            resume = true;
            String log = Files.readString(out.resolveSibling("killed.log"));
            assertTrue(p.exitValue() == 137 || p.exitValue() == 9 || log.isEmpty() || !log.contains("error"),
                    "a killed child, not a failed one: exit " + p.exitValue() + ": " + log);
        }
        System.out.printf("kill test: %d SIGKILLs survived%n", kills);
        assertEquals(KILLS, kills);
        assertTrue(Files.isRegularFile(out.resolve("model/model.safetensors")), "finished");
        try (SafetensorsFile a = SafetensorsFile.open(straight.resolve("model/model.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(out.resolve("model/model.safetensors"))) {
            assertEquals(a.names(), b.names());
            for (String n : a.names()) assertArrayEquals(a.toTensor(n).toFloatArray(), b.toTensor(n).toFloatArray(), n);
        }
        List<String> m = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(STEPS, m.size(), "one metrics line per step: " + m);
        for (int i = 0; i < STEPS; i++) assertTrue(m.get(i).startsWith("{\"step\":" + (i + 1) + ","), m.get(i));
    }
}
