package org.dust4j.sim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.tensor.Tensor;

/**
 * One training batch, named as the model contract's {@code loss} inputs.
 *
 * @param vl           VL tokens {@code [B, S, Dvl]} of the current frame and instruction
 * @param state        state {@code [B, 1, Ds]}, zero-padded (zeros for action-free samples)
 * @param actions      action chunk {@code [B, Ta, Da]}: actions t..t+Ta-1, zero-padded past the episode end and past dim 4
 * @param actionMask   {@code [B, Ta, Da]}: 1 where {@code actions} holds a real action value, else 0
 * @param future       future target tokens {@code [B, To, Dv]} of frame min(t + Ta, T)
 * @param hasAction    {@code [B]}: 1 for action-labelled samples, 0 for action-free ones
 * @param embodimentId {@code [B]} I64
 * @param episodes     source episode index per sample
 * @param steps        source step t per sample
 */
public record Batch(Tensor vl, Tensor state, Tensor actions, Tensor actionMask, Tensor future, Tensor hasAction,
                    Tensor embodimentId, int[] episodes, int[] steps) {
    /** The tensors by their contract names (vl, state, actions, action_mask, future, has_action, embodiment_id). */
    public Map<String, Tensor> asMap() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("vl", vl);
        m.put("state", state);
        m.put("actions", actions);
        m.put("action_mask", actionMask);
        m.put("future", future);
        m.put("has_action", hasAction);
        m.put("embodiment_id", embodimentId);
        return m;
    }

    /** Batch size. */
    public int size() { return episodes.length; }
}
