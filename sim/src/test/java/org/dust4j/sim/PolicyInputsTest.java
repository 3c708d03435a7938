package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Evaluation-time inputs equal training-time inputs for the same moment of the same episode. */
class PolicyInputsTest {
    @Test
    void liveObservationsEncodeLikeRecordedData(@TempDir Path tmp) throws Exception {
        Renderer r = new Renderer(32, 16);
        FrozenRandomEncoder enc = new FrozenRandomEncoder(new FrozenRandomEncoder.Config(12, 8, 4, 6, 1), 32, 16);
        Task task = Task.byName("pick_yellow_green");
        long seed = Seeds.episode(0, Seeds.TRAIN, task, 0);
        Episode ep = Episode.record(task, seed, ScriptedExpert.Noise.DEFAULT, r);
        Path dir = tmp.resolve("ds");
        try (DatasetWriter w = new DatasetWriter(dir, false, 32, 16, 8, Map.of())) {
            w.add(ep);
            w.finish();
        }
        BatchSampler.Spec spec = new BatchSampler.Spec(8, 6, 24, 2);
        int t = 17;
        try (DatasetReader data = DatasetReader.open(dir)) {
            Batch b = new BatchSampler(data, spec, enc, 0).batch(new int[] {0}, new int[] {t});
            // replay the recorded actions in a live episode up to step t
            Env env = new Env(task, seed, r);
            for (int i = 0; i < t; i++) env.step(data.action(0, i));
            Map<String, Tensor> live = PolicyInputs.encode(List.of(env.observe()), enc, spec);
            assertArrayEquals(b.vl().toFloatArray(), live.get("vl").toFloatArray());
            assertArrayEquals(b.state().toFloatArray(), live.get("state").toFloatArray());
            assertArrayEquals(b.embodimentId().toLongArray(), live.get("embodiment_id").toLongArray());
        }
    }

    @Test
    void chunkFromActionTensor() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 1, 2, 5);
        float[][] c = PolicyInputs.chunk(a);
        assertArrayEquals(new float[] {6, 7, 8, 9, 10}, c[1]);
        var e = assertThrows(IllegalArgumentException.class, () -> PolicyInputs.chunk(Tensor.of(new float[6], 2, 3)));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
    }
}
