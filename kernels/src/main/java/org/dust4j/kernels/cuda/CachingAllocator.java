package org.dust4j.kernels.cuda;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A caching device allocator: freed blocks go to per-size free lists and are reused by later requests of the
 * same rounded size, so steady-state training and sampling make no cuMemAlloc/cuMemFree calls. Sizes round up
 * to 512 bytes below 1 MiB and to 2 MiB above. Safe with one stream: a reused block is only touched by work queued
 * after its last user.
 * <p>Blocks handed out with {@link #allocate(long, Object)} belong to an owner object (the tensor storage): when
 * the owner becomes unreachable its phantom reference is queued and the block returns to the cache the next time
 * this allocator runs (every allocation drains the queue first, on the allocating thread; no CUDA call and no lock
 * from a cleaner thread). When the device is full, the allocator frees its cached blocks, runs a garbage
 * collection, returns the blocks of owners it found dead, frees those too and retries once;
 * a second failure is a {@link CudaException.OutOfMemory} naming the request and the pool.
 * <p>During a CUDA graph capture ({@link #beginCapture}) every block handed out is kept alive (frees are
 * deferred) until the graph that recorded it releases them ({@link #releaseCaptured}).
 */
public final class CachingAllocator {

    /** The underlying device allocator. */
    public interface Raw {
        long malloc(long bytes);

        void free(long address);
    }

    /** A referent that is garbage from the start: seeing it queued means the collection's references are being queued. */
    private static final class Sentinel extends PhantomReference<Object> {
        Sentinel(ReferenceQueue<Object> q) { super(new Object(), q); }
    }

    /** The phantom reference from a block's owner to the block. */
    private static final class Owned extends PhantomReference<Object> {
        final long address;

        Owned(Object owner, long address, ReferenceQueue<Object> q) {
            super(owner, q);
            this.address = address;
        }
    }

    static final long SMALL = 1 << 20, SMALL_ROUND = 512, LARGE_ROUND = 2 << 20;

    private final Raw raw;
    private final Runnable gc;
    private final long waitMs;
    private final ReferenceQueue<Object> dead = new ReferenceQueue<>();
    private final Set<Owned> owned = new HashSet<>();              // keeps the phantom references reachable
    private final TreeMap<Long, ArrayDeque<Long>> free = new TreeMap<>();
    private final Map<Long, Long> live = new HashMap<>();         // address -> rounded size
    private final Set<Long> pinned = new HashSet<>();              // blocks referenced by captured graphs
    private final Set<Long> deferredFree = new HashSet<>();
    private List<Long> capturing;
    private long cachedBytes, liveBytes, rawAllocs, reclaimed, collections;

    /** Over {@code raw}; when the device is full, {@link System#gc()} and up to 2 s waiting for dead owners. */
    public CachingAllocator(Raw raw) { this(raw, System::gc, 2000); }

    /** {@code gc} runs when the device is full; then up to {@code waitMs} waiting for the references it found. */
    public CachingAllocator(Raw raw, Runnable gc, long waitMs) {
        this.raw = raw;
        this.gc = gc;
        this.waitMs = waitMs;
    }

    public static long roundSize(long bytes) {
        long b = Math.max(bytes, 1);
        long r = b < SMALL ? SMALL_ROUND : LARGE_ROUND;
        return (b + r - 1) / r * r;
    }

    /** A device block of at least {@code bytes}, returned to the cache when {@code owner} becomes unreachable. */
    public synchronized long allocate(long bytes, Object owner) {
        long a = allocate(bytes);
        owned.add(new Owned(owner, a, dead));
        return a;
    }

    /** Returns the blocks of owners found unreachable (already queued) to the cache; the number returned. */
    public synchronized int drain() {
        int n = 0;
        for (Reference<?> r; (r = dead.poll()) != null; ) n += handle(r);
        return n;
    }

    private int handle(Reference<?> r) {
        if (!(r instanceof Owned o)) return 0;
        owned.remove(o);
        release(o.address);
        reclaimed++;
        return 1;
    }

    /**
     * Runs the GC, then takes references off the queue until the sentinel that died before it shows up (the
     * reference handler queues what one collection found together) and the queue stays empty for 10 ms, or
     * {@code waitMs} pass.
     */
    private void collect() {
        collections++;
        Sentinel sentinel = new Sentinel(dead);
        gc.run();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        boolean seen = false;
        try {
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) break;
                Reference<?> r = dead.remove(seen ? Math.min(10, left) : left);
                if (r == null) break;
                if (r == sentinel) seen = true;
                else handle(r);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Reference.reachabilityFence(sentinel);
        drain();
    }

    /** A device block of at least {@code bytes} that the caller returns with {@link #release}. */
    public synchronized long allocate(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("device allocation of " + bytes + " bytes");
        drain();
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
        rawAllocs++;
        try {
            return raw.malloc(size);
        } catch (CudaException.OutOfMemory first) {
            releaseCache();
            collect();
            releaseCache();
            try {
                return raw.malloc(size);
            } catch (CudaException.OutOfMemory second) {
                CudaException.OutOfMemory e = new CudaException.OutOfMemory("CUDA out of memory: requested " + size + " bytes; "
                        + stats() + " (after freeing the cache and a garbage collection; device: " + second.getMessage() + ")");
                e.addSuppressed(first);
                throw e;
            }
        }
    }

    /** One line: live and cached bytes and blocks, raw allocations, collections, blocks reclaimed from dead owners. */
    public synchronized String stats() {
        int cachedBlocks = 0;
        for (ArrayDeque<Long> q : free.values()) cachedBlocks += q.size();
        return "pool: " + liveBytes + " bytes live in " + live.size() + " blocks, " + cachedBytes + " bytes cached in " + cachedBlocks
                + " blocks, " + rawAllocs + " device allocations, " + collections + " collections, " + reclaimed + " blocks reclaimed from dead tensors";
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
