package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Physics rules against hand-computed positions. */
class WorldTest {
    /** An empty-ish world: cabinet far right, objects parked in corners, gripper at (0.5, 0.3). */
    static World blank() {
        World w = new World();
        w.cabX = 0.75;
        w.drawerD = 0;
        w.eeX = 0.5; w.eeY = 0.3; w.eeZ = 1.0; w.grip = 0;
        double[][] park = {{0.08, 0.08}, {0.92, 0.08}, {0.08, 0.7}, {0.3, 0.7}};
        for (int i = 0; i < 4; i++) { w.ox[i] = park[i][0]; w.oy[i] = park[i][1]; }
        w.px[0] = 0.2; w.py[0] = 0.4; w.px[1] = 0.8; w.py[1] = 0.4;
        return w;
    }

    static float[] a(double dx, double dy, double dz, double g) {
        return new float[] {(float) dx, (float) dy, (float) dz, (float) g};
    }

    @Test
    void moveIsScaledAndClipped() {
        World w = blank();
        w.step(a(1, -0.5, 0, -1));
        // 2 substeps of MAX_STEP/2 each: x += 0.03, y -= 0.015 (float -0.5 is exact)
        assertEquals(0.53, w.eeX, 1e-12);
        assertEquals(0.285, w.eeY, 1e-12);
        w.step(a(5, 0, -7, -1));          // clipped to 1 and -1
        assertEquals(0.56, w.eeX, 1e-12);
        assertEquals(0.85, w.eeZ, 1e-12);
        w.step(new float[] {0, 0, 0, 0, 9, 9, 9});   // padded action: extra values ignored
        assertEquals(0.56, w.eeX, 1e-12);
    }

    @Test
    void gripperClosesAtItsRate() {
        World w = blank();
        w.step(a(0, 0, 0, 1));
        assertEquals(0.34, w.grip, 1e-12);
        w.step(a(0, 0, 0, 1));
        assertEquals(0.68, w.grip, 1e-12);
        w.step(a(0, 0, 0, 1));
        assertEquals(1.0, w.grip, 1e-12);
        w.step(a(0, 0, 0, -1));
        assertEquals(0.66, w.grip, 1e-12);
    }

