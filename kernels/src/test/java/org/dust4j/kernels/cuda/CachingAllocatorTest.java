package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The caching allocator over a fake device: reuse, rounding, out-of-memory retry, capture pinning. */
class CachingAllocatorTest {
    static final class Fake implements CachingAllocator.Raw {
        long next = 4096, limit = Long.MAX_VALUE, used;
        int failNext;                        // injected failures: the next n mallocs fail whatever the space
        final Set<Long> live = new HashSet<>();
        final List<Long> sizes = new ArrayList<>();
        final java.util.Map<Long, Long> size = new java.util.HashMap<>();

        public long malloc(long bytes) {
            if (failNext > 0) {
                failNext--;
                throw new CudaException.OutOfMemory("injected failure");
            }
            if (used + bytes > limit) throw new CudaException.OutOfMemory("fake device full");
            long a = next;
            next += bytes;
            used += bytes;
            live.add(a);
            size.put(a, bytes);
            sizes.add(bytes);
            return a;
        }

        public void free(long a) {
            assertTrue(live.remove(a), "double free");
            used -= size.remove(a);
        }
    }

    @Test
    void roundsAndReusesBlocks() {
        assertEquals(512, CachingAllocator.roundSize(1));
        assertEquals(1024, CachingAllocator.roundSize(513));
        assertEquals(2 << 20, CachingAllocator.roundSize((1 << 20) + 1));
        Fake f = new Fake();
        CachingAllocator c = new CachingAllocator(f);
        long a = c.allocate(1000);
        c.release(a);
        assertEquals(1024, c.cachedBytes());
        long b = c.allocate(700);            // same 1024 class: reused
        assertEquals(a, b);
        assertEquals(1, c.rawAllocations());
        long d = c.allocate(100);
        assertNotEquals(b, d);
        assertEquals(2, c.rawAllocations());
        assertEquals(1024 + 512, c.liveBytes());
        assertThrows(IllegalStateException.class, () -> c.release(12345));
    }

    @Test
    void outOfMemoryReleasesTheCacheAndRetries() {
        Fake f = new Fake();
        f.limit = 4096;
        CachingAllocator c = new CachingAllocator(f);
        long a = c.allocate(3000);           // 3072 bytes
        c.release(a);
        long b = c.allocate(2000);           // 2048: does not fit beside the cached 3072 -> cache dropped, retried
        assertEquals(0, c.cachedBytes());
        assertTrue(f.live.contains(b));
        assertEquals(1, f.live.size());
        assertThrows(CudaException.OutOfMemory.class, () -> c.allocate(3000));
    }

    /** Counts the collections the allocator asks for (a real System.gc()). */
    static final class CountingGc implements Runnable {
        int runs;

        public void run() {
            runs++;
            System.gc();
        }
    }

    @Test
    void anInjectedFailureFreesTheCacheCollectsAndRetriesOnce() {
        Fake f = new Fake();
        CountingGc gc = new CountingGc();
        CachingAllocator c = new CachingAllocator(f, gc, 2000);
        c.release(c.allocate(3000));
        assertEquals(3072, c.cachedBytes());
        f.failNext = 1;
        long b = c.allocate(2000);
        assertEquals(1, gc.runs, "one collection before the retry");
        assertEquals(0, c.cachedBytes(), "cached blocks were freed");
        assertEquals(java.util.Set.of(b), f.live);
        f.failNext = 2;                      // the retry fails too: out of memory, no third attempt
        var e = assertThrows(CudaException.OutOfMemory.class, () -> c.allocate(100));
        assertEquals(0, f.failNext, "exactly one retry");
        assertEquals(2, gc.runs);
        assertTrue(e.getMessage().startsWith("CUDA out of memory: requested 512 bytes; pool: 2048 bytes live in 1 blocks, 0 bytes cached"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
    }

    static long allocateForGarbage(CachingAllocator c, long bytes) {
        return c.allocate(bytes, new Object());   // the owner is unreachable as soon as this returns
    }

    @Test
    void blocksOfUnreachableOwnersAreReclaimedWhenTheDeviceIsFull() {
        Fake f = new Fake();
        f.limit = 4096;
        CountingGc gc = new CountingGc();
        CachingAllocator c = new CachingAllocator(f, gc, 5000);
        long dead = allocateForGarbage(c, 3000);
        Object keep = new Object();
        long b = c.allocate(2000, keep);     // device full: the dead owner's 3072 bytes come back after a GC
        assertEquals(1, gc.runs);
        assertTrue(!f.live.contains(dead), "the dead owner's block was freed on the device");
        assertTrue(f.live.contains(b));
        assertTrue(c.stats().contains("1 blocks reclaimed from dead tensors"), c.stats());
        // a live owner is never reclaimed: the next request that does not fit is out of memory, one line with the pool
        var e = assertThrows(CudaException.OutOfMemory.class, () -> c.allocate(3000, new Object()));
        assertTrue(e.getMessage().contains("requested 3072 bytes") && e.getMessage().contains("2048 bytes live in 1 blocks"), e.getMessage());
        assertTrue(f.live.contains(b));
        java.lang.ref.Reference.reachabilityFence(keep);
    }

    @Test
    void blocksOfACapturedGraphStayAliveUntilItIsReleased() {
        CachingAllocator c = new CachingAllocator(new Fake());
        c.beginCapture();
        long a = c.allocate(64);
        List<Long> pinned = c.endCapture();
        assertEquals(List.of(a), pinned);
        c.release(a);                        // the tensor died, but the graph still uses the block
        assertNotEquals(a, c.allocate(64), "a pinned block must not be handed out again");
        c.releaseCaptured(pinned);
        assertEquals(a, c.allocate(64), "after the graph is gone the block is reused");
        assertThrows(IllegalStateException.class, c::endCapture);
    }
}
