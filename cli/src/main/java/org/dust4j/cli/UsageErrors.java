package org.dust4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * Usage errors: the message, then for every argument picocli could not match (a misspelt option such as
 * {@code --modle}) the option it most likely meant. picocli reports a missing required option before unmatched
 * arguments, so {@code eval --modle X} would otherwise only say that --model is missing.
 */
final class UsageErrors implements CommandLine.IParameterExceptionHandler {
    private final boolean trace;

    UsageErrors(boolean trace) {
        this.trace = trace;
    }

    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        List<String> unknown = new ArrayList<>();
        List<String> unmatched = new ArrayList<>(cmd.getUnmatchedArguments());
        if (ex instanceof CommandLine.UnmatchedArgumentException u) unmatched.addAll(u.getUnmatched());
        for (String a : unmatched) {
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (a.startsWith("-") && !unknown.contains(name)) unknown.add(name);
        }
        String see = " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')";
        if (unknown.isEmpty()) {
            err.println("dust4j: error: " + Main.oneLine(ex.getMessage()) + see);
        } else {
            // one line per unknown option; a "missing required option" that its misspelling caused is not repeated
            for (String a : unknown) {
                String best = closest(a, cmd.getCommandSpec().optionsMap().keySet());
                err.println("dust4j: error: unknown option '" + a + "'" + (best == null ? "" : " (did you mean " + best + "?)") + see);
            }
        }
        if (trace) ex.printStackTrace(err);
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The option name nearest to {@code a} in edit distance, if within a third of its length (at least 2). */
    static String closest(String a, Iterable<String> names) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String n : names) {
            if (!n.startsWith("--")) continue;
            int d = distance(a, n);
            if (d < bestD) {
                bestD = d;
                best = n;
            }
        }
        return best != null && bestD <= Math.max(2, a.length() / 3) ? best : null;
    }

    /** Damerau-Levenshtein distance (optimal string alignment): a swap of two letters counts 1. */
    static int distance(String s, String t) {
        int[][] d = new int[s.length() + 1][t.length() + 1];
        for (int i = 0; i <= s.length(); i++) d[i][0] = i;
        for (int j = 0; j <= t.length(); j++) d[0][j] = j;
        for (int i = 1; i <= s.length(); i++) {
            for (int j = 1; j <= t.length(); j++) {
                int c = s.charAt(i - 1) == t.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + c);
                if (i > 1 && j > 1 && s.charAt(i - 1) == t.charAt(j - 2) && s.charAt(i - 2) == t.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[s.length()][t.length()];
    }
}
