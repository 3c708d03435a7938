package org.dust4j.sim;

/**
 * A scripted demonstrator with privileged access to the world. It is closed-loop: each step it reads the
 * world and decides what to do (approach, descend, grasp, lift, carry, place; get behind the puck and push
 * along the line to the goal; grasp the handle and pull; push the drawer front), so noise and disturbances
 * are corrected as they happen. Two kinds of imperfection make the demonstrations show recovery:
 * Gaussian noise on every xy/z command, and occasional perturbations (a few steps of motion in a random
 * direction, sometimes with the gripper opening, which drops a carried block) after which the script
 * re-approaches from wherever things ended up.
 *
 * <p>One instance serves one episode; its random stream is seeded, so (task, layout seed, expert seed)
 * gives one trajectory bit for bit.
 */
public final class ScriptedExpert {
    /** Noise settings: per-step Gaussian sigma on the xy/z commands and the per-step perturbation probability. */
    public record Noise(double sigma, double perturbProb) {
        /** A noise-free expert. */
        public static final Noise NONE = new Noise(0, 0);
        /** The demonstration setting. */
        public static final Noise DEFAULT = new Noise(0.1, 0.015);
    }

    private static final double HIGH = 0.85;
    private static final double ALIGN = 0.012;

    private final Task task;
    private final Noise noise;
    private SimRng rng;
    private boolean pushing;       // push tasks: in contact and pushing (else repositioning)
    private int perturbLeft;
    private double perturbX, perturbY;
    private boolean perturbOpen;
    private int chosenPad;         // the goal pad of this episode (ON_EITHER_PAD: drawn from the seed)
    private boolean released;      // drawer push: let go of the handle once the block reached its pad

    /**
     * One step of the expert: the action it executes (clean decision + Gaussian noise, or a perturbation) and the
     * clean decision it would have taken at the same world state (the v2 training label).
     *
     * @param executed  the action applied to the world
     * @param clean     the noise-free, perturbation-free decision at this state
     * @param perturbed whether this step was a perturbation step
     */
    public record Step(float[] executed, float[] clean, boolean perturbed) {}

    /** An expert for one episode of {@code task}, with its own random stream. */
    public ScriptedExpert(Task task, long seed, Noise noise) {
        this.task = task;
        this.noise = noise;
        this.rng = SimRng.of(seed, 0xe1, 2);
        // a separate stream, so v1 experts draw exactly what they drew before
        this.chosenPad = task.goal == Task.Goal.ON_EITHER_PAD ? SimRng.of(seed, 0xe1, 3).nextInt(2) : task.pad();
    }

    /** A copy with the same internal state and random stream position. */
    public ScriptedExpert copy() {
        ScriptedExpert e = new ScriptedExpert(task, 0, noise);
        e.rng = rng.copy();
        e.pushing = pushing;
        e.perturbLeft = perturbLeft;
        e.perturbX = perturbX;
        e.perturbY = perturbY;
        e.perturbOpen = perturbOpen;
        e.chosenPad = chosenPad;
        e.released = released;
        return e;
    }

    /** The task this expert solves. */
    public Task task() { return task; }

    /** The goal pad this expert drives to (for ON_EITHER_PAD tasks one of the two, fixed per episode). */
    public int targetPad() { return chosenPad; }

    /** The next action (dx, dy, dz, grip), each in [-1, 1]. */
    public float[] act(World w) {
        return step(w).executed();
    }

    /** The next step: the executed action and the clean label at the current state. */
    public Step step(World w) {
        double[] a = clean(w);
        float[] label = new float[World.ACTION_DIM];
        for (int i = 0; i < 4; i++) label[i] = (float) World.clamp(a[i], -1, 1);
        boolean perturbed = false;
        if (noise.perturbProb() > 0) {
            if (perturbLeft == 0 && rng.uniform() < noise.perturbProb()) {
                perturbLeft = 3 + rng.nextInt(4);
                double ang = rng.uniform(0, 2 * StrictMath.PI);
                perturbX = 0.8 * StrictMath.cos(ang);
                perturbY = 0.8 * StrictMath.sin(ang);
                perturbOpen = rng.uniform() < 0.25;
            }
            if (perturbLeft > 0) {
                perturbLeft--;
                perturbed = true;
                a[0] = perturbX;
                a[1] = perturbY;
                a[2] = 0;
                if (perturbOpen) a[3] = -1;
            }
        }
        if (noise.sigma() > 0) {
            a[0] += noise.sigma() * rng.normal();
            a[1] += noise.sigma() * rng.normal();
            a[2] += noise.sigma() * rng.normal();
        }
        float[] out = new float[World.ACTION_DIM];
        for (int i = 0; i < 4; i++) out[i] = (float) World.clamp(a[i], -1, 1);
        return new Step(out, label, perturbed);
    }

