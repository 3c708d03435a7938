package org.dust4j.sim.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.dust4j.model.ModelConfig;
import org.dust4j.sim.BatchSampler;
import org.dust4j.sim.FrozenRandomEncoder;
import org.dust4j.sim.LearnedEncoder;
import org.dust4j.sim.OracleEncoder;
import org.dust4j.sim.TokenGridEncoder;
import org.dust4j.sim.VisionLanguageEncoder;
import org.dust4j.sim.Renderer;
import org.dust4j.sim.World;

/**
 * How a policy sees the simulator: the frozen encoder's settings, the camera sizes and the model-side sizes
 * (horizon, action/state padding, embodiment id). Stored as {@code sim.json} next to every trained model so
 * evaluation rebuilds exactly the inputs the model was trained on.
 */
public record SimSpec(FrozenRandomEncoder.Config encoder, int topSize, int wristSize, int actionHorizon, int actionDim,
                      int maxStateDim, int embodimentId, String visionEncoder) {
    /** The v1 stand-in: the frozen random encoder built from {@link #encoder}. */
    public static final String RANDOM = "random";
    /** The analytic oracle ({@link OracleEncoder}), a v2 ceiling control. */
    public static final String ORACLE = "oracle";
    /** The learned v2 encoder ({@link LearnedEncoder}) from its default weights file; {@code learned:PATH} names another. */
    public static final String LEARNED = "learned";
    /** Where the shipped learned-encoder weights live (relative to the working directory). */
    public static final String LEARNED_DEFAULT_PATH = "models/encoder-v2/encoder.safetensors";

    /**
     * Validates the vision encoder choice: {@code random}, {@code oracle}, {@code learned} or {@code learned:PATH}.
     * The v2 encoders have fixed shapes (Dvl 32, 16 x 16 future tokens, 10 words, 64/32 px cameras) that the other
     * fields must match.
     */
    public SimSpec {
        if (visionEncoder == null) visionEncoder = RANDOM;
        boolean v2 = visionEncoder.equals(ORACLE) || visionEncoder.equals(LEARNED) || visionEncoder.startsWith(LEARNED + ":");
        if (!v2 && !visionEncoder.equals(RANDOM))
            throw new IllegalArgumentException("unknown vision encoder '" + visionEncoder + "' (known: random, oracle, learned, learned:PATH)");
        if (v2 && (encoder.vlDim() != TokenGridEncoder.VL_DIM || encoder.visionDim() != TokenGridEncoder.CHANNELS
                || encoder.visionTokens() != TokenGridEncoder.TOKENS || encoder.maxWords() != TokenGridEncoder.WORDS
                || topSize != TokenGridEncoder.TOP || wristSize != TokenGridEncoder.WRIST))
            throw new IllegalArgumentException("vision encoder " + visionEncoder + " gives Dvl " + TokenGridEncoder.VL_DIM + ", " + TokenGridEncoder.TOKENS
                    + " x " + TokenGridEncoder.CHANNELS + " future tokens, " + TokenGridEncoder.WORDS + " words on " + TokenGridEncoder.TOP + "/"
                    + TokenGridEncoder.WRIST + " px cameras; the settings ask for Dvl " + encoder.vlDim() + ", " + encoder.visionTokens() + " x "
                    + encoder.visionDim() + ", " + encoder.maxWords() + " words, " + topSize + "/" + wristSize + " px");
    }

    /** The v1 spec (frozen random encoder). */
    public SimSpec(FrozenRandomEncoder.Config encoder, int topSize, int wristSize, int actionHorizon, int actionDim, int maxStateDim, int embodimentId) {
        this(encoder, topSize, wristSize, actionHorizon, actionDim, maxStateDim, embodimentId, RANDOM);
    }

    /** This spec with another vision encoder. */
    public SimSpec withVisionEncoder(String kind) {
        return new SimSpec(encoder, topSize, wristSize, actionHorizon, actionDim, maxStateDim, embodimentId, kind);
    }

    /** File name inside a model or run directory. */
    public static final String FILE = "sim.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The spec for a model config trained with the given encoder and 64/32-pixel cameras. */
    public static SimSpec of(ModelConfig c, FrozenRandomEncoder.Config enc) {
        return new SimSpec(enc, 64, 32, c.horizon(), c.actionDimension(), c.stateDim(), 0);
    }

    /** The batch-sampler sizes. */
    public BatchSampler.Spec samplerSpec() {
        return new BatchSampler.Spec(actionHorizon, actionDim, maxStateDim, embodimentId);
    }

    /** A fresh encoder (deterministic from the settings; the learned one reads its weights file). */
    public VisionLanguageEncoder newEncoder() {
        if (visionEncoder.equals(ORACLE)) return new OracleEncoder();
        if (visionEncoder.startsWith(LEARNED)) {
            Path p = Path.of(visionEncoder.equals(LEARNED) ? LEARNED_DEFAULT_PATH : visionEncoder.substring(LEARNED.length() + 1));
            try {
                return LearnedEncoder.load(p);
            } catch (IOException e) {
                throw new IllegalArgumentException("vision encoder " + visionEncoder + ": cannot read " + p + " (" + e.getMessage() + ")");
            }
        }
        return new FrozenRandomEncoder(encoder, topSize, wristSize);
    }

    /** The cameras. */
    public Renderer renderer() {
        return new Renderer(topSize, wristSize);
    }

    /**
     * Checks that this spec fits {@code c} (VL width, and for models with a future target its tokens/width);
     * throws a one-line error naming both.
     */
    public SimSpec checkAgainst(ModelConfig c, String where) {
        if (c.vlDim() != encoder.vlDim() || c.horizon() != actionHorizon || c.actionDimension() != actionDim || c.stateDim() != maxStateDim)
            throw new IllegalArgumentException(where + ": model (vl dim " + c.vlDim() + ", horizon " + c.horizon() + ", action dim "
                    + c.actionDimension() + ", state dim " + c.stateDim() + ") does not match the simulator settings (vl dim " + encoder.vlDim()
                    + ", horizon " + actionHorizon + ", action dim " + actionDim + ", state dim " + maxStateDim + ")");
        int[] fut = Variant.futureShape(c);
        if (fut != null && (fut[0] != encoder.visionTokens() || fut[1] != encoder.visionDim()))
            throw new IllegalArgumentException(where + ": model predicts " + fut[0] + " x " + fut[1] + " future tokens but the encoder gives "
                    + encoder.visionTokens() + " x " + encoder.visionDim());
        if (actionDim < World.ACTION_DIM || maxStateDim < World.STATE_DIM)
            throw new IllegalArgumentException(where + ": action dim " + actionDim + " / state dim " + maxStateDim + " below the simulator's "
                    + World.ACTION_DIM + " / " + World.STATE_DIM);
        return this;
    }

    /** Writes {@code dir/sim.json} atomically. */
    public void write(Path dir) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", "dust4j-sim-spec-v1");
        ObjectNode e = n.putObject("encoder");
        e.put("vl_dim", encoder.vlDim());
        e.put("vision_dim", encoder.visionDim());
        e.put("vision_tokens", encoder.visionTokens());
        e.put("max_words", encoder.maxWords());
        e.put("seed", encoder.seed());
        n.put("top_size", topSize);
        n.put("wrist_size", wristSize);
        n.put("action_horizon", actionHorizon);
        n.put("action_dim", actionDim);
        n.put("max_state_dim", maxStateDim);
        n.put("embodiment_id", embodimentId);
        if (!visionEncoder.equals(RANDOM)) n.put("vision_encoder", visionEncoder);     // v1 files stay as they were
        org.dust4j.weights.AtomicFiles.writeString(dir.resolve(FILE), JSON.writeValueAsString(n) + "\n");
    }

    /** Reads {@code sim.json} from {@code modelDir} or its parent (a run directory). */
    public static SimSpec read(Path modelDir) throws IOException {
        Path f = modelDir.resolve(FILE);
        if (!Files.isRegularFile(f) && modelDir.toAbsolutePath().getParent() != null) f = modelDir.toAbsolutePath().getParent().resolve(FILE);
        JsonNode n;
        try {
            n = JSON.readTree(org.dust4j.weights.AtomicFiles.readCapped(f, 1L << 20, "simulator settings"));
        } catch (NoSuchFileException ex) {
            throw new IllegalArgumentException(modelDir + ": no " + FILE + " here or in the parent directory (not a model written by dust4j train?)");
        } catch (IOException ex) {
            throw new IllegalArgumentException(f + ": not valid JSON (" + ex.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (n == null || !"dust4j-sim-spec-v1".equals(n.path("format").asText()))
            throw new IllegalArgumentException(f + ": not a dust4j sim spec (format must be dust4j-sim-spec-v1)");
        JsonNode e = n.path("encoder");
        try {
            return new SimSpec(new FrozenRandomEncoder.Config(e.path("vl_dim").asInt(), e.path("vision_dim").asInt(), e.path("vision_tokens").asInt(),
                    e.path("max_words").asInt(), e.path("seed").asLong()), n.path("top_size").asInt(), n.path("wrist_size").asInt(),
                    n.path("action_horizon").asInt(), n.path("action_dim").asInt(), n.path("max_state_dim").asInt(), n.path("embodiment_id").asInt(),
                    n.path("vision_encoder").asText(RANDOM));
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(f + ": " + ex.getMessage());
        }
    }
}
