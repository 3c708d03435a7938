#!/usr/bin/python3
"""Writes the model parity fixtures testdata/model/{dust-dual,dust-single,gr00t,dust-dual-mixed}/ (layout:
MODEL-FIXTURES.md; math: model-contract.md via dust_ref.py).

Run from anywhere:  /usr/bin/python3 tools/reference/make_model_fixtures.py
Seeded, single-threaded, float32: a rerun reproduces every file byte for byte on the same torch build.

Names: every tensor name in model.safetensors carries the `action_head.` prefix; `grad.<name>` and
`step<k>.<name>` use exactly those full names (e.g. `grad.action_head.model.proj_out_1.weight`).
Each output file's `__metadata__` holds the settings used and `f64dev.<out>` = "abs=A rel=R": how far the float32
result is from a float64 recomputation with the same weights and inputs (the floor for Java tolerances).
"""

import copy
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dust_ref as R  # noqa: E402
import st  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "testdata", "model")

B, S = 2, 5
IDS = [2, 0]
N_A = 4

DUST_CFG = {
    "model_type": "dust",
    "architecture": "dual_stream",
    "backbone_embedding_dim": 16,
    "use_vlln": True,
    "vl_self_attention": {"num_layers": 2, "num_attention_heads": 2, "attention_head_dim": 8},
    "num_attention_heads": 2,
    "attention_head_dim": 8,
    "hidden_size": 12,
    "num_joint_layers": 2,
    "num_single_layers": 2,
    "action_dim": 3, "action_horizon": 4, "max_state_dim": 5, "max_num_embodiments": 3,
    "vision_token_dim": 6,
    "num_vision_tokens": 4,
    "max_seq_len": 8,
    "num_timestep_buckets": 1000,
    "noise_beta_alpha": 1.5, "noise_beta_beta": 1.0, "noise_s": 0.999,
    "lambda_wm": 1.0,
    "decoupled_noise": True,
    "num_inference_timesteps": 4,
    "dropout": 0.2,
}

GR00T_CFG = {
    "architectures": ["GR00T_N1_5"],
    "model_type": "gr00t_n1_5",
    "action_dim": 3,
    "action_horizon": 4,
    "hidden_size": 16,
    "model_dtype": "float32",
    "torch_dtype": "float32",
    "transformers_version": "4.51.3",
    "backbone_cfg": {
        "eagle_path": "NVEagle/eagle_er-qwen3_1_7B-Siglip2_400M_stage1_5_128gpu_er_v7_1mlp_nops",
        "load_bf16": False, "project_to_dim": None, "reproject_vision": False, "select_layer": 12,
        "tune_llm": False, "tune_visual": True, "use_flash_attention": True,
    },
    "action_head_cfg": {
        "action_dim": 3,
        "action_horizon": 4,
        "add_pos_embed": True,
        "backbone_embedding_dim": 16,
        "diffusion_model_cfg": {
            "attention_head_dim": 8, "cross_attention_dim": 16, "dropout": 0.2, "final_dropout": True,
            "interleave_self_attention": True, "norm_type": "ada_norm", "num_attention_heads": 2,
            "num_layers": 4, "output_dim": 12, "positional_embeddings": None,
        },
        "hidden_size": 12,
        "input_embedding_dim": 16,
        "max_action_dim": 3,
        "max_num_embodiments": 3,
        "max_seq_len": 8,
        "max_state_dim": 5,
        "model_dtype": "float32",
        "noise_beta_alpha": 1.5,
        "noise_beta_beta": 1.0,
        "noise_s": 0.999,
        "num_inference_timesteps": 4,
        "num_target_vision_tokens": 3,
        "num_timestep_buckets": 1000,
        "tune_diffusion_model": True,
        "tune_projector": True,
        "use_vlln": True,
        "vl_self_attention_cfg": {
            "attention_head_dim": 8, "dropout": 0.2, "final_dropout": True, "num_attention_heads": 2,
            "num_layers": 2, "positional_embeddings": None,
        },
    },
}


# ---------------------------------------------------------------------------------------------------------
# Independent transcription of contract section 3 (dust) and dust-spec b.7 (gr00t) names and shapes: the
# model's state_dict must match it exactly (checks that the nn.Module tree has the contract's names).
# ---------------------------------------------------------------------------------------------------------

