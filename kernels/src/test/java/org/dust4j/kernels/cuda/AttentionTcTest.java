package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.dust4j.tensor.DType;
import org.junit.jupiter.api.Test;

/** The tensor-core attention dispatch and its PTX: entry names, launch shapes, shared memory vs ptxas, parameters. */
class AttentionTcTest {
    @Test
    void bf16WithAMultipleOf16HeadDimOnAmpereOrNewer() {
        assertTrue(AttentionTc.use(DType.BF16, 48, 9));
        assertTrue(AttentionTc.use(DType.BF16, 16, 8));
        assertFalse(AttentionTc.use(DType.F32, 64, 9), "F32 stays on the reference kernels");
        assertFalse(AttentionTc.use(DType.BF16, 40, 9));
        assertFalse(AttentionTc.use(DType.BF16, 256, 9));
        assertFalse(AttentionTc.use(DType.BF16, 64, 7), "mma.sync bf16 needs sm_80");
        AttentionTc.setEnabled(false);
        try {
            assertFalse(AttentionTc.use(DType.BF16, 64, 9));
        } finally {
            AttentionTc.setEnabled(true);
        }
        assertEquals("dust_attn_tc_bwd_dkdv_bf16_d48", AttentionTc.kernel("bwd_dkdv", 48));
        assertThrows(IllegalArgumentException.class, () -> AttentionTc.kernel("fwd", 40));
    }

    @Test
    void launchCoversEveryRowIn64RowBlocks() {
        for (int t : new int[] {1, 63, 64, 65, 1000}) {
            LaunchGeometry.Launch l = AttentionTc.launch(t, 7);
            assertEquals((t + 63) / 64, l.grid()[0]);
            assertTrue((long) l.grid()[0] * AttentionTc.ROWS >= t && (long) (l.grid()[0] - 1) * AttentionTc.ROWS < t);
            assertArrayEquals(new int[] {128, 1, 1}, l.block());
            assertEquals(7, l.grid()[1]);
        }
        assertThrows(IllegalArgumentException.class, () -> AttentionTc.launch(10, 70000));
    }

    /** Every head dim has the three entries in the PTX of both archs, with attention.cu's parameter layouts. */
    @Test
    void entriesExistWithTheReferenceKernelsParameters() {
        TestData.requirePtx();
        Map<String, List<String>> tc = PtxManifestTest.layouts("attention_tc"), ref = PtxManifestTest.layouts("attention");
        for (int dh : new int[] {16, 32, 48, 64, 128}) {
            for (String role : new String[] {"fwd", "bwd_dkdv", "bwd_dq"}) {
                List<String> got = tc.get(AttentionTc.kernel(role, dh));
                assertEquals(ref.get("dust_attn_" + role + "_bf16_d64"), got, role + " d" + dh);
            }
        }
        // the static shared memory the Java side documents is what attention_tc.cu declares (PTX .shared sizes)
        String ptx = PtxManifest.readPtx(PtxManifest.load().files().stream().filter(e -> e.module().equals("attention_tc") && e.arch() == 90)
                .findFirst().orElseThrow().file());
        for (int dh : new int[] {16, 32, 48, 64, 128}) {
            int tile = AttentionTc.tileRows(dh), total = 0;
            var m = java.util.regex.Pattern.compile("\\.shared \\.align \\d+ \\.b8 \\S*tc_bwd_dkdvILi" + dh + "E\\S*E(\\d)(\\w+)\\[(\\d+)\\];").matcher(ptx);
            while (m.find()) total += Integer.parseInt(m.group(3));
            assertEquals(AttentionTc.smemBytes(dh, true), total, "dK/dV shared memory for d" + dh + " (tile " + tile + ")");
            assertTrue(total <= LaunchGeometry.SMEM_LIMIT);
        }
    }
}
