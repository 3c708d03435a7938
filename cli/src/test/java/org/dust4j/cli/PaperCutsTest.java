package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.BitmapEncoder;

/** What a new user ran into (issue 14): each fixed behaviour checked through the command line. */
class PaperCutsTest {
    @TempDir
    static Path dir;
    static Path data, run;

    @BeforeAll
    static void tinyRun() {
        data = dir.resolve("data");
        MainTest.Result r = MainTest.run("datagen", "--tasks", "open_drawer", "--episodes-per-task", "1", "--out", data.toString());
        assertEquals(0, r.code(), r.err());
        run = dir.resolve("run");
        r = MainTest.run("train", "--data", data.toString(), "--variant", "gr00t", "--out", run.toString(), "--steps", "2", "--batch-size", "2", "--quiet");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void misspeltOptionIsNamedWithTheNearestOption() {
        MainTest.Result r = MainTest.run("eval", "--modle", run.toString());
        assertEquals(2, r.code());
        assertEquals("dust4j: error: unknown option '--modle' (did you mean --model?) (see 'dust4j eval --help')", r.err().strip());
        r = MainTest.run("sim-render", "--task", "open_drawer", "--out", "x.png", "--frmaes", "3");
        assertTrue(r.err().startsWith("dust4j: error: unknown option '--frmaes' (did you mean --frames?)"), r.err());
    }

    @Test
    void evalOfARunDirectoryPointsAtItsModel() {
        MainTest.Result r = MainTest.run("eval", "--model", run.toString(), "--episodes-per-task", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dust4j: error: --model " + run + " is a training run; its model is " + run.resolve("model")), r.err());
    }

    @Test
    void resumingAFinishedRunSaysSoInsteadOfNaN() {
        MainTest.Result r = MainTest.run("train", "--data", data.toString(), "--variant", "gr00t", "--out", run.toString(), "--steps", "2",
                "--batch-size", "2", "--quiet", "--resume");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("NaN"), r.out());
        assertTrue(r.out().contains("had already finished all 2 steps (final loss "), r.out());
    }

    @Test
    void simRenderNamesAMissingFolderAndLabelsTheStrip() throws Exception {
        Path missing = dir.resolve("no-such-folder");
        MainTest.Result r = MainTest.run("sim-render", "--task", "open_drawer", "--out", missing.resolve("s.png").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dust4j: error: sim-render: folder " + missing + " does not exist"), r.err());
        Path png = dir.resolve("strip.png");
        r = MainTest.run("sim-render", "--task", "open_drawer", "--frames", "3", "--scale", "2", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(3 * 128 + 2 * 2, img.getWidth());
        assertEquals(Filmstrip.HEADER + 128 + 64, img.getHeight());
        assertTrue(brightPixels(img, 0, 0, img.getWidth(), Filmstrip.HEADER) > 50, "the header line holds the task label");
        // each panel's caption ("step N") sits right of the wrist view
        assertTrue(brightPixels(img, 64 + 2, Filmstrip.HEADER + 128, 60, 20) > 10, "the first panel has a caption");
        assertEquals(defaultFilePermissions(), Files.getPosixFilePermissions(png), "outputs respect the umask");
    }

    static int brightPixels(BufferedImage img, int x0, int y0, int w, int h) {
        int n = 0;
        for (int y = y0; y < y0 + h; y++)
            for (int x = x0; x < x0 + w; x++) {
                int p = img.getRGB(x, y);
                if (((p >> 16) & 255) > 200 && ((p >> 8) & 255) > 200 && (p & 255) > 200) n++;
            }
        return n;
    }

    /** What a plain new file gets here (0666 minus the umask): outputs must match, not be 0600. */
    static Set<PosixFilePermission> defaultFilePermissions() throws Exception {
        Path probe = Files.createFile(dir.resolve("probe-" + System.nanoTime()));
        try {
            return Files.getPosixFilePermissions(probe);
        } finally {
            Files.delete(probe);
        }
    }

    @Test
    void outputsAndDatasetsRespectTheUmask() throws Exception {
        Set<PosixFilePermission> file = defaultFilePermissions();
        Path d = Files.createDirectory(dir.resolve("probe-dir"));
        Set<PosixFilePermission> folder = Files.getPosixFilePermissions(d);
        assertEquals(folder, Files.getPosixFilePermissions(data), "dataset directory");
        assertEquals(file, Files.getPosixFilePermissions(data.resolve("manifest.json")));
        try (var s = Files.list(data)) {
            for (Path p : s.toList()) if (Files.isRegularFile(p)) assertEquals(file, Files.getPosixFilePermissions(p), p.toString());
        }
        assertEquals(file, Files.getPosixFilePermissions(run.resolve("model/model.safetensors")), "model weights");
    }

    @Test
    void lossChartHasYNumbersWithinOneDecadeAndSpacedXLabels() {
        int n = 600;
        double[][] m = new double[4][n];
        for (int i = 0; i < n; i++) {
            m[0][i] = i + 1;
            m[1][i] = 0.9 - 0.5 * i / n;        // 0.9 .. 0.4: within one decade
            m[2][i] = 0.8 - 0.4 * i / n;
            m[3][i] = 0.5 - 0.2 * i / n;
        }
        BufferedImage img = BitmapEncoder.getBufferedImage(TrainCommand.lossChart(m, null));
        // y tick labels live left of the plot area, right of the rotated axis title: count text rows there
        int rows = textRuns(img, true);
        assertTrue(rows >= 3, "y axis shows at least 3 tick labels within one decade, found " + rows);
        int gap = textRuns(img, false);
        assertTrue(gap >= 20, "x tick labels (at least 3) are at least 20 px apart, narrowest gap " + gap);
    }

    /** Dark-pixel runs: along y in the y-label strip (x 25..60), or along x in the x-label strip (just under the plot). */
    static int textRuns(BufferedImage img, boolean yAxis) {
        int runs = 0;
        boolean in = false;
        if (yAxis) {
            for (int y = 40; y < img.getHeight() - 60; y++) {
                boolean dark = false;
                for (int x = 25; x < 60; x++) dark |= isDark(img.getRGB(x, y));
                if (dark && !in) runs++;
                in = dark;
            }
        } else {
            // the row under the plot with the most dark blobs is in the x tick labels; project the 13 rows around it
            // onto x (digits of one label merge) and return the narrowest gap between labels (-1: fewer than 3)
            int best = 0, yl = -1;
            for (int y = img.getHeight() / 2; y < img.getHeight(); y++) {
                int blobs = 0, gap = 5;
                for (int x = 90; x < 640; x++) {   // inside the plot frame's vertical borders
                    boolean dark = isDark(img.getRGB(x, y));
                    if (dark && gap > 4) blobs++;
                    gap = dark ? 0 : gap + 1;
                }
                if (blobs > best) {
                    best = blobs;
                    yl = y;
                }
            }
            int blobs = 0, gap = 4, narrowest = Integer.MAX_VALUE;
            for (int x = 90; x < 640 && yl >= 0; x++) {
                boolean dark = false;
                for (int y = Math.max(0, yl - 6); y <= Math.min(img.getHeight() - 1, yl + 6); y++) dark |= isDark(img.getRGB(x, y));
                if (dark && gap > 3) {
                    if (blobs > 0) narrowest = Math.min(narrowest, gap);
                    blobs++;
                }
                gap = dark ? 0 : gap + 1;
            }
            runs = blobs >= 3 ? narrowest : -1;
        }
        return runs;
    }

    static boolean isDark(int p) {
        return ((p >> 16) & 255) < 100 && ((p >> 8) & 255) < 100 && (p & 255) < 100;
    }

    @Test
    void evalVideoWritesAnAnimatedGifPerEpisode() throws Exception {
        Path v = dir.resolve("videos");
        MainTest.Result r = MainTest.run("eval", "--model", run.resolve("model").toString(), "--tasks", "open_drawer", "--episodes-per-task", "1",
                "--execute-steps", "16", "--video", v.toString());
        assertEquals(0, r.code(), r.err());
        Path gif = v.resolve("open_drawer-ep0.gif");
        assertTrue(Files.isRegularFile(gif), r.err());
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            ImageReader rd = ImageIO.getImageReadersByFormatName("gif").next();
            rd.setInput(in);
            int frames = rd.getNumImages(true);
            assertTrue(frames > 10, "one frame per step, got " + frames);
            assertTrue(r.err().contains("video " + gif + ": " + frames + " frames"), r.err());
        }
    }
}