    @Test
    void badActionsAreClearErrors() {
        World w = blank();
        var e = assertThrows(IllegalArgumentException.class, () -> w.step(new float[] {0, 0}));
        assertTrue(e.getMessage().contains("needs 4 values"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> w.step(a(0, Float.NaN, 0, 0)));
        assertTrue(e.getMessage().contains("action[1]"), e.getMessage());
    }

    @Test
    void lowGripperPushesPuckAlongCentreLine() {
        World w = blank();
        w.eeZ = 0;
        w.grip = 1;
        w.ox[World.PUCK] = 0.6; w.oy[World.PUCK] = 0.3;
        // contact distance 0.025 + 0.06 = 0.085; gripper ends at x = 0.53 => puck at 0.615, y unchanged
        w.step(a(1, 0, 0, 1));
        assertEquals(0.53, w.eeX, 1e-12);
        assertEquals(0.615, w.ox[World.PUCK], 1e-12);
        assertEquals(0.3, w.oy[World.PUCK], 1e-12);
    }

    @Test
    void highGripperPassesOverObjects() {
        World w = blank();
        w.ox[World.PUCK] = 0.52; w.oy[World.PUCK] = 0.3;
        w.step(a(1, 0, 0, 1));
        assertEquals(0.52, w.ox[World.PUCK], 0);
        assertEquals(0.3, w.oy[World.PUCK], 0);
    }

    @Test
    void graspCarryOverAndRelease() {
        World w = blank();
        w.eeZ = 0;
        w.ox[World.RED] = 0.51; w.oy[World.RED] = 0.3;       // inside the grasp tolerance: straddled, not pushed
        w.step(a(0, 0, 0, -1));
        assertEquals(0.51, w.ox[World.RED], 0);
        w.step(a(0, 0, 0, 1));
        assertEquals(-1, w.held);
        w.step(a(0, 0, 0, 1));                                // grip crosses 0.5: grasp, object snaps to the gripper
        assertEquals(World.RED, w.held);
        assertEquals(0.5, w.ox[World.RED], 0);
        for (int i = 0; i < 3; i++) w.step(a(0, 0, 1, 1));    // lift to 0.45 (above LOW_Z)
        assertFalse(w.eeLow());
        w.ox[World.BLUE] = 0.56; w.oy[World.BLUE] = 0.3;      // in the path, but we are carrying over it
        w.step(a(1, 0, 0, 1));
        w.step(a(1, 0, 0, 1));
        assertEquals(0.56, w.eeX, 1e-12);
        assertEquals(0.56, w.ox[World.RED], 1e-12);
        assertEquals(0.56, w.ox[World.BLUE], 0);
        for (int i = 0; i < 3; i++) w.step(a(0, 0, -1, 1));   // lowering onto blue pushes blue out of the way
        assertTrue(w.eeLow());
        assertTrue(World.dist(w.ox[World.RED], w.oy[World.RED], w.ox[World.BLUE], w.oy[World.BLUE]) >= 2 * World.BLOCK_R - 1e-12);
        w.step(a(0, 0, 0, -1));
        w.step(a(0, 0, 0, -1));
        assertEquals(-1, w.held);
        World dragged = w.copy();
        w.step(a(0, 0, 1, -1));
        w.step(a(0, 0, 1, -1));                               // lift clear (z = 0.3), then move away
        w.step(a(-1, 0, 0, -1));
        assertEquals(0.56, w.ox[World.RED], 1e-12);           // released where it was put down
        dragged.step(a(-1, 0, 0, -1));                        // moving sideways while low: the jaw drags it along
        assertEquals(0.53 + World.GRASP_TOL, dragged.ox[World.RED], 1e-12);
    }

    @Test
    void puckCannotBeGrasped() {
        World w = blank();
        w.eeZ = 0;
        w.ox[World.PUCK] = 0.5; w.oy[World.PUCK] = 0.3;
        w.step(a(0, 0, 0, 1));
        w.step(a(0, 0, 0, 1));
        assertEquals(-1, w.held);
    }

    @Test
    void drawerPullAndPush() {
        World w = blank();
        w.eeX = w.handleX(); w.eeY = w.handleY(); w.eeZ = 0;
        w.step(a(0, 0, 0, 1));
        w.step(a(0, 0, 0, 1));
        assertTrue(w.holdingHandle);
        w.step(a(0.7, -1, 1, 1));                             // x and lift blocked, y pulls the drawer 0.03
        assertEquals(0.03, w.drawerD, 1e-12);
        assertEquals(0.75, w.eeX, 0);
        assertEquals(0.0, w.eeZ, 0);
        for (int i = 0; i < 10; i++) w.step(a(0, -1, 0, 1));
        assertEquals(World.DRAWER_MAX, w.drawerD, 0);          // clamped at full extension
        w.step(a(0, 0, 0, -1));
        w.step(a(0, 0, 0, -1));
        assertFalse(w.holdingHandle);
        // push the front: gripper 0.06 in front of the face, two steps of 0.03 => front pushed in by the overlap
        w.eeX = 0.75; w.eeY = w.drawerFrontY() - World.EE_R - 0.01; w.eeZ = 0;
        w.step(a(0, 1, 0, -1));
        assertEquals(World.DRAWER_MAX - 0.02, w.drawerD, 1e-12);
        for (int i = 0; i < 20; i++) w.step(a(0, 1, 0, -1));
        assertEquals(0, w.drawerD, 0);
        assertEquals(World.CAB_Y - World.EE_R, w.eeY, 1e-12);  // then the cabinet blocks the gripper
    }

    @Test
    void openingDrawerPushesObjectsAway() {
        World w = blank();
        w.ox[World.RED] = 0.75; w.oy[World.RED] = 0.75;
        w.drawerD = 0.15;
        w.step(a(0, 0, 0, -1));
        assertEquals(w.drawerFrontY() - World.BLOCK_R, w.oy[World.RED], 1e-12);
    }

    @Test
    void objectsStayOnTheTable() {
        World w = blank();
        w.eeZ = 0; w.grip = 1;
        w.eeX = 0.2; w.eeY = 0.3;
        w.ox[World.PUCK] = 0.12; w.oy[World.PUCK] = 0.3;
        for (int i = 0; i < 10; i++) w.step(a(-1, 0, 0, 1));
        assertEquals(World.PUCK_R, w.ox[World.PUCK], 1e-12);
        assertEquals(World.PUCK_R * 2 + World.EE_R, w.eeX, 1e-9);  // the gripper stops against the puck
    }
}