def contract_names_dust(c):
    D = c["num_attention_heads"] * c["attention_head_dim"]
    H, Dvl, Dv, C = c["hidden_size"], c["backbone_embedding_dim"], c["vision_token_dim"], c["max_num_embodiments"]
    Da, Ds, J, Sg = c["action_dim"], c["max_state_dim"], c["num_joint_layers"], c["num_single_layers"]
    n = {}

    def lin(name, out, inp):
        n[name + ".weight"] = [out, inp]
        n[name + ".bias"] = [out]

    def csl(name, inp, out):
        n[name + ".W"] = [C, inp, out]
        n[name + ".b"] = [C, out]

    n["vlln.weight"] = [Dvl]
    n["vlln.bias"] = [Dvl]
    for j in range(c["vl_self_attention"]["num_layers"]):
        p = f"vl_self_attention.transformer_blocks.{j}."
        n[p + "norm1.weight"] = [Dvl]
        n[p + "norm1.bias"] = [Dvl]
        for x in ("to_q", "to_k", "to_v", "to_out.0"):
            lin(p + "attn1." + x, Dvl, Dvl)
        n[p + "norm3.weight"] = [Dvl]
        n[p + "norm3.bias"] = [Dvl]
        lin(p + "ff.net.0.proj", 4 * Dvl, Dvl)
        lin(p + "ff.net.2", Dvl, 4 * Dvl)
    csl("state_encoder.layer1", Ds, H)
    csl("state_encoder.layer2", H, D)
    csl("action_encoder.W1", Da, D)
    csl("action_encoder.W2", 2 * D, D)
    csl("action_encoder.W3", D, D)
    csl("action_decoder.layer1", H, H)
    csl("action_decoder.layer2", H, Da)
    n["position_embedding.weight"] = [c["max_seq_len"], D]
    lin("vision_encoder.linear_1", D, Dv)
    lin("vision_encoder.linear_2", D, D)
    lin("vision_encoder.linear_3", D, D)
    lin("vision_decoder.linear_1", H, H)
    lin("vision_decoder.linear_2", Dv, H)
    lin("model.timestep_encoder.timestep_embedder.linear_1", D, 256)
    lin("model.timestep_encoder.timestep_embedder.linear_2", D, D)

    def single(p, kv):
        lin(p + "norm1.linear", 2 * D, D)
        lin(p + "attn1.to_q", D, D)
        lin(p + "attn1.to_k", D, kv)
        lin(p + "attn1.to_v", D, kv)
        lin(p + "attn1.to_out.0", D, D)
        lin(p + "ff.net.0.proj", 4 * D, D)
        lin(p + "ff.net.2", D, 4 * D)

    if c["architecture"] == "dual_stream":
        for i in range(J):
            p = f"model.joint_blocks.{i}."
            lin(p + "norm1.linear", 6 * D, D)
            lin(p + "norm1_context.linear", 6 * D, D)
            for x in ("to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj", "to_out.0", "to_add_out"):
                lin(p + "attn." + x, D, D)
            lin(p + "norm_cross.linear", 2 * D, D)
            lin(p + "attn2.to_q", D, D)
            lin(p + "attn2.to_k", D, Dvl)
            lin(p + "attn2.to_v", D, Dvl)
            lin(p + "attn2.to_out.0", D, D)
            lin(p + "norm_cross_context.linear", 2 * D, D)
            lin(p + "attn2_context.to_q", D, D)
            lin(p + "attn2_context.to_k", D, Dvl)
            lin(p + "attn2_context.to_v", D, Dvl)
            lin(p + "attn2_context.to_out.0", D, D)
            lin(p + "ff.net.0.proj", 4 * D, D)
            lin(p + "ff.net.2", D, 4 * D)
            lin(p + "ff_context.net.0.proj", 4 * D, D)
            lin(p + "ff_context.net.2", D, 4 * D)
        for k in range(Sg):
            kv = Dvl if (J + k) % 2 == 0 else D
            single(f"model.action_blocks.{k}.", kv)
            single(f"model.vision_blocks.{k}.", kv)
    else:
        for i in range(J + Sg):
            single(f"model.transformer_blocks.{i}.", Dvl if i % 2 == 0 else D)
    lin("model.proj_out_1", 2 * D, D)
    lin("model.proj_out_2", H, D)
    lin("model.proj_out_1_context", 2 * D, D)
    lin("model.proj_out_2_context", H, D)
    return n


