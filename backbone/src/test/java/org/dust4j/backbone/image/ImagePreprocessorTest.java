package org.dust4j.backbone.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pixel_values layout and values (contract 4.1), config reading, image file loading. */
class ImagePreprocessorTest {
    @TempDir Path tmp;

    @Test
    void pixelValuesLayoutAndFormula() {
        // 2 frames of 2x2; u = distinct values so that a transposed layout would be caught.
        byte[] nhwc = new byte[2 * 2 * 2 * 3];
        for (int i = 0; i < nhwc.length; i++) nhwc[i] = (byte) (i * 11);
        Tensor pv = ImagePreprocessor.forImageSize(2).pixelValues(nhwc, 2);
        assertArrayEquals(new int[] {2, 3, 2, 2}, pv.shape());
        float[] v = pv.toFloatArray();
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 2; y++) {
                    for (int x = 0; x < 2; x++) {
                        int u = nhwc[((n * 2 + y) * 2 + x) * 3 + c] & 0xFF;
                        double want = u / 127.5 - 1; // the contract's formula in double
                        // tolerance: one float32 rounding of a value in [-1, 1]
                        assertEquals(want, v[((n * 3 + c) * 2 + y) * 2 + x], 6e-8, "n" + n + " c" + c + " y" + y + " x" + x);
                    }
                }
            }
        }
        assertEquals(-1f, ImagePreprocessor.forImageSize(1).pixelValues(new byte[3], 1).toFloatArray()[0]);
        assertEquals(1f, ImagePreprocessor.forImageSize(1).pixelValues(new byte[] {-1, -1, -1}, 1).toFloatArray()[0]);
    }

    @Test
    void wrongSizesAreRefused() {
        ImagePreprocessor p = ImagePreprocessor.forImageSize(4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.pixelValues(List.of(U8Image.of(new byte[48], 4, 4), U8Image.of(new byte[36], 3, 4))));
        assertTrue(e.getMessage().contains("image 1 is 3x4, not 4x4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.pixelValues(List.of()));
        assertThrows(IllegalArgumentException.class, () -> p.pixelValues(new byte[47], 1));
        Tensor t = p.resizeAndPreprocess(List.of(U8Image.of(new byte[36], 3, 4)));
        assertArrayEquals(new int[] {1, 3, 4, 4}, t.shape());
    }

    @Test
    void sizeFromConfig() throws IOException {
        Path c = tmp.resolve("config.json");
        Files.writeString(c, "{\"model_type\": \"gr00t_n1_5\", \"backbone_cfg\": {}}");
        assertEquals(224, ImagePreprocessor.fromConfig(c).imageSize());
        Files.writeString(c, "{\"eagle_config\": {\"force_image_size\": 28, \"vision_config\": {\"image_size\": 28}}}");
        assertEquals(28, ImagePreprocessor.fromConfig(c).imageSize());
        Files.writeString(c, "{\"eagle_config\": {\"force_image_size\": 30, \"vision_config\": {\"image_size\": 28}}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.fromConfig(c));
        assertTrue(e.getMessage().contains("force_image_size is 30"), e.getMessage());
        Files.writeString(c, "{\"eagle_config\": {\"vision_config\": {\"image_size\": 2.5}}}");
        e = assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.fromConfig(c));
        assertTrue(e.getMessage().contains("eagle_config.vision_config.image_size is 2.5"), e.getMessage());
    }

    @Test
    void readsPngJpegGrayAndPalette() throws IOException {
        BufferedImage rgb = new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 3; y++) for (int x = 0; x < 5; x++) rgb.setRGB(x, y, (x * 40 << 16) | (y * 90 << 8) | 7);
        Path png = tmp.resolve("a.png");
        ImageIO.write(rgb, "png", png.toFile());
        U8Image a = U8Image.read(png);
        assertEquals(3, a.height());
        assertEquals(5, a.width());
        assertEquals(160, a.get(1, 4, 0));
        assertEquals(90, a.get(1, 4, 1));
        assertEquals(7, a.get(1, 4, 2));

        BufferedImage gray = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(1, 0, 0, 77);
        Path gp = tmp.resolve("g.png");
        ImageIO.write(gray, "png", gp.toFile());
        U8Image g = U8Image.read(gp);
        assertEquals(77, g.get(0, 1, 0), "gray samples are taken as they are (no color-space conversion)");
        assertEquals(77, g.get(0, 1, 2));

        BufferedImage pal = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED);
        pal.setRGB(1, 0, 0xFF0000);
        Path pp = tmp.resolve("p.png");
        ImageIO.write(pal, "png", pp.toFile());
        assertEquals(255, U8Image.read(pp).get(0, 1, 0));

        BufferedImage flat = new BufferedImage(16, 8, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 8; y++) for (int x = 0; x < 16; x++) flat.setRGB(x, y, 0x3C78B4);
        Path jp = tmp.resolve("f.jpg");
        ImageIO.write(flat, "jpeg", jp.toFile());
        U8Image j = U8Image.read(jp);
        assertEquals(8, j.height());
        // tolerance: JPEG is lossy (chroma subsampling, quantization) even on a flat color
        assertEquals(0x3C, j.get(4, 8, 0), 4);
        assertEquals(0x78, j.get(4, 8, 1), 4);
        assertEquals(0xB4, j.get(4, 8, 2), 4);
    }

    @Test
    void badFilesNameTheFile() throws IOException {
        assertThrows(NoSuchFileException.class, () -> U8Image.read(tmp.resolve("none.png")));
        Path junk = tmp.resolve("junk.png");
        Files.writeString(junk, "not an image");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> U8Image.read(junk));
        assertTrue(e.getMessage().startsWith(junk.toString()), e.getMessage());
        BufferedImage deep = new BufferedImage(2, 2, BufferedImage.TYPE_USHORT_GRAY);
        Path dp = tmp.resolve("d.png");
        ImageIO.write(deep, "png", dp.toFile());
        e = assertThrows(IllegalArgumentException.class, () -> U8Image.read(dp));
        assertTrue(e.getMessage().contains(dp.toString()) && e.getMessage().contains("unsupported image layout"),
                e.getMessage());
    }
}
