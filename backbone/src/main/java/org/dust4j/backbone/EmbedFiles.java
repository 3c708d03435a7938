package org.dust4j.backbone;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.dust4j.backbone.image.ImagePreprocessor;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsException;
import org.dust4j.weights.SafetensorsFile;
import org.dust4j.weights.SafetensorsWriter;
import org.dust4j.weights.TensorInfo;

/**
 * The files of {@code dust4j embed} (backbone-contract.md section 5): reads and validates IN before any work, writes
 * OUT atomically. Every refusal is one line naming the tensor.
 */
public final class EmbedFiles {
    private EmbedFiles() {}

    /** Validated inputs: pixel_values [N, 3, S, S] F32 (images already converted, 4.1), ids and mask [B, L] I64. */
    public record Inputs(Tensor pixelValues, Tensor inputIds, Tensor attentionMask) {}

    /** Largest element count of one input or activation we accept (Java arrays are int-indexed). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 16;

    public static Inputs read(Path file, BackboneConfig c) throws SafetensorsException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("inputs: no such file " + file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            boolean pv = f.contains("pixel_values"), im = f.contains("images");
            if (pv == im) {
                throw new IllegalArgumentException("inputs: " + file + " must hold exactly one of pixel_values and images, it has "
                        + (pv ? "both" : "neither"));
            }
            for (String n : new String[] {"input_ids", "attention_mask"}) {
                if (!f.contains(n)) throw new IllegalArgumentException("inputs: " + file + " has no " + n);
            }
            int s = c.imageSize();
            Tensor pixels;
            if (pv) {
                TensorInfo i = f.info("pixel_values");
                dtype(i, SafeDType.F32, SafeDType.F16, SafeDType.BF16);
                long[] sh = i.shape();
                if (sh.length != 4 || sh[1] != 3 || sh[2] != s || sh[3] != s) {
                    throw new IllegalArgumentException("inputs: pixel_values is " + i.shapeString() + ", expected [N, 3, " + s + ", " + s + "]");
                }
                images(i, sh[0]);
                pixels = f.toTensor("pixel_values", DType.F32);
            } else {
                TensorInfo i = f.info("images");
                dtype(i, SafeDType.U8);
                long[] sh = i.shape();
                if (sh.length != 4 || sh[1] != s || sh[2] != s || sh[3] != 3) {
                    throw new IllegalArgumentException("inputs: images is " + i.shapeString() + ", expected [N, " + s + ", " + s + ", 3] (U8 RGB;"
                            + " frames of another size must be resized to " + s + "x" + s + " first)");
                }
                images(i, sh[0]);
                pixels = pixelValues(f.toTensor("images"));
            }
            TensorInfo ids = f.info("input_ids"), mask = f.info("attention_mask");
            dtype(ids, SafeDType.I64, SafeDType.I32);
            dtype(mask, SafeDType.I64, SafeDType.I32);
            if (ids.rank() != 2 || !Arrays.equals(ids.shape(), mask.shape())) {
                throw new IllegalArgumentException("inputs: input_ids " + ids.shapeString() + " and attention_mask " + mask.shapeString()
                        + " must have one [B, L] shape");
            }
            long b = ids.shape()[0], l = ids.shape()[1];
            if (b < 1 || l < 1 || b * l * Math.max(c.width(), (long) c.heads() * c.headDim()) > MAX_ELEMENTS
                    || (long) c.heads() * l * l > MAX_ELEMENTS) {
                throw new IllegalArgumentException("inputs: input_ids is " + ids.shapeString() + ": B, L must be >= 1 and B·L·D, H·L² at most 2^31");
            }
            return new Inputs(pixels, f.toTensor("input_ids", DType.I64), f.toTensor("attention_mask", DType.I64));
        }
    }

    private static void dtype(TensorInfo i, SafeDType... ok) {
        for (SafeDType d : ok) if (i.dtype() == d) return;
        throw new IllegalArgumentException("inputs: " + i.name() + " " + i.shapeString() + " has dtype " + i.dtype() + ", expected "
                + String.join(" or ", Arrays.stream(ok).map(Enum::name).toList()));
    }

    private static void images(TensorInfo i, long n) {
        if (n < 1) throw new IllegalArgumentException("inputs: " + i.name() + " is " + i.shapeString() + ": N must be >= 1");
        if (i.numel() > MAX_ELEMENTS) throw new IllegalArgumentException("inputs: " + i.name() + " is " + i.shapeString() + ": too many images");
    }

    /**
     * Section 4.1: U8 [N, S, S, 3] (an integer tensor with values 0..255, as a U8 input is read) -> pixel_values
     * [N, 3, S, S] through {@link ImagePreprocessor} (u/127.5 - 1, correctly rounded).
     */
    public static Tensor pixelValues(Tensor images) {
        int n = images.size(0), s = images.size(1);
        long[] u = images.toLongArray();
        byte[] b = new byte[u.length];
        for (int i = 0; i < u.length; i++) {
            if (u[i] < 0 || u[i] > 255) throw new IllegalArgumentException("images: value " + u[i] + " at flat index " + i + " is not a U8");
            b[i] = (byte) u[i];
        }
        return ImagePreprocessor.forImageSize(s).pixelValues(b, n);
    }

    /** Writes OUT atomically: backbone_features F32, backbone_attention_mask I64, and with intermediates the two F32 intermediates. */
    public static void write(Path file, EagleBackbone.Output o, boolean intermediates, Map<String, String> metadata) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        SafetensorsWriter w = new SafetensorsWriter().metadata(metadata);
        w.put("backbone_features", o.features(), SafeDType.F32);
        w.put("backbone_attention_mask", o.attentionMask(), SafeDType.I64);
        if (intermediates) {
            w.put("vision_features", o.visionFeatures(), SafeDType.F32);
            w.put("image_embeds", o.imageEmbeds(), SafeDType.F32);
        }
        w.write(file);
    }
}
