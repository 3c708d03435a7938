package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dust4j.cli.ModelCommandsTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of every numeric option: hostile number texts (overflow, NaN, 1e39, hex, blanks, non-ASCII digits)
 * for the options of train, sample, eval, datagen, sim-render and init. The other arguments name nothing that
 * exists, so a value that passes validation ends at the first file access: every case must end with exit 1 or 2
 * and one {@code dust4j: error:} line, never a stack trace, exit 0, or a hang.
 */
class CliNumberFuzzTest {
    static final int CASES = 400;
    static final long SEED = 0xC11F022L;

    static final String[] NUMBERS = {"0", "-1", "1", "2", "7", "64", "1000", "65536", "100000", "100001", "1000000", "2147483647",
            "2147483648", "-2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "1e39", "1e-39", "1e400", "-1e400",
            "3.4028235e38", "3.5e38", "NaN", "-NaN", "Infinity", "-Infinity", "0x10", "1_000", " 5", "5 ", "", " ", "1.5", "-0", "+3",
            "٣", "１２", "1e3", "0.0001", "1e-45", "4.9e-324", "abc", "--", "-", "1,5"};

    record Opt(String command, String name, String[] rest) {}

    @Test
    void numericOptionsGiveOneLineErrors(@TempDir Path tmp) {
        String none = tmp.resolve("none").toString();
        List<Opt> opts = new ArrayList<>();
        String[] train = {"--data", none, "--out", tmp.resolve("run").toString()};
        for (String o : new String[] {"--steps", "--batch-size", "--lr", "--seed", "--checkpoint-every"}) opts.add(new Opt("train", o, train));
        String[] sample = {"--model", none, "--inputs", none, "--out", tmp.resolve("o.safetensors").toString()};
        for (String o : new String[] {"--q", "--action-steps"}) opts.add(new Opt("sample", o, sample));
        String[] eval = {"--model", none};
        for (String o : new String[] {"--episodes-per-task", "--seed", "--execute-steps", "--action-steps", "--q", "--threads"}) opts.add(new Opt("eval", o, eval));
        String[] datagen = {"--tasks", "no_such_task", "--out", tmp.resolve("ds").toString()};
        for (String o : new String[] {"--episodes-per-task", "--seed", "--top-size", "--wrist-size", "--episodes-per-shard"}) opts.add(new Opt("datagen", o, datagen));
        String[] render = {"--task", "no_such_task", "--out", tmp.resolve("r.png").toString()};
        for (String o : new String[] {"--seed", "--frames", "--scale"}) opts.add(new Opt("sim-render", o, render));
        opts.add(new Opt("init", "--seed", new String[] {"--config", none, "--out", tmp.resolve("m").toString()}));
        int[] codes = new int[3];
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            SplittableRandom rng = new SplittableRandom(SEED);
            for (int c = 0; c < CASES; c++) {
                Opt o = opts.get(rng.nextInt(opts.size()));
                String v = rng.nextInt(4) == 0 ? Long.toString(rng.nextLong() >> rng.nextInt(64)) : NUMBERS[rng.nextInt(NUMBERS.length)];
                List<String> args = new ArrayList<>(List.of(o.command()));
                args.addAll(List.of(o.rest()));
                args.add(o.name());
                args.add(v);
                Result r = ModelCommandsTest.run(args.toArray(String[]::new));
                String what = "case " + c + ": " + args + " -> exit " + r.code() + ": " + r.err();
                assertTrue(r.code() == 1 || r.code() == 2, what);
                List<String> lines = r.err().lines().toList();
                assertTrue(!lines.isEmpty() && lines.get(0).startsWith("dust4j: error: ") && lines.get(0).length() < 1100, what);
                assertTrue(lines.size() <= 2 && !r.err().contains("\tat "), "one line, no stack trace: " + what);
                codes[r.code()]++;
            }
        });
        System.out.printf("cli number fuzz: %d cases, %d refused as usage errors (exit 2), %d passed validation and failed later (exit 1)%n",
                CASES, codes[2], codes[1]);
        assertTrue(codes[1] > 20 && codes[2] > 20, "both outcomes exercised");
    }
}
