package org.dust4j.serve;

import java.util.List;

/**
 * GR00T's {@code ModalityConfig}: which time offsets of a modality the policy reads (observations) or
 * produces (actions), and the keys of the modality. Travels in the protocol as
 * {@code {"__ModalityConfig_class__": true, "as_json": "{\"delta_indices\":[..],\"modality_keys\":[..]}"}}.
 *
 * @param deltaIndices  time offsets, e.g. {@code [0]} for the current observation or {@code 0..15} for a chunk
 * @param modalityKeys  keys such as {@code "state.single_arm"}
 */
public record ModalityConfig(List<Integer> deltaIndices, List<String> modalityKeys) {
    /** Copies the lists. */
    public ModalityConfig {
        deltaIndices = List.copyOf(deltaIndices);
        modalityKeys = List.copyOf(modalityKeys);
    }
}
