package org.dust4j.backbone.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * GR00T's frame resize and the contract's pixel_values against PyTorch 1.13
 * (tools/reference/image_fixture.py: F.interpolate bilinear antialias on u8/255, then (y*255).to(uint8)).
 */
class FrameResizerTest {
    static Path dir() {
        for (Path q = Path.of("").toAbsolutePath(); q != null; q = q.getParent()) {
            if (Files.isDirectory(q.resolve("testdata/image"))) return q.resolve("testdata/image");
        }
        throw new IllegalStateException("no testdata/image above " + Path.of("").toAbsolutePath());
    }

    static FrameResizer resizer(int size, String crop) {
        FrameResizer r = FrameResizer.toSize(size);
        return crop.equals("none") ? r : r.withCenterCrop(Double.parseDouble(crop));
    }

    /** Max |java - torch| of a resized float: 2^-22, two ulp below 1 (torch's build contracts sums into FMAs). */
    static final float FLOAT_TOL = 0x1p-22f;

    @ParameterizedTest
    @CsvSource({"100, 30", "53, 28", "37, 28", "7, 30", "1, 16", "285, 30", "190, 30", "1000, 7", "24, 24"})
    void tapsEqualTorchWeightsBitForBit(int in, int out) throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(dir().resolve("taps.safetensors"))) {
            float[] want = f.toTensor("taps_" + in + "_" + out).toFloatArray(); // [in, out]
            FrameResizer.Taps t = FrameResizer.Taps.of(in, out);
            for (int i = 0; i < out; i++) {
                for (int k = 0; k < in; k++) {
                    int j = k - t.min[i];
                    float got = j >= 0 && j < t.count[i] ? t.weights[i][j] : 0f;
                    assertEquals(Float.floatToIntBits(want[k * out + i]), Float.floatToIntBits(got),
                            in + "->" + out + ": weight of input " + k + " in output " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"noise_37x53_to_28, noise_37x53, 28, none", "noise_1x1_to_16, noise_1x1, 16, none",
            "noise_7x100_to_30, noise_7x100, 30, none", "noise_300x200_to_30_crop95, noise_300x200, 30, 0.95"})
    void oddSizesMatchTorch(String name, String input, int size, String crop) throws Exception {
        U8Image in = U8Image.read(dir().resolve(input + ".png"));
        try (SafetensorsFile f = SafetensorsFile.open(dir().resolve(name + ".safetensors"))) {
            assertEquals(String.valueOf(size), f.metadata().get("size"));
            assertEquals(crop, f.metadata().get("crop_scale"));
            assertEquals(in.height() + "x" + in.width(), f.metadata().get("input_hw"));
            float[] want = f.toTensor("resized").toFloatArray();
            float[] got = resizer(size, crop).resizeFloat(in);
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], FLOAT_TOL, name + ": resized[" + i + "]");
            }
            long[] wantU8 = f.toTensor("u8").toLongArray();
            U8Image q = resizer(size, crop).apply(in);
            int plane = size * size;
            for (int i = 0; i < wantU8.length; i++) {
                int g = q.rgb()[i] & 0xFF;
                if (g == wantU8[i]) continue;
                // A difference is allowed only at a truncation boundary: torch's y*255 within the float tolerance
                // of an integer, where the two float results fall on either side of it.
                float ref = want[(i % 3) * plane + i / 3] * 255f;
                assertTrue(Math.abs(g - wantU8[i]) == 1 && Math.abs(ref - Math.rint(ref)) <= 255 * FLOAT_TOL,
                        name + ": u8[" + i + "] java " + g + " torch " + wantU8[i] + " (torch y*255 = " + ref + ")");
            }
            float[] wantPv = f.toTensor("pixel_values").toFloatArray();
            Tensor pv = ImagePreprocessor.forImageSize(size).pixelValues(List.of(U8Image.of(toBytes(wantU8), size, size)));
            assertArrayEquals(new int[] {1, 3, size, size}, pv.shape());
            assertArrayEquals(wantPv, pv.toFloatArray(), 0f, name + ": pixel_values of torch's u8 (exact)");
        }
    }

    static byte[] toBytes(long[] v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    @ParameterizedTest
    @CsvSource({"card_480x640_to_224, none", "card_480x640_to_224_crop95, 0.95"})
    void fullSizeFrameMatchesTorch(String name, String crop) throws IOException {
        U8Image in = U8Image.read(dir().resolve("card_480x640.png"));
        assertEquals(480, in.height());
        assertEquals(640, in.width());
        U8Image want = U8Image.read(dir().resolve(name + ".expected.png"));
        U8Image got = resizer(224, crop).apply(in);
        int off = 0;
        for (int i = 0; i < want.rgb().length; i++) {
            int d = Math.abs((want.rgb()[i] & 0xFF) - (got.rgb()[i] & 0xFF));
            assertTrue(d <= 1, name + ": u8[" + i + "] differs by " + d);
            off += d;
        }
        // Off-by-one values come only from truncating y*255 at an integer (see oddSizesMatchTorch, which checks
        // that rule exactly); this test card has large flat areas, where that happens for about 1-2% of samples.
        assertTrue(off <= want.rgb().length / 40, name + ": " + off + " of " + want.rgb().length + " samples off by one");
    }

    @Test
    void sameSizeIsIdentity() throws IOException {
        U8Image in = U8Image.read(dir().resolve("card_480x640.png"));
        byte[] crop = new byte[224 * 224 * 3];
        for (int y = 0; y < 224; y++) System.arraycopy(in.rgb(), (y * 640) * 3, crop, y * 224 * 3, 224 * 3);
        U8Image sq = U8Image.of(crop, 224, 224);
        assertArrayEquals(crop, FrameResizer.toSize(224).apply(sq).rgb());
    }

    @Test
    void upsamplingOneAxisIsBilinearWithClampedEdges() {
        // 1x2 -> 4x4: along width scale 0.5, centers 0.25, 0.75, 1.25, 1.75 -> weights on (a, b):
        // (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1); rows all equal.
        U8Image in = U8Image.of(new byte[] {0, 0, 0, (byte) 200, 100, 40}, 1, 2);
        float[] r = FrameResizer.toSize(4).resizeFloat(in);
        float b = 200f / 255f;
        float[] row = {0f, 0.25f * b, 0.75f * b, b};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) assertEquals(row[x], r[y * 4 + x], 1e-7f, "R at " + y + "," + x);
        }
    }

    @Test
    void refusals() {
        assertThrows(IllegalArgumentException.class, () -> FrameResizer.toSize(0));
        assertThrows(IllegalArgumentException.class, () -> FrameResizer.toSize(8).withCenterCrop(0));
        assertThrows(IllegalArgumentException.class, () -> FrameResizer.toSize(8).withCenterCrop(1.5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrameResizer.toSize(8).withCenterCrop(0.5).apply(U8Image.of(new byte[3], 1, 1)));
        assertTrue(e.getMessage().contains("is empty"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> U8Image.of(new byte[5], 1, 2));
        assertTrue(e.getMessage().contains("needs 6 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> U8Image.of(new byte[0], 0, 0));
    }
}
