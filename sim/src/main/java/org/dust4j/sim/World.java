package org.dust4j.sim;

import java.util.Arrays;

/**
 * The 2D tabletop: a unit-square table seen from above (x right, y away from the robot), a planar end
 * effector with a lift height and a parallel gripper, rigid objects, two goal pads and a cabinet with one
 * drawer (a prismatic articulated object).
 *
 * <p>Physics is quasi-static and fixed-step: the end effector moves by the commanded displacement, objects
 * have no velocity and move only when pushed (disc contacts resolved by projection, a fixed number of passes
 * in a fixed order), grasped, carried or released. All arithmetic is plain IEEE double with no
 * transcendental functions, so a trajectory is a pure function of the initial state and the actions,
 * bit for bit.
 *
 * <p>Contact rules. The end effector touches things only when low ({@code z < LOW_Z}). A low, open gripper
 * straddles a graspable object whose centre lies within {@link #GRASP_TOL} of the gripper centre (the jaws go
 * around it); otherwise the end effector body (radius {@link #EE_R}) pushes objects. Closing the gripper while
 * low grasps the drawer handle or the nearest graspable object within the tolerance; opening releases it. A
 * carried object follows the gripper; it passes over other objects while the gripper is high and pushes them
 * while low. Pucks are too large to grasp: they can only be pushed. Holding the drawer handle turns the
 * gripper's y motion into drawer motion; pushing the drawer front closes it; the opening drawer pushes objects.
 */
public final class World {
    /** End effector body radius. */
    public static final double EE_R = 0.025;
    /** Largest xy displacement per step (action 1.0). */
    public static final double MAX_STEP = 0.03;
    /** Largest lift change per step. */
    public static final double MAX_DZ = 0.15;
    /** Gripper closure change per step. */
    public static final double GRIP_RATE = 0.34;
    /** Height below which the end effector touches the table plane. */
    public static final double LOW_Z = 0.3;
    /** Grasp tolerance: the object centre (or handle) must be this close to the gripper centre. */
    public static final double GRASP_TOL = 0.02;
    /** Objects with a radius above this are too large to grasp. */
    public static final double MAX_GRASP_R = 0.045;
    /** Block radius. */
    public static final double BLOCK_R = 0.035;
    /** Puck radius. */
    public static final double PUCK_R = 0.06;
    /** Half side of a goal pad. */
    public static final double PAD_HALF = 0.08;
    /** Cabinet front face y. */
    public static final double CAB_Y = 0.85;
    /** Cabinet half width. */
    public static final double CAB_HALF_W = 0.1;
    /** Drawer half width. */
    public static final double DRAWER_HALF_W = 0.09;
    /** Full drawer extension. */
    public static final double DRAWER_MAX = 0.2;
    /** Handle distance in front of the drawer front. */
    public static final double HANDLE_OFF = 0.03;
    /** Physics substeps per control step. */
    public static final int SUBSTEPS = 2;
    /** Object-object contact passes per substep. */
    public static final int CONTACT_PASSES = 4;
    /** Raw action size: dx, dy, dz, grip. */
    public static final int ACTION_DIM = 4;

    /** Object kinds. */
    public enum Kind { BLOCK, PUCK }

    /** The movable objects, always in this order in the state vector. */
    public static final String[] OBJECT_NAMES = {"red block", "blue block", "yellow block", "grey puck"};
    /** Object indices. */
    public static final int RED = 0, BLUE = 1, YELLOW = 2, PUCK = 3;
    /** Pad names. */
    public static final String[] PAD_NAMES = {"green pad", "purple pad"};
    /** Pad indices. */
    public static final int GREEN = 0, PURPLE = 1;

    /** Raw state size: ee x,y,z,grip, holding, handle x,y, drawer opening, then x,y per object. */
    public static final int STATE_DIM = 8 + 2 * OBJECT_NAMES.length;

    // end effector
    double eeX, eeY, eeZ, grip;
    int held = -1;
    boolean holdingHandle;
    // drawer
    double cabX, drawerD;
    // objects
    final double[] ox = new double[OBJECT_NAMES.length];
    final double[] oy = new double[OBJECT_NAMES.length];
    final double[] or = new double[OBJECT_NAMES.length];
    final Kind[] kind = new Kind[OBJECT_NAMES.length];
    // per-substep scratch: which objects were between the open jaws before the move
    private final boolean[] inJaws = new boolean[OBJECT_NAMES.length];
    // pads
    final double[] px = new double[PAD_NAMES.length];
    final double[] py = new double[PAD_NAMES.length];

    World() {
        for (int i = 0; i < 3; i++) {
            kind[i] = Kind.BLOCK;
            or[i] = BLOCK_R;
        }
        kind[PUCK] = Kind.PUCK;
        or[PUCK] = PUCK_R;
    }

