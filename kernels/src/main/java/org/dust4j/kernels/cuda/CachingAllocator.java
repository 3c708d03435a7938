package org.dust4j.kernels.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A caching device allocator: freed blocks go to per-size free lists and are reused by later requests of the
 * same rounded size, so steady-state training and sampling make no cuMemAlloc/cuMemFree calls. Sizes round up
 * to 512 bytes below 1 MiB and to 2 MiB above. When the device is full, the cache is released and the request
 * retried once. Safe with one stream: a reused block is only touched by work queued after its last user.
 * <p>During a CUDA graph capture ({@link #beginCapture}) every block handed out is kept alive (frees are
 * deferred) until the graph that recorded it releases them ({@link #releaseCaptured}).
 */
public final class CachingAllocator {

    /** The underlying device allocator. */
    public interface Raw {
        long malloc(long bytes);

        void free(long address);
    }

    static final long SMALL = 1 << 20, SMALL_ROUND = 512, LARGE_ROUND = 2 << 20;

    private final Raw raw;
    private final TreeMap<Long, ArrayDeque<Long>> free = new TreeMap<>();
    private final Map<Long, Long> live = new HashMap<>();         // address -> rounded size
    private final Set<Long> pinned = new HashSet<>();              // blocks referenced by captured graphs
    private final Set<Long> deferredFree = new HashSet<>();
    private List<Long> capturing;
    private long cachedBytes, liveBytes, rawAllocs;

    public CachingAllocator(Raw raw) { this.raw = raw; }

    public static long roundSize(long bytes) {
        long b = Math.max(bytes, 1);
        long r = b < SMALL ? SMALL_ROUND : LARGE_ROUND;
        return (b + r - 1) / r * r;
    }

    /** A device block of at least {@code bytes}. */
    public synchronized long allocate(long bytes) {
        long size = roundSize(bytes);
        ArrayDeque<Long> q = free.get(size);
        long addr;
        if (q != null && !q.isEmpty()) {
            addr = q.pop();
            cachedBytes -= size;
        } else {
            addr = rawMalloc(size);
        }
        live.put(addr, size);
        liveBytes += size;
        if (capturing != null) {
            capturing.add(addr);
            pinned.add(addr);
        }
        return addr;
    }

    private long rawMalloc(long size) {
        try {
            rawAllocs++;
            return raw.malloc(size);
        } catch (CudaException.OutOfMemory e) {
            releaseCache();
            return raw.malloc(size);
        }
    }

    /** Returns a block to the cache (deferred while a captured graph still refers to it). */
    public synchronized void release(long address) {
        if (pinned.contains(address)) {
            deferredFree.add(address);
            return;
        }
        Long size = live.remove(address);
        if (size == null) throw new IllegalStateException("release of unknown device block 0x" + Long.toHexString(address));
        liveBytes -= size;
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(address);
        cachedBytes += size;
    }

    /** Frees every cached (unused) block back to the device. */
    public synchronized void releaseCache() {
        for (ArrayDeque<Long> q : free.values()) {
            for (long a : q) raw.free(a);
        }
        free.clear();
        cachedBytes = 0;
    }

    /** Starts recording the blocks handed out (graph capture). */
    public synchronized void beginCapture() {
        if (capturing != null) throw new IllegalStateException("a graph capture is already in progress");
        capturing = new ArrayList<>();
    }

    /** Stops recording; returns the blocks the captured graph uses. */
    public synchronized List<Long> endCapture() {
        if (capturing == null) throw new IllegalStateException("no graph capture in progress");
        List<Long> r = capturing;
        capturing = null;
        return r;
    }

    /** Unpins a destroyed graph's blocks, completing any frees deferred meanwhile. */
    public synchronized void releaseCaptured(List<Long> blocks) {
        for (long a : blocks) {
            pinned.remove(a);
            if (deferredFree.remove(a)) release(a);
        }
    }

    public synchronized long cachedBytes() { return cachedBytes; }

    public synchronized long liveBytes() { return liveBytes; }

    /** Number of raw (cuMemAlloc) allocations so far. */
    public synchronized long rawAllocations() { return rawAllocs; }
}
