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
        final Set<Long> live = new HashSet<>();
        final List<Long> sizes = new ArrayList<>();
        final java.util.Map<Long, Long> size = new java.util.HashMap<>();

        public long malloc(long bytes) {
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
