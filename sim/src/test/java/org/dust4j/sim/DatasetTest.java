package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dataset round trip, batches, action-free variant, corrupt and empty shards. */
class DatasetTest {
    @TempDir
    Path tmp;

    private final Renderer renderer = new Renderer(32, 16);
    private final FrozenRandomEncoder enc = new FrozenRandomEncoder(new FrozenRandomEncoder.Config(12, 8, 4, 6, 1), 32, 16);

    private List<Episode> episodes() {
        List<Episode> eps = new ArrayList<>();
        for (Task t : List.of(Task.byName("open_drawer"), Task.byName("push_left")))
            for (int i = 0; i < 2; i++) eps.add(Episode.record(t, Seeds.episode(1, Seeds.TRAIN, t, i), ScriptedExpert.Noise.DEFAULT, renderer));
        return eps;
    }

    private Path write(String name, List<Episode> eps, boolean actionFree) throws IOException {
        Path out = tmp.resolve(name);
        try (DatasetWriter w = new DatasetWriter(out, actionFree, 32, 16, 3, Map.of("seed", 1))) {
            for (Episode e : eps) w.add(e);
            w.finish();
        }
        return out;
    }

    @Test
    void roundTrip() throws IOException {
        List<Episode> eps = episodes();
        Path dir = write("ds", eps, false);
        assertTrue(Files.exists(dir.resolve("shard-00000.safetensors")) && Files.exists(dir.resolve("shard-00001.safetensors")));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(dir), s.toList());           // no temporary directory left behind
        }
        try (DatasetReader r = DatasetReader.open(dir)) {
            assertFalse(r.actionFree());
            assertEquals(4, r.episodes().size());
            for (int i = 0; i < 4; i++) {
                Episode want = eps.get(i), got = r.load(i);
                EpisodeInfo info = r.episodes().get(i);
                assertEquals(want.task(), info.task());
                assertEquals(want.instruction(), info.instruction());
                assertEquals(want.seed(), info.seed());
                assertEquals(want.length(), info.length());
                assertTrue(info.success());
                assertEquals(i < 3 ? "shard-00000.safetensors" : "shard-00001.safetensors", info.shard());
                for (int t = 0; t <= want.length(); t++) {
                    assertArrayEquals(want.frames().get(t).top(), got.frames().get(t).top());
                    assertArrayEquals(want.frames().get(t).wrist(), got.frames().get(t).wrist());
                    assertArrayEquals(want.states().get(t), got.states().get(t));
                }
                for (int t = 0; t < want.length(); t++) assertArrayEquals(want.actions().get(t), got.actions().get(t));
            }
            assertEquals(eps.stream().mapToLong(Episode::length).sum(), r.totalSteps());
        }
    }

    @Test
    void batchesHoldTheRightSamples() throws IOException {
        List<Episode> eps = episodes();
        Path dir = write("ds", eps, false);
        try (DatasetReader r = DatasetReader.open(dir)) {
            BatchSampler.Spec spec = new BatchSampler.Spec(6, 7, 20, 3);
            BatchSampler bs = new BatchSampler(r, spec, enc, 11);
            Episode e1 = eps.get(1);
            int tEnd = e1.length() - 2;                       // only 2 of the 6 chunk actions exist
            Batch b = bs.batch(new int[] {1, 1}, new int[] {0, tEnd});
            assertArrayEquals(new int[] {2, 1, 20}, b.state().shape());
            assertArrayEquals(new int[] {2, 6, 7}, b.actions().shape());
            assertArrayEquals(new int[] {2, enc.vlTokens(), 12}, b.vl().shape());
            assertArrayEquals(new int[] {2, 4, 8}, b.future().shape());
            float[] st = b.state().toFloatArray(), ac = b.actions().toFloatArray(), mk = b.actionMask().toFloatArray();
            for (int k = 0; k < 20; k++) assertEquals(k < World.STATE_DIM ? e1.states().get(tEnd)[k] : 0f, st[20 + k], 0);
            for (int i = 0; i < 6; i++)
                for (int d = 0; d < 7; d++) {
                    int o = (6 + i) * 7 + d;                  // sample 1
                    boolean real = i < 2 && d < 4;
                    assertEquals(real ? 1f : 0f, mk[o], 0, "mask " + i + "," + d);
                    assertEquals(real ? e1.actions().get(tEnd + i)[d] : 0f, ac[o], 0);
                    assertEquals(d < 4 ? 1f : 0f, mk[i * 7 + d], 0);   // sample 0: the whole chunk exists
                }
            float[] fut = new float[4 * 8], vl = new float[enc.vlTokens() * 12];
            enc.encodeFuture(e1.frames().get(e1.length()), fut, 0);   // t + Ta clamps to the last frame
            assertArrayEquals(fut, Arrays.copyOfRange(b.future().toFloatArray(), 32, 64));
            enc.encodeFuture(e1.frames().get(6), fut, 0);
            assertArrayEquals(fut, Arrays.copyOfRange(b.future().toFloatArray(), 0, 32));
            enc.encodeVl(e1.frames().get(tEnd), e1.instruction(), vl, 0);
            assertArrayEquals(vl, Arrays.copyOfRange(b.vl().toFloatArray(), vl.length, 2 * vl.length));
            assertArrayEquals(new float[] {1, 1}, b.hasAction().toFloatArray());
            assertArrayEquals(new long[] {3, 3}, b.embodimentId().toLongArray());
            assertEquals(7, b.asMap().size());
            // random batches: reproducible per seed, every step reachable, in range
            Batch x = new BatchSampler(r, spec, enc, 5).next(64), y = new BatchSampler(r, spec, enc, 5).next(64);
            assertArrayEquals(x.episodes(), y.episodes());
            assertArrayEquals(x.steps(), y.steps());
            assertArrayEquals(x.vl().toFloatArray(), y.vl().toFloatArray());
            for (int i = 0; i < 64; i++) assertTrue(x.steps()[i] >= 0 && x.steps()[i] < r.episodes().get(x.episodes()[i]).length());
            // the batch does not depend on the thread count
            int threads = org.dust4j.tensor.Parallel.threads();
            try {
                org.dust4j.tensor.Parallel.setThreads(1);
                Batch one = new BatchSampler(r, spec, enc, 5).next(64);
                org.dust4j.tensor.Parallel.setThreads(3);
                Batch three = new BatchSampler(r, spec, enc, 5).next(64);
                assertArrayEquals(one.vl().toFloatArray(), three.vl().toFloatArray());
                assertArrayEquals(one.future().toFloatArray(), three.future().toFloatArray());
                assertArrayEquals(one.actions().toFloatArray(), three.actions().toFloatArray());
                assertArrayEquals(x.vl().toFloatArray(), one.vl().toFloatArray());
            } finally {
                org.dust4j.tensor.Parallel.setThreads(threads);
            }
            assertThrows(IndexOutOfBoundsException.class, () -> bs.batch(new int[] {4}, new int[] {0}));
            assertThrows(IndexOutOfBoundsException.class, () -> bs.batch(new int[] {0}, new int[] {r.episodes().get(0).length()}));
            assertThrows(IllegalArgumentException.class, () -> new BatchSampler.Spec(16, 3, 64, 0));
            assertThrows(IllegalArgumentException.class, () -> new BatchSampler.Spec(16, 32, 8, 0));
        }
    }

    @Test
    void actionFreeVariant() throws IOException {
        List<Episode> eps = episodes();
        Path dir = write("video", eps, true);
        try (DatasetReader r = DatasetReader.open(dir)) {
            assertTrue(r.actionFree());
            Episode got = r.load(2);
            assertNull(got.actions());
            assertArrayEquals(eps.get(2).frames().get(5).top(), got.frames().get(5).top());
            Batch b = new BatchSampler(r, new BatchSampler.Spec(4, 6, 16, 0), enc, 1).next(8);
            for (float v : b.hasAction().toFloatArray()) assertEquals(0f, v);
            for (float v : b.actionMask().toFloatArray()) assertEquals(0f, v);
            for (float v : b.state().toFloatArray()) assertEquals(0f, v);
            assertNotEquals(0f, b.future().toFloatArray()[0]);
        }
        String shard = Files.readString(dir.resolve("manifest.json"));
        assertTrue(shard.contains("\"action_free\" : true"), shard);
    }

    @Test
    void corruptEmptyAndMissingShardsAreClearErrors() throws IOException {
        Path dir = write("ds", episodes(), false);
        Path shard = dir.resolve("shard-00001.safetensors");
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, Arrays.copyOf(bytes, bytes.length - 10));          // truncated
        DatasetException e = assertThrows(DatasetException.class, () -> DatasetReader.open(dir));
        assertTrue(e.getMessage().contains("shard-00001.safetensors") && e.getMessage().contains("the manifest records"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        byte[] flipped = bytes.clone();                                         // same size, one byte changed
        flipped[flipped.length - 5] ^= 0x33;
        Files.write(shard, flipped);
        e = assertThrows(DatasetException.class, () -> DatasetReader.open(dir));
        assertTrue(e.getMessage().contains(shard.toString()) && e.getMessage().contains("SHA-256"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        Files.write(shard, new byte[0]);                                        // empty
        e = assertThrows(DatasetException.class, () -> DatasetReader.open(dir));
        assertTrue(e.getMessage().contains("shard-00001.safetensors"), e.getMessage());
        Files.delete(shard);                                                    // missing
        e = assertThrows(DatasetException.class, () -> DatasetReader.open(dir));
        assertTrue(e.getMessage().contains("shard shard-00001.safetensors is missing"), e.getMessage());
        Files.write(shard, bytes);
        DatasetReader.open(dir).close();                                        // restored: fine again
        // manifest claims a different length: the tensor shape no longer matches
        Path mf = dir.resolve("manifest.json");
        String m = Files.readString(mf);
        int len = DatasetReader.open(dir).episodes().get(0).length();
        Files.writeString(mf, m.replaceFirst("\"length\" : " + len, "\"length\" : " + (len + 1)));
        e = assertThrows(DatasetException.class, () -> DatasetReader.open(dir));
        assertTrue(e.getMessage().contains("ep000000.top") && e.getMessage().contains("expected U8"), e.getMessage());
        Files.writeString(mf, "{\"format\": \"something-else\"}");
        e = assertThrows(DatasetException.class, () -> DatasetReader.open(dir));
        assertTrue(e.getMessage().contains("something-else"), e.getMessage());
        Files.writeString(mf, m.replaceFirst("\"top_size\"", "\"top_size\" : 32, \"top_size\""));       // duplicate key
        e = assertThrows(DatasetException.class, () -> DatasetReader.open(dir));
        assertTrue(e.getMessage().contains("top_size"), e.getMessage());
        Files.writeString(mf, "{ not json");
        e = assertThrows(DatasetException.class, () -> DatasetReader.open(dir));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        Files.delete(mf);
        e = assertThrows(DatasetException.class, () -> DatasetReader.open(dir));
        assertTrue(e.getMessage().contains("no manifest.json"), e.getMessage());
        Files.writeString(mf, m.replaceAll("(?s)\"episodes\" : \\[.*\\]", "\"episodes\" : []"));
        e = assertThrows(DatasetException.class, () -> DatasetReader.open(dir));
        assertTrue(e.getMessage().contains("has no episodes"), e.getMessage());
    }

    @Test
    void writerNeverLeavesHalfWrittenOutput() throws IOException {
        Path out = tmp.resolve("partial");
        try (DatasetWriter w = new DatasetWriter(out, false, 32, 16, 1, Map.of())) {
            w.add(episodes().get(0));                                 // one shard already flushed to the temp dir
        }                                                             // closed without finish()
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList());
        }
        Path existing = Files.createDirectory(tmp.resolve("existing"));
        Files.writeString(existing.resolve("keep.txt"), "x", StandardOpenOption.CREATE);
        DatasetException e = assertThrows(DatasetException.class, () -> new DatasetWriter(existing, false, 32, 16, 1, Map.of()));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        try (DatasetWriter w = new DatasetWriter(tmp.resolve("none"), false, 32, 16, 1, Map.of())) {
            assertThrows(DatasetException.class, w::finish);           // nothing to write
        }
        assertFalse(Files.exists(tmp.resolve("none")));
        try (DatasetWriter w = new DatasetWriter(tmp.resolve("wrong"), false, 64, 16, 1, Map.of())) {
            assertThrows(IllegalArgumentException.class, () -> w.add(episodes().get(0)));
        }
    }
}
