package org.dust4j.kernels.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.dust4j.autograd.Var;
import org.dust4j.kernels.cuda.CudaBackend;
import org.dust4j.kernels.cuda.CudaBuildInfo;
import org.dust4j.kernels.cuda.DryGpu;
import org.dust4j.model.FlowNoise;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.model.Trainer;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole DUST model (dual and single stream) and the GR00T-N1.5 head through the CUDA backend's launch path, without a GPU: the backend runs
 * over {@link DryGpu}, which holds memory as host bytes and checks every kernel launch against the kernel's PTX
 * parameter layout and the hardware limits, but does not execute kernels. So this test checks the wiring, not values:
 * <ul>
 *   <li>the model moves to the device ({@code Module.to}) and every parameter, output, loss and gradient lives there, with
 *       the expected shape and dtype F32;</li>
 *   <li>forward, loss, backward, the sampler and a training step launch only kernels whose arguments match their PTX
 *       (DryGpu throws otherwise), including the fused kernels (AdaLN, gated residual, flow loss, per-embodiment linear,
 *       forward and backward) and no CPU fallback (attention head dim 32 has a kernel);</li>
 *   <li>no host round trip on the hot paths: forward, loss + backward and the sampler download nothing; a training step
 *       downloads only scalars (8 bytes or less each: the 3 logged losses and the gradient norm for clipping).</li>
 * </ul>
 */
class ModelDryRunTest {
    static final String CONFIG = """
            {"model_type": "dust", "architecture": "%s", "backbone_embedding_dim": 64, "use_vlln": true,
             "vl_self_attention": {"num_layers": 1, "num_attention_heads": 2, "attention_head_dim": 32},
             "num_attention_heads": 2, "attention_head_dim": 32, "hidden_size": 24, "num_joint_layers": 2, "num_single_layers": 1,
             "action_dim": 3, "action_horizon": 4, "max_state_dim": 5, "max_num_embodiments": 3, "vision_token_dim": 6,
             "num_vision_tokens": 4, "max_seq_len": 8, "num_timestep_buckets": 1000, "noise_beta_alpha": 1.5, "noise_beta_beta": 1.0,
             "noise_s": 0.999, "lambda_wm": 1.0, "decoupled_noise": true, "num_inference_timesteps": 4, "dropout": 0.1}
            """;
    static final Device CUDA = Device.cuda(0);
    static final int B = 2, S = 5;

    DryGpu gpu;

    @BeforeEach
    void setUp() {
        CudaBuildInfo info = CudaBuildInfo.load();
        Assumptions.assumeTrue(info.ptxAvailable(), "no PTX in this build (" + info.reason() + ")");
        gpu = new DryGpu();
        Backends.register(new CudaBackend(gpu, 0, false));
    }

    @AfterEach
    void tearDown() {
        Backends.unregister(CUDA);
    }

    static ModelConfig config(String arch) {
        return ModelConfig.parse(CONFIG.formatted(arch));
    }

    static Tensor randn(long seed, int... shape) {
        return Backends.cpu().random(seed, true, shape);
    }