def contract_names_gr00t(raw):
    h = raw["action_head_cfg"]
    dit, vls = h["diffusion_model_cfg"], h["vl_self_attention_cfg"]
    D, H, V, C = h["input_embedding_dim"], h["hidden_size"], h["backbone_embedding_dim"], h["max_num_embodiments"]
    n = {}

    def lin(name, out, inp):
        n[name + ".weight"] = [out, inp]
        n[name + ".bias"] = [out]

    lin("model.timestep_encoder.timestep_embedder.linear_1", D, 256)
    lin("model.timestep_encoder.timestep_embedder.linear_2", D, D)
    for i in range(dit["num_layers"]):
        p = f"model.transformer_blocks.{i}."
        lin(p + "norm1.linear", 2 * D, D)
        lin(p + "attn1.to_q", D, D)
        kv = dit["cross_attention_dim"] if i % 2 == 0 else D
        lin(p + "attn1.to_k", D, kv)
        lin(p + "attn1.to_v", D, kv)
        lin(p + "attn1.to_out.0", D, D)
        lin(p + "ff.net.0.proj", 4 * D, D)
        lin(p + "ff.net.2", D, 4 * D)
    lin("model.proj_out_1", 2 * D, D)
    lin("model.proj_out_2", dit["output_dim"], D)
    for j in range(vls["num_layers"]):
        p = f"vl_self_attention.transformer_blocks.{j}."
        n[p + "norm1.weight"] = [V]
        n[p + "norm1.bias"] = [V]
        for x in ("to_q", "to_k", "to_v", "to_out.0"):
            lin(p + "attn1." + x, V, V)
        n[p + "norm3.weight"] = [V]
        n[p + "norm3.bias"] = [V]
        lin(p + "ff.net.0.proj", 4 * V, V)
        lin(p + "ff.net.2", V, 4 * V)
    n["vlln.weight"] = [V]
    n["vlln.bias"] = [V]
    for name, i, o in (("state_encoder.layer1", h["max_state_dim"], H), ("state_encoder.layer2", H, D),
                       ("action_encoder.W1", h["action_dim"], D), ("action_encoder.W2", 2 * D, D),
                       ("action_encoder.W3", D, D), ("action_decoder.layer1", H, H),
                       ("action_decoder.layer2", H, h["action_dim"])):
        n[name + ".W"] = [C, i, o]
        n[name + ".b"] = [C, o]
    n["future_tokens.weight"] = [h["num_target_vision_tokens"], D]
    n["position_embedding.weight"] = [h["max_seq_len"], D]
    return n


def check_names(model, expected):
    got = {k: list(v.shape) for k, v in model.state_dict().items()}
    if got != expected:
        extra = sorted(set(got) - set(expected))
        miss = sorted(set(expected) - set(got))
        shape = sorted(k for k in got if k in expected and got[k] != expected[k])
        raise AssertionError(f"state_dict != contract names: extra {extra} missing {miss} shape {shape}")


# ---------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------

def gen(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def randn(g, *shape):
    return torch.randn(*shape, generator=g, dtype=torch.float32)


def dev(f32, f64):
    """'abs=A rel=R': max |f32 - f64|, and max relative deviation over elements with |f64| >= 1e-3 max|f64|."""
    a = f32.detach().double().reshape(-1)
    b = f64.detach().double().reshape(-1)
    d = (a - b).abs()
    mx = float(b.abs().max()) if b.numel() else 0.0
    big = b.abs() >= 1e-3 * mx
    rel = float((d[big] / b.abs()[big]).max()) if mx > 0 else 0.0
    return "abs=%.2e rel=%.2e" % (float(d.max()), rel)


def dev_many(pairs):
    a = torch.cat([x.detach().double().reshape(-1) for x, _ in pairs])
    b = torch.cat([y.detach().double().reshape(-1) for _, y in pairs])
    return dev(a, b)


def d64(t):
    return t.double() if t.is_floating_point() else t


def write(dirname, fname, tensors, meta):
    st.save(os.path.join(dirname, fname), tensors, meta)


def prefixed_grads(model):
    return {"grad." + R.PREFIX + k: (p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p))
            for k, p in model.named_parameters()}


def optimizer_groups(model):
    decay, no_decay = [], []
    for k, p in model.named_parameters():
        (no_decay if (R.is_bias(k) or p.dim() == 1) else decay).append(p)
    return [{"params": decay, "weight_decay": 1e-5}, {"params": no_decay, "weight_decay": 0.0}]


# ---------------------------------------------------------------------------------------------------------
# per-variant fixture writers
# ---------------------------------------------------------------------------------------------------------

