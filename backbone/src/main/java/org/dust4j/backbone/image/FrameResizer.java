package org.dust4j.backbone.image;

/**
 * Resizes a camera frame to the backbone's S x S input the way GR00T-N1.5's eval transforms do
 * (gr00t/data/transform/video.py: VideoToTensor, optional VideoCrop, VideoResize, VideoToNumpy):
 * <ol>
 *   <li>x = u / 255 in float32 (CHW);</li>
 *   <li>optional center crop (off unless {@link #withCenterCrop(double)}): h' = (int) (H * scale),
 *       w' = (int) (W * scale), top = round-half-even((H - h') / 2), left likewise; GR00T's data configs use
 *       scale 0.95 (VideoCrop in eval mode);</li>
 *   <li>bilinear resize to S x S with antialiasing, align_corners false: PyTorch's
 *       {@code interpolate(mode="bilinear", antialias=True)} (what torchvision's Resize runs on float tensors),
 *       separable, width pass first then height, float32. Per output index i along an axis of input length n
 *       and output length m: scale = n / m, support = max(scale, 1), center = scale (i + 0.5),
 *       taps j in [max(trunc(center - support + 0.5), 0), min(trunc(center + support + 0.5), n)), weight
 *       max(0, 1 - |(j - center + 0.5) / max(scale, 1)|), weights normalized to sum 1. Downsampling therefore
 *       averages over a triangle of width 2 scale (antialias), upsampling is plain bilinear with edge
 *       clamping; same-size axes are the identity;</li>
 *   <li>back to U8 by (int) (y * 255) (truncation toward zero, as {@code tensor.to(torch.uint8)}).</li>
 * </ol>
 * The taps and weights follow PyTorch's CPU kernel operation by operation (float32 with its double-precision
 * intermediates) and agree with it bit for bit; the weighted sums use the kernel's source order with every
 * operation rounded, while a compiled PyTorch contracts some of them into fused multiply-adds in a
 * build-dependent way. The float result therefore differs from PyTorch's by at most 2^-22 (about 2 ulp), and,
 * because step 4 truncates, a U8 value can differ by one where y * 255 lies within that distance of an
 * integer (about 1-2% of the samples in flat image regions, none elsewhere). PyTorch builds differ among
 * themselves in the same way. The contract itself (section 4.1) starts from an S x S U8 frame: this step is
 * GR00T's data pipeline, not part of backbone-contract.md.
 */
public final class FrameResizer {
    private final int size;
    private final double cropScale; // 0: no crop

    private FrameResizer(int size, double cropScale) {
        this.size = size;
        this.cropScale = cropScale;
    }

    /** Resizes to size x size without cropping. */
    public static FrameResizer toSize(int size) {
        U8Image.checkSize(size, size, "output");
        return new FrameResizer(size, 0);
    }

    /** The same resizer with a center crop of the given scale (0 < scale <= 1) before resizing. */
    public FrameResizer withCenterCrop(double scale) {
        if (!(scale > 0 && scale <= 1)) throw new IllegalArgumentException("crop scale must be in (0, 1], got " + scale);
        return new FrameResizer(size, scale);
    }

    public int size() {
        return size;
    }

    /** The crop scale, or 0 when there is no crop. */
    public double cropScale() {
        return cropScale;
    }

    /** The resized, quantized frame. */
    public U8Image apply(U8Image frame) {
        return quantize(resizeFloat(frame), size);
    }

