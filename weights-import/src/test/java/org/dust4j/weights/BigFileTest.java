package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 3 GB F32 file is mapped, not copied: written by streaming (the writer never holds it), opened and
 * validated, every element of every tensor read through its mapped segment, while heap use after GC stays
 * under 256 MB. Opt-in because it writes 3.2 GB to the temp directory:
 * {@code mvn -pl weights-import test -Ddust4j.bigfile=true -Dtest=BigFileTest}. Without the property the test
 * is reported as aborted (skipped) with that message.
 */
class BigFileTest {
    static final String PROPERTY = "dust4j.bigfile";
    static final long HEAP_LIMIT = 256L << 20;
    /** Three 1 GiB F32 tensors and a small one. */
    static final long SIDE = 16384;
    static final String[] BIG = {"layer0.weight", "layer1.weight", "layer2.weight"};

    /** Element {@code i} of tensor {@code t}: whole numbers below 2^20, exact in F32. */
    static float value(int t, long i) {
        return (float) (((i + 0x1000_0000_0000L * t) * 0x9E3779B97F4A7C15L) >>> 44);
    }

    @Test
    void threeGigabyteF32FileIsMappedWithoutCopying(@TempDir Path dir) throws Exception {
        if (!Boolean.getBoolean(PROPERTY)) {
            String msg = "BigFileTest NOT RUN: it writes a 3.2 GB file; opt in with -D" + PROPERTY + "=true";
            System.out.println(msg);
            Assumptions.abort(msg);
        }
        long need = 4L << 30;
        assertTrue(Files.getFileStore(dir).getUsableSpace() > need,
                "need 4 GiB free in " + dir + ", have " + Files.getFileStore(dir).getUsableSpace());
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long heap0 = heapAfterGc(mem);

        Path p = dir.resolve("big.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        for (int t = 0; t < BIG.length; t++) {
            int id = t;
            w.putStreamed(BIG[t], SafeDType.F32, new long[] {SIDE, SIDE}, (off, buf) -> {
                for (long i = off / 4; buf.hasRemaining(); i++) buf.putFloat(value(id, i));
            });
        }
        w.put("layer2.bias", org.dust4j.tensor.Tensor.of(new float[] {1f, -2f, 3f}, 3));
        long t0 = System.nanoTime();
        w.write(p);
        long t1 = System.nanoTime();
        long heapWrite = heapAfterGc(mem);
        long size = Files.size(p);
        assertTrue(size > 3_000_000_000L, "file is " + size + " bytes");

        resetPeaks();
        long t2 = System.nanoTime();
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            long t3 = System.nanoTime();
            assertEquals(4, f.names().size());
            SplittableRandom r = new SplittableRandom(1);
            for (int t = 0; t < BIG.length; t++) {
                MemorySegment s = f.segment(BIG[t]);
                assertTrue(s.isMapped() && s.isReadOnly(), BIG[t] + " is a read-only view of the mapping");
                long n = SIDE * SIDE;
                assertEquals(4 * n, s.byteSize());
                assertEquals(value(t, 0), s.get(Convert.F32_LE, 0), BIG[t] + " first");
                assertEquals(value(t, n - 1), s.get(Convert.F32_LE, 4 * (n - 1)), BIG[t] + " last");
                for (int k = 0; k < 1000; k++) {
                    long i = r.nextLong(n);
                    assertEquals(value(t, i), s.get(Convert.F32_LE, 4 * i), BIG[t] + " element " + i);
                }
            }
            long t4 = System.nanoTime();
            // every element of every big tensor, read through the mapping
            long bad = 0;
            for (int t = 0; t < BIG.length; t++) {
                MemorySegment s = f.segment(BIG[t]);
                long n = SIDE * SIDE;
                for (long i = 0; i < n; i++) {
                    if (s.get(Convert.F32_LE, 4 * i) != value(t, i)) bad++;
                }
            }
            long t5 = System.nanoTime();
            assertEquals(0, bad, "elements that differ from what was written");
            assertEquals(-2f, f.toTensor("layer2.bias").toFloatArray()[1]);
            long t6 = System.nanoTime();
            try (SafetensorsFile again = SafetensorsFile.open(p)) {
                assertEquals(f.infos(), again.infos());
            }
            long t7 = System.nanoTime();
            long peak = heapPeaks();
            long heapOpen = heapAfterGc(mem);
            System.out.printf("BigFileTest: file %.2f GB, 4 tensors; write %.1f s (%.2f GB/s, streamed, fsync included)%n",
                    size / 1e9, (t1 - t0) / 1e9, size / ((t1 - t0) / 1e9) / 1e9);
            System.out.printf("BigFileTest: open+validate %.2f ms first time (class loading included), %.2f ms second time; first/last/1000 samples per tensor %.2f ms;"
                    + " full read of all %.2f GB through the mapping %.2f s (%.2f GB/s)%n",
                    (t3 - t2) / 1e6, (t7 - t6) / 1e6, (t4 - t3) / 1e6, 3 * 4 * SIDE * SIDE / 1e9, (t5 - t4) / 1e9, 3 * 4 * SIDE * SIDE / ((t5 - t4) / 1e9) / 1e9);
            System.out.printf("BigFileTest: heap used after GC: %.1f MB before, %.1f MB after writing, %.1f MB with the file open"
                    + " and read; sum of heap pool peaks since open %.1f MB; limit %d MB%n",
                    heap0 / 1e6, heapWrite / 1e6, heapOpen / 1e6, peak / 1e6, HEAP_LIMIT >> 20);
            assertTrue(heapWrite < HEAP_LIMIT, "heap after writing " + heapWrite + " bytes");
            assertTrue(heapOpen < HEAP_LIMIT, "heap with the file open " + heapOpen + " bytes");
        }
    }

    private static long heapAfterGc(MemoryMXBean mem) {
        System.gc();
        return mem.getHeapMemoryUsage().getUsed();
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean b : ManagementFactory.getMemoryPoolMXBeans()) {
            if (b.getType() == MemoryType.HEAP) b.resetPeakUsage();
        }
    }

    /** Sum of the heap pools' peak use: an upper bound of the heap's peak (garbage included). */
    private static long heapPeaks() {
        long s = 0;
        for (MemoryPoolMXBean b : ManagementFactory.getMemoryPoolMXBeans()) {
            if (b.getType() == MemoryType.HEAP) s += b.getPeakUsage().getUsed();
        }
        return s;
    }
}