def dust_inputs(cfg, seed):
    g = gen(seed)
    Dvl, Ds, Ta, Da, To, Dv = (cfg["backbone_embedding_dim"], cfg["max_state_dim"], cfg["action_horizon"],
                               cfg["action_dim"], cfg["num_vision_tokens"], cfg["vision_token_dim"])
    ids = torch.tensor(IDS, dtype=torch.int64)
    fwd = {
        "vl": randn(g, B, S, Dvl), "state": randn(g, B, 1, Ds), "actions_noisy": randn(g, B, Ta, Da),
        "vision_noisy": randn(g, B, To, Dv),
        "t_action": torch.tensor([250, 999], dtype=torch.int64), "t_vision": torch.tensor([0, 500], dtype=torch.int64),
        "embodiment_id": ids,
    }
    mask = (torch.rand(B, Ta, Da, generator=g) > 0.3).float()
    mask[0, 0, 0] = 1.0
    mask[0, Ta - 1, :] = 0.0   # a fully padded token
    loss = {
        "vl": randn(g, B, S, Dvl), "state": randn(g, B, 1, Ds), "embodiment_id": ids,
        "actions": randn(g, B, Ta, Da), "action_mask": mask, "has_action": torch.tensor([1.0, 0.0]),
        "future": randn(g, B, To, Dv), "eps_action": randn(g, B, Ta, Da), "eps_vision": randn(g, B, To, Dv),
        # sample 1 is action-free: its tau_action 0.6 must be forced to 0; tau_vision -0.001 -> bucket clamps to 0;
        # 0.7 (F32 0.69999998807...) * 1000 in float64 = 699.99998... -> bucket 699.
        "tau_action": torch.tensor([0.3, 0.6]), "tau_vision": torch.tensor([0.7, -0.001]),
    }
    smp = {
        "vl": randn(g, B, S, Dvl), "state": randn(g, B, 1, Ds), "embodiment_id": ids,
        "noise_action": randn(g, B, Ta, Da), "noise_vision": randn(g, B, To, Dv),
    }
    return fwd, loss, smp


def gr00t_inputs(cfg, seed):
    g = gen(seed)
    Dvl, Ds, Ta, Da = cfg["backbone_embedding_dim"], cfg["max_state_dim"], cfg["action_horizon"], cfg["action_dim"]
    ids = torch.tensor(IDS, dtype=torch.int64)
    fwd = {"vl": randn(g, B, S, Dvl), "state": randn(g, B, 1, Ds), "actions_noisy": randn(g, B, Ta, Da),
           "t_action": torch.tensor([250, 999], dtype=torch.int64), "embodiment_id": ids}
    mask = (torch.rand(B, Ta, Da, generator=g) > 0.3).float()
    mask[0, 0, 0] = 1.0
    loss = {"vl": randn(g, B, S, Dvl), "state": randn(g, B, 1, Ds), "embodiment_id": ids,
            "actions": randn(g, B, Ta, Da), "action_mask": mask, "has_action": torch.tensor([1.0, 1.0]),
            "eps_action": randn(g, B, Ta, Da),
            "tau_action": torch.tensor([0.3, -0.001])}
    smp = {"vl": randn(g, B, S, Dvl), "state": randn(g, B, 1, Ds), "embodiment_id": ids,
           "noise_action": randn(g, B, Ta, Da)}
    return fwd, loss, smp


def run_forward(model, cfg, inp):
    if cfg["model_type"] == "dust":
        return model(d(inp["vl"], model), d(inp["state"], model), d(inp["actions_noisy"], model),
                     d(inp["vision_noisy"], model), inp["t_action"], inp["t_vision"], inp["embodiment_id"])
    return (model(d(inp["vl"], model), d(inp["state"], model), d(inp["actions_noisy"], model),
                  inp["t_action"], inp["embodiment_id"]),)


def d(t, model):
    """Input cast to the model's float dtype."""
    return t.to(next(model.parameters()).dtype)


def run_loss(model, cfg, inp):
    if cfg["model_type"] == "dust":
        return R.dust_loss(model, d(inp["vl"], model), d(inp["state"], model), inp["embodiment_id"],
                           d(inp["actions"], model), d(inp["action_mask"], model), d(inp["has_action"], model),
                           d(inp["future"], model), d(inp["eps_action"], model), d(inp["eps_vision"], model),
                           d(inp["tau_action"], model), d(inp["tau_vision"], model))
    return R.gr00t_loss(model, d(inp["vl"], model), d(inp["state"], model), inp["embodiment_id"],
                        d(inp["actions"], model), d(inp["action_mask"], model), d(inp["eps_action"], model),
                        d(inp["tau_action"], model), has_action=d(inp["has_action"], model))