    /** Inputs as a caller has them: host tensors. */
    static Map<String, Tensor> batch(ModelConfig c, long seed) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("vl", randn(Rng.bits(seed, 1), B, S, 64));
        m.put("state", randn(Rng.bits(seed, 2), B, 1, 5));
        m.put("embodiment_id", Tensor.ofLongs(new long[] {2, 0}, B));
        m.put("actions", randn(Rng.bits(seed, 3), B, 4, 3));
        m.put("future", randn(Rng.bits(seed, 4), B, 4, 6));
        return m;
    }

    Set<String> kernelsSince(int from) {
        Set<String> s = new TreeSet<>();
        for (DryGpu.LaunchRecord r : gpu.launches.subList(from, gpu.launches.size())) s.add(r.kernel());
        return s;
    }

    static void onDevice(String what, Tensor t, int... shape) {
        assertEquals(CUDA, t.device(), what + " is on the device");
        assertEquals(DType.F32, t.dtype(), what + " dtype");
        assertArrayEquals(shape, t.shape(), what + " shape");
    }

    @Test
    void dualStreamForwardLossBackwardSampleAndTrainStep() {
        run("dual_stream", Set.of("dust_adaln_fwd_f32", "dust_gated_residual_fwd_f32", "dust_cat_linear_fwd_f32", "dust_attn_fwd_f32_d32",
                "dust_layernorm_fwd_f32", "dust_gemm_f32"));
    }

    @Test
    void singleStreamForwardLossBackwardSampleAndTrainStep() {
        run("single_stream", Set.of("dust_adaln_fwd_f32", "dust_cat_linear_fwd_f32", "dust_attn_fwd_f32_d32", "dust_gemm_f32"));
    }

    /** The GR00T-N1.5 head (the test fixture's config with head dim 32, which has an attention kernel). */
    @Test
    void gr00tForwardLossBackwardAndSample() throws Exception {
        Path fixture = Path.of("").toAbsolutePath();
        while (fixture != null && !Files.isDirectory(fixture.resolve("testdata/model/gr00t"))) fixture = fixture.getParent();
        assertNotNull(fixture, "testdata/model/gr00t not found");
        String json = Files.readString(fixture.resolve("testdata/model/gr00t/config.json")).replace("\"attention_head_dim\": 8", "\"attention_head_dim\": 32")
                .replace("\"cross_attention_dim\": 16", "\"cross_attention_dim\": 64").replace("\"backbone_embedding_dim\": 16", "\"backbone_embedding_dim\": 64")
                .replace("\"input_embedding_dim\": 16", "\"input_embedding_dim\": 64");
        ModelConfig c = ModelConfig.parse(json);
        PolicyModel m = PolicyModel.create(c, 3);
        m.to(CUDA);
        Map<String, Tensor> data = batch(c, 5);
        data.remove("future");
        Map<String, Tensor> fin = new LinkedHashMap<>();
        fin.put("vl", data.get("vl"));
        fin.put("state", data.get("state"));
        fin.put("actions_noisy", randn(51, B, 4, 3));
        fin.put("t_action", Tensor.ofLongs(new long[] {3, 700}, B));
        fin.put("embodiment_id", data.get("embodiment_id"));
        int l0 = gpu.launches.size(), d0 = gpu.downloads.size();
        onDevice("v_action", m.forward(fin).get("v_action"), B, 4, 3);
        assertTrue(kernelsSince(l0).containsAll(Set.of("dust_adaln_fwd_f32", "dust_cat_linear_fwd_f32", "dust_attn_fwd_f32_d32")), kernelsSince(l0).toString());
        m.train();
        PolicyModel.Losses l = m.loss(FlowNoise.complete(data, c, 9));
        onDevice("loss", l.loss().value());
        l.loss().backward();
        for (Map.Entry<String, Var> e : m.namedParameters().entrySet()) {
            assertNotNull(e.getValue().grad(), e.getKey() + " got a gradient");
            onDevice(e.getKey() + " grad", e.getValue().grad(), e.getValue().shape());
        }
        m.eval();
        Map<String, Tensor> sin = new LinkedHashMap<>(fin);
        sin.remove("actions_noisy");
        sin.remove("t_action");
        sin.put("noise_action", randn(52, B, 4, 3));
        onDevice("sampled actions", m.sample(sin, SamplerOptions.defaults()).get("actions"), B, 4, 3);
        assertEquals(List.of(), gpu.downloads.subList(d0, gpu.downloads.size()), "forward, loss, backward and sampler download nothing");
    }

    void run(String arch, Set<String> forwardKernels) {
        ModelConfig c = config(arch);
        PolicyModel m = PolicyModel.create(c, 7);
        m.to(CUDA);
        assertEquals(CUDA, m.device());
        m.parameters().forEach(p -> assertEquals(CUDA, p.value().device(), "every parameter moved"));
        Map<String, Tensor> data = batch(c, 11);

        // forward (no tape): velocities on the device, no download
        Map<String, Tensor> fin = new LinkedHashMap<>();
        fin.put("vl", data.get("vl"));
        fin.put("state", data.get("state"));
        fin.put("actions_noisy", randn(21, B, 4, 3));
        fin.put("vision_noisy", randn(22, B, 4, 6));
        fin.put("t_action", Tensor.ofLongs(new long[] {10, 500}, B));
        fin.put("t_vision", Tensor.ofLongs(new long[] {999, 0}, B));
        fin.put("embodiment_id", data.get("embodiment_id"));
        int l0 = gpu.launches.size(), d0 = gpu.downloads.size();
        Map<String, Tensor> out = m.forward(fin);
        onDevice("v_action", out.get("v_action"), B, 4, 3);
        onDevice("v_vision", out.get("v_vision"), B, 4, 6);
        assertTrue(kernelsSince(l0).containsAll(forwardKernels), "forward kernels " + kernelsSince(l0));
        assertEquals(List.of(), gpu.downloads.subList(d0, gpu.downloads.size()), "forward downloads nothing");

        // loss + backward (train mode: dropout masks on the device): gradients of every parameter on the device, no download
        m.train();
        Map<String, Tensor> lin = FlowNoise.complete(data, c, 31);
        l0 = gpu.launches.size();
        d0 = gpu.downloads.size();
        PolicyModel.Losses l = m.loss(lin);
        onDevice("loss", l.loss().value());
        onDevice("loss_action", l.lossAction().value());
        onDevice("loss_wm", l.lossWm().value());
        l.loss().backward();
        for (Map.Entry<String, Var> e : m.namedParameters().entrySet()) {
            assertNotNull(e.getValue().grad(), e.getKey() + " got a gradient");
            onDevice(e.getKey() + " grad", e.getValue().grad(), e.getValue().shape());
        }
        Set<String> k = kernelsSince(l0);
        for (String want : List.of("dust_flow_loss_fused_f32", "dust_adaln_bwd_dx_f32", "dust_adaln_bwd_mod_f32", "dust_cat_linear_bwd_dx_f32",
                "dust_cat_linear_bwd_dw_f32", "dust_cat_linear_bwd_db_f32", "dust_attn_bwd_dq_f32_d32", "dust_norm_bwd_dx_f32")) {
            assertTrue(k.contains(want), want + " not launched by loss/backward: " + k);
        }
        if (arch.equals("dual_stream")) assertTrue(k.contains("dust_gated_residual_bwd_gate_f32"), "gated residual backward: " + k);
        assertEquals(List.of(), gpu.downloads.subList(d0, gpu.downloads.size()), "loss and backward download nothing");
        m.zeroGrad();
        m.eval();

        // the sampler (q = 2): results on the device, no download
        Map<String, Tensor> sin = new LinkedHashMap<>();
        sin.put("vl", data.get("vl"));
        sin.put("state", data.get("state"));
        sin.put("embodiment_id", data.get("embodiment_id"));
        sin.put("noise_action", randn(41, B, 4, 3));
        sin.put("noise_vision", randn(42, B, 4, 6));
        d0 = gpu.downloads.size();
        Map<String, Tensor> s = m.sample(sin, new SamplerOptions(2, 2, SamplerOptions.Variant.START));
        onDevice("sampled actions", s.get("actions"), B, 4, 3);
        onDevice("sampled vision", s.get("vision"), B, 4, 6);
        assertEquals(List.of(), gpu.downloads.subList(d0, gpu.downloads.size()), "the sampler downloads nothing");

        // one training step: AdamW on the device, only scalar reads (logged losses, clip norm)
        Trainer t = new Trainer(m, 7, Trainer.Options.defaults(10, 3));
        l0 = gpu.launches.size();
        d0 = gpu.downloads.size();
        Trainer.StepResult r = t.trainStep((step, micro) -> data);
        assertEquals(1, r.step());
        List<Long> reads = gpu.downloads.subList(d0, gpu.downloads.size());
        assertTrue(reads.size() <= 4 && reads.stream().allMatch(n -> n <= 8), "a training step reads only the 3 losses and the norm: " + reads);
        long adam = gpu.launches.subList(l0, gpu.launches.size()).stream().filter(x -> x.kernel().equals("dust_adamw_f32")).count();
        assertEquals(m.parameters().size(), adam, "one AdamW launch per parameter");
        for (var e : t.optimizer().state().values()) {
            assertEquals(CUDA, e.m().device(), "AdamW moments on the device");
        }
    }
}
