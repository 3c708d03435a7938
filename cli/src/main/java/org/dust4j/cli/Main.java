package org.dust4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code dust4j} command line. Errors print one line; {@code --stacktrace} adds the trace. */
@Command(name = "dust4j", mixinStandardHelpOptions = true, version = "dust4j 0.1.0-SNAPSHOT",
        description = "DUST world-model-augmented VLA policies in pure Java.",
        subcommands = {DemoCommand.class, Main.Info.class, TrainCommand.class, EvalCommand.class, AblateCommand.class, InspectCommand.class,
                ModelCommands.Init.class, ModelCommands.Forward.class, ModelCommands.Loss.class, ModelCommands.Sample.class,
                EmbedCommand.class, ActCommand.class,
                SimCommands.Datagen.class, SimCommands.SimEval.class, SimCommands.SimRender.class, V2Commands.class,
                ServeCommand.class, ExampleInputsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    @Option(names = "--stacktrace", description = "Print the full stack trace when a command fails.", scope = CommandLine.ScopeType.INHERIT)
    boolean stacktrace;

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    public static void main(String[] args) {
        if (!org.dust4j.tensor.VectorSupport.available()) {
            System.err.println("dust4j: error: " + org.dust4j.tensor.VectorSupport.message());
            System.exit(2);
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code (tests call this). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        boolean trace = System.getenv("DUST4J_STACKTRACE") != null;
        for (String a : args) trace |= a.equals("--stacktrace");
        boolean showTrace = trace;
        CliBounds.install(cl);
        cl.setExecutionStrategy(pr -> {
            CliBounds.check(pr);
            return new CommandLine.RunLast().execute(pr);
        });
        cl.setParameterExceptionHandler(new UsageErrors(showTrace));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            cmd.getErr().println("dust4j: error: " + oneLine(msg));
            if (showTrace) ex.printStackTrace(cmd.getErr());
            else cmd.getErr().println("(run with --stacktrace for details)");
            cmd.getErr().flush();
            return 1;
        });
        return cl.execute(args);
    }

    /** The longest error line printed. */
    static final int MAX_ERROR = 1000;

    /** The first line of a message, cut to {@link #MAX_ERROR} characters. */
    static String oneLine(String msg) {
        String l = msg == null ? "" : msg.lines().findFirst().orElse(msg);
        return l.length() <= MAX_ERROR ? l : l.substring(0, MAX_ERROR) + "... (" + (l.length() - MAX_ERROR) + " more characters)";
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print the engine configuration: JDK, SIMD width, threads, backends and devices (CUDA: PTX, cuBLAS, devices).")
    static final class Info implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            out.println("java       " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")");
            out.println("simd       " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit ("
                    + FloatVector.SPECIES_PREFERRED.length() + " floats per vector)");
            out.println("threads    " + Parallel.threads() + " (override with -Ddust4j.threads=N or DUST4J_THREADS)");
            out.println("backend    " + Backends.cpu().name() + " (default), " + Backends.reference().name() + " (scalar oracle)");
            List<String> usable = new ArrayList<>(List.of("cpu"));
            for (Backends.BackendProvider p : Backends.providers()) {
                out.println("backend    " + p.name() + ":");
                for (String line : p.describe()) out.println("  " + line);
                if (p.whyUnavailable() == null) usable.add(p.name());
            }
            String env = System.getenv(Backends.DEVICE_ENV);
            out.println("devices    " + String.join(", ", usable) + " (choose with --device or " + Backends.DEVICE_ENV
                    + (env == null ? "" : ", now '" + env + "'") + ")");
            return 0;
        }
    }
}
