package org.dust4j.sim;

/**
 * The analytic "oracle" encoder, a ceiling control for the vision pathway: per-token occupancy maps read
 * exactly off the rendered images. The renderer paints flat, known colours (plus known edge darkening and
 * the gripper's shadow), so each pixel is classified by the nearest palette colour (pixels blended across an
 * edge by the 2x2 supersampling that match no colour closely are left unclassified) and each token counts
 * what fraction of its pixels shows each thing. It is what a perfect recogniser of everything visible would
 * report: no learning, no noise. Occluded things (under the gripper) stay unseen, as for any camera.
 *
 * <p>Channels per token (each mapped from [0, 1] to [-1, 1] as {@code 2v - 1}, the scale of flow-matching noise):
 * 0-3 red, blue, yellow block, grey puck; 4-5 green, purple pad; 6 cabinet; 7 drawer (inside and walls);
 * 8 handle; 9 gripper (ring and jaws); 10 gripper closure read off the ring's shade (0 where no ring);
 * 11 shadow under a raised gripper; 12 floor (off the table); 13-14 the x / y centroid of object pixels in
 * the token, relative to the token ({@code 0.5} = centre, 0.5 where none); 15 free table.
 */
public final class OracleEncoder extends TokenGridEncoder {
    private static final int UNKNOWN = -1, TABLE = 100, SHADOW = 101;
    private static final double MAX_DIST = 0.06;     // L1 distance per channel sum in [0, 3] units: a pure palette pixel
    private final double[][] palette;
    private final int[] classOf;

    /** The oracle. Immutable; may serve several threads. */
    public OracleEncoder() {
        java.util.List<double[]> cols = new java.util.ArrayList<>();
        java.util.List<Integer> cls = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            add(cols, cls, Renderer.OBJ_COLOURS[i], 1, i);
            add(cols, cls, Renderer.OBJ_COLOURS[i], i == 3 ? 0.7 : 0.75, i);
            add(cols, cls, Renderer.OBJ_COLOURS[i], 0.6, i);
        }
        for (int p = 0; p < 2; p++) {
            add(cols, cls, Renderer.PAD_COLOURS[p], 1, 4 + p);
            add(cols, cls, Renderer.PAD_COLOURS[p], 0.8, 4 + p);
            add(cols, cls, Renderer.PAD_COLOURS[p], 0.6, SHADOW);
        }
        add(cols, cls, Renderer.CABINET, 1, 6);
        add(cols, cls, Renderer.DRAWER_IN, 1, 7);
        add(cols, cls, Renderer.DRAWER_WALL, 1, 7);
        add(cols, cls, Renderer.HANDLE, 1, 8);
        for (int g = 0; g <= 4; g++) add(cols, cls, new double[] {0.22 - 0.17 * g / 4.0, 0.22 - 0.17 * g / 4.0, 0.27 - 0.17 * g / 4.0}, 1, 9);
        add(cols, cls, Renderer.JAW, 1, 9);
        add(cols, cls, Renderer.TABLE, 1, TABLE);
        add(cols, cls, Renderer.TABLE, 0.6, SHADOW);
        add(cols, cls, Renderer.FLOOR, 1, 12);
        // the raised gripper's shadow darkens whatever lies under it to 0.6
        for (double[] c : new double[][] {Renderer.FLOOR, Renderer.CABINET, Renderer.DRAWER_IN, Renderer.DRAWER_WALL}) add(cols, cls, c, 0.6, SHADOW);
        palette = cols.toArray(new double[0][]);
        classOf = cls.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void add(java.util.List<double[]> cols, java.util.List<Integer> cls, double[] c, double f, int k) {
        cols.add(new double[] {c[0] * f, c[1] * f, c[2] * f});
        cls.add(k);
    }

    /** The palette class of one pixel (RGB in [0,1]), or -1. */
    int classify(double r, double g, double b) {
        int best = UNKNOWN;
        double bd = MAX_DIST;
        for (int i = 0; i < palette.length; i++) {
            double d = Math.abs(r - palette[i][0]) + Math.abs(g - palette[i][1]) + Math.abs(b - palette[i][2]);
            if (d < bd) {
                bd = d;
                best = classOf[i];
            }
        }
        return best;
    }

    @Override
    public void viewTokens(byte[] img, int size, int view, float[] out) {
        int cell = size / GRID;
        if (cell * GRID != size) throw new IllegalArgumentException("OracleEncoder: image side " + size + " is not a multiple of " + GRID);
        double[] v = new double[CHANNELS];
        for (int t = 0; t < TOKENS; t++) {
            java.util.Arrays.fill(v, 0);
            int r0 = (t / GRID) * cell, c0 = (t % GRID) * cell;
            int ring = 0, objects = 0, table = 0;
            double gripSum = 0, cx = 0, cy = 0;
            for (int r = r0; r < r0 + cell; r++) {
                for (int c = c0; c < c0 + cell; c++) {
                    int idx = (r * size + c) * 3;
                    double red = (img[idx] & 0xff) / 255.0, grn = (img[idx + 1] & 0xff) / 255.0, blu = (img[idx + 2] & 0xff) / 255.0;
                    int k = classify(red, grn, blu);
                    if (k == UNKNOWN) continue;
                    if (k == TABLE) table++;
                    else if (k == SHADOW) v[11]++;
                    else v[k]++;
                    if (k == 9 && red < 0.3) {          // the ring (dark; the jaws are light): closure from its shade
                        ring++;
                        gripSum += Math.clamp((0.22 - red) / 0.17, 0, 1);
                    }
                    if (k >= 0 && k <= 3) {
                        objects++;
                        cx += (c - c0 + 0.5) / cell;
                        cy += (r - r0 + 0.5) / cell;
                    }
                }
            }
            double n = cell * cell;
            for (int k = 0; k <= 12; k++) if (k != 10) v[k] /= n;
            v[10] = ring > 0 ? gripSum / ring : 0;
            v[13] = objects > 0 ? cx / objects : 0.5;
            v[14] = objects > 0 ? cy / objects : 0.5;
            v[15] = table / n;
            for (int k = 0; k < CHANNELS; k++) out[t * CHANNELS + k] = (float) (2 * v[k] - 1);
        }
    }
}
