package org.dust4j.sim;

/**
 * Plain-Java rasteriser for the tabletop. Two views: a top view of the whole table and a wrist view (a
 * zoomed top-down crop that follows the gripper). Each pixel averages a fixed 2x2 grid of samples; each
 * sample is shaded by painting the scene back to front (table, pads, cabinet and drawer, objects, the
 * gripper's shadow, a carried object, the gripper). Images are RGB bytes, row-major, channels last
 * ({@code [H, W, 3]}); row 0 is the far side of the table (large y).
 *
 * <p>The gripper is drawn larger the higher it is, with a shadow under it, and its jaws spread with the
 * opening, so lift and grip are visible in the images.
 */
public final class Renderer {
    /** The cameras. */
    public enum View { TOP, WRIST }

    /** Half the side of the square the wrist view covers. */
    public static final double WRIST_HALF = 0.15;

    static final double[] TABLE = {0.80, 0.70, 0.55};
    static final double[] FLOOR = {0.25, 0.25, 0.28};
    static final double[][] PAD_COLOURS = {{0.35, 0.72, 0.35}, {0.58, 0.38, 0.72}};
    static final double[][] OBJ_COLOURS = {{0.85, 0.15, 0.15}, {0.15, 0.30, 0.85}, {0.92, 0.80, 0.15}, {0.55, 0.55, 0.60}};
    static final double[] CABINET = {0.42, 0.28, 0.18};
    static final double[] DRAWER_IN = {0.55, 0.40, 0.27};
    static final double[] DRAWER_WALL = {0.68, 0.50, 0.33};
    static final double[] HANDLE = {0.12, 0.12, 0.12};
    static final double[] JAW = {0.90, 0.90, 0.95};

    private final int topSize;
    private final int wristSize;

    /** A renderer with a {@code topSize}^2 top view and a {@code wristSize}^2 wrist view. */
    public Renderer(int topSize, int wristSize) {
        if (topSize < 4 || wristSize < 4 || topSize > 1024 || wristSize > 1024)
            throw new IllegalArgumentException("Renderer: view sizes must be in [4, 1024], got top " + topSize + ", wrist " + wristSize);
        this.topSize = topSize;
        this.wristSize = wristSize;
    }

    /** Side in pixels of view {@code v}. */
    public int size(View v) { return v == View.TOP ? topSize : wristSize; }

    /** Renders one view into a new {@code [size, size, 3]} RGB byte array. */
    public byte[] render(World w, View view) {
        int n = size(view);
        byte[] out = new byte[n * n * 3];
        render(w, view, out, 0);
        return out;
    }

    /** Renders one view into {@code out} at {@code off}. */
    public void render(World w, View view, byte[] out, int off) {
        int n = size(view);
        double x0, y1, span;
        if (view == View.TOP) {
            x0 = 0; y1 = 1; span = 1;
        } else {
            x0 = w.eeX() - WRIST_HALF; y1 = w.eeY() + WRIST_HALF; span = 2 * WRIST_HALF;
        }
        double[] c = new double[3];
        double[] acc = new double[3];
        for (int r = 0; r < n; r++) {
            for (int col = 0; col < n; col++) {
                acc[0] = acc[1] = acc[2] = 0;
                for (int sy = 0; sy < 2; sy++) {
                    for (int sx = 0; sx < 2; sx++) {
                        double x = x0 + (col + 0.25 + 0.5 * sx) / n * span;
                        double y = y1 - (r + 0.25 + 0.5 * sy) / n * span;
                        shade(w, x, y, c);
                        acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2];
                    }
                }
                int o = off + (r * n + col) * 3;
                for (int k = 0; k < 3; k++) out[o + k] = (byte) (int) (acc[k] * 0.25 * 255 + 0.5);
            }
        }
    }

    private static void set(double[] c, double[] v) {
        c[0] = v[0]; c[1] = v[1]; c[2] = v[2];
    }

    /** The colour of the scene at world point (x, y). */
    static void shade(World w, double x, double y, double[] c) {
        if (x < 0 || x > 1 || y < 0 || y > 1) {
            set(c, FLOOR);
            return;
        }
        set(c, TABLE);
        for (int p = 0; p < 2; p++) {
            double ax = Math.abs(x - w.padX(p)), ay = Math.abs(y - w.padY(p));
            if (ax <= World.PAD_HALF && ay <= World.PAD_HALF) {
                set(c, PAD_COLOURS[p]);
                if (Math.max(ax, ay) > World.PAD_HALF - 0.008) scale(c, 0.8);
            }
        }
        double cx = w.cabinetX();
        if (Math.abs(x - cx) <= World.CAB_HALF_W && y >= World.CAB_Y) set(c, CABINET);
        double front = w.drawerFrontY();
        if (w.drawerD() > 0 && Math.abs(x - cx) <= World.DRAWER_HALF_W && y >= front && y <= World.CAB_Y) {
            boolean wall = Math.abs(x - cx) > World.DRAWER_HALF_W - 0.012 || y < front + 0.012;
            set(c, wall ? DRAWER_WALL : DRAWER_IN);
        }
        if (Math.abs(x - w.handleX()) <= 0.035 && Math.abs(y - w.handleY()) <= 0.007) set(c, HANDLE);
        if (Math.abs(x - w.handleX()) <= 0.025 && Math.abs(x - w.handleX()) >= 0.017 && y > w.handleY() && y < front) set(c, HANDLE);
        boolean carriedHigh = w.held() >= 0 && !w.eeLow();
        for (int i = 0; i < w.numObjects(); i++) {
            if (i == w.held() && carriedHigh) continue;
            paintObject(w, i, w.objX(i), w.objY(i), 1.0, x, y, c);
        }
        double ex = w.eeX(), ey = w.eeY(), z = w.eeZ();
        if (z >= World.LOW_Z && World.dist(x, y, ex, ey) < World.EE_R) scale(c, 0.6);
        double s = 1 + 0.6 * z;
        if (carriedHigh) paintObject(w, w.held(), ex, ey, 1 + 0.4 * z, x, y, c);
        double d = World.dist(x, y, ex, ey);
        double rr = World.EE_R * s;
        if (d <= rr && d >= 0.6 * rr) {
            double g = w.grip();
            c[0] = 0.22 - 0.17 * g; c[1] = 0.22 - 0.17 * g; c[2] = 0.27 - 0.17 * g;
        }
        double jo = (0.012 + 0.016 * (1 - w.grip())) * s;
        if (Math.abs(y - ey) <= 0.012 * s && (Math.abs(x - (ex - jo)) <= 0.004 * s || Math.abs(x - (ex + jo)) <= 0.004 * s)) set(c, JAW);
    }

    private static void paintObject(World w, int i, double ox, double oy, double s, double x, double y, double[] c) {
        double r = w.objR(i) * s;
        if (w.kind(i) == World.Kind.BLOCK) {
            double ax = Math.abs(x - ox), ay = Math.abs(y - oy);
            if (ax <= r && ay <= r) {
                set(c, OBJ_COLOURS[i]);
                if (Math.max(ax, ay) > r - 0.006) scale(c, 0.75);
            }
        } else {
            double d = World.dist(x, y, ox, oy);
            if (d <= r) {
                set(c, OBJ_COLOURS[i]);
                if (d > r - 0.008) scale(c, 0.7);
            }
        }
    }

    private static void scale(double[] c, double f) {
        c[0] *= f; c[1] *= f; c[2] *= f;
    }
}
