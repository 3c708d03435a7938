package org.dust4j.backbone.image;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * An 8-bit RGB frame, rows top to bottom: {@code rgb[(y * width + x) * 3 + c]} (HWC, c = 0 R, 1 G, 2 B), the
 * layout of GR00T's camera frames and of the contract's {@code images [N, S, S, 3]} U8 input.
 */
public final class U8Image {
    /** Largest accepted side, and largest pixel count, of a frame. */
    public static final int MAX_SIDE = 1 << 15;
    public static final long MAX_PIXELS = 1L << 26;

    private final int height;
    private final int width;
    private final byte[] rgb;

    private U8Image(int height, int width, byte[] rgb) {
        this.height = height;
        this.width = width;
        this.rgb = rgb;
    }

    /**
     * Wraps (does not copy) HWC RGB bytes.
     *
     * @throws IllegalArgumentException on non-positive or too large sizes, or a length that does not match
     */
    public static U8Image of(byte[] rgb, int height, int width) {
        checkSize(height, width, "frame");
        if (rgb.length != (long) height * width * 3) {
            throw new IllegalArgumentException("frame of " + height + "x" + width + " needs " + (long) height * width * 3
                    + " bytes, got " + rgb.length);
        }
        return new U8Image(height, width, rgb);
    }

    static void checkSize(int height, int width, String what) {
        if (height < 1 || width < 1 || height > MAX_SIDE || width > MAX_SIDE || (long) height * width > MAX_PIXELS) {
            throw new IllegalArgumentException(what + " size " + height + "x" + width + " is outside 1.." + MAX_SIDE
                    + " per side and " + MAX_PIXELS + " pixels");
        }
    }

    /**
     * The RGB samples of a {@link BufferedImage}, taken from its raster without color conversion: 8-bit gray
     * (replicated to R, G, B), gray + alpha, RGB and RGBA (alpha dropped) component or packed layouts, and
     * palette images (through the palette). Other layouts (16-bit samples, CMYK, ...) are refused.
     */
    public static U8Image fromBufferedImage(BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        checkSize(h, w, "image");
        byte[] out = new byte[h * w * 3];
        Raster r = img.getRaster();
        var cm = img.getColorModel();
        int bands = r.getNumBands();
        if (cm instanceof IndexColorModel) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int argb = img.getRGB(x, y); // palette lookup: exact
                    int o = (y * w + x) * 3;
                    out[o] = (byte) (argb >> 16);
                    out[o + 1] = (byte) (argb >> 8);
                    out[o + 2] = (byte) argb;
                }
            }
            return new U8Image(h, w, out);
        }
        boolean eightBit = true;
        for (int b = 0; b < bands; b++) eightBit &= r.getSampleModel().getSampleSize(b) == 8;
        boolean known = (cm instanceof ComponentColorModel || cm instanceof DirectColorModel)
                && eightBit && (bands >= 1 && bands <= 4)
                && cm.getColorSpace().getNumComponents() == (bands <= 2 ? 1 : 3)
                && (r.getDataBuffer().getDataType() == DataBuffer.TYPE_BYTE || cm instanceof DirectColorModel);
        if (!known) {
            throw new IllegalArgumentException("unsupported image layout (" + bands + " bands, sample sizes "
                    + java.util.Arrays.toString(r.getSampleModel().getSampleSize()) + ", "
                    + cm.getClass().getSimpleName() + "): only 8-bit gray, gray+alpha, RGB, RGBA and palette images");
        }
        int[] px = new int[bands];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.getPixel(x, y, px);
                int o = (y * w + x) * 3;
                if (bands <= 2) {
                    out[o] = out[o + 1] = out[o + 2] = (byte) px[0];
                } else {
                    out[o] = (byte) px[0];
                    out[o + 1] = (byte) px[1];
                    out[o + 2] = (byte) px[2];
                }
            }
        }
        return new U8Image(h, w, out);
    }

    /**
     * Reads a PNG or JPEG (any format javax.imageio reads) file; its size is checked before decoding.
     *
     * @throws IOException if the file is missing or unreadable
     * @throws IllegalArgumentException if it is not an image ImageIO can read, too large, or of an
     *     unsupported layout (the message names the file)
     */
    public static U8Image read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IllegalArgumentException(file + ": not an image format javax.imageio can read (PNG, JPEG, ...)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                checkSize(h, w, file + ": image");
                return fromBufferedImage(reader.read(0));
            } catch (IllegalArgumentException e) {
                throw e.getMessage() != null && e.getMessage().startsWith(file.toString()) ? e
                        : new IllegalArgumentException(file + ": " + e.getMessage(), e);
            } catch (javax.imageio.IIOException e) {
                throw new IllegalArgumentException(file + ": cannot decode the image (" + e.getMessage() + ")", e);
            } finally {
                reader.dispose();
            }
        }
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** The sample at row y, column x, channel c (0..255). */
    public int get(int y, int x, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    /** The HWC bytes (shared, not copied: do not modify). */
    public byte[] rgb() {
        return rgb;
    }
}
