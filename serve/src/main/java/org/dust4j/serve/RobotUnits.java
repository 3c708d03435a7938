package org.dust4j.serve;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bridge between robot units and the model's normalised vectors for one embodiment: state keys are
 * normalised and concatenated in data-config order (then zero-padded to max_state_dim by the policy, as GR00T
 * pads), and the model's action rows [Ta][Da] are cut into the action keys in order (the first Σ widths columns)
 * and unnormalised, as GR00T's {@code StateActionTransform} / concat transforms do.
 */
public final class RobotUnits {
    /**
     * One key: its name with prefix, width and normaliser.
     *
     * @param name       e.g. {@code state.single_arm}
     * @param width      values per step
     * @param normalizer its normaliser
     */
    public record Key(String name, int width, Normalizer normalizer) {}

    private final String tag;
    private final int embodimentId;
    private final List<Key> state;
    private final List<Key> action;
    private final DataConfig config;

    private RobotUnits(String tag, int embodimentId, List<Key> state, List<Key> action, DataConfig config) {
        this.tag = tag;
        this.embodimentId = embodimentId;
        this.state = List.copyOf(state);
        this.action = List.copyOf(action);
        this.config = config;
    }

    /**
     * Builds the layout and checks it against the model: Σ state widths &lt;= maxStateDim, Σ action widths &lt;=
     * actionDim, one observation step, action indices as long as the horizon, embodiment id &lt; maxEmbodiments,
     * every key with statistics for its mode, discrete keys binary only.
     */
    public static RobotUnits create(Gr00tMetadata meta, DataConfig dc, int maxStateDim, int actionDim, int horizon, int maxEmbodiments) {
        DataConfig c = dc.withDefaults(meta, horizon);
        Gr00tMetadata.Embodiment e = meta.embodiment(c.embodimentTag());
        int id = c.embodimentId() != null ? c.embodimentId() : EmbodimentTags.projectorIndex(c.embodimentTag());
        if (id < 0 || id >= maxEmbodiments) throw new IllegalArgumentException("embodiment id " + id + " is outside the model's 0.." + (maxEmbodiments - 1));
        if (c.observationIndices().size() != 1) {
            throw new IllegalArgumentException("observation_indices " + c.observationIndices() + ": dust4j serves policies with one observation step");
        }
        if (c.actionIndices().size() != horizon) {
            throw new IllegalArgumentException("action_indices has " + c.actionIndices().size() + " steps, the model's action horizon is " + horizon);
        }
        for (String k : c.normalization().keySet()) {
            if (!c.stateKeys().contains(k) && !c.actionKeys().contains(k)) {
                throw new IllegalArgumentException("normalization names \"" + k + "\", which is neither a state key nor an action key");
            }
        }
        List<Key> st = keys(e, c, c.stateKeys(), "state.", maxStateDim, "max_state_dim");
        List<Key> ac = keys(e, c, c.actionKeys(), "action.", actionDim, "action_dim");
        if (ac.isEmpty()) throw new IllegalArgumentException("the data config has no action keys");
        return new RobotUnits(c.embodimentTag(), id, st, ac, c);
    }

    /** {@link #create} with the dimensions of a model config. */
    public static RobotUnits forModel(Gr00tMetadata meta, DataConfig dc, org.dust4j.model.ModelConfig c) {
        return create(meta, dc, c.stateDim(), c.actionDimension(), c.horizon(), c.embodiments());
    }

    private static List<Key> keys(Gr00tMetadata.Embodiment e, DataConfig c, List<String> names, String prefix, int limit, String limitName) {
        List<Key> out = new ArrayList<>();
        int total = 0;
        for (String name : names) {
            if (!name.startsWith(prefix)) throw new IllegalArgumentException("key \"" + name + "\" should start with \"" + prefix + "\"");
            Gr00tMetadata.KeyInfo info = e.keys().get(name);
            if (info == null) throw new IllegalArgumentException("key \"" + name + "\" is not in the metadata of \"" + e.tag() + "\" (it has " + e.keys().keySet() + ")");
            Normalizer.Mode mode = Normalizer.Mode.parse(c.normalization().getOrDefault(name, info.continuous() ? "min_max" : "binary"));
            if (!info.continuous() && mode != Normalizer.Mode.BINARY) {
                throw new IllegalArgumentException(name + " is not continuous, so it must use binary normalisation (GR00T's rule), not " + mode.gr00tName());
            }
            Gr00tMetadata.Stats s = e.stats().get(name);
            float[][] lh = switch (mode) {
                case BINARY -> new float[][] {null, null};
                case MIN_MAX -> new float[][] {need(s, s == null ? null : s.min(), name, "min"), need(s, s == null ? null : s.max(), name, "max")};
                case Q99 -> new float[][] {need(s, s == null ? null : s.q01(), name, "q01"), need(s, s == null ? null : s.q99(), name, "q99")};
                case MEAN_STD -> new float[][] {need(s, s == null ? null : s.mean(), name, "mean"), need(s, s == null ? null : s.std(), name, "std")};
            };
            out.add(new Key(name, info.width(), new Normalizer(mode, lh[0], lh[1])));
            total += info.width();
        }
        if (total > limit) throw new IllegalArgumentException(prefix + "* keys hold " + total + " values together, the model's " + limitName + " is " + limit);
        return out;
    }

    private static float[] need(Gr00tMetadata.Stats s, float[] v, String key, String stat) {
        if (v == null) throw new IllegalArgumentException("metadata has no " + stat + " statistics for " + key);
        return v;
    }

    /** The embodiment tag. */
    public String tag() {
        return tag;
    }

    /** The projector index the model uses for this embodiment. */
    public int embodimentId() {
        return embodimentId;
    }

    /** State keys in concatenation order. */
    public List<Key> stateKeys() {
        return state;
    }

    /** Action keys in concatenation order. */
    public List<Key> actionKeys() {
        return action;
    }

    /** The data config with defaults filled in. */
    public DataConfig dataConfig() {
        return config;
    }

    /** Normalises one step of every state key and concatenates them (values of missing keys are an error). */
    public float[] normaliseState(Map<String, float[]> raw) {
        int total = state.stream().mapToInt(Key::width).sum();
        float[] out = new float[total];
        int off = 0;
        for (Key k : state) {
            float[] v = raw.get(k.name());
            if (v == null) throw new IllegalArgumentException("state key \"" + k.name() + "\" is missing");
            if (v.length != k.width()) throw new IllegalArgumentException(k.name() + " has " + v.length + " values per step, the metadata says " + k.width());
            System.arraycopy(v, 0, out, off, k.width());
            k.normalizer().forward(out, off, k.width());
            off += k.width();
        }
        return out;
    }

    /** Cuts normalised action rows [Ta][Da] into the action keys and unnormalises each: key to [Ta][width]. */
    public Map<String, float[][]> unnormaliseActions(float[][] rows) {
        Map<String, float[][]> out = new LinkedHashMap<>();
        int off = 0;
        for (Key k : action) {
            float[][] a = new float[rows.length][];
            for (int t = 0; t < rows.length; t++) {
                a[t] = java.util.Arrays.copyOfRange(rows[t], off, off + k.width());
                k.normalizer().inverse(a[t], 0, k.width());
            }
            out.put(k.name(), a);
            off += k.width();
        }
        return out;
    }
}
