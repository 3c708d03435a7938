package org.dust4j.backbone.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dust4j.tensor.Tensor;

/**
 * Turns S x S U8 RGB frames into the backbone's {@code pixel_values} (backbone-contract.md section 4.1):
 * F32 [N, 3, S, S], channel order R, G, B, rows top to bottom, and
 * {@code pixel_values[n, c, y, x] = (u - 127.5) / 127.5} in float32, which is the contract's
 * (u / 255 - 0.5) / 0.5 = u / 127.5 - 1 correctly rounded (GR00T's fast Eagle processor computes it this
 * way: rescale 1/255 fused with mean = std = 0.5). Frames of another size are refused, as the contract says;
 * {@link #resizeAndPreprocess(List)} first brings any frame to S x S with a {@link FrameResizer} (GR00T's
 * VideoResize: antialiased bilinear).
 */
public final class ImagePreprocessor {
    /** N1.5's image side S. */
    public static final int DEFAULT_IMAGE_SIZE = 224;
    /** Upper bound on frames per call. */
    public static final int MAX_IMAGES = 4096;

    private final int size;
    private final FrameResizer resizer;

    private ImagePreprocessor(int size, FrameResizer resizer) {
        this.size = size;
        this.resizer = resizer;
    }

    /** For image side {@code size} (S), resizing without crop. */
    public static ImagePreprocessor forImageSize(int size) {
        return new ImagePreprocessor(size, FrameResizer.toSize(size));
    }

    /**
     * S from a gr00t_n1_5 config.json: {@code eagle_config.vision_config.image_size}, 224 when absent
     * (backbone-contract.md section 2: missing keys take the N1.5 values); {@code eagle_config.force_image_size}
     * must be null/absent or equal to it.
     *
     * @throws IllegalArgumentException naming the key for a non-integer, non-positive or inconsistent value
     */
    public static ImagePreprocessor fromConfig(Path configJson) throws IOException {
        if (Files.size(configJson) > (64L << 20)) {
            throw new IllegalArgumentException(configJson + ": larger than 64 MiB, not a config.json");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(configJson.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(configJson + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        JsonNode eagle = root.path("eagle_config");
        JsonNode s = eagle.path("vision_config").path("image_size");
        int size = DEFAULT_IMAGE_SIZE;
        if (!s.isMissingNode() && !s.isNull()) {
            if (!s.isIntegralNumber() || !s.canConvertToInt() || s.intValue() < 1) {
                throw new IllegalArgumentException(configJson + ": eagle_config.vision_config.image_size is " + s
                        + ", not a positive integer");
            }
            size = s.intValue();
        }
        JsonNode force = eagle.path("force_image_size");
        if (!force.isMissingNode() && !force.isNull() && !(force.isIntegralNumber() && force.intValue() == size)) {
            throw new IllegalArgumentException(configJson + ": eagle_config.force_image_size is " + force
                    + " but vision_config.image_size is " + size);
        }
        return forImageSize(size);
    }

    /** The same preprocessor with another resizer (for example with GR00T's 0.95 center crop). */
    public ImagePreprocessor withResizer(FrameResizer resizer) {
        if (resizer.size() != size) {
            throw new IllegalArgumentException("resizer size " + resizer.size() + " differs from image size " + size);
        }
        return new ImagePreprocessor(size, resizer);
    }

    /** S, the image side. */
    public int imageSize() {
        return size;
    }

    public FrameResizer resizer() {
        return resizer;
    }

    /** pixel_values [N, 3, S, S] of S x S frames (refuses other sizes, naming the frame). */
    public Tensor pixelValues(List<U8Image> frames) {
        checkCount(frames.size());
        float[] out = new float[frames.size() * 3 * size * size];
        for (int n = 0; n < frames.size(); n++) {
            U8Image f = frames.get(n);
            if (f.height() != size || f.width() != size) {
                throw new IllegalArgumentException("image " + n + " is " + f.height() + "x" + f.width()
                        + ", not " + size + "x" + size + " (resize it first: resizeAndPreprocess)");
            }
            normalize(f.rgb(), 0, out, n * 3 * size * size, size);
        }
        return Tensor.of(out, frames.size(), 3, size, size);
    }

    /**
     * pixel_values [N, 3, S, S] of an {@code images [N, S, S, 3]} U8 input given as its raw bytes (NHWC).
     */
    public Tensor pixelValues(byte[] nhwc, int n) {
        checkCount(n);
        long per = 3L * size * size;
        if (nhwc.length != n * per) {
            throw new IllegalArgumentException("images of " + n + " x " + size + " x " + size + " x 3 need "
                    + n * per + " bytes, got " + nhwc.length);
        }
        float[] out = new float[(int) (n * per)];
        for (int i = 0; i < n; i++) normalize(nhwc, (int) (i * per), out, (int) (i * per), size);
        return Tensor.of(out, n, 3, size, size);
    }

    /** Resizes every frame to S x S with {@link #resizer()} (any input size), then {@link #pixelValues(List)}. */
    public Tensor resizeAndPreprocess(List<U8Image> frames) {
        checkCount(frames.size());
        return pixelValues(frames.stream().map(resizer::apply).toList());
    }

    private static void checkCount(int n) {
        if (n < 1 || n > MAX_IMAGES) {
            throw new IllegalArgumentException("number of images must be in [1, " + MAX_IMAGES + "], got " + n);
        }
    }

    /** HWC bytes at src[from..] -> CHW floats at dst[to..]. */
    private static void normalize(byte[] src, int from, float[] dst, int to, int s) {
        int plane = s * s;
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                dst[to + c * plane + p] = ((src[from + p * 3 + c] & 0xFF) - 127.5f) / 127.5f;
            }
        }
    }
}
