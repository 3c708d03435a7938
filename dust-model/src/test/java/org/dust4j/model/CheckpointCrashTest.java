package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.dust4j.weights.AtomicFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills training (in process, through the fault points of {@link AtomicFiles} and {@link Checkpoints}: an Error
 * thrown there unwinds without any cleanup, as kill -9 leaves the disk) at every fault point of a run, including
 * every step of every save, then restarts it as the CLI does (clean stale temp folders, resume from the newest
 * complete checkpoint or start afresh) and checks the final weights equal an uninterrupted run bit for bit.
 */
class CheckpointCrashTest {
    private static final int STEPS = 4, EVERY = 2;

    /** A simulated kill -9: an Error, so no catch (IOException | RuntimeException) cleanup runs. */
    static final class Killed extends Error {
        Killed(String point) {
            super("killed at " + point, null, false, false);
        }
    }

    @AfterEach
    void unhook() {
        AtomicFiles.hook(null);
    }

    private static final DustConfig CFG = TestData.tiny("\"dropout\": 0.2");
    private static final Trainer.Options OPT = Trainer.Options.defaults(STEPS, 17).withLr(3e-3f).withWarmup(0.2);

    /** Trains to STEPS, resuming from {@code root} when it holds a checkpoint; kill-points are fault points. */
    private static Trainer runToEnd(Path root) throws IOException {
        Checkpoints.cleanStale(root);
        Trainer t = Trainer.checkpointIn(root).isPresent() ? Trainer.resume(root) : new Trainer(PolicyModel.create(CFG, 8), 8, OPT);
        while (t.step() < STEPS) {
            AtomicFiles.faultPoint("train:step");
            t.trainStep(TrainerTest.data(CFG));
            if (t.step() % EVERY == 0 || t.step() == STEPS) t.save(root, 1);   // keep 1: the hardest case for "never none"
        }
        return t;
    }

    @Test
    void resumeAfterAKillAtEveryFaultPointIsBitExact(@TempDir Path tmp) throws Exception {
        Map<String, float[]> straight = TrainerTest.values(runToEnd(tmp.resolve("straight")).model());

        List<String> points = new ArrayList<>();
        AtomicFiles.hook(points::add);
        runToEnd(tmp.resolve("count"));
        AtomicFiles.hook(null);
        assertTrue(points.contains("ckpt:commit") && points.contains("rename:COMMIT.json") && points.contains("ckpt:rename")
                && points.contains("ckpt:prune") && points.contains("write:model.safetensors"), "fault points: " + points);

        int kills = 0;
        for (int k = 0; k < points.size(); k++) {
            Path root = tmp.resolve("kill-" + k);
            AtomicInteger calls = new AtomicInteger();
            int at = k;
            AtomicFiles.hook(p -> {
                if (calls.getAndIncrement() == at) throw new Killed(p);
            });
            assertThrows(Killed.class, () -> runToEnd(root), "kill point " + k);
            AtomicFiles.hook(null);
            kills++;
            Trainer done = runToEnd(root);
            TrainerTest.assertSameValues(straight, TrainerTest.values(done.model()));
            assertEquals(STEPS, Checkpoints.verify(Checkpoints.latest(root).orElseThrow()));
            try (Stream<Path> s = Files.list(root)) {
                assertTrue(s.allMatch(p -> p.getFileName().toString().startsWith("ckpt-")), "stale temp folders cleaned: " + root);
            }
            AtomicFiles.deleteTree(root);
        }
        // two kills in one run: at every point, and again 7 points after the restart
        for (int k = 0; k < points.size(); k += 10) {
            Path root = tmp.resolve("twice-" + k);
            for (int at : new int[] {k, 7}) {
                AtomicInteger calls = new AtomicInteger();
                AtomicFiles.hook(p -> {
                    if (calls.getAndIncrement() == at) throw new Killed(p);
                });
                try {
                    runToEnd(root);
                } catch (Killed expected) {
                    kills++;
                }
                AtomicFiles.hook(null);
            }
            TrainerTest.assertSameValues(straight, TrainerTest.values(runToEnd(root).model()));
            AtomicFiles.deleteTree(root);
        }
        System.out.printf("checkpoint crash test: %d fault points per run, %d kills survived%n", points.size(), kills);
        assertTrue(kills >= points.size());
    }