def run_sample(model, cfg, inp, q=1, variant="start"):
    if cfg["model_type"] == "dust":
        return R.dust_sample(model, d(inp["vl"], model), d(inp["state"], model), inp["embodiment_id"],
                             d(inp["noise_action"], model), d(inp["noise_vision"], model),
                             n_a=N_A, q=q, variant=variant)
    return (R.gr00t_sample(model, d(inp["vl"], model), d(inp["state"], model), inp["embodiment_id"],
                           d(inp["noise_action"], model), n=N_A),)


def make_variant(name, raw_cfg, seed, expected_names):
    cfg = R.parse_config(raw_cfg)
    model = R.build_model(cfg)
    check_names(model, expected_names)
    R.init_fixture_weights(model, seed)
    model.eval()
    m64 = copy.deepcopy(model).double()
    dirname = os.path.join(OUT, name)
    if os.path.isdir(dirname):
        shutil.rmtree(dirname)
    R.save_model_dir(model, raw_cfg, dirname)
    # the directory must load back to the same weights through the loader
    loaded, _, _ = R.load_model_dir(dirname)
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    dust = cfg["model_type"] == "dust"
    fwd, loss_in, smp = (dust_inputs if dust else gr00t_inputs)(cfg, seed + 1)
    base_meta = {"variant": name, "model_type": cfg["model_type"], "weights_seed": str(seed),
                 "names": "full tensor names as in model.safetensors (action_head. prefix)"}

    # forward
    write(dirname, "forward_in.safetensors", fwd, base_meta)
    with torch.no_grad():
        o32 = run_forward(model, cfg, fwd)
        o64 = run_forward(m64, cfg, fwd)
    outs = {"v_action": o32[0]}
    meta = dict(base_meta, **{"f64dev.v_action": dev(o32[0], o64[0])})
    if dust:
        outs["v_vision"] = o32[1]
        meta["f64dev.v_vision"] = dev(o32[1], o64[1])
    write(dirname, "forward_out.safetensors", outs, meta)

    # loss + grads
    write(dirname, "loss_in.safetensors", loss_in, base_meta)
    model.zero_grad()
    L, LA, LW = run_loss(model, cfg, loss_in)
    L.backward()
    grads = prefixed_grads(model)
    m64.zero_grad()
    L64, LA64, LW64 = run_loss(m64, cfg, loss_in)
    L64.backward()
    g64 = {"grad." + R.PREFIX + k: p.grad for k, p in m64.named_parameters()}
    nb = cfg["num_timestep_buckets"]
    tau_a_eff = loss_in["tau_action"] * (loss_in["has_action"] != 0).float()
    meta = dict(base_meta, **{
        "f64dev.loss": dev(L, L64), "f64dev.loss_action": dev(LA, LA64), "f64dev.loss_wm": dev(LW, LW64),
        "f64dev.grad": dev_many([(grads[k], g64[k]) for k in grads]),
        "buckets.t_action": str(R.bucket(tau_a_eff, nb).tolist()),
        "mode": "eval (no dropout); grad of loss w.r.t. every parameter"})
    if dust:
        meta["buckets.t_vision"] = str(R.bucket(loss_in["tau_vision"], nb).tolist())
        meta["note"] = "has_action=0 forces tau_action to 0 for that sample (its given 0.6 is not used)"
    per_grad = {}
    for k in grads:
        per_grad[k] = dev(grads[k], g64[k])
    meta["f64dev.grad.worst"] = max(per_grad.items(), key=lambda kv: float(kv[1].split("rel=")[1]))[0]
    outs = {"loss": L.detach().clone(), "loss_action": LA.detach().clone(), "loss_wm": LW.detach().clone()}
    outs.update(grads)
    write(dirname, "loss_out.safetensors", outs, meta)

    # sampling
    write(dirname, "sample_in.safetensors", smp, base_meta)
    with torch.no_grad():
        if dust:
            for q, var, fname in ((1, "start", "sample_out_q1"), (4, "start", "sample_out_q4_start"),
                                  (2, "end", "sample_out_q2_end")):
                A, O = run_sample(model, cfg, smp, q, var)
                A64, O64 = run_sample(m64, cfg, smp, q, var)
                write(dirname, fname + ".safetensors", {"actions": A, "vision": O},
                      dict(base_meta, action_steps=str(N_A), q=str(q), variant=var,
                           **{"f64dev.actions": dev(A, A64), "f64dev.vision": dev(O, O64)}))
        else:
            (A,) = run_sample(model, cfg, smp)
            (A64,) = run_sample(m64, cfg, smp)
            write(dirname, "sample_out.safetensors", {"actions": A},
                  dict(base_meta, action_steps=str(N_A), **{"f64dev.actions": dev(A, A64)}))

    # training: 3 AdamW steps on the loss_in batch
    tm = copy.deepcopy(model)
    opt = torch.optim.AdamW(optimizer_groups(tm), lr=1e-3, betas=(0.95, 0.999), eps=1e-8)
    outs = {}
    meta = dict(base_meta, optimizer="AdamW lr 1e-3 betas (0.95,0.999) eps 1e-8 wd 1e-5 (0 for .bias, .b, 1-D)",
                clip="clip_grad_norm_ 1.0 over all parameters (torch: coef = 1/(norm+1e-6), capped at 1)",
                mode="eval (no dropout), fixed eps/tau of loss_in")
    for k in range(1, 4):
        opt.zero_grad()
        L, _, _ = run_loss(tm, cfg, loss_in)
        L.backward()
        gn = torch.nn.utils.clip_grad_norm_(list(tm.parameters()), 1.0)
        opt.step()
        outs[f"loss{k}"] = L.detach().clone()
        outs[f"gradnorm{k}"] = gn.detach().clone().float()
        for n, p in tm.named_parameters():
            outs[f"step{k}.{R.PREFIX}{n}"] = p.detach().clone()
    write(dirname, "train_out.safetensors", outs, meta)
    return model, cfg, fwd


