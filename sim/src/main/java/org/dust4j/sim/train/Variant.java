package org.dust4j.sim.train;

import java.util.Arrays;
import java.util.Locale;
import org.dust4j.model.DustConfig;
import org.dust4j.model.FlareConfig;
import org.dust4j.model.Gr00tConfig;
import org.dust4j.model.ModelConfig;
import org.dust4j.sim.FrozenRandomEncoder;
import org.dust4j.sim.World;

/**
 * The five policy heads of the ablation, all at one small size for CPU training (inner width D = 64 as 4 heads x
 * 16, hidden 64, depth 4, horizon 16) on the frozen random encoder {@link #ENCODER} (Dvl 32, 16 future tokens of
 * width 16). Depth is matched as in the paper's ablation: GR00T/FLARE 4 DiT blocks, single-stream 4 blocks,
 * dual-stream 3 joint (MMDiT) blocks + 1 block per stream.
 */
public enum Variant {
    /** GR00T-N1.5 head: standard VLA, action flow matching only (keeps its learnable future tokens, no loss on them). */
    GR00T("gr00t", "GR00T-N1.5 head (standard VLA)"),
    /** GR00T head + FLARE future-latent alignment (implicit world model). */
    FLARE("flare", "GR00T + FLARE alignment loss"),
    /** DUST losses on one shared stream, decoupled noise. */
    SINGLE_DECOUPLED("single-decoupled", "single-stream + decoupled noise"),
    /** Dual-stream MMDiT, one noise level for both modalities. */
    DUAL_JOINT("dual-joint", "dual-stream + joint noise"),
    /** DUST: dual-stream MMDiT + decoupled noise. */
    DUST("dust", "DUST (dual-stream + decoupled noise)");

    /** The frozen encoder of every variant: Dvl 32, Dv 16, To 16 (4x4 grid), 10 instruction words, seed 7. */
    public static final FrozenRandomEncoder.Config ENCODER = new FrozenRandomEncoder.Config(32, 16, 16, 10, 7);

    static final int HEADS = 4, HEAD_DIM = 16, HIDDEN = 64, LAYERS = 4, HORIZON = 16;
    static final double DROPOUT = 0.0;

    private final String id;
    private final String label;

    Variant(String id, String label) {
        this.id = id;
        this.label = label;
    }

    /** Command-line name. */
    public String id() { return id; }

    /** Table label. */
    public String label() { return label; }

    /** The variant named {@code s}; unknown names list the known ones. */
    public static Variant parse(String s) {
        for (Variant v : values()) if (v.id.equals(s.trim().toLowerCase(Locale.ROOT))) return v;
        throw new IllegalArgumentException("unknown variant '" + s + "' (known: "
                + String.join(", ", Arrays.stream(values()).map(Variant::id).toList()) + ")");
    }

    /** This variant's model config. */
    public ModelConfig config() {
        var e = ENCODER;
        return switch (this) {
            case GR00T -> gr00t();
            case FLARE -> new FlareConfig(gr00t(), new FlareConfig.Flare(3, 0.2, e.visionDim(), e.visionTokens())).validate();
            case SINGLE_DECOUPLED -> dust(DustConfig.SINGLE_STREAM, true);
            case DUAL_JOINT -> dust(DustConfig.DUAL_STREAM, false);
            case DUST -> dust(DustConfig.DUAL_STREAM, true);
        };
    }

    private static DustConfig dust(String arch, boolean decoupled) {
        var e = ENCODER;
        int vlHeads = 2;
        return new DustConfig("dust", arch, e.vlDim(), true, new DustConfig.VlSelfAttention(1, vlHeads, e.vlDim() / vlHeads), HEADS, HEAD_DIM,
                HIDDEN, LAYERS - 1, 1, World.ACTION_DIM, HORIZON, World.STATE_DIM, 1, e.visionDim(), e.visionTokens(), HORIZON, 1000,
                1.5, 1.0, 0.999, 1.0, decoupled, 4, DROPOUT).validate();
    }

    private static Gr00tConfig gr00t() {
        var e = ENCODER;
        int vlHeads = 2, d = HEADS * HEAD_DIM;
        var dit = new Gr00tConfig.DiffusionModelCfg(HEAD_DIM, HEADS, LAYERS, e.vlDim(), DROPOUT, true, true, "ada_norm", HIDDEN, null);
        var vsa = new Gr00tConfig.VlSelfAttentionCfg(e.vlDim() / vlHeads, vlHeads, 1, DROPOUT, true, null);
        var head = new Gr00tConfig.ActionHeadCfg(World.ACTION_DIM, HORIZON, true, e.vlDim(), HIDDEN, d, World.ACTION_DIM, World.STATE_DIM, 1,
                HORIZON, 1.5, 1.0, 0.999, 1000, 4, e.visionTokens(), true, dit, vsa);
        return new Gr00tConfig("gr00t_n1_5", null, HORIZON, World.ACTION_DIM, HIDDEN, null, head).validate();
    }

    /** The future-target shape [To, Dv] a config trains on, or null (GR00T). */
    public static int[] futureShape(ModelConfig c) {
        return switch (c) {
            case DustConfig d -> new int[] {d.numVisionTokens(), d.visionTokenDim()};
            case FlareConfig f -> new int[] {f.flare().numTargetTokens(), f.flare().targetTokenDim()};
            case Gr00tConfig g -> null;
        };
    }
}