    /** An I/O error or a full disk at each call of a save: the save fails, leaves no temp, and the earlier checkpoint loads. */
    @Test
    void aFailedSaveLeavesThePreviousCheckpointLoadable(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("ck");
        Trainer t = new Trainer(PolicyModel.create(CFG, 8), 8, OPT);
        t.trainStep(TrainerTest.data(CFG));
        t.save(root);
        t.trainStep(TrainerTest.data(CFG));
        List<String> points = new ArrayList<>();
        AtomicFiles.hook(points::add);
        t.save(tmp.resolve("count"));
        AtomicFiles.hook(null);
        int failures = 0;
        for (int k = 0; k < points.size(); k++) {
            if (points.get(k).equals("ckpt:prune")) continue;     // after the commit: the new checkpoint is complete
            AtomicInteger calls = new AtomicInteger();
            int at = k;
            String msg = k % 2 == 0 ? "No space left on device" : "Input/output error";
            AtomicFiles.hook(p -> {
                if (calls.getAndIncrement() == at) throw new IOException(p + ": " + msg);
            });
            Path before = Checkpoints.latest(root).orElseThrow();
            boolean failed = false;
            try {
                t.save(root);
            } catch (IOException e) {
                failed = true;
                assertTrue(e.getMessage().contains(msg), e.getMessage());
            } finally {
                AtomicFiles.hook(null);
            }
            boolean afterRename = points.get(k).equals("ckpt:fsync-root");
            if (failed && !afterRename) {
                failures++;
                assertEquals(before, Checkpoints.latest(root).orElseThrow(), "fault at " + points.get(k));
                assertEquals(1, Trainer.resume(root).step());
                try (Stream<Path> s = Files.list(root)) {
                    assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")), "temp cleaned after " + points.get(k));
                }
            } else {
                // no fault (the call index was in prune) or a fault after the rename: the new checkpoint is committed and complete
                assertEquals(2, Trainer.resume(root).step(), "fault at " + points.get(k));
                AtomicFiles.deleteTree(Checkpoints.latest(root).orElseThrow());
            }
        }
        System.out.printf("checkpoint fault injection: %d fault points, %d failed saves, previous checkpoint loadable after each%n",
                points.size(), failures);
        assertTrue(failures >= points.size() - 3);
        t.save(root);
        assertEquals(2, Trainer.resume(root).step());
    }

    /** A flipped byte in any checkpoint file is one error naming that file; nothing is loaded. */
    @Test
    void checksumsAreVerifiedOnResume(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("ck");
        Trainer t = new Trainer(PolicyModel.create(CFG, 8), 8, OPT);
        t.trainStep(TrainerTest.data(CFG));
        Path dir = t.save(root);
        for (String f : new String[] {"model.safetensors", "optimizer.safetensors", "trainer.json", "config.json"}) {
            Path p = dir.resolve(f);
            byte[] orig = Files.readAllBytes(p);
            flip(p, orig.length - 2);
            var e = assertThrows(IOException.class, () -> Trainer.resume(root));
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("SHA-256"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            Files.write(p, orig);
        }
        Files.delete(dir.resolve("optimizer.safetensors"));
        var e = assertThrows(IOException.class, () -> Trainer.resume(root));
        assertTrue(e.getMessage().contains("optimizer.safetensors") && e.getMessage().contains("missing"), e.getMessage());
        Files.delete(dir.resolve(Checkpoints.COMMIT));
        var none = assertThrows(IOException.class, () -> Trainer.resume(root));
        assertTrue(none.getMessage().contains("no complete checkpoint"), none.getMessage());
    }

    private static void flip(Path p, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5A));
            ch.write(b.flip(), at);
        }
    }

    /** Bug 4: a NaN in the data stops training at that step with one line naming the step and the tensor, before the update. */
    @Test
    void nanInTheDataStopsTrainingNamingTheStep() {
        Trainer t = new Trainer(PolicyModel.create(CFG, 8), 8, OPT);
        t.trainStep(TrainerTest.data(CFG));
        Map<String, float[]> before = TrainerTest.values(t.model());
        var e = assertThrows(IllegalArgumentException.class, () -> t.trainStep((step, micro) -> {
            var b = TrainerTest.data(CFG).batch(step, micro);
            float[] a = b.get("actions").toFloatArray();
            a[3] = Float.NaN;
            b.put("actions", org.dust4j.tensor.Tensor.of(a, b.get("actions").shape()));
            return b;
        }));
        assertTrue(e.getMessage().startsWith("training step 2: ") && e.getMessage().contains("'actions'") && e.getMessage().contains("NaN"),
                e.getMessage());
        TrainerTest.assertSameValues(before, TrainerTest.values(t.model()));
        assertEquals(1, t.step());
    }

    /** Bug 4: a learning rate that blows the weights up stops at the first non-finite loss or gradient, naming the step. */
    @Test
    void divergingTrainingStopsAtTheFirstNonFiniteLoss() {
        Trainer t = new Trainer(PolicyModel.create(CFG, 8), 8, Trainer.Options.defaults(50, 1).withLr(1e30f).withWarmup(0).withClip(0));
        var e = assertThrows(Trainer.NonFiniteException.class, () -> {
            for (int i = 0; i < 50; i++) t.trainStep(TrainerTest.data(CFG));
        });
        assertEquals(t.step() + 1, e.step());
        assertTrue(e.getMessage().startsWith("training step " + e.step() + ": the "), e.getMessage());
        for (float[] v : TrainerTest.values(t.model()).values()) {
            for (float x : v) assertTrue(Float.isFinite(x), "the refused update was not applied");
        }
    }

    /** Bug 4: a non-finite learning rate (1e39 parses to Infinity as a float) is refused up front. */
    @Test
    void nonFiniteHyperParametersAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> Trainer.Options.defaults(5, 1).withLr(Float.POSITIVE_INFINITY));
        assertTrue(e.getMessage().contains("lr"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Trainer.Options.defaults(5, 1).withLr(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> Trainer.Options.defaults(5, 1).withClip(Double.NaN));
    }
}
