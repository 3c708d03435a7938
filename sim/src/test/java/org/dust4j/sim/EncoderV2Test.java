package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dust4j.sim.train.SimSpec;
import org.dust4j.sim.train.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The v2 encoders: oracle occupancy, learned-encoder determinism and weights round trip, SimSpec plumbing. */
class EncoderV2Test {
    private final Renderer renderer = new Renderer(64, 32);
    @TempDir
    Path tmp;

    /** Token (row-major, row 0 = far side) of a top-view point. */
    private static int token(double x, double y) {
        return (int) Math.floor((1 - y) * 4) * 4 + (int) Math.floor(x * 4);
    }

    @Test
    void oracleSeesObjectsWhereTheyAre() {
        OracleEncoder o = new OracleEncoder();
        int checked = 0;
        for (int s = 0; s < 40 && checked < 8; s++) {
            World w = Task.byName("v2_pick_green").reset(s);
            double x = w.objX(World.RED), y = w.objY(World.RED), r = World.BLOCK_R + 0.01;
            // only layouts where the block lies inside one token, away from the gripper
            if (token(x - r, y - r) != token(x + r, y + r) || World.dist(x, y, w.eeX(), w.eeY()) < 0.2) continue;
            float[] f = new float[16 * 16];
            o.viewTokens(Frame.render(renderer, w).top(), 64, 0, f);
            int home = token(x, y);
            for (int t = 0; t < 16; t++) {
                float red = f[t * 16];
                if (t == home) {
                    // at most (0.07 / 0.25)^2 = 7.8% of the cell; at least 5 pixels: the 2x2 supersampling blends the
                    // block's edge pixels with the table, and blended pixels stay unclassified
                    assertTrue(red >= 2 * 5 / 256.0 - 1 && red < 2 * 0.09 - 1, "red occupancy " + red + " at seed " + s);
                } else assertEquals(-1f, red, "red seen in token " + t + " at seed " + s);
            }
            checked++;
        }
        assertTrue(checked >= 4, "too few layouts checked: " + checked);
    }

