package org.dust4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsFile;

/**
 * What the model-level peer runs share ({@link ModelCompare}, {@link OrtCompare}, {@link DjlCompare}): the input
 * files, the timing of one benchmark (median and every time in ms), the flow-matching bucket, output checks against
 * the reference, peak RSS and the one JSON object each prints for bench/compare-torch and bench/compare-ort.
 */
final class PeerRun {
    private PeerRun() {}

    static Map<String, Tensor> read(Path file) throws Exception {
        Map<String, Tensor> x = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String n : f.names()) x.put(n, f.toTensor(n));
        }
        return x;
    }

    /** Warm-up: at least {@code warmup} runs and at least {@code warmupS} seconds, so the JIT has compiled the kernels. */
    static void warm(Runnable fn, int warmup, double warmupS) {
        long ws = System.nanoTime();
        for (int i = 0; i < warmup || System.nanoTime() - ws < warmupS * 1e9; i++) fn.run();
    }

    /** Times n runs: median, min, max and every time in ms, and the peak RSS so far. */
    static Map<String, Object> measure(String name, Runnable fn, int n) {
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            fn.run();
            ms[i] = (System.nanoTime() - s) / 1e6;
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("median_ms", round(median(ms), 3));
        List<Double> all = new ArrayList<>();
        for (double v : ms) all.add(round(v, 3));
        r.put("all_ms", all);
        r.put("peak_rss_mb_so_far", round(peakRssMb(), 1));
        System.err.printf(Locale.ROOT, "# %s: %.3f ms%n", name, median(ms));
        return r;
    }

    /** The flow-matching time bucket of the contract: clamp(trunc(tau * nb), 0, nb - 1) with tau * nb in double. */
    static long bucket(double tau, int nb) {
        return (long) Math.max(0, Math.min(nb - 1, Math.floor(tau * nb)));
    }

    /**
     * Checks a peer's output against the reference: max |got - ref| &lt;= rel * max |ref| (rel says how far float32
     * engines may drift; see the caller). Throws, naming the output, when it does not hold or shapes differ.
     */
    static double check(String what, float[] got, Tensor ref, double rel) {
        float[] r = ref.toFloatArray();
        if (got.length != r.length) {
            throw new IllegalStateException(what + ": " + got.length + " values, the reference has " + r.length);
        }
        double diff = 0, scale = 0;
        for (int i = 0; i < r.length; i++) {
            double d = Math.abs((double) got[i] - r[i]);
            if (!(d <= diff)) diff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            scale = Math.max(scale, Math.abs(r[i]));
        }
        if (!(diff <= rel * scale)) {
            throw new IllegalStateException(String.format(Locale.ROOT, "%s: max |diff| %.3g vs the reference exceeds %.0e * max |ref| %.3g",
                    what, diff, rel, scale));
        }
        return diff;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** Peak resident set (VmHWM) in MB, as ru_maxrss on the Python side. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    static String json(Object o, String indent) {
        if (o instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{\n");
            int i = 0;
            for (var e : m.entrySet()) {
                sb.append(indent).append(' ').append(quote(e.getKey().toString())).append(": ").append(json(e.getValue(), indent + " "));
                sb.append(++i < m.size() ? ",\n" : "\n");
            }
            return sb.append(indent).append('}').toString();
        }
        if (o instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) sb.append(i > 0 ? ", " : "").append(json(l.get(i), indent));
            return sb.append(']').toString();
        }
        if (o instanceof String s) return quote(s);
        return String.valueOf(o);
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
