package org.dust4j.tensor;

import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Packed right operands of the CPU GEMM, kept across calls: the weights {@code W [N, K]} of {@code x @ W^T} (every
 * linear layer), whose packing is a gather per 16 floats and, at 17 to 81 rows per call, costs about as much as the
 * multiply-adds. Packing is used only inside a scope ({@code try (var p = GemmPack.open()) { ... }}; the model's
 * inference paths {@code forward} and {@code sample} open one); panels packed in one scope are reused by later scopes
 * for as long as the operand's array is neither written nor collected. The results are the same floats as without
 * the cache (the packed panels are the ones the GEMM would build; every element's arithmetic is unchanged).
 *
 * <p>Safety against writes: the cache is keyed by the identity of the backing array (held weakly: a collected
 * weight drops its panels) plus the view geometry (offset, strides, K, N), and every in-place write of the CPU
 * backends ({@code copyInto}, {@code fill}, {@code addInPlace}, {@code adamw}, the C of {@code gemm}, on
 * {@link CpuBackend} and {@link ReferenceBackend}) calls {@link #written(Tensor)}, which drops every panel packed from
 * that array and bumps its version (a panel being packed concurrently with the write is then not kept). Code that
 * writes a tensor's array directly ({@link Tensor#floatData()}, or the array given to {@link Tensor#of}) after the
 * tensor may have been a GEMM right operand must call {@link #invalidate(float[])}; in this repository no weight is
 * written that way (weights are loaded into fresh arrays, {@code Var.setValue} swaps arrays, optimisers use
 * {@code adamw}).
 *
 * <p>At most {@link #CAP_BYTES} of packed panels are kept ({@code -Ddust4j.gemm.packMb}, default 512): operands
 * beyond it are packed per call as usual, so a model larger than the cap (dust-gr00t) caches only its first layers.
 */
public final class GemmPack {
    private GemmPack() {}

    static final long CAP_BYTES = Long.getLong("dust4j.gemm.packMb", 512) << 20;

    /** One packed view of an array: offset, strides and size of op(B). */
    record Key(int off, int rs, int cs, int k, int n) {}

    /** Panels packed from one array, and its write version. */
    private static final class Slot {
        final Map<Key, float[]> packed = new HashMap<>(4);
        long version;
    }

    private static final Object LOCK = new Object();
    /** Array identity (float[] has identity equals/hashCode) -> its panels; weak keys: a collected array drops them. */
    private static final Map<float[], Slot> CACHE = new WeakHashMap<>();
    private static long bytes;

    private static final ThreadLocal<int[]> OPEN = new ThreadLocal<>();

    /** A scope that closes what it opened (nested scopes share the outer one). */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Enables packing on this thread until the scope closes (closing twice is harmless). */
    public static Scope open() {
        if (OPEN.get() != null) return () -> { };
        int[] mine = new int[0];
        OPEN.set(mine);
        return () -> {
            if (OPEN.get() == mine) OPEN.remove();
        };
    }

    /** Whether a scope is open on this thread. */
    static boolean active() { return OPEN.get() != null; }

    /**
     * Packed panels of the view {@code key} of array {@code data}, packed by {@code pack} on first use; null outside a
     * scope or beyond the cap (the caller then packs per call).
     */
    static float[] get(float[] data, Key key, int size, Supplier<float[]> pack) {
        if (OPEN.get() == null) return null;
        Slot slot;
        long version;
        synchronized (LOCK) {
            slot = CACHE.computeIfAbsent(data, d -> new Slot());
            float[] p = slot.packed.get(key);
            if (p != null) return p;
            if (bytes + 4L * size > CAP_BYTES) {
                recount();
                if (bytes + 4L * size > CAP_BYTES) return null;
            }
            version = slot.version;
        }
        float[] p = pack.get();
        synchronized (LOCK) {
            // not kept when the array was written while it was packed (the caller still uses what it packed)
            if (slot.version == version && CACHE.get(data) == slot && slot.packed.putIfAbsent(key, p) == null) bytes += 4L * size;
        }
        return p;
    }

    /** Recomputes the byte count from the live entries (collected arrays' panels are gone). Under LOCK. */
    private static void recount() {
        long b = 0;
        for (Slot s : CACHE.values()) for (float[] p : s.packed.values()) b += 4L * p.length;
        bytes = b;
    }

    /** Drops the panels packed from {@code t}'s array (called by every in-place write of the CPU backends). */
    static void written(Tensor t) {
        if (t.storage() instanceof CpuStorage.Floats f) invalidate(f.data());
    }

    /** Drops every panel packed from {@code data}: call after writing a tensor's array directly. */
    public static void invalidate(float[] data) {
        synchronized (LOCK) {
            Slot s = CACHE.get(data);
            if (s == null) return;
            s.version++;
            for (float[] p : s.packed.values()) bytes -= 4L * p.length;
            s.packed.clear();
        }
    }

    /** Drops every packed panel (tests, memory pressure). */
    public static void clear() {
        synchronized (LOCK) {
            for (Slot s : CACHE.values()) s.version++;
            CACHE.clear();
            bytes = 0;
        }
    }

    /** Number of packed views currently kept (tests). */
    static int size() {
        synchronized (LOCK) {
            int n = 0;
            for (Slot s : CACHE.values()) n += s.packed.size();
            return n;
        }
    }
}
