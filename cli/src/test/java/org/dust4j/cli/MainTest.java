package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void demoWithoutCheckpointsFailsWithOneLine() {
        Result r = run("demo", "--models", "no-such-models-dir");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("dust4j: error: demo checkpoint no-such-models-dir/demo-dust is missing"), r.err());
    }

    @Test
    void infoReportsSimdAndThreads() {
        Result r = run("info");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("simd") && r.out().contains("threads"), r.out());
    }

    @Test
    void unknownCommandIsAUsageError() {
        Result r = run("frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("frobnicate"), r.err());
    }

    @Test
    void helpListsEveryCommandWithoutPicocliWarnings() {
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(captured, true));
        Result r;
        try {
            r = run("--help");
            // every subcommand's own help too: descriptions are formatted only when shown
            for (String c : new String[] {"demo", "info", "inspect", "init", "forward", "loss", "sample", "datagen", "sim-eval",
                    "sim-render", "train", "eval", "ablate"}) {
                Result sub = run(c, "--help");
                assertEquals(0, sub.code(), c + " --help: " + sub.err());
            }
        } finally {
            System.setErr(old);
        }
        assertEquals(0, r.code(), r.err());
        for (String c : new String[] {"demo", "info", "inspect", "init", "forward", "loss", "sample", "datagen", "sim-eval"}) {
            assertTrue(r.out().contains("  " + c + " "), c + " missing from help: " + r.out());
        }
        // picocli prints format problems in descriptions (an unescaped %) to System.err as "[picocli WARN]"
        assertTrue(!captured.toString().contains("picocli WARN") && !r.err().contains("picocli WARN"), captured.toString());
    }
}
