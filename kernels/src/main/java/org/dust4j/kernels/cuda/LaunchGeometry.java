package org.dust4j.kernels.cuda;

/**
 * Grid and block sizes for every kernel family, in one place (each .cu header names the helper it uses).
 * Pure arithmetic, unit-tested on the CPU. A launch is {@code grid[3], block[3], dynamic shared bytes}.
 */
public final class LaunchGeometry {
    private LaunchGeometry() {}

    public record Launch(int[] grid, int[] block, int smemBytes) {
        public long threads() { return (long) grid[0] * grid[1] * grid[2] * block[0] * block[1] * block[2]; }
    }

    /** Threads per block of the 1-D element-wise kernels. */
    public static final int THREADS = 256;
    /** Cap on the 1-D grid (the kernels are grid-stride loops, so any n fits). */
    public static final int MAX_ELEMENTWISE_BLOCKS = 65535 * 4;
    /** Fixed grid of the deterministic two-stage sums (sumAll, sumSquares, flow loss). */
    public static final int SUM_BLOCKS = 264;
    /** Largest gridDim.y / gridDim.z. */
    public static final int MAX_GRID_YZ = 65535;
    /** Attention: threads per block and keys/queries per shared-memory tile (attention.cu). */
    public static final int ATT_THREADS = 128, ATT_TILE = 32;
    /** Tiled GEMM output tile (gemm_tile.cuh). */
    public static final int GEMM_TILE = 64;
    /** Static shared memory available without opt-in. */
    public static final int SMEM_LIMIT = 48 * 1024;

    public static long ceilDiv(long a, long b) { return (a + b - 1) / b; }

    /** 1-D grid-stride launch over n elements (at least one block, so n = 0 still has a legal shape). */
    public static Launch elementwise(long n) {
        int blocks = (int) Math.max(1, Math.min(ceilDiv(n, THREADS), MAX_ELEMENTWISE_BLOCKS));
        return new Launch(new int[] {blocks, 1, 1}, new int[] {THREADS, 1, 1}, 0);
    }

    /** One block per row (norms, softmax, row reductions), with {@code smemFloats} floats of dynamic shared memory. */
    public static Launch rows(long rows, int smemFloats) {
        if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException("rows: " + rows + " rows exceed the 1-D grid limit");
        int smem = smemFloats * 4;
        if (smem > SMEM_LIMIT) {
            throw new IllegalArgumentException("rows: a row of " + smemFloats + " floats of shared memory exceeds " + SMEM_LIMIT + " bytes");
        }
        return new Launch(new int[] {(int) Math.max(rows, 1), 1, 1}, new int[] {THREADS, 1, 1}, smem);
    }

    /** Shared floats a norm kernel needs: the row (forward) or the row and its gradient (backward). */
    public static int normSmemFloats(int d, boolean backward) { return backward ? 2 * d : d; }

    /** Grouped column sums (norm parameter grads, AdaLN modulation grads): block (32, 8), grid (ceil(d/32), groups). */
    public static Launch groupedColumns(int d, int groups) {
        checkYZ("groupedColumns", groups);
        return new Launch(new int[] {(int) ceilDiv(d, 32), groups, 1}, new int[] {32, 8, 1}, 0);
    }

    /** Head-dim lanes per row in attention.cu: 8 for 128, else 4. */
    public static int attentionLanes(int headDim) {
        checkHeadDim(headDim);
        return headDim == 128 ? 8 : 4;
    }

    /** Query (or key) rows per attention block: 128 threads / lanes. */
    public static int attentionRows(int headDim) { return ATT_THREADS / attentionLanes(headDim); }

    public static boolean attentionHeadDimSupported(int headDim) {
        return headDim == 32 || headDim == 48 || headDim == 64 || headDim == 128;
    }

    static void checkHeadDim(int headDim) {
        if (!attentionHeadDimSupported(headDim)) {
            throw new IllegalArgumentException("attention: head dim " + headDim + " has no CUDA kernel (32, 48, 64, 128)");
        }
    }

    /** Attention forward / dQ: grid (ceil(Tq/rows), B*H); dK/dV: the same over Tk. */
    public static Launch attention(int t, int batchHeads, int headDim) {
        checkYZ("attention", batchHeads);
        int rows = attentionRows(headDim);
        return new Launch(new int[] {(int) Math.max(1, ceilDiv(t, rows)), batchHeads, 1}, new int[] {ATT_THREADS, 1, 1}, 0);
    }

    /** Static shared memory of an attention block: two [32, headDim] float tiles (+ 2*32 floats for dK/dV). */
    public static int attentionSmemBytes(int headDim, boolean dkdv) {
        return 2 * ATT_TILE * headDim * 4 + (dkdv ? 2 * ATT_TILE * 4 : 0);
    }

    /** delta = rowsum(dO * O): 8 warps per block, one row per warp. */
    public static Launch attentionDelta(long rows) {
        return new Launch(new int[] {(int) Math.max(1, ceilDiv(rows, 8)), 1, 1}, new int[] {256, 1, 1}, 0);
    }

    /** 64x64 GEMM tiles: grid (ceil(n/64), ceil(m/64), batch), block (16, 16). */
    public static Launch gemmTiles(int m, int n, int batch) {
        checkYZ("gemm", (int) ceilDiv(m, GEMM_TILE));
        checkYZ("gemm", batch);
        return new Launch(new int[] {(int) Math.max(1, ceilDiv(n, GEMM_TILE)), (int) Math.max(1, ceilDiv(m, GEMM_TILE)), Math.max(1, batch)},
                new int[] {16, 16, 1}, 0);
    }

    static void checkYZ(String op, long v) {
        if (v > MAX_GRID_YZ) throw new IllegalArgumentException(op + ": " + v + " exceeds the grid y/z limit " + MAX_GRID_YZ);
    }
}
