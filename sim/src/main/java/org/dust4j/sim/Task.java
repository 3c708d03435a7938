package org.dust4j.sim;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A language-specified tabletop task: an instruction, a seeded initial layout, a success predicate and a
 * step limit. Every scene holds the same furniture and objects (three blocks, a puck, two pads, a cabinet with
 * a drawer) so the instruction, not the scene, says what to do.
 *
 * <p>Families: pick-and-place (carry a block onto a pad), push-to-goal (the puck is too large to grasp) and
 * open/close (the drawer). Success depends on consequences: a block counts only once released on its pad,
 * the puck only where it ends up, the drawer only by its extension.
 */
public final class Task {
    /** Task families. */
    public enum Family { PICK_PLACE, PUSH, OPEN_CLOSE }

    enum Goal { ON_PAD, LEFT_EDGE, RIGHT_EDGE, OPEN, CLOSED, ON_EITHER_PAD, DRAWER_PUSH }

    /** Puck x below which push_left succeeds. */
    public static final double LEFT_X = 0.15;
    /** Puck x above which push_right succeeds. */
    public static final double RIGHT_X = 0.85;
    /** Drawer opening fraction at or above which the drawer counts as open. */
    public static final double OPEN_FRAC = 0.8;
    /** Drawer opening fraction at or below which the drawer counts as closed. */
    public static final double CLOSED_FRAC = 0.1;
    /** Pick-and-place: the block centre must lie this far inside the pad edge. */
    public static final double PLACE_MARGIN = 0.01;
    /** Push-to-pad: the puck centre must lie this far inside the pad edge. */
    public static final double PUSH_MARGIN = 0.015;

    private static final List<Task> ALL = List.of(
            new Task("pick_red_green", Family.PICK_PLACE, "put the red block on the green pad", 150, Goal.ON_PAD, World.RED, World.GREEN),
            new Task("pick_blue_purple", Family.PICK_PLACE, "put the blue block on the purple pad", 150, Goal.ON_PAD, World.BLUE, World.PURPLE),
            new Task("pick_yellow_green", Family.PICK_PLACE, "put the yellow block on the green pad", 150, Goal.ON_PAD, World.YELLOW, World.GREEN),
            new Task("pick_red_purple", Family.PICK_PLACE, "put the red block on the purple pad", 150, Goal.ON_PAD, World.RED, World.PURPLE),
            new Task("push_green", Family.PUSH, "push the grey puck onto the green pad", 200, Goal.ON_PAD, World.PUCK, World.GREEN),
            new Task("push_purple", Family.PUSH, "push the grey puck onto the purple pad", 200, Goal.ON_PAD, World.PUCK, World.PURPLE),
            new Task("push_left", Family.PUSH, "push the grey puck to the left edge of the table", 200, Goal.LEFT_EDGE, World.PUCK, -1),
            new Task("push_right", Family.PUSH, "push the grey puck to the right edge of the table", 200, Goal.RIGHT_EDGE, World.PUCK, -1),
            new Task("open_drawer", Family.OPEN_CLOSE, "open the drawer", 100, Goal.OPEN, -1, -1),
            new Task("close_drawer", Family.OPEN_CLOSE, "close the drawer", 100, Goal.CLOSED, -1, -1));

    /**
     * The v2 suite (benchmark v2, issue 9): the same world, but a policy observes only proprioception
     * ({@link #observedState}); pads, objects, handle and drawer reach it only through the images. Two tasks
     * are multimodal (either pad is a valid goal; the expert picks one per episode), one needs the outcome of
     * a contact chain to be foreseen (the opening drawer pushes a block, which must stop on a pad).
     */
    private static final List<Task> V2 = List.of(
            new Task("v2_pick_green", Family.PICK_PLACE, "put the red block on the green pad", 150, Goal.ON_PAD, World.RED, World.GREEN, 2),
            new Task("v2_pick_either", Family.PICK_PLACE, "put the blue block on either pad", 150, Goal.ON_EITHER_PAD, World.BLUE, -1, 2),
            new Task("v2_push_green", Family.PUSH, "push the grey puck onto the green pad", 200, Goal.ON_PAD, World.PUCK, World.GREEN, 2),
            new Task("v2_push_either", Family.PUSH, "push the grey puck onto either pad", 200, Goal.ON_EITHER_PAD, World.PUCK, -1, 2),
            new Task("v2_open_drawer", Family.OPEN_CLOSE, "open the drawer", 100, Goal.OPEN, -1, -1, 2),
            new Task("v2_close_drawer", Family.OPEN_CLOSE, "close the drawer", 100, Goal.CLOSED, -1, -1, 2),
            new Task("v2_drawer_push", Family.OPEN_CLOSE, "open the drawer to push the red block onto the green pad", 120, Goal.DRAWER_PUSH,
                    World.RED, World.GREEN, 2));