def make_mixed(model, raw_cfg, fwd):
    """dust-dual weights rounded per tensor to BF16 / F16 / F32 (cycling in state_dict order), in 2 shards."""
    dirname = os.path.join(OUT, "dust-dual-mixed")
    if os.path.isdir(dirname):
        shutil.rmtree(dirname)
    os.makedirs(dirname)
    with open(os.path.join(dirname, "config.json"), "w") as f:
        json.dump(raw_cfg, f, indent=2)
        f.write("\n")
    dts = [torch.bfloat16, torch.float16, torch.float32]
    names = list(model.state_dict().keys())
    stored = {}
    for i, k in enumerate(names):
        stored[R.PREFIX + k] = model.state_dict()[k].detach().clone().to(dts[i % 3])
    keys = list(stored.keys())
    half = len(keys) // 2
    shards = [("model-00001-of-00002.safetensors", keys[:half]), ("model-00002-of-00002.safetensors", keys[half:])]
    wm = {}
    total = 0
    for fname, ks in shards:
        st.save(os.path.join(dirname, fname), {k: stored[k] for k in ks}, {"format": "pt"})
        for k in ks:
            wm[k] = fname
            total += stored[k].numel() * stored[k].element_size()
    with open(os.path.join(dirname, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": wm}, f, indent=2)
        f.write("\n")
    loaded, cfg, _ = R.load_model_dir(dirname)
    for k in names:   # loader upcasts exactly what was stored
        assert torch.equal(loaded.state_dict()[k], stored[R.PREFIX + k].float()), k
    m64 = copy.deepcopy(loaded).double()
    write(dirname, "forward_in.safetensors", fwd, {"variant": "dust-dual-mixed"})
    with torch.no_grad():
        o32 = run_forward(loaded, cfg, fwd)
        o64 = run_forward(m64, cfg, fwd)
    write(dirname, "forward_out.safetensors", {"v_action": o32[0], "v_vision": o32[1]},
          {"variant": "dust-dual-mixed", "dtypes": "tensor i of state_dict order: BF16 if i%3==0, F16 if 1, F32 if 2",
           "f64dev.v_action": dev(o32[0], o64[0]), "f64dev.v_vision": dev(o32[1], o64[1])})


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    dual_cfg = dict(DUST_CFG)
    single_cfg = dict(DUST_CFG, architecture="single_stream")
    model, _, fwd = make_variant("dust-dual", dual_cfg, 1000, contract_names_dust(R.parse_config(dual_cfg)))
    make_variant("dust-single", single_cfg, 2000, contract_names_dust(R.parse_config(single_cfg)))
    make_variant("gr00t", GR00T_CFG, 3000, contract_names_gr00t(GR00T_CFG))
    make_mixed(model, dual_cfg, fwd)
    total = 0
    for dp, _, fs in os.walk(OUT):
        for f in fs:
            total += os.path.getsize(os.path.join(dp, f))
    print(f"wrote {OUT}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