    @Test
    void oracleReadsGripperClosure() {
        World w = Task.byName("v2_open_drawer").reset(3);
        w.eeY = 0.3;                                    // over the table
        OracleEncoder o = new OracleEncoder();
        float[] open = new float[256], closed = new float[256];
        o.viewTokens(Frame.render(renderer, w).wrist(), 32, 1, open);
        w.grip = 1;
        o.viewTokens(Frame.render(renderer, w).wrist(), 32, 1, closed);
        double so = Double.NEGATIVE_INFINITY, sc = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < 16; t++) {
            so = Math.max(so, open[t * 16 + 10]);
            sc = Math.max(sc, closed[t * 16 + 10]);
        }
        assertTrue(so < -0.8 && sc > 0.8, "closure channel open " + so + " closed " + sc);
    }

    @Test
    void shapesMatchTheV1StandInAndFutureIsTheTopView() {
        OracleEncoder o = new OracleEncoder();
        assertEquals(Variant.ENCODER.vlDim(), o.vlDim());
        assertEquals(Variant.ENCODER.visionDim(), o.visionDim());
        assertEquals(Variant.ENCODER.visionTokens(), o.visionTokens());
        assertEquals(2 * Variant.ENCODER.visionTokens() + Variant.ENCODER.maxWords(), o.vlTokens());
        Frame f = Frame.render(renderer, Task.byName("v2_drawer_push").reset(1));
        float[] vl = new float[o.vlTokens() * o.vlDim()], fut = new float[256], top = new float[256];
        o.encodeVl(f, "open the drawer", vl, 0);
        o.encodeFuture(f, fut, 0);
        o.viewTokens(f.top(), 64, 0, top);
        assertArrayEquals(top, fut);
        for (int t = 0; t < 16; t++) for (int k = 0; k < 16; k++) assertEquals(top[t * 16 + k], vl[t * 32 + k]);
        assertThrows(IllegalArgumentException.class, () -> o.encodeVl(Frame.render(new Renderer(32, 16), Task.byName("v2_drawer_push").reset(1)), "x", vl, 0));
    }

    @Test
    void learnedEncoderIsReproducibleBitForBitAndRoundTrips() throws Exception {
        LearnedEncoder.Settings s = new LearnedEncoder.Settings(3, 1, 12, 1, 64, 2e-3);
        List<Task> ts = Task.allV2().subList(0, 3);
        LearnedEncoder a = LearnedEncoder.train(ts, s, null), b = LearnedEncoder.train(ts, s, null);
        Path fa = tmp.resolve("a.safetensors"), fb = tmp.resolve("b.safetensors");
        a.save(fa, s);
        b.save(fb, s);
        assertArrayEquals(Files.readAllBytes(fa), Files.readAllBytes(fb), "same settings must give the same weights bit for bit");
        LearnedEncoder c = LearnedEncoder.train(ts, new LearnedEncoder.Settings(4, 1, 12, 1, 64, 2e-3), null);
        assertFalse(java.util.Arrays.equals(a.w1[0], c.w1[0]), "another seed must give other weights");
        Frame f = Frame.render(renderer, ts.get(0).reset(9));
        assertArrayEquals(a.frameFeatures(f), LearnedEncoder.load(fa).frameFeatures(f));
        // a file that is not an encoder is refused
        Path bad = tmp.resolve("bad.safetensors");
        new org.dust4j.weights.SafetensorsWriter().put("x", org.dust4j.tensor.Tensor.of(new float[] {1}, 1)).write(bad);
        var e = assertThrows(IllegalArgumentException.class, () -> LearnedEncoder.load(bad));
        assertTrue(e.getMessage().contains("not a dust4j v2 encoder"), e.getMessage());
    }

    @Test
    void simSpecCarriesTheVisionEncoder() throws Exception {
        SimSpec v1 = new SimSpec(Variant.ENCODER, 64, 32, 16, 4, World.STATE_DIM, 0);
        assertEquals(SimSpec.RANDOM, v1.visionEncoder());
        Path d1 = Files.createDirectories(tmp.resolve("v1"));
        v1.write(d1);
        assertFalse(Files.readString(d1.resolve(SimSpec.FILE)).contains("vision_encoder"), "v1 sim.json must stay as it was");
        assertEquals(v1, SimSpec.read(d1));
        assertInstanceOf(FrozenRandomEncoder.class, v1.newEncoder());
        SimSpec oracle = v1.withVisionEncoder(SimSpec.ORACLE);
        Path d2 = Files.createDirectories(tmp.resolve("v2"));
        oracle.write(d2);
        assertEquals(oracle, SimSpec.read(d2));
        assertInstanceOf(OracleEncoder.class, oracle.newEncoder());
        assertThrows(IllegalArgumentException.class, () -> v1.withVisionEncoder("eagle"));
        SimSpec narrow = new SimSpec(new FrozenRandomEncoder.Config(24, 16, 16, 10, 7), 64, 32, 16, 4, World.STATE_DIM, 0);
        assertThrows(IllegalArgumentException.class, () -> narrow.withVisionEncoder(SimSpec.ORACLE));
        var e = assertThrows(IllegalArgumentException.class, () -> v1.withVisionEncoder("learned:" + tmp.resolve("none.safetensors")).newEncoder());
        assertTrue(e.getMessage().contains("none.safetensors"), e.getMessage());
    }

    @Test
    void shippedWeightsLoad() throws Exception {
        Path p = Path.of("..").resolve(SimSpec.LEARNED_DEFAULT_PATH);
        assertTrue(Files.isRegularFile(p), "the learned encoder's weights must be committed at " + SimSpec.LEARNED_DEFAULT_PATH);
        float[] f = LearnedEncoder.load(p).frameFeatures(Frame.render(renderer, Task.byName("v2_pick_green").reset(2)));
        for (float x : f) assertTrue(Float.isFinite(x) && Math.abs(x) < 5, "feature " + x);
    }
}
