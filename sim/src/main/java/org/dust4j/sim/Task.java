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

    enum Goal { ON_PAD, LEFT_EDGE, RIGHT_EDGE, OPEN, CLOSED }

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

    private final String name;
    private final Family family;
    private final String instruction;
    private final int stepLimit;
    final Goal goal;
    final int object;
    final int pad;

    private Task(String name, Family family, String instruction, int stepLimit, Goal goal, int object, int pad) {
        this.name = name;
        this.family = family;
        this.instruction = instruction;
        this.stepLimit = stepLimit;
        this.goal = goal;
        this.object = object;
        this.pad = pad;
    }

    /** All tasks, in a fixed order. */
    public static List<Task> all() { return ALL; }

    /** The task called {@code name}; an unknown name is an error that lists the known ones. */
    public static Task byName(String name) {
        for (Task t : ALL) if (t.name.equals(name)) return t;
        throw new IllegalArgumentException("unknown task '" + name + "' (known: " + String.join(", ", names()) + ")");
    }

    /** The names of all tasks. */
    public static List<String> names() {
        List<String> n = new ArrayList<>();
        for (Task t : ALL) n.add(t.name);
        return n;
    }

    /**
     * Parses a comma-separated task list or {@code all}. Unknown names are one error naming all of them;
     * duplicates are dropped, order is kept.
     */
    public static List<Task> parseList(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("no tasks given (use names or 'all')");
        if (spec.trim().equals("all")) return ALL;
        Set<Task> out = new LinkedHashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String s : spec.split(",")) {
            String n = s.trim();
            if (n.isEmpty()) continue;
            Task t = null;
            for (Task c : ALL) if (c.name.equals(n)) t = c;
            if (t == null) unknown.add(n);
            else out.add(t);
        }
        if (!unknown.isEmpty())
            throw new IllegalArgumentException("unknown task" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + " (known: " + String.join(", ", names()) + ", or all)");
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
        return true;
    }

    @Override
    public String toString() { return name; }
}
