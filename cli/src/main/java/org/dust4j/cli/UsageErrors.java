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
    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        List<String> unknown = new ArrayList<>();
        for (String a : cmd.getUnmatchedArguments()) if (a.startsWith("-")) unknown.add(a.contains("=") ? a.substring(0, a.indexOf('=')) : a);
        if (ex instanceof CommandLine.UnmatchedArgumentException u) {
            for (String a : u.getUnmatched()) if (a.startsWith("-") && !unknown.contains(a)) unknown.add(a.contains("=") ? a.substring(0, a.indexOf('=')) : a);
        }
        if (unknown.isEmpty()) {
            err.println("dust4j: " + ex.getMessage());
        } else {
            for (String a : unknown) {
                String best = closest(a, cmd.getCommandSpec().optionsMap().keySet());
                err.println("dust4j: unknown option '" + a + "'" + (best == null ? "" : " (did you mean " + best + "?)"));
            }
            if (!(ex instanceof CommandLine.UnmatchedArgumentException)) err.println("dust4j: " + ex.getMessage());
        }
        err.println("Run 'dust4j " + qualifiedName(cmd) + " --help' for the options.");
        err.flush();
        return 2;
    }

    private static String qualifiedName(CommandLine cmd) {
        String q = cmd.getCommandSpec().qualifiedName(" ");
        return q.startsWith("dust4j") ? q.substring(6).strip() : q;
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
