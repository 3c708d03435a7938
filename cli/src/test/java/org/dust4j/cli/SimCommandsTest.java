package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.dust4j.sim.DatasetReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimCommandsTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void datagenWritesAReadableDataset(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("demos");
        Result r = run("datagen", "--tasks", "open_drawer,push_left", "--episodes-per-task", "3", "--seed", "4",
                "--top-size", "32", "--wrist-size", "16", "--episodes-per-shard", "4", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote 6 episodes"), r.out());
        assertTrue(r.err().contains("datagen open_drawer") && r.err().contains("3/3 episodes"), r.err());
        try (DatasetReader d = DatasetReader.open(out)) {
            assertEquals(6, d.episodes().size());
            assertEquals(List.of("open_drawer", "open_drawer", "open_drawer", "push_left", "push_left", "push_left"),
                    d.episodes().stream().map(e -> e.task()).toList());
            assertFalse(d.actionFree());
            assertEquals(32, d.topSize());
        }
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(3, s.count());                 // manifest + 2 shards
        }
        // same arguments, same bytes
        Path again = dir.resolve("again");
        run("datagen", "--tasks", "open_drawer,push_left", "--episodes-per-task", "3", "--seed", "4",
                "--top-size", "32", "--wrist-size", "16", "--episodes-per-shard", "4", "--out", again.toString());
        assertArrayEquals(Files.readAllBytes(out.resolve("shard-00001.safetensors")), Files.readAllBytes(again.resolve("shard-00001.safetensors")));
        // the target exists now: refused, untouched
        r = run("datagen", "--tasks", "open_drawer", "--episodes-per-task", "1", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dust4j: error: output ") && r.err().contains("already exists"), r.err());
        // action-free
        Path video = dir.resolve("video");
        r = run("datagen", "--tasks", "close_drawer", "--episodes-per-task", "2", "--action-free", "--top-size", "32", "--wrist-size", "16",
                "--out", video.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("video only"), r.out());
        try (DatasetReader d = DatasetReader.open(video)) {
            assertTrue(d.actionFree());
        }
    }

    @Test
    void badArgumentsAreOneLineErrors(@TempDir Path dir) {
        Path out = dir.resolve("x");
        Result r = run("datagen", "--tasks", "open_drawer,fly,swim", "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals("dust4j: error: unknown tasks fly, swim (known: pick_red_green, pick_blue_purple, pick_yellow_green, pick_red_purple, "
                + "push_green, push_purple, push_left, push_right, open_drawer, close_drawer, v2_pick_green, v2_pick_either, v2_push_green, "
                + "v2_push_either, v2_open_drawer, v2_close_drawer, v2_drawer_push, or all, all-v2)", r.err().lines().findFirst().orElse(""));
        r = run("datagen", "--episodes-per-task", "0", "--out", out.toString());
        assertEquals(2, r.code());                       // a usage error, caught by the central bounds before the command runs
        assertTrue(r.err().startsWith("dust4j: error: option '--episodes-per-task': 0 is out of range; allowed [1, 1000000]"), r.err());
        r = run("datagen", "--noise", "loud", "--out", out.toString());
        assertTrue(r.err().startsWith("dust4j: error: --noise must be 'default' or 'none', got 'loud'"), r.err());
        r = run("datagen", "--top-size", "3", "--out", out.toString());
        assertTrue(r.err().startsWith("dust4j: error: option '--top-size': 3 is out of range; allowed [4, 1024]"), r.err());
        r = run("datagen", "--tasks", "all");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--out"), r.err());
        r = run("sim-eval", "--policy", "oracle");
        assertTrue(r.err().startsWith("dust4j: error: --policy must be 'expert' or 'random', got 'oracle'"), r.err());
        r = run("sim-eval", "--horizon", "4", "--execute-steps", "5");
        assertTrue(r.err().startsWith("dust4j: error: --execute-steps must be in [1, horizon=4], got 5"), r.err());
        assertFalse(Files.exists(out));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count());                 // nothing half-written anywhere
        } catch (Exception e) {
            fail(e);
        }
    }

    @Test
    void simEvalPrintsATable() {
        Result r = run("sim-eval", "--policy", "expert", "--tasks", "push_right,close_drawer", "--episodes-per-task", "4", "--seed", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*push_right\\s+4/4 .*"), r.out());
        assertTrue(r.out().matches("(?s).*overall\\s+8/8\\s+1\\.000\\s+\\[0\\.676, 1\\.000\\].*"), r.out());
        r = run("sim-eval", "--policy", "random", "--tasks", "pick_red_green", "--episodes-per-task", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*pick_red_green\\s+0/2 .*"), r.out());
    }

    @Test
    void simRenderWritesAPng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("strip.png");
        Result r = run("sim-render", "--task", "open_drawer", "--frames", "4", "--scale", "1", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        var img = ImageIO.read(png.toFile());
        assertEquals(4 * 64 + 3 * 2, img.getWidth());                 // 4 panels, 2 px apart
        assertEquals(Filmstrip.HEADER + 96, img.getHeight());          // a label line above top + wrist views
        r = run("sim-render", "--task", "nope", "--out", png.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dust4j: error: unknown task 'nope'"), r.err());
    }
}