    private final String name;
    private final Family family;
    private final String instruction;
    private final int stepLimit;
    final Goal goal;
    final int object;
    final int pad;
    private final int suite;

    private Task(String name, Family family, String instruction, int stepLimit, Goal goal, int object, int pad) {
        this(name, family, instruction, stepLimit, goal, object, pad, 1);
    }

    private Task(String name, Family family, String instruction, int stepLimit, Goal goal, int object, int pad, int suite) {
        this.suite = suite;
        this.name = name;
        this.family = family;
        this.instruction = instruction;
        this.stepLimit = stepLimit;
        this.goal = goal;
        this.object = object;
        this.pad = pad;
    }

    /** All tasks of the v1 suite, in a fixed order. */
    public static List<Task> all() { return ALL; }

    /** All tasks of the v2 suite (proprioceptive state only; see {@link #observedState}), in a fixed order. */
    public static List<Task> allV2() { return V2; }

    /** The tasks of suite {@code v1} or {@code v2}; another name is an error. */
    public static List<Task> suite(String suite) {
        return switch (suite) {
            case "v1" -> ALL;
            case "v2" -> V2;
            default -> throw new IllegalArgumentException("unknown suite '" + suite + "' (known: v1, v2)");
        };
    }

    /** The task called {@code name} (either suite); an unknown name is an error that lists the known ones. */
    public static Task byName(String name) {
        for (Task t : ALL) if (t.name.equals(name)) return t;
        for (Task t : V2) if (t.name.equals(name)) return t;
        throw new IllegalArgumentException("unknown task '" + name + "' (known: " + String.join(", ", names()) + ", "
                + String.join(", ", V2.stream().map(Task::name).toList()) + ")");
    }

    /** 1 for the v1 suite, 2 for v2. */
    public int suiteVersion() { return suite; }

    /**
     * A stable stream index for seeds: the position in {@link #all()} for v1 tasks (unchanged), 1000 + the
     * position in {@link #allV2()} for v2 tasks, so v2 layouts never reuse v1 streams.
     */
    public int streamIndex() {
        return suite == 1 ? ALL.indexOf(this) : 1000 + V2.indexOf(this);
    }

    /**
     * What the policy's state vector holds ({@link World#STATE_DIM} values). v1: the full raw state (every object,
     * the handle, the drawer). v2: proprioception only, the way a real robot has it: end-effector x, y, lift,
     * gripper closure and the holding flag in slots 0-4, zeros elsewhere, so the scene reaches the policy only
     * through the images (same width as v1, so the model configs are shared).
     */
    public float[] observedState(World w) {
        float[] s = w.state();
        if (suite == 2) java.util.Arrays.fill(s, 5, s.length, 0f);
        return s;
    }

    /** Whether {@code pad} is a valid goal pad of this task (ON_EITHER_PAD: both). */
    public boolean validPad(int p) {
        return goal == Goal.ON_EITHER_PAD ? p >= 0 && p < World.PAD_NAMES.length : p == pad && p >= 0;
    }

    /**
     * The continuous goal distance after an episode (0 when the goal is met in the continuous sense): for pad
     * goals the distance from the object's centre to the nearest valid pad centre; for the edge pushes how far
     * the puck is from the edge threshold; for the drawer tasks how far the opening fraction is from its
     * threshold (open/close) or the block from its pad (drawer push).
     */
    public double goalDistance(World w) {
        return switch (goal) {
            case ON_PAD, DRAWER_PUSH -> World.dist(w.objX(object), w.objY(object), w.padX(pad), w.padY(pad));
            case ON_EITHER_PAD -> Math.min(World.dist(w.objX(object), w.objY(object), w.padX(0), w.padY(0)),
                    World.dist(w.objX(object), w.objY(object), w.padX(1), w.padY(1)));
            case LEFT_EDGE -> Math.max(0, w.objX(object) - LEFT_X);
            case RIGHT_EDGE -> Math.max(0, RIGHT_X - w.objX(object));
            case OPEN -> Math.max(0, OPEN_FRAC - w.drawerOpening());
            case CLOSED -> Math.max(0, w.drawerOpening() - CLOSED_FRAC);
        };
    }

