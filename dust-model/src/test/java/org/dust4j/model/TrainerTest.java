package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    /** A tiny DUST trained on 8 fixed samples (fixed noise and tau) memorises them: loss < 1% of its start. */
    @Test
    void overfitsEightSamples() {
        DustConfig c = TestData.tiny();
        long seed = 5;
        PolicyModel m = PolicyModel.create(c, seed);
        Map<String, Tensor> fixed = FlowNoise.complete(TestData.batch(c, 8, 3, 123), c, 99);
        int steps = 300;
        Trainer t = new Trainer(m, seed, Trainer.Options.defaults(steps, 1).withLr(1e-2f).withWarmup(0.02).withDropout(false));
        double first = Double.NaN, last = Double.NaN;
        long t0 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            Trainer.StepResult r = t.trainStep((step, micro) -> fixed);
            if (s == 0) first = r.loss();
            last = r.loss();
        }
        double end = m.loss(fixed).loss().value().toFloatArray()[0];
        System.out.printf("overfit: loss %.4f -> %.6f (%.3f%%) in %d steps, %.1f s%n", first, end, 100 * end / first, steps,
                (System.nanoTime() - t0) / 1e9);
        assertTrue(end < 0.01 * first, "loss " + first + " -> " + end + " (last step " + last + ")");
    }

    static Trainer.Data data(DustConfig c) {
        return (step, micro) -> {
            Map<String, Tensor> b = TestData.batch(c, 2, 3, 1000 + step * 10 + micro);
            b.put("has_action", Tensor.of(new float[] {1, step % 3 == 0 ? 0 : 1}, 2));
            return b;
        };
    }

    static Map<String, float[]> values(PolicyModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, v) -> out.put(k, v.value().toFloatArray()));
        return out;
    }

    static void assertSameValues(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), k);   // bit-exact (float equality)
    }

    /** Dropout on, 2 micro-batches per step, warm-up and cosine: 3 + checkpoint + 3 steps equal 6 straight steps bit for bit. */
    @Test
    void resumeIsBitExact(@TempDir Path tmp) throws Exception {
        DustConfig c = TestData.tiny("\"dropout\": 0.2");
        Trainer.Options o = Trainer.Options.defaults(6, 17).withLr(3e-3f).withWarmup(0.34).withAccumulation(2);
        Trainer straight = new Trainer(PolicyModel.create(c, 8), 8, o);
        for (int i = 0; i < 6; i++) straight.trainStep(data(c));

        Trainer first = new Trainer(PolicyModel.create(c, 8), 8, o);
        for (int i = 0; i < 3; i++) first.trainStep(data(c));
        Path ck = tmp.resolve("ckpt");
        first.save(ck);
        first.save(ck);                                          // saving the same step again works
        first.save(ck);
        Path latest = Trainer.checkpointIn(ck).orElseThrow();
        assertTrue(Files.isRegularFile(latest.resolve("model.safetensors")) && Files.isRegularFile(latest.resolve("optimizer.safetensors")));
        try (var st = Files.list(ck)) {
            assertEquals(Checkpoints.KEEP, st.count(), "the newest KEEP checkpoints, no temporary or old directories left behind");
        }
        try (var st = Files.list(tmp)) {
            assertEquals(1, st.count(), "nothing written beside the checkpoint directory");
        }
        Trainer resumed = Trainer.resume(ck);
        assertEquals(3, resumed.step());
        for (int i = 0; i < 3; i++) resumed.trainStep(data(c));
        assertSameValues(values(straight.model()), values(resumed.model()));
        for (var e : straight.model().namedParameters().entrySet()) {
            var s1 = straight.optimizer().state().get(e.getValue());
            var s2 = resumed.optimizer().state().get(resumed.model().namedParameters().get(e.getKey()));
            assertArrayEquals(s1.m().toFloatArray(), s2.m().toFloatArray(), e.getKey());
            assertArrayEquals(s1.v().toFloatArray(), s2.v().toFloatArray(), e.getKey());
        }
        // a checkpoint is also a model directory
        assertSameValues(values(first.model()), values(PolicyModel.load(latest)));
    }

    /** Same seeds, same result; dropout makes training differ from eval-mode training; thread count does not matter. */
    @Test
    void trainingIsDeterministic() {
        DustConfig c = TestData.tiny("\"dropout\": 0.2");
        Trainer.Options o = Trainer.Options.defaults(3, 4).withLr(3e-3f);
        Map<String, float[]> a = run(c, o), b = run(c, o);
        assertSameValues(a, b);
        int threads = org.dust4j.tensor.Parallel.threads();
        try {
            org.dust4j.tensor.Parallel.setThreads(1);
            assertSameValues(a, run(c, o));
        } finally {
            org.dust4j.tensor.Parallel.setThreads(threads);
        }
        Map<String, float[]> noDrop = run(c, o.withDropout(false));
        boolean differs = false;
        for (String k : a.keySet()) differs |= !java.util.Arrays.equals(a.get(k), noDrop.get(k));
        assertTrue(differs, "dropout is active in train mode");
    }

    private static Map<String, float[]> run(DustConfig c, Trainer.Options o) {
        Trainer t = new Trainer(PolicyModel.create(c, 3), 3, o);
        for (int i = 0; i < 3; i++) t.trainStep(data(c));
        return values(t.model());
    }

    /**
     * Two micro-batches of one sample accumulate to the gradient of one batch of two (equal masks, fixed noise).
     * Runs on the double-accumulating oracle backend: the first AdamW step is lr·g/(|g|+eps), about lr·sign(g), so a
     * near-zero gradient element whose float32 sum differs in the last bit between the two orders would move by up
     * to 2·lr and hide what this test checks (the accumulation and loss scaling of the Trainer).
     */
    @Test
    void accumulationMatchesTheLargerBatch() {
        try (var scope = org.dust4j.autograd.F.withBackend(org.dust4j.tensor.Backends.reference())) {
            accumulationMatchesTheLargerBatchOnCurrentBackend();
        }
    }

    private static void accumulationMatchesTheLargerBatchOnCurrentBackend() {
        DustConfig c = TestData.tiny();
        Map<String, Tensor> both = FlowNoise.complete(TestData.batch(c, 2, 3, 55), c, 66);
        Trainer.Options o = Trainer.Options.defaults(1, 1).withLr(1e-3f).withWarmup(0).withDropout(false).withClip(0);
        Trainer big = new Trainer(PolicyModel.create(c, 9), 9, o);
        big.trainStep((s, m) -> both);
        Trainer acc = new Trainer(PolicyModel.create(c, 9), 9, o.withAccumulation(2));
        acc.trainStep((s, m) -> {
            Map<String, Tensor> one = new LinkedHashMap<>();
            both.forEach((k, v) -> one.put(k, v.narrow(0, m, 1).contiguous()));
            return one;
        });
        Map<String, float[]> a = values(big.model()), b = values(acc.model());
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), 2e-6f, k);   // float32 sums in another order
    }
}
