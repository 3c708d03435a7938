package org.dust4j.kernels.cuda;

import org.dust4j.tensor.DType;

/**
 * The choice between the tensor-core attention kernels (attention_tc.cu: BF16 mma.sync, FlashAttention-2 tiling)
 * and the F32-unit kernels (attention.cu, the reference): tensor cores for BF16 q/k/v with a head dim that is a
 * multiple of 16 up to 128 on a device of compute capability 8.0 or newer, unless switched off
 * ({@code -Ddust4j.cuda.attentionTc=false} or {@link #setEnabled}). Both kernel sets take the same arguments, so
 * the attention code only swaps the entry name and the launch shape.
 */
public final class AttentionTc {
    private AttentionTc() {}

    /** Threads per block (4 warps) and rows (queries or keys) per block: 16 per warp. */
    public static final int THREADS = 128, ROWS = 64;

    private static volatile boolean enabled = !"false".equalsIgnoreCase(System.getProperty("dust4j.cuda.attentionTc", "true"));

    /** Switches the tensor-core kernels on or off for every CUDA backend (benchmarks and tests compare both). */
    public static void setEnabled(boolean on) { enabled = on; }

    public static boolean enabled() { return enabled; }

    public static boolean headDimSupported(int dh) { return dh == 16 || dh == 32 || dh == 48 || dh == 64 || dh == 128; }

    /** True when attention of this dtype and head dim runs on tensor cores on a device of this compute capability. */
    public static boolean use(DType dtype, int headDim, int ccMajor) {
        return enabled && dtype == DType.BF16 && headDimSupported(headDim) && ccMajor >= 8;
    }

    /** Entry name: role is "fwd", "bwd_dkdv" or "bwd_dq" (the bwd_delta kernel is attention.cu's for both). */
    public static String kernel(String role, int headDim) {
        if (!headDimSupported(headDim)) throw new IllegalArgumentException("attention (tensor cores): head dim " + headDim + " not in 16, 32, 48, 64, 128");
        return "dust_attn_tc_" + role + "_bf16_d" + headDim;
    }

    /** Forward / dQ over T = Tq, dK/dV over T = Tk: grid (ceil(T/64), B*H), block 128. */
    public static LaunchGeometry.Launch launch(int t, int batchHeads) {
        LaunchGeometry.checkYZ("attention", batchHeads);
        return new LaunchGeometry.Launch(new int[] {(int) Math.max(1, LaunchGeometry.ceilDiv(t, ROWS)), batchHeads, 1}, new int[] {THREADS, 1, 1}, 0);
    }

    /** Rows of a shared-memory tile: 32 for head dim 128 (register bound), else 64 (attention_tc.cu TcCfg::TILE). */
    public static int tileRows(int headDim) { return headDim == 128 ? 32 : 64; }

    /** Static shared memory of a block: two padded BF16 tiles (+ two F32 rows of statistics for dK/dV). */
    public static int smemBytes(int headDim, boolean dkdv) {
        int tile = tileRows(headDim);
        return 2 * tile * (headDim + 8) * 2 + (dkdv ? 2 * tile * 4 : 0);
    }
}