    /** The noise-free decision. */
    private double[] clean(World w) {
        return switch (task.family()) {
            case PICK_PLACE -> pickPlace(w);
            case PUSH -> push(w);
            case OPEN_CLOSE -> task.goal == Task.Goal.OPEN ? openDrawer(w)
                    : task.goal == Task.Goal.DRAWER_PUSH ? drawerPush(w) : closeDrawer(w);
        };
    }

    private double[] pickPlace(World w) {
        int b = task.object();
        if (w.holdingHandle()) return new double[] {0, 0, 0, -1};
        if (w.held() == b) {
            double tx = w.padX(chosenPad), ty = w.padY(chosenPad);
            return carryTo(w, tx, ty);
        }
        if (w.held() >= 0) return new double[] {0, 0, -1, w.eeLow() ? -1 : 1};   // wrong object: put it down
        return approachAndGrasp(w, w.objX(b), w.objY(b));
    }

    /** Lifts the held object, carries it high to (tx, ty), lowers it and opens. */
    private double[] carryTo(World w, double tx, double ty) {
        double dx = tx - w.eeX(), dy = ty - w.eeY();
        double d = Math.sqrt(dx * dx + dy * dy);
        double[] a = new double[4];
        a[3] = 1;
        if (d > ALIGN) {
            a[2] = 1;
            if (w.eeZ() > World.LOW_Z + 0.15) setMove(a, dx, dy);
        } else {
            setMove(a, dx, dy);
            a[2] = -1;
            if (w.eeZ() < 0.12) a[3] = -1;
        }
        return a;
    }

    /** Goes high over (tx, ty) with the gripper open, descends and closes. */
    private double[] approachAndGrasp(World w, double tx, double ty) {
        double dx = tx - w.eeX(), dy = ty - w.eeY();
        double d = Math.sqrt(dx * dx + dy * dy);
        double[] a = new double[4];
        a[3] = -1;
        if (w.grip() > 0.5) {                         // closed on nothing: open and back off upward
            a[2] = 1;
            return a;
        }
        if (d > ALIGN) {
            if (d > 0.03 && w.eeZ() < HIGH - 0.05) {
                a[2] = 1;
                if (w.eeZ() > World.LOW_Z + 0.05) setMove(a, dx, dy);
            } else {
                setMove(a, dx, dy);
                a[2] = d > 0.03 ? 1 : 0;
            }
        } else {
            setMove(a, dx, dy);
            a[2] = -1;
            if (w.eeZ() < 0.1) a[3] = 1;
        }
        return a;
    }

    private double[] push(World w) {
        int p = task.object();
        double bx = w.objX(p), by = w.objY(p);
        double gx, gy;
        switch (task.goal) {
            case LEFT_EDGE -> { gx = 0.08; gy = by; }
            case RIGHT_EDGE -> { gx = 0.92; gy = by; }
            default -> { gx = w.padX(chosenPad); gy = w.padY(chosenPad); }
        }
        double[] a = new double[4];
        a[3] = 1;                                      // a closed gripper is the pusher
        if (w.held() >= 0 || w.holdingHandle()) {
            a[3] = -1;
            return a;
        }
        double ux = gx - bx, uy = gy - by;
        double dist = Math.sqrt(ux * ux + uy * uy);
        if (dist < 1e-9) return a;
        ux /= dist;
        uy /= dist;
        double contact = World.PUCK_R + World.EE_R;
        double rx = w.eeX() - bx, ry = w.eeY() - by;
        double along = rx * ux + ry * uy;
        double perp = -rx * uy + ry * ux;                // signed offset from the push line
        if (pushing) {
            if (!w.eeLow() || Math.abs(perp) > 0.03 || along > -contact * 0.5 || along < -(contact + 0.06)) pushing = false;
        } else if (w.eeLow() && Math.abs(perp) < 0.012 && along < -(contact - 0.01) && along > -(contact + 0.03)) {
            pushing = true;
        }
        if (pushing) {
            double speed = Math.min(1.0, Math.max(0.3, dist / 0.06));
            // drive along the line, steering the offset back to zero
            double vx = ux - 8 * perp * (-uy), vy = uy - 8 * perp * ux;
            double n = Math.sqrt(vx * vx + vy * vy);
            a[0] = vx / n * speed;
            a[1] = vy / n * speed;
            a[2] = -1;
            return a;
        }
        double tx = bx - ux * (contact + 0.015), ty = by - uy * (contact + 0.015);
        tx = World.clamp(tx, World.EE_R, 1 - World.EE_R);
        ty = World.clamp(ty, World.EE_R, 1 - World.EE_R);
        double dx = tx - w.eeX(), dy = ty - w.eeY();
        double d = Math.sqrt(dx * dx + dy * dy);
        if (d > ALIGN) {
            if (w.eeZ() < HIGH - 0.05 && d > 0.03) {
                a[2] = 1;
                if (w.eeZ() > World.LOW_Z + 0.05) setMove(a, dx, dy);
            } else {
                setMove(a, dx, dy);
                a[2] = d > 0.03 ? 1 : 0;
            }
        } else {
            setMove(a, dx, dy);
            a[2] = -1;
        }
        return a;
    }

