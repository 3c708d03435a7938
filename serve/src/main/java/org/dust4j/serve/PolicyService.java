package org.dust4j.serve;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.dust4j.model.DustPolicy;
import org.dust4j.model.ModelConfig;

/**
 * The endpoints of GR00T's {@code RobotInferenceServer} over a {@link DustPolicy} and the robot-unit layout of one
 * embodiment, independent of the transport.
 *
 * <p>{@code get_action} takes GR00T's observation dictionary. State keys are arrays [T, width] (unbatched) or
 * [B, T, width] (batched; GR00T's rule: the request is unbatched when a state array has fewer than 3 dimensions),
 * with T = 1. Until the Java vision-language backbone encodes {@code video.*} and {@code annotation.*} (they are
 * accepted and ignored), the request carries the backbone output itself:
 * <ul>
 *   <li>{@value #FEATURES}: float array [S, Dvl] or [B, S, Dvl], the VL features GR00T's backbone would produce
 *       ({@code backbone_features}) for this observation;</li>
 *   <li>{@value #SEED} (optional): integer seed of the initial noise; else the server draws from its own counter.</li>
 * </ul>
 * The reply maps each action key to float32 [Ta, width] (or [B, Ta, width]) in robot units.
 */
public final class PolicyService {
    /** Request key of the precomputed VL features. */
    public static final String FEATURES = "backbone_features";
    /** Request key of the optional noise seed. */
    public static final String SEED = "noise_seed";
    /** Most VL tokens accepted per observation. */
    public static final int MAX_TOKENS = 4096;
    /** Largest batch accepted in one request. */
    public static final int MAX_BATCH = 64;

    private final DustPolicy policy;
    private final RobotUnits units;
    private final AtomicLong seeds;

    /** Serves {@code policy} in the robot units of {@code units}; {@code seed} starts the per-request noise seeds. */
    public PolicyService(DustPolicy policy, RobotUnits units, long seed) {
        this.policy = policy;
        this.units = units;
        this.seeds = new AtomicLong(seed);
    }

    /** The layout served. */
    public RobotUnits units() {
        return units;
    }

