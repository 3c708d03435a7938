package org.dust4j.weights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Module;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException.Rule;

/**
 * Loads and saves a model's named parameters by exact name, as PyTorch's {@code load_state_dict}. A model is
 * seen through {@link Slot}s: {@link #slots(Module)} for an autograd module, or {@link #slots(Map, Function,
 * BiConsumer)} for any other holder.
 */
public final class StateDict {
    private StateDict() {}

    /** One named parameter: its current value (dtype and shape are the load target) and a setter. */
    public interface Slot {
        Tensor value();

        void setValue(Tensor t);
    }

    /** Adapts any map of parameter holders (e.g. {@code Map<String, Var>}) to slots, keeping its order. */
    public static <V> Map<String, Slot> slots(Map<String, V> params, Function<V, Tensor> get, BiConsumer<V, Tensor> set) {
        Map<String, Slot> out = new LinkedHashMap<>();
        params.forEach((name, v) -> out.put(name, new Slot() {
            public Tensor value() { return get.apply(v); }

            public void setValue(Tensor t) { set.accept(v, t); }
        }));
        return out;
    }

    /** Slots over an autograd module's {@code namedParameters()} (exact dotted names, registration order). */
    public static Map<String, Slot> slots(Module module) {
        return slots(module.namedParameters(), Var::value, Var::setValue);
    }

    /** Slots over a plain mutable map of tensors (replaces entries on load). */
    public static Map<String, Slot> slots(Map<String, Tensor> tensors) {
        Map<String, Slot> out = new LinkedHashMap<>();
        for (String name : tensors.keySet()) {
            out.put(name, new Slot() {
                public Tensor value() { return tensors.get(name); }

                public void setValue(Tensor t) { tensors.put(name, t); }
            });
        }
        return out;
    }

    /**
     * How checkpoint names map to model names. A checkpoint name first matches {@link #ignorePrefix} (then it is
     * skipped and reported as ignored); otherwise {@link #stripPrefix} is removed (names without it are
     * unexpected) and {@link #addPrefix} is prepended; the result must equal a model name exactly.
     */
    public record Options(boolean strict, String stripPrefix, String addPrefix, List<String> ignorePrefixes) {
        public Options {
            stripPrefix = stripPrefix == null ? "" : stripPrefix;
            addPrefix = addPrefix == null ? "" : addPrefix;
            ignorePrefixes = List.copyOf(ignorePrefixes == null ? List.of() : ignorePrefixes);
        }

        /** Strict, no renaming: every name must match both ways with equal shapes. */
        public static Options strictDefaults() { return new Options(true, "", "", List.of()); }

        public Options strict(boolean s) { return new Options(s, stripPrefix, addPrefix, ignorePrefixes); }

        public Options stripPrefix(String p) { return new Options(strict, p, addPrefix, ignorePrefixes); }

        public Options addPrefix(String p) { return new Options(strict, stripPrefix, p, ignorePrefixes); }

        public Options ignorePrefix(String... p) {
            List<String> l = new ArrayList<>(ignorePrefixes);
            l.addAll(Arrays.asList(p));
            return new Options(strict, stripPrefix, addPrefix, l);
        }
    }

    /**
     * What a load did. Names in {@code missing} are model names; {@code unexpected} and {@code ignored} are
     * checkpoint names; {@code wrongShape} entries read "name: model [..] vs checkpoint [..]".
     */
    public record Report(List<String> loaded, List<String> missing, List<String> unexpected,
                         List<String> wrongShape, List<String> ignored) {
        /** True when nothing was missing, unexpected or of the wrong shape. */
        public boolean clean() { return missing.isEmpty() && unexpected.isEmpty() && wrongShape.isEmpty(); }

        /** One line: counts and the first {@link #SHOWN} names of each kind of problem. */
        public String summary() {
            StringBuilder sb = new StringBuilder();
            sb.append(loaded.size()).append(" loaded");
            if (!missing.isEmpty()) sb.append("; ").append(missing.size()).append(" missing ").append(firstFew(missing));
            if (!unexpected.isEmpty()) sb.append("; ").append(unexpected.size()).append(" unexpected ").append(firstFew(unexpected));
            if (!wrongShape.isEmpty()) sb.append("; ").append(wrongShape.size()).append(" wrong shape ").append(firstFew(wrongShape));
            if (!ignored.isEmpty()) sb.append("; ").append(ignored.size()).append(" ignored");
            return sb.toString();
        }
    }

    /** How many names of each kind a {@link Report#summary()} lists before "... and N more". */
    public static final int SHOWN = 8;

