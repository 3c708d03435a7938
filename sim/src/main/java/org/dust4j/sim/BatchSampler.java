package org.dust4j.sim;

import org.dust4j.tensor.Parallel;
import org.dust4j.tensor.Tensor;

/**
 * Draws training batches from a dataset: samples (episode, t) uniformly over all steps (longer episodes
 * are drawn more often), with replacement, from a seeded stream, and builds the model inputs: VL tokens of
 * frame t and the instruction, the padded state at t, the action chunk t..t+Ta-1 with its mask, and the future
 * target tokens of frame min(t + Ta, T). Action-free datasets give has_action 0, zero state and actions and
 * an all-zero mask.
 */
public final class BatchSampler {
    /**
     * Model-side sizes.
     *
     * @param actionHorizon Ta
     * @param actionDim     Da (>= 4)
     * @param maxStateDim   Ds (>= World.STATE_DIM)
     * @param embodimentId  category id written into every sample
     */
    public record Spec(int actionHorizon, int actionDim, int maxStateDim, int embodimentId) {
        public Spec {
            if (actionHorizon < 1) throw new IllegalArgumentException("BatchSampler: action horizon must be >= 1, got " + actionHorizon);
            if (actionDim < World.ACTION_DIM)
                throw new IllegalArgumentException("BatchSampler: action_dim " + actionDim + " is smaller than the simulator's " + World.ACTION_DIM);
            if (maxStateDim < World.STATE_DIM)
                throw new IllegalArgumentException("BatchSampler: max_state_dim " + maxStateDim + " is smaller than the simulator's " + World.STATE_DIM);
        }
    }

    private final DatasetReader data;
    private final Spec spec;
    private final VisionLanguageEncoder enc;
    private final SimRng rng;
    private final long[] cumulative;   // cumulative[i] = steps in episodes 0..i-1

    /** A sampler over {@code data} with its own random stream {@code seed}. */
    public BatchSampler(DatasetReader data, Spec spec, VisionLanguageEncoder enc, long seed) {
        this.data = data;
        this.spec = spec;
        this.enc = enc;
        this.rng = new SimRng(seed);
        int n = data.episodes().size();
        cumulative = new long[n + 1];
        for (int i = 0; i < n; i++) cumulative[i + 1] = cumulative[i] + data.episodes().get(i).length();
        if (cumulative[n] == 0) throw new IllegalArgumentException("BatchSampler: dataset " + data.dir() + " has no steps");
    }

    /** The next random batch of {@code batchSize} samples. */
    public Batch next(int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("BatchSampler: batch size must be >= 1, got " + batchSize);
        int[] eps = new int[batchSize], steps = new int[batchSize];
        long total = cumulative[cumulative.length - 1];
        for (int b = 0; b < batchSize; b++) {
            long g = (long) (rng.uniform() * total);
            int lo = 0, hi = cumulative.length - 2;
            while (lo < hi) {                     // last episode with cumulative[e] <= g
                int mid = (lo + hi + 1) >>> 1;
                if (cumulative[mid] <= g) lo = mid;
                else hi = mid - 1;
            }
            eps[b] = lo;
            steps[b] = (int) (g - cumulative[lo]);
        }
        return batch(eps, steps);
    }

    /** The batch of the given (episode, step) pairs. */
    public Batch batch(int[] episodes, int[] steps) {
        int bsz = episodes.length;
        if (steps.length != bsz) throw new IllegalArgumentException("BatchSampler: " + bsz + " episodes but " + steps.length + " steps");
        int s = enc.vlTokens(), dvl = enc.vlDim(), to = enc.visionTokens(), dv = enc.visionDim();
        int ta = spec.actionHorizon(), da = spec.actionDim(), ds = spec.maxStateDim();
        float[] vl = new float[bsz * s * dvl];
        float[] state = new float[bsz * ds];
        float[] act = new float[bsz * ta * da];
        float[] mask = new float[bsz * ta * da];
        float[] fut = new float[bsz * to * dv];
        float[] has = new float[bsz];
        long[] ids = new long[bsz];
        boolean labelled = !data.actionFree();
        for (int b = 0; b < bsz; b++) {
            int e = episodes[b], t = steps[b];
            if (e < 0 || e >= data.episodes().size())
                throw new IndexOutOfBoundsException("BatchSampler: episode " + e + " out of range [0, " + data.episodes().size() + ")");
            int len = data.episodes().get(e).length();
            if (t < 0 || t >= len)
                throw new IndexOutOfBoundsException("BatchSampler: step " + t + " out of range [0, " + len + ") in episode " + e);
        }
        // samples are independent: encode them in parallel (each writes only its own slices, so the result
        // does not depend on the thread count)
        Parallel.forRange(bsz, 1, (from, to2) -> {
            for (int b = from; b < to2; b++) fill(b, episodes[b], steps[b], labelled, vl, state, act, mask, fut, has, ids);
        });
        return new Batch(Tensor.of(vl, bsz, s, dvl), Tensor.of(state, bsz, 1, ds), Tensor.of(act, bsz, ta, da),
                Tensor.of(mask, bsz, ta, da), Tensor.of(fut, bsz, to, dv), Tensor.of(has, bsz), Tensor.ofLongs(ids, bsz),
                episodes.clone(), steps.clone());
    }

    private void fill(int b, int e, int t, boolean labelled, float[] vl, float[] state, float[] act, float[] mask, float[] fut,
                      float[] has, long[] ids) {
        int s = enc.vlTokens(), dvl = enc.vlDim(), to = enc.visionTokens(), dv = enc.visionDim();
        int ta = spec.actionHorizon(), da = spec.actionDim(), ds = spec.maxStateDim();
        EpisodeInfo info = data.episodes().get(e);
        enc.encodeVl(data.frame(e, t), info.instruction(), vl, b * s * dvl);
        enc.encodeFuture(data.frame(e, Math.min(t + ta, info.length())), fut, b * to * dv);
        ids[b] = spec.embodimentId();
        if (!labelled) return;
        has[b] = 1;
        System.arraycopy(data.state(e, t), 0, state, b * ds, World.STATE_DIM);
        for (int i = 0; i < ta && t + i < info.length(); i++) {
            float[] a = data.action(e, t + i);
            int o = (b * ta + i) * da;
            for (int d = 0; d < World.ACTION_DIM; d++) {
                act[o + d] = a[d];
                mask[o + d] = 1;
            }
        }
    }
}
