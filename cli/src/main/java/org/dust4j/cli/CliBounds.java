package org.dust4j.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Range checks of every numeric command-line option, applied by {@link Main} to what the user typed, before any
 * command runs: one line naming the option, the value and the allowed range. Reals must also be finite: the
 * converters installed by {@link #install} refuse NaN and values that overflow to Infinity ({@code --lr 1e39}).
 * Options not listed here (seeds) take any value of their type.
 */
final class CliBounds {
    private CliBounds() {}

    /** Inclusive bounds by option name (reals may exclude their lower bound, see {@link #OPEN_LOW}). */
    static final Map<String, double[]> BOUNDS = Map.ofEntries(
            Map.entry("--steps", new double[] {1, 100_000_000}),
            Map.entry("--batch-size", new double[] {1, 65_536}),
            Map.entry("--lr", new double[] {0, 10}),
            Map.entry("--checkpoint-every", new double[] {1, 100_000_000}),
            Map.entry("--episodes-per-task", new double[] {1, 1_000_000}),
            Map.entry("--sweep-episodes-per-task", new double[] {1, 1_000_000}),
            Map.entry("--episodes-per-shard", new double[] {1, 1_000_000}),
            Map.entry("--execute-steps", new double[] {1, 65_536}),
            Map.entry("--threads", new double[] {1, 1024}),
            Map.entry("--action-steps", new double[] {0, org.dust4j.model.SamplerOptions.MAX_STEPS}),
            Map.entry("--q", new double[] {1, org.dust4j.model.SamplerOptions.MAX_STEPS}),
            Map.entry("--top-size", new double[] {4, 1024}),
            Map.entry("--wrist-size", new double[] {4, 1024}),
            Map.entry("--horizon", new double[] {1, 65_536}),
            Map.entry("--frames", new double[] {1, 64}),
            Map.entry("--scale", new double[] {1, 16}));

    /** Options whose lower bound is exclusive (a learning rate of 0 trains nothing). */
    static final java.util.Set<String> OPEN_LOW = java.util.Set.of("--lr");

    /** Finite-only converters for float and double options. */
    static void install(CommandLine cl) {
        cl.registerConverter(Float.class, CliBounds::parseFloat);
        cl.registerConverter(float.class, CliBounds::parseFloat);
        cl.registerConverter(Double.class, CliBounds::parseDouble);
        cl.registerConverter(double.class, CliBounds::parseDouble);
    }

    static Float parseFloat(String s) {
        float v = Float.parseFloat(s.trim());
        if (!Float.isFinite(v)) throw new CommandLine.TypeConversionException("'" + s + "' is not a finite 32-bit number");
        return v;
    }

    static Double parseDouble(String s) {
        double v = Double.parseDouble(s.trim());
        if (!Double.isFinite(v)) throw new CommandLine.TypeConversionException("'" + s + "' is not a finite number");
        return v;
    }

    /** Checks the options the user gave, in the command and its subcommands. */
    static void check(ParseResult pr) {
        for (ParseResult p = pr; p != null; p = p.subcommand()) {
            for (OptionSpec o : p.matchedOptions()) {
                double[] b = BOUNDS.get(o.longestName());
                Object v = o.getValue();
                if (b == null || !(v instanceof Number n)) continue;
                double x = n.doubleValue();
                boolean low = OPEN_LOW.contains(o.longestName()) ? x > b[0] : x >= b[0];
                if (!low || x > b[1] || Double.isNaN(x)) {
                    throw new CommandLine.ParameterException(p.commandSpec().commandLine(), String.format(Locale.ROOT,
                            "option '%s': %s is out of range; allowed %s%s, %s]", o.longestName(), v,
                            OPEN_LOW.contains(o.longestName()) ? "(" : "[", fmt(b[0]), fmt(b[1])));
                }
            }
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
