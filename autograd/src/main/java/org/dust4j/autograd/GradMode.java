package org.dust4j.autograd;

/**
 * Whether differentiable ops record a graph on the current thread (on by default). Use
 * {@code try (var s = GradMode.noGrad()) { ... }} for inference: nothing is recorded inside.
 */
public final class GradMode {
    private GradMode() {}

    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    /** A scope that restores the previous state when closed; closing twice is harmless. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** True when ops on this thread record a graph. */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Turns recording off on this thread until the scope closes. */
    public static Scope noGrad() {
        return set(false);
    }

    /** Turns recording on on this thread until the scope closes. */
    public static Scope enable() {
        return set(true);
    }

    private static Scope set(boolean on) {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = on;
        return new Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    flag[0] = previous;
                }
            }
        };
    }
}
