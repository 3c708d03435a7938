package org.dust4j.serve;

import java.util.Map;

/**
 * GR00T-N1.5's embodiment tags and the projector index each selects in the action head's category-specific
 * layers ({@code gr00t/data/embodiment_tags.py}, {@code EMBODIMENT_TAG_MAPPING}).
 */
public final class EmbodimentTags {
    private EmbodimentTags() {}

    /** Tag name to projector index, as published for GR00T-N1.5. */
    public static final Map<String, Integer> GR00T_N1_5 = Map.of(
            "new_embodiment", 31,
            "oxe_droid", 17,
            "genie1_gripper", 26,
            "gr1", 24);

    /** The projector index of a tag; unknown tags are an error listing the known ones. */
    public static int projectorIndex(String tag) {
        Integer i = GR00T_N1_5.get(tag);
        if (i == null) {
            throw new IllegalArgumentException("embodiment tag \"" + tag + "\" has no GR00T-N1.5 projector index (known: "
                    + new java.util.TreeMap<>(GR00T_N1_5) + "); set \"embodiment_id\" in the data config");
        }
        return i;
    }
}
