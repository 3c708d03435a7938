package org.dust4j.tensor;

/**
 * Whether the JVM was started with the incubating Vector API module, which the CPU backend needs. Without it the
 * first tensor operation would die with {@code NoClassDefFoundError: jdk/incubator/vector/...}; entry points call
 * {@link #require()} first to say in one line which flag to add.
 */
public final class VectorSupport {
    private VectorSupport() {}

    /** The JVM option that makes the module available. */
    public static final String FLAG = "--add-modules jdk.incubator.vector";

    /** True when {@code jdk.incubator.vector} is in the boot layer. */
    public static boolean available() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** The one-line explanation printed or thrown when the module is missing. */
    public static String message() {
        return "dust4j needs the JDK's Vector API module: add " + FLAG + " to the java command line "
                + "(e.g. java " + FLAG + " -jar dust4j.jar ..., or in the JVM options of your build/IDE)";
    }

    /** Throws {@link IllegalStateException} with {@link #message()} when the module is missing. */
    public static void require() {
        if (!available()) throw new IllegalStateException(message());
    }
}
