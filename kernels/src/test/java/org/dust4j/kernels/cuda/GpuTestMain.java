package org.dust4j.kernels.cuda;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs every test of org.dust4j.kernels and its sub-packages (CUDA kernels, the model on the CUDA backend) with the JUnit launcher, for machines with a JDK but no Maven
 * (scripts/gpu-check.sh on a GPU box). Exit status 1 when any test failed or a GPU test was skipped while
 * -Ddust4j.requireGpu=true, and when no test is found at all.
 */
public final class GpuTestMain {
    private GpuTestMain() {}

    public static void main(String[] args) {
        LauncherDiscoveryRequest req = LauncherDiscoveryRequestBuilder.request().selectors(selectPackage("org.dust4j.kernels")).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(req, listener);
        TestExecutionSummary s = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printFailuresTo(out, 40);
        s.printTo(out);
        if (s.getTestsFoundCount() == 0) {
            // e.g. a runtime without jdk.zipfs cannot scan jars: finding nothing must not pass
            out.println("GpuTestMain: no tests found in package org.dust4j.kernels (and below) on the class path " + System.getProperty("java.class.path"));
            System.exit(1);
        }
        System.exit(s.getTotalFailureCount() > 0 ? 1 : 0);
    }
}