    /** The names of all tasks. */
    public static List<String> names() {
        List<String> n = new ArrayList<>();
        for (Task t : ALL) n.add(t.name);
        return n;
    }

    /**
     * Parses a comma-separated task list (names from either suite), {@code all} (the v1 suite) or {@code all-v2}. Unknown names are one error naming all of them;
     * duplicates are dropped, order is kept.
     */
    public static List<Task> parseList(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("no tasks given (use names or 'all')");
        if (spec.trim().equals("all")) return ALL;
        if (spec.trim().equals("all-v2")) return V2;
        Set<Task> out = new LinkedHashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String s : spec.split(",")) {
            String n = s.trim();
            if (n.isEmpty()) continue;
            Task t = null;
            for (Task c : ALL) if (c.name.equals(n)) t = c;
            for (Task c : V2) if (c.name.equals(n)) t = c;
            if (t == null) unknown.add(n);
            else out.add(t);
        }
        if (!unknown.isEmpty())
            throw new IllegalArgumentException("unknown task" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + " (known: " + String.join(", ", names()) + ", " + String.join(", ", V2.stream().map(Task::name).toList())
                    + ", or all, all-v2)");
        if (out.isEmpty()) throw new IllegalArgumentException("no tasks given (use names or 'all')");
        return List.copyOf(out);
    }

    /** The task name (a command-line identifier). */
    public String name() { return name; }
    /** The task family. */
    public Family family() { return family; }
    /** The language instruction. */
    public String instruction() { return instruction; }
    /** Steps after which an episode that has not succeeded counts as a failure. */
    public int stepLimit() { return stepLimit; }
    /** The object the task moves, or -1 for the drawer tasks. */
    public int object() { return object; }
    /** The goal pad, or -1. */
    public int pad() { return pad; }

    /** The success predicate, evaluated after every step. */
    public boolean success(World w) {
        return switch (goal) {
            case ON_PAD -> family == Family.PICK_PLACE
                    ? w.held() != object && w.onPad(object, pad, PLACE_MARGIN)
                    : w.onPad(object, pad, PUSH_MARGIN);
            case ON_EITHER_PAD -> family == Family.PICK_PLACE
                    ? w.held() != object && (w.onPad(object, 0, PLACE_MARGIN) || w.onPad(object, 1, PLACE_MARGIN))
                    : w.onPad(object, 0, PUSH_MARGIN) || w.onPad(object, 1, PUSH_MARGIN);
            // the drawer must have pushed the block onto the pad and the gripper let go of the handle: pulling
            // through (overshooting the pad) or stopping short fails
            case DRAWER_PUSH -> !w.holdingHandle() && w.onPad(object, pad, PLACE_MARGIN);
            case LEFT_EDGE -> w.objX(object) < LEFT_X;
            case RIGHT_EDGE -> w.objX(object) > RIGHT_X;
            case OPEN -> w.drawerOpening() >= OPEN_FRAC;
            case CLOSED -> w.drawerOpening() <= CLOSED_FRAC;
        };
    }

    /**
     * The initial world for {@code seed}: a random layout (cabinet position, pads, objects; rejection sampled
     * with no overlaps and nothing starting on a pad) with this task's constraints (puck position for the push
     * tasks, a partly open drawer for close_drawer). The same seed gives the same world.
     */
    public World reset(long seed) {
        SimRng rng = SimRng.of(seed, 0x5eed, 1);
        World w = new World();
        w.cabX = rng.uniform(0.25, 0.75);
        w.drawerD = goal == Goal.CLOSED ? rng.uniform(0.6, 1.0) * World.DRAWER_MAX : 0.0;
        w.eeX = 0.5;
        w.eeY = 0.08;
        w.eeZ = 1.0;
        w.grip = 0.0;
        for (int attempt = 0; ; attempt++) {
            if (attempt > 1000) throw new IllegalStateException("Task.reset: no valid layout for seed " + seed);
            if (sampleLayout(w, rng)) break;
        }
        return w;
    }

    /** One try at pads and objects; false when some object found no free spot (then the caller starts over). */
    private boolean sampleLayout(World w, SimRng rng) {
        if (goal == Goal.DRAWER_PUSH) return sampleDrawerPushLayout(w, rng);
        do {
            w.px[0] = rng.uniform(0.12, 0.88);
            w.py[0] = rng.uniform(0.14, 0.55);
            w.px[1] = rng.uniform(0.12, 0.88);
            w.py[1] = rng.uniform(0.14, 0.55);
        } while (World.dist(w.px[0], w.py[0], w.px[1], w.py[1]) < 0.24);
        for (int i = 0; i < w.numObjects(); i++) {
            boolean placed = false;
            for (int tries = 0; tries < 200 && !placed; tries++) {
                double x, y;
                if (w.kind(i) == World.Kind.PUCK) {
                    double lo = goal == Goal.LEFT_EDGE ? 0.4 : 0.25, hi = goal == Goal.RIGHT_EDGE ? 0.6 : 0.75;
                    x = rng.uniform(lo, hi);
                    y = rng.uniform(0.2, 0.55);
                } else {
                    x = rng.uniform(0.08, 0.92);
                    y = rng.uniform(0.08, 0.6);
                }
                if (validPlacement(w, i, x, y)) {
                    w.ox[i] = x;
                    w.oy[i] = y;
                    placed = true;
                }
            }
            if (!placed) return false;
        }
        return true;
    }

    private boolean validPlacement(World w, int i, double x, double y) {
        double r = w.objR(i);
        for (int p = 0; p < 2; p++)
            if (Math.max(Math.abs(x - w.px[p]), Math.abs(y - w.py[p])) < World.PAD_HALF + r + 0.01) return false;
        for (int j = 0; j < i; j++)
            if (World.dist(x, y, w.ox[j], w.oy[j]) < r + w.objR(j) + 0.03) return false;
        if (i == object && family == Family.PUSH && goal == Goal.ON_PAD)
            if (World.dist(x, y, w.px[pad], w.py[pad]) < 0.25) return false;
        if (i == object && family == Family.PUSH && goal == Goal.ON_EITHER_PAD)
            for (int p = 0; p < 2; p++) if (World.dist(x, y, w.px[p], w.py[p]) < 0.25) return false;
        return true;
    }

    /** Block travel (m) that brings the drawer-push block to its pad centre: the pad lies this far in front of it. */
    public static final double DRAWER_PUSH_MIN = 0.08, DRAWER_PUSH_MAX = 0.12;

    /**
     * drawer push: the block stands against the closed drawer's front, to one side of the handle; the goal pad
     * lies straight in front of it at a random distance, so opening the drawer fully pushes it past the pad and
     * the policy has to stop (and let go) in time. The other pad and objects are placed as usual.
     */
    private boolean sampleDrawerPushLayout(World w, SimRng rng) {
        double side = rng.uniform() < 0.5 ? -1 : 1;
        double bx = w.cabX + side * rng.uniform(0.05, 0.055);
        double by = World.CAB_Y - World.BLOCK_R - 0.004;
        double u = rng.uniform(DRAWER_PUSH_MIN, DRAWER_PUSH_MAX);
        w.px[pad] = bx;
        w.py[pad] = by - u;
        int other = 1 - pad;
        do {
            w.px[other] = rng.uniform(0.12, 0.88);
            w.py[other] = rng.uniform(0.14, 0.45);
        } while (World.dist(w.px[0], w.py[0], w.px[1], w.py[1]) < 0.24);
        w.ox[object] = bx;
        w.oy[object] = by;
        for (int i = 0; i < w.numObjects(); i++) {
            if (i == object) continue;
            boolean placed = false;
            for (int tries = 0; tries < 200 && !placed; tries++) {
                double x = rng.uniform(0.08, 0.92), y = rng.uniform(0.08, 0.5);
                if (validPlacement(w, i, x, y) && World.dist(x, y, bx, by) > w.objR(i) + World.BLOCK_R + 0.03) {
                    w.ox[i] = x;
                    w.oy[i] = y;
                    placed = true;
                }
            }
            if (!placed) return false;
        }
        return true;
    }

    @Override
    public String toString() { return name; }
}