    /** A deep copy. */
    public World copy() {
        World w = new World();
        w.eeX = eeX; w.eeY = eeY; w.eeZ = eeZ; w.grip = grip;
        w.held = held; w.holdingHandle = holdingHandle;
        w.cabX = cabX; w.drawerD = drawerD;
        System.arraycopy(ox, 0, w.ox, 0, ox.length);
        System.arraycopy(oy, 0, w.oy, 0, oy.length);
        System.arraycopy(px, 0, w.px, 0, px.length);
        System.arraycopy(py, 0, w.py, 0, py.length);
        return w;
    }

    // ---- read access ------------------------------------------------------------------------------

    /** Gripper centre x. */
    public double eeX() { return eeX; }
    /** Gripper centre y. */
    public double eeY() { return eeY; }
    /** Gripper lift in [0,1]; below {@link #LOW_Z} it touches the table plane. */
    public double eeZ() { return eeZ; }
    /** Gripper closure in [0,1]: 0 open, 1 closed. */
    public double grip() { return grip; }
    /** Index of the grasped object, or -1. */
    public int held() { return held; }
    /** True while the gripper holds the drawer handle. */
    public boolean holdingHandle() { return holdingHandle; }
    /** Number of movable objects. */
    public int numObjects() { return ox.length; }
    /** Object {@code i} centre x. */
    public double objX(int i) { return ox[i]; }
    /** Object {@code i} centre y. */
    public double objY(int i) { return oy[i]; }
    /** Object {@code i} collision radius. */
    public double objR(int i) { return or[i]; }
    /** Object {@code i} kind. */
    public Kind kind(int i) { return kind[i]; }
    /** Pad {@code p} centre x. */
    public double padX(int p) { return px[p]; }
    /** Pad {@code p} centre y. */
    public double padY(int p) { return py[p]; }
    /** Cabinet (and drawer) centre x. */
    public double cabinetX() { return cabX; }
    /** Drawer extension in [0, DRAWER_MAX]. */
    public double drawerD() { return drawerD; }
    /** Drawer opening as a fraction of full extension. */
    public double drawerOpening() { return drawerD / DRAWER_MAX; }
    /** Drawer front face y. */
    public double drawerFrontY() { return CAB_Y - drawerD; }
    /** Drawer handle x. */
    public double handleX() { return cabX; }
    /** Drawer handle y (moves with the drawer). */
    public double handleY() { return CAB_Y - drawerD - HANDLE_OFF; }
    /** True when the gripper is low enough to touch things. */
    public boolean eeLow() { return eeZ < LOW_Z; }
    /** True when the centre of object {@code i} lies inside pad {@code p}, shrunk by {@code margin}. */
    public boolean onPad(int i, int p, double margin) {
        double h = PAD_HALF - margin;
        return Math.abs(ox[i] - px[p]) <= h && Math.abs(oy[i] - py[p]) <= h;
    }

    /** The raw state vector ({@link #STATE_DIM} values, all roughly in [0,1]). */
    public float[] state() {
        float[] s = new float[STATE_DIM];
        s[0] = (float) eeX; s[1] = (float) eeY; s[2] = (float) eeZ; s[3] = (float) grip;
        s[4] = (held >= 0 || holdingHandle) ? 1f : 0f;
        s[5] = (float) handleX(); s[6] = (float) handleY(); s[7] = (float) drawerOpening();
        for (int i = 0; i < ox.length; i++) {
            s[8 + 2 * i] = (float) ox[i];
            s[9 + 2 * i] = (float) oy[i];
        }
        return s;
    }

    // ---- dynamics ---------------------------------------------------------------------------------

    /**
     * Advances one control step. {@code action} holds at least {@link #ACTION_DIM} values: dx, dy, dz in
     * [-1,1] (clipped; scaled by MAX_STEP / MAX_DZ) and grip (&gt; 0 closes, &lt;= 0 opens); extra entries (model
     * padding) are ignored.
     */
    public void step(float[] action) {
        if (action == null || action.length < ACTION_DIM)
            throw new IllegalArgumentException("World.step: action needs " + ACTION_DIM + " values (dx, dy, dz, grip), got "
                    + (action == null ? "null" : action.length));
        for (int i = 0; i < ACTION_DIM; i++)
            if (!Float.isFinite(action[i]))
                throw new IllegalArgumentException("World.step: action[" + i + "] is " + action[i]);
        double ax = clamp(action[0], -1, 1) * MAX_STEP / SUBSTEPS;
        double ay = clamp(action[1], -1, 1) * MAX_STEP / SUBSTEPS;
        double az = clamp(action[2], -1, 1) * MAX_DZ / SUBSTEPS;
        double gripTarget = action[3] > 0 ? 1.0 : 0.0;
        for (int s = 0; s < SUBSTEPS; s++) substep(ax, ay, az, gripTarget);
    }

