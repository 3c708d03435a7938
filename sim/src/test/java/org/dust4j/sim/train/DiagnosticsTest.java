package org.dust4j.sim.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.sim.DatasetReader;
import org.dust4j.sim.DatasetWriter;
import org.dust4j.sim.Episode;
import org.dust4j.sim.Renderer;
import org.dust4j.sim.ScriptedExpert;
import org.dust4j.sim.Seeds;
import org.dust4j.sim.Task;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke tests of the issue-9 diagnostics at tiny scale (untrained heads, oracle encoder, a 2-episode v2 dataset). */
class DiagnosticsTest {
    @TempDir
    static Path dir;
    static Path data;
    static final SimSpec SPEC = SimSpec.of(Variant.DUST.config(), Variant.ENCODER).withVisionEncoder(SimSpec.ORACLE);

    @BeforeAll
    static void dataset() throws Exception {
        data = dir.resolve("data");
        Task t = Task.byName("v2_open_drawer");
        try (DatasetWriter w = new DatasetWriter(data, false, 64, 32, 2, Map.of("seed", 5))) {
            for (int i = 0; i < 2; i++) w.add(Episode.record(t, Seeds.episode(5, Seeds.TRAIN, t, i), ScriptedExpert.Noise.DEFAULT, new Renderer(64, 32)));
            w.finish();
        }
    }

    @Test
    void visionRelianceDependsOnTauOnlyForHeadsWithAFutureInput() throws Exception {
        try (DatasetReader r = DatasetReader.open(data)) {
            double[][] g = Diagnostics.visionReliance(PolicyModel.create(Variant.GR00T.config(), 1), SPEC, r, 4, 9);
            double[][] d = Diagnostics.visionReliance(PolicyModel.create(Variant.DUST.config(), 1), SPEC, r, 4, 9);
            assertEquals(3, d.length);
            boolean varies = false;
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    assertTrue(Double.isFinite(d[i][j]) && d[i][j] > 0, "loss " + d[i][j]);
                    assertEquals(g[i][0], g[i][j], 0, "GR00T has no future input: its loss cannot depend on tau_O");
                }
                varies |= d[i][0] != d[i][2];
            }
            assertTrue(varies, "DUST's action loss must see the future input");
            assertArrayEquals(d[1], Diagnostics.visionReliance(PolicyModel.create(Variant.DUST.config(), 1), SPEC, r, 4, 9)[1], "seeded");
        }
    }

    @Test
    void openLoopErrorWithSampledAndTrueFuture() throws Exception {
        try (DatasetReader r = DatasetReader.open(data)) {
            double[] d = Diagnostics.openLoop(PolicyModel.create(Variant.DUST.config(), 1), SPEC, r, 3, 2);
            assertTrue(Double.isFinite(d[0]) && Double.isFinite(d[1]) && d[0] != d[1], java.util.Arrays.toString(d));
            double[] g = Diagnostics.openLoop(PolicyModel.create(Variant.GR00T.config(), 1), SPEC, r, 3, 2);
            assertTrue(Double.isFinite(g[0]) && Double.isNaN(g[1]));
        }
    }

    @Test
    void sweepPointsAtTinyScale() throws Exception {
        try (DatasetReader r = DatasetReader.open(data)) {
            PolicyModel m = PolicyModel.create(Variant.DUST.config(), 1);
            List<Diagnostics.SweepPoint> ps = Diagnostics.sweep(m, SPEC, r, 2, 3, new int[] {4, 8}, List.of(Task.byName("v2_open_drawer")), 1, 0, 8, 1);
            assertEquals(6, ps.size());
            Diagnostics.SweepPoint q1 = ps.get(0);
            assertEquals(4, q1.visionSteps());
            assertEquals(0.0, q1.relActionChange(), 0, "q = 1 is its own reference");
            Diagnostics.SweepPoint end8 = ps.get(3);
            assertEquals(SamplerOptions.Variant.END, end8.variant());
            assertEquals(8, end8.visionSteps());
            assertTrue(end8.relActionChange() > 0, "end with q = 2 must move the actions");
            for (Diagnostics.SweepPoint p : ps) {
                assertTrue(Double.isFinite(p.futureError()) && p.latencyMs() > 0 && p.episodes() == 1, p.toString());
            }
            assertEquals("synchronous", ps.get(5).label());
            assertEquals(16, ps.get(5).actionSteps());
        }
    }
}
