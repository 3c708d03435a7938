package org.dust4j.autograd.nn;

import java.util.IdentityHashMap;
import java.util.Map;
import org.dust4j.autograd.GradMode;
import org.dust4j.autograd.Var;

/**
 * Per-thread memo of cross-attention keys and values for a fixed context, for samplers that run many forwards
 * against one encoded context (the VL features): inside {@code try (var c = ContextCache.open()) { ... }},
 * with grad mode off, an {@link Attention} given the same context {@code Var} (by identity) again reuses the
 * {@code to_k}/{@code to_v} projections of the first call instead of recomputing them. The results are the same
 * floats. The caller guarantees the weights do not change inside the scope; outside one, nothing is cached.
 */
public final class ContextCache {
    private ContextCache() {}

    private record Entry(Var context, Var k, Var v) {}

    private static final ThreadLocal<Map<Attention, Entry>> OPEN = new ThreadLocal<>();

    /** Opens a cache on this thread (nested scopes share the outer one) until the scope closes. */
    public static GradMode.Scope open() {
        if (OPEN.get() != null) return () -> { };
        OPEN.set(new IdentityHashMap<>());
        return new GradMode.Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    OPEN.remove();
                }
            }
        };
    }

    /** The cached {k, v} of {@code a} for this context, or null. */
    static Var[] get(Attention a, Var context) {
        Map<Attention, Entry> m = OPEN.get();
        if (m == null || GradMode.isEnabled()) return null;
        Entry e = m.get(a);
        return e != null && e.context() == context ? new Var[] {e.k(), e.v()} : null;
    }

    /** Remembers {k, v} of {@code a} for this context when a cache is open and grad mode is off. */
    static void put(Attention a, Var context, Var k, Var v) {
        Map<Attention, Entry> m = OPEN.get();
        if (m != null && !GradMode.isEnabled()) m.put(a, new Entry(context, k, v));
    }
}
