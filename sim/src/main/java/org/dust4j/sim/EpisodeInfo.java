package org.dust4j.sim;

/**
 * One manifest entry.
 *
 * @param index       global episode index (tensor names are {@code ep<index>.*})
 * @param shard       shard file name
 * @param task        task name
 * @param instruction instruction text
 * @param seed        layout and expert seed
 * @param length      number of actions T (the episode has T+1 frames)
 * @param success     whether the episode solved the task
 */
public record EpisodeInfo(int index, String shard, String task, String instruction, long seed, int length, boolean success) {
    /** The name prefix of this episode's tensors. */
    public String key() { return String.format("ep%06d", index); }
}
