package org.dust4j.tensor;

import java.util.HashMap;
import java.util.Map;

/**
 * Per-thread scope in which the CPU GEMM packs each K-contiguous right operand once and reuses the packed panels: the
 * weights {@code W [N, K]} of {@code x @ W^T} (every linear layer), whose packing is a gather per 16 floats and, at 17
 * to 81 rows per call, costs about as much as the multiply-adds. A sampler that runs several forwards with fixed
 * weights opens it ({@code try (var p = GemmPack.open()) { ... }}); outside a scope nothing is cached. The results are
 * the same floats as without the scope (the packed panels are the ones the GEMM would build; every element's
 * arithmetic is unchanged).
 *
 * <p>The caller guarantees that no right operand used inside the scope is written while the scope is open (as for the
 * cross-attention cache of the samplers). At most {@link #CAP_BYTES} of packed panels are kept per scope
 * ({@code -Ddust4j.gemm.packMb}, default 512): operands beyond it are packed per call as usual, so a model larger
 * than the cap (dust-gr00t) caches only its first layers.
 */
public final class GemmPack {
    private GemmPack() {}

    static final long CAP_BYTES = Long.getLong("dust4j.gemm.packMb", 512) << 20;

    /** One packed operand: op(B) as a view (array identity, offset, strides) and its size. */
    record Key(float[] data, int off, int rs, int cs, int k, int n) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key q && q.data == data && q.off == off && q.rs == rs && q.cs == cs && q.k == k && q.n == n;
        }

        @Override
        public int hashCode() {
            return ((System.identityHashCode(data) * 31 + off) * 31 + rs) * 31 + cs + 7 * k + 13 * n;
        }
    }

    private static final class Cache {
        final Map<Key, float[]> packed = new HashMap<>();
        long bytes;
    }

    private static final ThreadLocal<Cache> OPEN = new ThreadLocal<>();

    /** A scope that closes the cache it opened (nested scopes share the outer one). */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Opens a cache on this thread until the scope closes (closing twice is harmless). */
    public static Scope open() {
        if (OPEN.get() != null) return () -> { };
        Cache mine = new Cache();
        OPEN.set(mine);
        return () -> {
            if (OPEN.get() == mine) OPEN.remove();
        };
    }

    /** Packed panels for {@code key}, packed by {@code pack} on first use; null outside a scope or beyond the cap. */
    static float[] get(Key key, int size, java.util.function.Supplier<float[]> pack) {
        Cache c = OPEN.get();
        if (c == null) return null;
        float[] p = c.packed.get(key);
        if (p != null) return p;
        if (c.bytes + 4L * size > CAP_BYTES) return null;
        p = pack.get();
        c.packed.put(key, p);
        c.bytes += 4L * size;
        return p;
    }
}
