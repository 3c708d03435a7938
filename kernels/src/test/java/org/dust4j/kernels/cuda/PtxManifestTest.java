package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The PTX in the build: every .cu compiled for compute_80 and compute_90, manifest == PTX entries, struct ABI sizes. */
class PtxManifestTest {
    @BeforeEach
    void needPtx() { TestData.requirePtx(); }

    static List<String> cuModules() throws IOException {
        try (Stream<Path> s = Files.list(TestData.cudaSources())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu")).map(n -> n.substring(0, n.length() - 3)).sorted().toList();
        }
    }

    @Test
    void everyCuFileIsCompiledForBothArchs() throws IOException {
        PtxManifest m = PtxManifest.load();
        List<String> modules = cuModules();
        assertTrue(modules.size() >= 13, "expected the 13 kernel families, found " + modules);
        for (String mod : modules) {
            for (int arch : new int[] {80, 90}) {
                assertTrue(m.files().stream().anyMatch(e -> e.module().equals(mod) && e.arch() == arch), mod + ".cu has no PTX for compute_" + arch);
            }
        }
        assertEquals(modules.size() * 2, m.files().size(), "one PTX per .cu per arch");
    }

    @Test
    void manifestListsExactlyThePtxEntries() {
        PtxManifest m = PtxManifest.load();
        int total = 0;
        for (PtxManifest.Entry e : m.files()) {
            String ptx = PtxManifest.readPtx(e.file());
            assertTrue(ptx.contains(".target sm_" + e.arch()), e.file() + " targets sm_" + e.arch());
            assertEquals(new TreeSet<>(PtxManifest.entryNames(ptx)), new TreeSet<>(e.entries()), e.file());
            assertFalse(e.entries().isEmpty(), e.file() + " has no entry point");
            total += e.entries().size();
        }
        // both archs carry the same entries
        for (PtxManifest.Entry a : m.files()) {
            PtxManifest.Entry b = m.files().stream().filter(e -> e.module().equals(a.module()) && e.arch() != a.arch()).findFirst().orElseThrow();
            assertEquals(new TreeSet<>(a.entries()), new TreeSet<>(b.entries()), a.module());
        }
        assertTrue(total >= 2 * 85, "entry count over both archs " + total);
    }

    @Test
    void everyExternCKernelInTheSourcesIsInThePtx() throws IOException {
        // kernels written directly (not through a macro) can be read off the source
        Set<String> ptxNames = new TreeSet<>();
        for (PtxManifest.Entry e : PtxManifest.load().files()) ptxNames.addAll(e.entries());
        List<String> missing = new ArrayList<>();
        for (String mod : cuModules()) {
            String src = Files.readString(TestData.cudaSources().resolve(mod + ".cu"));
            var mt = java.util.regex.Pattern.compile("extern \"C\" __global__ void (?:__launch_bounds__\\(\\w+\\) )?(dust_\\w+)\\(").matcher(src);
            while (mt.find()) if (!ptxNames.contains(mt.group(1))) missing.add(mt.group(1));
        }
        assertTrue(missing.isEmpty(), "not in the PTX: " + missing);
        // macro-generated families: every head dim and dtype
        for (String t : new String[] {"f32", "bf16"}) {
            for (int d : new int[] {32, 48, 64, 128}) {
                for (String k : new String[] {"dust_attn_fwd_", "dust_attn_bwd_dkdv_", "dust_attn_bwd_dq_"}) {
                    assertTrue(ptxNames.contains(k + t + "_d" + d), k + t + "_d" + d);
                }
            }
            for (String k : new String[] {"fwd", "bwd_dx", "bwd_dw", "bwd_db"}) assertTrue(ptxNames.contains("dust_cat_linear_" + k + "_" + t));
        }
    }

    static Map<String, List<String>> layouts(String module) {
        PtxManifest.Entry e = PtxManifest.load().forDevice(module, 9, 0);
        return PtxManifest.paramLayouts(PtxManifest.readPtx(e.file()));
    }

    @Test
    void structSizesMatchTheJavaPackers() {
        assertEquals(List.of("u32", "u64", "b" + StridedMap.BYTES, "u64", "b" + StridedMap.BYTES, "u64", "u64"), layouts("elementwise").get("dust_binary_f32"));
        List<String> att = layouts("attention").get("dust_attn_fwd_f32_d64");
        assertEquals("b" + Structs.BHTS_BYTES, att.get(1));
        assertEquals(List.of("u64", "u64", "u64", "u64", "u64", "b" + Structs.ADAM_SCALARS_BYTES), layouts("adamw").get("dust_adamw_f32"));
        assertEquals("b" + Structs.GEMM_STRIDES_BYTES, layouts("gemm").get("dust_gemm_f32").get(8));
        assertEquals(StridedMap.BYTES, new StridedMap(new int[] {2, 3}, new long[] {3, 1}, 5).pack().length);
    }

    @Test
    void deviceSelectionPicksTheHighestArchNotAboveTheDevice() {
        PtxManifest m = PtxManifest.load();
        assertEquals(80, m.forDevice("norm", 8, 6).arch());
        assertEquals(90, m.forDevice("norm", 9, 0).arch());
        assertEquals(90, m.forDevice("norm", 10, 0).arch());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> m.forDevice("norm", 7, 5));
        assertTrue(e.getMessage().contains("compute capability 7.5"), e.getMessage());
    }

    @Test
    void ptxParserReadsParameters() {
        String ptx = """
                .visible .entry k1(
                \t.param .u32 k1_param_0,
                \t.param .u64 k1_param_1,
                \t.param .align 8 .b8 k1_param_2[112],
                \t.param .f32 k1_param_3
                )
                .visible .entry k2()
                """;
        assertEquals(Map.of("k1", List.of("u32", "u64", "b112", "f32"), "k2", List.of()), PtxManifest.paramLayouts(ptx));
    }
}