    private double[] openDrawer(World w) {
        if (w.holdingHandle()) return new double[] {0, -1, 0, 1};
        if (w.held() >= 0) return new double[] {0, 0, -1, w.eeLow() ? -1 : 1};
        return approachAndGrasp(w, w.handleX(), w.handleY());
    }

    /**
     * Drawer push: pull the handle until the block (pushed by the drawer front) reaches the pad centre, then open
     * the gripper and lift away. Nothing undoes an overshoot (the drawer cannot pull the block back): stopping in
     * time is the foresight the task asks for.
     */
    private double[] drawerPush(World w) {
        int b = task.object();
        boolean arrived = w.objY(b) <= w.padY(task.pad()) + 0.005;
        if (w.holdingHandle()) {
            if (arrived || released) {
                released = true;
                return new double[] {0, 0, 0, -1};
            }
            return new double[] {0, -1, 0, 1};
        }
        if (released || arrived) return new double[] {0, 0, 1, -1};
        if (w.held() >= 0) return new double[] {0, 0, -1, w.eeLow() ? -1 : 1};
        return approachAndGrasp(w, w.handleX(), w.handleY());
    }

    private double[] closeDrawer(World w) {
        double[] a = new double[4];
        a[3] = -1;
        if (w.holdingHandle() || w.held() >= 0) {
            a[2] = w.held() >= 0 ? -1 : 0;
            return a;
        }
        double front = w.drawerFrontY();
        double cx = w.cabinetX();
        if (pushing) {
            if (!w.eeLow() || Math.abs(w.eeX() - cx) > 0.04 || w.eeY() < front - World.EE_R - 0.06) pushing = false;
        } else if (w.eeLow() && Math.abs(w.eeX() - cx) < 0.02 && w.eeY() < front - World.EE_R + 0.005
                && w.eeY() > front - World.EE_R - 0.05) {
            pushing = true;
        }
        if (pushing) {
            a[0] = World.clamp((cx - w.eeX()) / World.MAX_STEP, -1, 1);
            a[1] = 1;
            a[2] = -1;
            return a;
        }
        double tx = cx, ty = front - World.EE_R - 0.03;
        double dx = tx - w.eeX(), dy = ty - w.eeY();
        double d = Math.sqrt(dx * dx + dy * dy);
        if (d > ALIGN) {
            if (w.eeZ() < HIGH - 0.05 && d > 0.03) {
                a[2] = 1;
                if (w.eeZ() > World.LOW_Z + 0.05) setMove(a, dx, dy);
            } else {
                setMove(a, dx, dy);
                a[2] = d > 0.03 ? 1 : 0;
            }
        } else {
            setMove(a, dx, dy);
            a[2] = -1;
        }
        return a;
    }

    /** Sets a[0..1] to the displacement (dx, dy) in action units, limited to unit length. */
    private static void setMove(double[] a, double dx, double dy) {
        double vx = dx / World.MAX_STEP, vy = dy / World.MAX_STEP;
        double n = Math.sqrt(vx * vx + vy * vy);
        if (n > 1) {
            vx /= n;
            vy /= n;
        }
        a[0] = vx;
        a[1] = vy;
    }
}
