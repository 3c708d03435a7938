package org.dust4j.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PTX files in the JAR ({@code ptx/manifest.txt}: one line {@code module arch file entry,entry,...} per PTX)
 * and a small PTX reader: entry names and each entry's parameter layout ({@code u32}, {@code u64}, {@code f32},
 * {@code b<bytes>} for a struct passed by value), which {@link KernelArgs} must match at every launch.
 */
public final class PtxManifest {
    static final String DIR = "/org/dust4j/kernels/cuda/ptx/";

    /** One PTX file: a .cu module compiled for one virtual arch (80 or 90). */
    public record Entry(String module, int arch, String file, List<String> entries) {}

    private final List<Entry> files;

    PtxManifest(List<Entry> files) { this.files = List.copyOf(files); }

    public List<Entry> files() { return files; }

    /** Reads the manifest from the class path; empty when the JAR was built without nvcc. */
    public static PtxManifest load() {
        try (InputStream in = PtxManifest.class.getResourceAsStream(DIR + "manifest.txt")) {
            if (in == null) return new PtxManifest(List.of());
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("reading the PTX manifest", e);
        }
    }

    static PtxManifest parse(String text) {
        List<Entry> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            String[] f = line.trim().split(" ");
            if (f.length < 3) throw new IllegalStateException("bad PTX manifest line: " + line);
            List<String> names = f.length > 3 ? Arrays.asList(f[3].split(",")) : List.of();
            out.add(new Entry(f[0], Integer.parseInt(f[1]), f[2], names));
        }
        return new PtxManifest(out);
    }

    /** The PTX text of one file named in the manifest. */
    public static String readPtx(String file) {
        try (InputStream in = PtxManifest.class.getResourceAsStream(DIR + file)) {
            if (in == null) throw new IllegalStateException("PTX file " + file + " is not in the JAR");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading PTX " + file, e);
        }
    }

    /** The PTX file for a module, choosing the highest arch not above the device's compute capability. */
    public Entry forDevice(String module, int ccMajor, int ccMinor) {
        int cc = ccMajor * 10 + ccMinor;
        Entry best = null;
        for (Entry e : files) {
            if (e.module().equals(module) && e.arch() <= cc && (best == null || e.arch() > best.arch())) best = e;
        }
        if (best == null) {
            throw new IllegalStateException("no PTX of module " + module + " runs on compute capability " + ccMajor + "." + ccMinor
                    + " (built for " + files.stream().filter(e -> e.module().equals(module)).map(e -> "compute_" + e.arch()).toList() + ")");
        }
        return best;
    }

    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z0-9_]+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+(?:\\.align\\s+\\d+\\s+)?\\.(\\w+)\\s+\\S+?(?:\\[(\\d+)])?\\s*$");

    /** Entry names in PTX text, in file order. */
    public static List<String> entryNames(String ptx) {
        return new ArrayList<>(paramLayouts(ptx).keySet());
    }

    /** Parameter layout of every entry: e.g. {@code [u32, u64, b112, f32]}. */
    public static Map<String, List<String>> paramLayouts(String ptx) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            List<String> params = new ArrayList<>();
            for (String p : m.group(2).split(",")) {
                if (p.isBlank()) continue;
                Matcher pm = PARAM.matcher(p.trim());
                if (!pm.find()) throw new IllegalStateException("unparsed PTX parameter of " + m.group(1) + ": " + p.trim());
                String type = pm.group(1);
                params.add(pm.group(2) != null ? "b" + pm.group(2) : type.replace("s32", "u32").replace("s64", "u64"));
            }
            out.put(m.group(1), params);
        }
        return out;
    }
}