    private void substep(double dx, double dy, double dz, double gripTarget) {
        double prev = grip;
        double rate = GRIP_RATE / SUBSTEPS;
        grip = gripTarget > grip ? Math.min(gripTarget, grip + rate) : Math.max(gripTarget, grip - rate);
        if (prev >= 0.5 && grip < 0.5) {             // opening: release
            held = -1;
            holdingHandle = false;
        } else if (prev < 0.5 && grip >= 0.5 && eeLow() && held < 0 && !holdingHandle) {
            tryGrasp();
        }
        // graspable objects between the open jaws before the move stay between them (dragged along)
        for (int i = 0; i < ox.length; i++)
            inJaws[i] = eeLow() && !holdingHandle && held < 0 && grip < 0.5 && or[i] <= MAX_GRASP_R
                    && dist(eeX, eeY, ox[i], oy[i]) <= GRASP_TOL * (1 + 1e-9);
        if (holdingHandle) {
            // the gripper is constrained to the handle: y motion slides the drawer, x and lift are blocked
            drawerD = clamp(drawerD - dy, 0, DRAWER_MAX);
            eeX = handleX();
            eeY = handleY();
        } else {
            eeZ = clamp(eeZ + dz, 0, 1);
            eeX = clamp(eeX + dx, EE_R, 1 - EE_R);
            eeY = clamp(eeY + dy, EE_R, 1 - EE_R);
        }
        if (held >= 0) {
            ox[held] = eeX;
            oy[held] = eeY;
        }
        resolveContacts();
    }

    private void tryGrasp() {
        if (dist(eeX, eeY, handleX(), handleY()) < GRASP_TOL) {
            holdingHandle = true;
            eeX = handleX();
            eeY = handleY();
            return;
        }
        int best = -1;
        double bestD = GRASP_TOL;
        for (int i = 0; i < ox.length; i++) {
            if (or[i] > MAX_GRASP_R) continue;
            double d = dist(eeX, eeY, ox[i], oy[i]);
            if (d < bestD) {
                bestD = d;
                best = i;
            }
        }
        if (best >= 0) {
            held = best;
            ox[best] = eeX;
            oy[best] = eeY;
        }
    }

    private void resolveContacts() {
        boolean low = eeLow();
        if (low && !holdingHandle) {
            eeVsFurniture();
            dragJawObjects();
            if (held >= 0) {
                ox[held] = eeX;
                oy[held] = eeY;
            }
            double pr = held >= 0 ? Math.max(EE_R, or[held]) : EE_R;
            for (int i = 0; i < ox.length; i++) {
                if (i == held) continue;
                if (!isStraddled(i)) pushOut(i, eeX, eeY, pr);
            }
        }
        for (int pass = 0; pass < CONTACT_PASSES; pass++) {
            for (int i = 0; i < ox.length; i++) {
                for (int j = i + 1; j < ox.length; j++) {
                    boolean iHeld = i == held, jHeld = j == held;
                    if ((iHeld || jHeld) && !low) continue;     // carried over the others
                    double ddx = ox[j] - ox[i], ddy = oy[j] - oy[i];
                    double d = Math.sqrt(ddx * ddx + ddy * ddy);
                    double pen = or[i] + or[j] - d;
                    if (pen <= 0) continue;
                    double nx, ny;
                    if (d > 1e-12) { nx = ddx / d; ny = ddy / d; } else { nx = 1; ny = 0; }
                    if (iHeld) { ox[j] += nx * pen; oy[j] += ny * pen; }
                    else if (jHeld) { ox[i] -= nx * pen; oy[i] -= ny * pen; }
                    else {
                        ox[i] -= nx * pen * 0.5; oy[i] -= ny * pen * 0.5;
                        ox[j] += nx * pen * 0.5; oy[j] += ny * pen * 0.5;
                    }
                }
            }
            for (int i = 0; i < ox.length; i++) {
                if (i == held) continue;
                objVsFurniture(i);
                ox[i] = clamp(ox[i], or[i], 1 - or[i]);
                oy[i] = clamp(oy[i], or[i], 1 - or[i]);
            }
        }
        if (low && !holdingHandle) {
            // an object that could not move far enough (wall, furniture) blocks the gripper
            double pr = held >= 0 ? Math.max(EE_R, or[held]) : EE_R;
            for (int i = 0; i < ox.length; i++) {
                if (i == held || isStraddled(i)) continue;
                double ddx = eeX - ox[i], ddy = eeY - oy[i];
                double d = Math.sqrt(ddx * ddx + ddy * ddy);
                double pen = pr + or[i] - d;
                if (pen <= 1e-12 || d <= 1e-12) continue;
                eeX += ddx / d * pen;
                eeY += ddy / d * pen;
            }
            if (held >= 0) {
                ox[held] = eeX;
                oy[held] = eeY;
            }
        }
    }