    /**
     * The resized frame before quantization: float32 CHW [3, size, size], values in [0, 1] up to rounding.
     */
    public float[] resizeFloat(U8Image frame) {
        int h = frame.height();
        int w = frame.width();
        int top = 0;
        int left = 0;
        if (cropScale > 0) {
            int ch = (int) (h * cropScale);
            int cw = (int) (w * cropScale);
            if (ch < 1 || cw < 1) {
                throw new IllegalArgumentException("a " + cropScale + " center crop of a " + h + "x" + w
                        + " frame is empty");
            }
            top = (int) Math.rint((h - ch) / 2.0);
            left = (int) Math.rint((w - cw) / 2.0);
            h = ch;
            w = cw;
        }
        byte[] src = frame.rgb();
        int fw = frame.width();
        float[] x = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int xx = 0; xx < w; xx++) {
                    x[(c * h + y) * w + xx] = (float) (src[((y + top) * fw + xx + left) * 3 + c] & 0xFF) / 255f;
                }
            }
        }
        // width pass: [3, h, w] -> [3, h, size]
        Taps tw = Taps.of(w, size);
        float[] t = new float[3 * h * size];
        for (int row = 0; row < 3 * h; row++) {
            for (int j = 0; j < size; j++) t[row * size + j] = tw.apply(x, row * w, 1, j);
        }
        // height pass: [3, h, size] -> [3, size, size]
        Taps th = Taps.of(h, size);
        float[] out = new float[3 * size * size];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) {
                    out[(c * size + i) * size + j] = th.apply(t, c * h * size + j, size, i);
                }
            }
        }
        return out;
    }

    /** (int) (v * 255) per sample, CHW float -> HWC U8. */
    static U8Image quantize(float[] chw, int size) {
        byte[] out = new byte[size * size * 3];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < size * size; p++) {
                float v = chw[c * size * size + p] * 255f;
                int q = (int) v; // truncation toward zero; NaN cannot occur (finite inputs, weights > 0)
                out[p * 3 + c] = (byte) Math.max(0, Math.min(255, q));
            }
        }
        return U8Image.of(out, size, size);
    }

    /** Antialiased bilinear taps of one axis, computed as PyTorch's CPU kernel does (float32). */
    static final class Taps {
        final int[] min;
        final int[] count;
        final float[][] weights;

        private Taps(int[] min, int[] count, float[][] weights) {
            this.min = min;
            this.count = count;
            this.weights = weights;
        }

        static Taps of(int in, int out) {
            float scale = (float) in / (float) out;
            float support = scale >= 1.0f ? (float) (1.0 * scale) : 1.0f; // (interp_size 2 * 0.5) * scale
            float invscale = scale >= 1.0f ? (float) (1.0 / scale) : 1.0f;
            int[] min = new int[out];
            int[] count = new int[out];
            float[][] weights = new float[out][];
            for (int i = 0; i < out; i++) {
                float center = (float) (scale * (i + 0.5));
                int xmin = (int) Math.max((long) ((double) (center - support) + 0.5), 0L);
                int xsize = (int) (Math.min((long) ((double) (center + support) + 0.5), in) - xmin);
                float[] wt = new float[Math.max(xsize, 0)];
                float total = 0f;
                for (int j = 0; j < xsize; j++) {
                    float arg = (float) (((double) ((float) (j + xmin) - center) + 0.5) * invscale);
                    float w = filter(arg);
                    wt[j] = w;
                    total += w;
                }
                if (total != 0f) {
                    for (int j = 0; j < xsize; j++) wt[j] /= total;
                }
                min[i] = xmin;
                count[i] = xsize;
                weights[i] = wt;
            }
            return new Taps(min, count, weights);
        }

        private static float filter(float x) {
            if (x < 0f) x = -x;
            return x < 1f ? (float) (1.0 - x) : 0f;
        }

        /**
         * sum_j src[base + (min[i] + j) * stride] * w[i][j] in float32, left to right, each product and each
         * sum rounded: the operation order of PyTorch's kernel source. (A compiled PyTorch may contract some of
         * these into fused multiply-adds, depending on the build: see the class comment.)
         */
        float apply(float[] src, int base, int stride, int i) {
            float[] wt = weights[i];
            if (wt.length == 0) return 0f;
            int p = base + min[i] * stride;
            float acc = src[p] * wt[0];
            for (int j = 1; j < wt.length; j++) acc += src[p + j * stride] * wt[j];
            return acc;
        }
    }
}
