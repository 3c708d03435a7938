package org.dust4j.sim;

/**
 * The camera images of one time step: RGB bytes, {@code [size, size, 3]} row-major, channels last.
 *
 * @param top       the top view of the whole table
 * @param topSize   its side in pixels
 * @param wrist     the wrist view (a zoomed crop that follows the gripper)
 * @param wristSize its side in pixels
 */
public record Frame(byte[] top, int topSize, byte[] wrist, int wristSize) {
    /** Renders both views of {@code w}. */
    public static Frame render(Renderer r, World w) {
        return new Frame(r.render(w, Renderer.View.TOP), r.size(Renderer.View.TOP),
                r.render(w, Renderer.View.WRIST), r.size(Renderer.View.WRIST));
    }

    /** Pixel {@code (row, col)} channel {@code ch} of the top view in [0, 1]. */
    public float topAt(int row, int col, int ch) {
        return (top[(row * topSize + col) * 3 + ch] & 0xff) / 255f;
    }
}
