package org.dust4j.cli;

import java.nio.file.Path;
import org.dust4j.model.DustPolicy;

/** Run by ServeCommandTest in a JVM without the Vector API module: what a library user sees from DustPolicy.load. */
public final class NoVectorProbe {
    private NoVectorProbe() {}

    /** Loads args[0] and prints the exception's class and message. */
    public static void main(String[] args) {
        try {
            DustPolicy.load(Path.of(args[0]));
            System.out.println("loaded");
        } catch (Throwable t) {
            System.out.println(t.getClass().getSimpleName() + ": " + t.getMessage());
        }
    }
}