    private boolean isStraddled(int i) {
        return held < 0 && grip < 0.5 && or[i] <= MAX_GRASP_R && (inJaws[i] || dist(eeX, eeY, ox[i], oy[i]) < GRASP_TOL);
    }

    /** Keeps objects that were between the open jaws within GRASP_TOL of the gripper centre. */
    private void dragJawObjects() {
        for (int i = 0; i < ox.length; i++) {
            if (!inJaws[i]) continue;
            if (!isStraddled(i) || !eeLow()) {
                inJaws[i] = false;
                continue;
            }
            double ddx = ox[i] - eeX, ddy = oy[i] - eeY;
            double d = Math.sqrt(ddx * ddx + ddy * ddy);
            if (d > GRASP_TOL) {
                ox[i] = eeX + ddx / d * GRASP_TOL;
                oy[i] = eeY + ddy / d * GRASP_TOL;
            }
        }
    }

    /** Moves object i out of the disc (cx, cy, r) along the centre line. */
    private void pushOut(int i, double cx, double cy, double r) {
        double ddx = ox[i] - cx, ddy = oy[i] - cy;
        double d = Math.sqrt(ddx * ddx + ddy * ddy);
        double pen = r + or[i] - d;
        if (pen <= 0) return;
        double nx, ny;
        if (d > 1e-12) { nx = ddx / d; ny = ddy / d; } else { nx = 0; ny = -1; }
        ox[i] += nx * pen;
        oy[i] += ny * pen;
    }

    private void eeVsFurniture() {
        // drawer front: pushing it from the front closes the drawer
        if (drawerD > 0) {
            double x0 = cabX - DRAWER_HALF_W, x1 = cabX + DRAWER_HALF_W;
            double front = drawerFrontY();
            if (eeX >= x0 && eeX <= x1 && eeY < front && eeY + EE_R > front) {
                drawerD = Math.max(0, CAB_Y - (eeY + EE_R));
            } else {
                double[] p = discOutOfBox(eeX, eeY, EE_R, x0, front, x1, CAB_Y);
                eeX = p[0];
                eeY = p[1];
            }
        }
        double[] p = discOutOfBox(eeX, eeY, EE_R, cabX - CAB_HALF_W, CAB_Y, cabX + CAB_HALF_W, 1.0 + EE_R);
        eeX = p[0];
        eeY = p[1];
    }

    private void objVsFurniture(int i) {
        double[] p;
        if (drawerD > 0) {
            p = discOutOfBox(ox[i], oy[i], or[i], cabX - DRAWER_HALF_W, drawerFrontY(), cabX + DRAWER_HALF_W, CAB_Y);
            ox[i] = p[0];
            oy[i] = p[1];
        }
        p = discOutOfBox(ox[i], oy[i], or[i], cabX - CAB_HALF_W, CAB_Y, cabX + CAB_HALF_W, 1.0 + or[i]);
        ox[i] = p[0];
        oy[i] = p[1];
    }

    /** The disc centre moved out of the box [x0,x1]x[y0,y1] (minimal translation), or unchanged. */
    static double[] discOutOfBox(double x, double y, double r, double x0, double y0, double x1, double y1) {
        double qx = clamp(x, x0, x1), qy = clamp(y, y0, y1);
        double ddx = x - qx, ddy = y - qy;
        double d2 = ddx * ddx + ddy * ddy;
        if (d2 >= r * r) return new double[] {x, y};
        if (d2 > 1e-24) {
            double d = Math.sqrt(d2);
            return new double[] {qx + ddx / d * r, qy + ddy / d * r};
        }
        // centre inside the box: leave through the nearest face
        double left = x - x0, right = x1 - x, down = y - y0, up = y1 - y;
        double m = Math.min(Math.min(left, right), Math.min(down, up));
        if (m == down) return new double[] {x, y0 - r};
        if (m == left) return new double[] {x0 - r, y};
        if (m == right) return new double[] {x1 + r, y};
        return new double[] {x, y1 + r};
    }

    static double clamp(double v, double lo, double hi) {
        return v < lo ? lo : (v > hi ? hi : v);
    }

    static double dist(double ax, double ay, double bx, double by) {
        double dx = ax - bx, dy = ay - by;
        return Math.sqrt(dx * dx + dy * dy);
    }

    /** Exact equality of every state variable (used by the determinism tests). */
    public boolean sameAs(World o) {
        return eeX == o.eeX && eeY == o.eeY && eeZ == o.eeZ && grip == o.grip && held == o.held
                && holdingHandle == o.holdingHandle && cabX == o.cabX && drawerD == o.drawerD
                && Arrays.equals(ox, o.ox) && Arrays.equals(oy, o.oy) && Arrays.equals(px, o.px) && Arrays.equals(py, o.py);
    }
}