    /** {@code [a, b, ... and N more]}: at most {@link #SHOWN} names, each cut to 200 printable characters. */
    public static String firstFew(List<String> names) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(SHOWN, names.size()); i++) {
            if (i > 0) sb.append(", ");
            String n = SafetensorsException.printable(names.get(i));
            sb.append(n.length() > 200 ? n.substring(0, 200) + "..." : n);
        }
        if (names.size() > SHOWN) sb.append(", ... and ").append(names.size() - SHOWN).append(" more");
        return sb.append(']').toString();
    }

    /** Strict load with no renaming. */
    public static Report load(TensorSource src, Map<String, Slot> params) throws SafetensorsException {
        return load(src, params, Options.strictDefaults());
    }

    /**
     * Loads every matching tensor, converted to the dtype of the parameter's current value. Strict: if any
     * name is missing, unexpected or of the wrong shape nothing is loaded and one error lists them all.
     * Non-strict: matching tensors are loaded and the rest reported.
     */
    public static Report load(TensorSource src, Map<String, Slot> params, Options o) throws SafetensorsException {
        Map<String, String> modelToCkpt = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>(), ignored = new ArrayList<>();
        for (String c : src.names()) {
            if (o.ignorePrefixes().stream().anyMatch(c::startsWith)) {
                ignored.add(c);
                continue;
            }
            if (!c.startsWith(o.stripPrefix())) {
                unexpected.add(c);
                continue;
            }
            String m = o.addPrefix() + c.substring(o.stripPrefix().length());
            if (params.containsKey(m)) modelToCkpt.put(m, c);
            else unexpected.add(c);
        }
        List<String> missing = new ArrayList<>(), wrongShape = new ArrayList<>(), loaded = new ArrayList<>();
        Set<String> badShape = new HashSet<>();
        for (Map.Entry<String, Slot> p : params.entrySet()) {
            String c = modelToCkpt.get(p.getKey());
            if (c == null) {
                missing.add(p.getKey());
                continue;
            }
            long[] want = longs(p.getValue().value().shape());
            long[] have = src.info(c).shape();
            if (!Arrays.equals(want, have)) {
                wrongShape.add(p.getKey() + ": model " + Arrays.toString(want) + " vs checkpoint " + Arrays.toString(have));
                badShape.add(p.getKey());
            }
        }
        Report r0 = new Report(List.of(), missing, unexpected, wrongShape, ignored);
        if (o.strict() && !r0.clean()) {
            throw new SafetensorsException(src.path(), null, Rule.STATE_DICT, r0.summary().replaceFirst("^0 loaded; ", ""));
        }
        for (Map.Entry<String, Slot> p : params.entrySet()) {
            String c = modelToCkpt.get(p.getKey());
            if (c == null || badShape.contains(p.getKey())) continue;
            Tensor cur = p.getValue().value();
            DType target = cur == null ? DType.F32 : cur.dtype();
            p.getValue().setValue(src.toTensor(c, target));
            loaded.add(p.getKey());
        }
        return new Report(List.copyOf(loaded), List.copyOf(missing), List.copyOf(unexpected), List.copyOf(wrongShape), List.copyOf(ignored));
    }

    /** Tensors of the slots, in order, with an optional name prefix (the names written back). */
    public static Map<String, Tensor> tensors(Map<String, Slot> params, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        String p = prefix == null ? "" : prefix;
        params.forEach((n, s) -> out.put(p + n, s.value()));
        return out;
    }

    /**
     * Saves parameters under their names (plus {@code prefix}) into one file, or, when {@code maxShardBytes > 0},
     * into shards with an index in the directory {@code out}. {@code as} converts floating tensors (null keeps
     * each tensor's dtype). Returns the path to open.
     */
    public static Path save(Map<String, Slot> params, Path out, String prefix, SafeDType as,
                            Map<String, String> metadata, long maxShardBytes) throws IOException {
        Map<String, Tensor> t = tensors(params, prefix);
        if (maxShardBytes > 0) {
            ShardedWriter w = new ShardedWriter(maxShardBytes);
            if (metadata != null) w.metadata(metadata);
            for (Map.Entry<String, Tensor> e : t.entrySet()) w.put(e.getKey(), e.getValue(), target(e.getValue(), as));
            return w.write(out);
        }
        SafetensorsWriter w = new SafetensorsWriter();
        if (metadata != null) w.metadata(metadata);
        for (Map.Entry<String, Tensor> e : t.entrySet()) w.put(e.getKey(), e.getValue(), target(e.getValue(), as));
        w.write(out);
        return out;
    }

    private static SafeDType target(Tensor t, SafeDType as) {
        return as != null && t.dtype().isFloating() ? as : SafeDType.of(t.dtype());
    }

    private static long[] longs(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) l[i] = s[i];
        return l;
    }
}