    /** {@code ping}: GR00T's reply. */
    public Map<String, Object> ping() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("status", "ok");
        r.put("message", "Server is running");
        return r;
    }

    /** {@code get_modality_config}: video/state/action/language configs as GR00T's policy reports them. */
    public Map<String, Object> modalityConfig() {
        DataConfig c = units.dataConfig();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("video", new ModalityConfig(c.observationIndices(), c.videoKeys()));
        r.put("state", new ModalityConfig(c.observationIndices(), c.stateKeys()));
        r.put("action", new ModalityConfig(c.actionIndices(), c.actionKeys()));
        r.put("language", new ModalityConfig(c.observationIndices(), c.languageKeys()));
        return r;
    }

    /** {@code get_action}: see the class comment. Bad requests throw {@link IllegalArgumentException} with one line. */
    public Map<String, Object> getAction(Map<String, Object> obs) {
        ModelConfig mc = policy.model().config();
        for (String k : obs.keySet()) {
            boolean known = k.equals(FEATURES) || k.equals(SEED) || k.startsWith("video.") || k.startsWith("annotation.")
                    || units.dataConfig().languageKeys().contains(k) || units.stateKeys().stream().anyMatch(s -> s.name().equals(k));
            if (!known) {
                throw new IllegalArgumentException("get_action: unknown key \"" + k + "\" (state keys: "
                        + units.stateKeys().stream().map(RobotUnits.Key::name).toList() + ", plus " + FEATURES + ", video.*, annotation.*)");
            }
        }
        NdArray feats = array(obs, FEATURES);
        if (feats == null) {
            throw new IllegalArgumentException("get_action: \"" + FEATURES + "\" [S," + mc.vlDim() + "] is required: dust4j does not encode "
                    + "video/language yet, send the VL backbone's features");
        }
        boolean batched = false;
        for (RobotUnits.Key k : units.stateKeys()) {
            NdArray a = array(obs, k.name());
            if (a == null) throw new IllegalArgumentException("get_action: state key \"" + k.name() + "\" is missing");
            if (a.rank() == 3) batched = true;
        }
        int b = batched ? feats.shape()[0] : 1;
        int[] fs = feats.shape();
        if (fs.length != (batched ? 3 : 2) || fs[fs.length - 1] != mc.vlDim() || fs[fs.length - 2] < 1 || fs[fs.length - 2] > MAX_TOKENS) {
            throw new IllegalArgumentException("get_action: " + FEATURES + " has shape " + java.util.Arrays.toString(fs) + ", expected "
                    + (batched ? "[B,S," : "[S,") + mc.vlDim() + "] with 1 <= S <= " + MAX_TOKENS);
        }
        if (b < 1 || b > MAX_BATCH) throw new IllegalArgumentException("get_action: batch of " + b + ", the limit is " + MAX_BATCH);
        if (!feats.isFloating()) throw new IllegalArgumentException("get_action: " + FEATURES + " must be a float array, got " + feats.dtype());
        int s = fs[fs.length - 2];
        float[] vl = feats.toFloats(FEATURES);
        List<float[]> states = stateVectors(obs, batched, b);
        long seed0 = seedOf(obs, b);
        List<Map<String, float[][]>> outs = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            float[][] rows = new float[s][];
            for (int r = 0; r < s; r++) rows[r] = java.util.Arrays.copyOfRange(vl, (i * s + r) * mc.vlDim(), (i * s + r + 1) * mc.vlDim());
            DustPolicy.ActionChunk chunk = policy.sample(new DustPolicy.Observation(rows, states.get(i), units.embodimentId(), seed0 + i));
            outs.add(units.unnormaliseActions(chunk.actions()));
        }
        Map<String, Object> reply = new LinkedHashMap<>();
        for (RobotUnits.Key k : units.actionKeys()) {
            int ta = outs.get(0).get(k.name()).length;
            float[] all = new float[b * ta * k.width()];
            for (int i = 0; i < b; i++) {
                float[][] a = outs.get(i).get(k.name());
                for (int t = 0; t < ta; t++) System.arraycopy(a[t], 0, all, (i * ta + t) * k.width(), k.width());
            }
            reply.put(k.name(), batched ? NdArray.ofFloats(all, b, ta, k.width()) : NdArray.ofFloats(all, ta, k.width()));
        }
        return reply;
    }

    private List<float[]> stateVectors(Map<String, Object> obs, boolean batched, int b) {
        List<Map<String, float[]>> raw = new ArrayList<>();
        for (int i = 0; i < b; i++) raw.add(new LinkedHashMap<>());
        for (RobotUnits.Key k : units.stateKeys()) {
            NdArray a = array(obs, k.name());
            int[] sh = a.shape();
            int want = batched ? 3 : 2;
            if (sh.length != want || (batched && sh[0] != b) || sh[want - 2] != 1 || sh[want - 1] != k.width()) {
                throw new IllegalArgumentException("get_action: " + k.name() + " has shape " + java.util.Arrays.toString(sh) + ", expected "
                        + (batched ? "[" + b + ",1," : "[1,") + k.width() + "] (one observation step of " + k.width() + " values)");
            }
            float[] v = a.toFloats(k.name());
            for (int i = 0; i < b; i++) raw.get(i).put(k.name(), java.util.Arrays.copyOfRange(v, i * k.width(), (i + 1) * k.width()));
        }
        List<float[]> out = new ArrayList<>();
        for (Map<String, float[]> m : raw) out.add(units.normaliseState(m));
        return out;
    }

    private long seedOf(Map<String, Object> obs, int b) {
        Object s = obs.get(SEED);
        if (s == null) return seeds.getAndAdd(b);
        if (s instanceof Long l) return l;
        throw new IllegalArgumentException("get_action: " + SEED + " must be an integer, got " + s);
    }

    private static NdArray array(Map<String, Object> obs, String key) {
        Object v = obs.get(key);
        if (v == null) return null;
        if (v instanceof NdArray a) return a;
        throw new IllegalArgumentException("get_action: \"" + key + "\" must be a numpy array, got " + describe(v));
    }

    static String describe(Object v) {
        return switch (v) {
            case Map<?, ?> m -> "a map";
            case List<?> l -> "a list";
            case byte[] b -> "bytes";
            default -> v.getClass().getSimpleName();
        };
    }
}
