package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsFile;

/** Test helpers: the repository root, safetensors fixture files as maps, and tolerance checks that report the max error. */
final class Fixtures {
    private Fixtures() {}

    static Path repo() {
        return ConfigTest.repo();
    }

    /** testdata/model/{variant}; the directory must exist (a missing fixture fails, never skips). */
    static Path dir(String variant) {
        Path d = repo().resolve("testdata/model").resolve(variant);
        assertTrue(Files.isDirectory(d), "fixture directory missing: " + d + " (regenerate with tools/reference/make_model_fixtures.py)");
        return d;
    }

    static Map<String, Tensor> read(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (String n : f.names()) out.put(n, f.toTensor(n));
            return out;
        } catch (Exception e) {
            throw new AssertionError("cannot read fixture " + file + ": " + e.getMessage(), e);
        }
    }

    /** The file's __metadata__. */
    static Map<String, String> metadata(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return new LinkedHashMap<>(f.metadata());
        } catch (Exception e) {
            throw new AssertionError("cannot read fixture " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The fixture's own float32 error: "abs" of metadata entry {@code f64dev.<key>} ("abs=5.79e-06 rel=1.31e-04"),
     * the largest deviation of torch's float32 result from a float64 rerun.
     */
    static double f64devAbs(Path file, String key) {
        String v = metadata(file).get("f64dev." + key);
        if (v == null) throw new AssertionError(file + ": no metadata f64dev." + key);
        for (String part : v.split(" ")) if (part.startsWith("abs=")) return Double.parseDouble(part.substring(4));
        throw new AssertionError(file + ": cannot parse f64dev." + key + " = " + v);
    }

    /**
     * Asserts |got - want| <= atol + rtol·|want| element-wise and returns the largest error measured as
     * |got - want| / max(|want|, atol/rtol) (the relative error, with the absolute floor applied).
     */
    static double close(String what, Tensor got, Tensor want, double rtol, double atol) {
        if (!java.util.Arrays.equals(got.shape(), want.shape()) && !(got.numel() == 1 && want.numel() == 1)) {
            throw new AssertionError(what + ": shape " + Shape.str(got.shape()) + " vs expected " + Shape.str(want.shape()));
        }
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        double worst = 0;
        int bad = -1;
        for (int i = 0; i < g.length; i++) {
            double d = Math.abs((double) g[i] - w[i]);
            if (!(d <= atol + rtol * Math.abs(w[i])) && bad < 0) bad = i;
            worst = Math.max(worst, d / Math.max(Math.abs(w[i]), atol / rtol));
        }
        if (bad >= 0) {
            throw new AssertionError(what + ": element " + bad + " is " + g[bad] + ", expected " + w[bad] + " (|diff| "
                    + Math.abs(g[bad] - w[bad]) + " > " + atol + " + " + rtol + "·|want|); max scaled error " + worst);
        }
        return worst;
    }

    /** Largest |x| of a tensor. */
    static double maxAbs(Tensor t) {
        double m = 0;
        for (float v : t.toFloatArray()) m = Math.max(m, Math.abs(v));
        return m;
    }
}
