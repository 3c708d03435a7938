"""The GR00T-N1.5 Eagle backbone in plain PyTorch, written from ../../shared/reference/backbone-contract.md
(sections 2-4; no transformers). Used by backbone_fixtures.py (float64 oracle for the Java tests) and by
backbone_bench.py (float32 speed peer).

Weights are a dict name -> tensor under the contract's full names (prefix `backbone.`); `cfg` is the
resolved config of `resolve_config`.
"""

import math

import torch

P = "backbone.eagle_model."
VIS = P + "vision_model.vision_model."
LLM = P + "language_model.model."

VISION_DEFAULTS = {
    "model_type": "siglip_vision_model", "hidden_size": 1152, "intermediate_size": 4304,
    "num_attention_heads": 16, "num_hidden_layers": 27, "image_size": 224, "patch_size": 14,
    "num_channels": 3, "layer_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh"}
TEXT_DEFAULTS = {
    "architectures": ["Qwen3ForCausalLM"], "hidden_size": 2048, "intermediate_size": 6144,
    "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128, "num_hidden_layers": 28,
    "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_scaling": None, "vocab_size": 151680,
    "hidden_act": "silu", "attention_bias": False, "use_sliding_window": False}
EAGLE_DEFAULTS = {
    "force_image_size": 224, "image_token_index": 151669, "use_pixel_shuffle": False,
    "downsample_ratio": 0.5, "mlp_connector_layers": 1, "select_layer": -1,
    "use_backbone_lora": 0, "use_llm_lora": 0}


def resolve_config(root):
    """Flat dict of the symbols of the contract from a config.json dict (defaults of section 2)."""
    bb = root.get("backbone_cfg", {})
    ea = dict(EAGLE_DEFAULTS, **root.get("eagle_config", {}))
    vc = dict(VISION_DEFAULTS, **root.get("eagle_config", {}).get("vision_config", {}))
    tc = dict(TEXT_DEFAULTS, **root.get("eagle_config", {}).get("text_config", {}))
    G = vc["image_size"] // vc["patch_size"]
    k = round(1 / ea["downsample_ratio"]) if ea["use_pixel_shuffle"] else 1
    hd = tc["head_dim"] if tc.get("head_dim") is not None else tc["hidden_size"] // tc["num_attention_heads"]
    pj = bb.get("project_to_dim")
    return dict(
        S=vc["image_size"], p=vc["patch_size"], G=G, P=G * G, Dv=vc["hidden_size"], Hv=vc["num_attention_heads"],
        Iv=vc["intermediate_size"], Nv=vc["num_hidden_layers"], veps=vc["layer_norm_eps"], k=k, T=G * G // (k * k),
        Din=vc["hidden_size"] * k * k, conn=ea["mlp_connector_layers"], vsel=ea["select_layer"],
        img_id=ea["image_token_index"], D=tc["hidden_size"], H=tc["num_attention_heads"],
        KV=tc["num_key_value_heads"], hd=hd, I=tc["intermediate_size"], V=tc["vocab_size"],
        theta=tc["rope_theta"], reps=tc["rms_norm_eps"], Ls=bb.get("select_layer", 12), Pj=pj,
        Dout=tc["hidden_size"] if pj is None else pj)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def rms(x, w, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def gelu_erf(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def lin(x, W, b=None):
    y = x @ W.t()
    return y if b is None else y + b


def vision(cfg, w, pv):
    """pixel_values [N, 3, S, S] -> v [N, P, Dv] (sections 4.2-4.4)."""
    N, p, G, Dv, Hv = pv.shape[0], cfg["p"], cfg["G"], cfg["Dv"], cfg["Hv"]
    dv = Dv // Hv
    x = pv[:, :, :G * p, :G * p].reshape(N, 3, G, p, G, p).permute(0, 2, 4, 1, 3, 5).reshape(N, G * G, 3 * p * p)
    Wp = w[VIS + "embeddings.patch_embedding.weight"].reshape(Dv, 3 * p * p)
    h = lin(x, Wp, w[VIS + "embeddings.patch_embedding.bias"]) + w[VIS + "embeddings.position_embedding.weight"]
    hs = [h]
    Nv, s = cfg["Nv"], cfg["vsel"]
    idx = Nv if s == -1 else (s if s >= 0 else Nv + 1 + s)
    for i in range(idx):
        L = VIS + f"encoder.layers.{i}."
        y = layer_norm(h, w[L + "layer_norm1.weight"], w[L + "layer_norm1.bias"], cfg["veps"])
        q, k, v = (lin(y, w[L + f"self_attn.{n}_proj.weight"], w[L + f"self_attn.{n}_proj.bias"]).reshape(N, -1, Hv, dv).transpose(1, 2)
                   for n in ("q", "k", "v"))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dv), -1) @ v
        h = h + lin(a.transpose(1, 2).reshape(N, -1, Dv), w[L + "self_attn.out_proj.weight"], w[L + "self_attn.out_proj.bias"])
        y = layer_norm(h, w[L + "layer_norm2.weight"], w[L + "layer_norm2.bias"], cfg["veps"])
        h = h + lin(gelu_tanh(lin(y, w[L + "mlp.fc1.weight"], w[L + "mlp.fc1.bias"])), w[L + "mlp.fc2.weight"], w[L + "mlp.fc2.bias"])
        hs.append(h)
    if s == -1:
        return layer_norm(hs[Nv], w[VIS + "post_layernorm.weight"], w[VIS + "post_layernorm.bias"], cfg["veps"])
    return hs[idx]


def pixel_shuffle(cfg, v):
    """v [N, P, Dv] -> [N, T, k²·Dv] in the index order of section 4.5."""
    k, G = cfg["k"], cfg["G"]
    if k == 1:
        return v
    N, _, Dv = v.shape
    g = G // k
    # v[(k·R + dr)·G + (k·C + dc)] -> out[R·g + C][(dr·k + dc)·Dv + ch]
    return v.reshape(N, g, k, g, k, Dv).permute(0, 1, 3, 2, 4, 5).reshape(N, g * g, k * k * Dv)


def mlp1(cfg, w, x):
    if cfg["conn"] == 1:
        return lin(x, w[P + "mlp1.0.weight"], w[P + "mlp1.0.bias"])
    y = layer_norm(x, w[P + "mlp1.0.weight"], w[P + "mlp1.0.bias"], 1e-5)
    return lin(gelu_erf(lin(y, w[P + "mlp1.1.weight"], w[P + "mlp1.1.bias"])), w[P + "mlp1.3.weight"], w[P + "mlp1.3.bias"])


def token_table(w):
    t = LLM + "embed_tokens.weight"
    return w[t] if t in w else w[P + "language_model.lm_head.weight"]


def rope(u, theta, dtype):
    """u [B, heads, L, hd] at positions 0..L-1 (pairs (i, i + hd/2))."""
    L, hd = u.shape[-2], u.shape[-1]
    f = theta ** (-2 * torch.arange(hd // 2, dtype=torch.float64) / hd)
    ang = torch.arange(L, dtype=torch.float64)[:, None] * f[None, :]
    cos, sin = torch.cos(ang).to(dtype), torch.sin(ang).to(dtype)
    a, b = u[..., :hd // 2], u[..., hd // 2:]
    return torch.cat([a * cos - b * sin, b * cos + a * sin], -1)


def llm(cfg, w, x, mask):
    """x [B, L, D] spliced embeddings, mask [B, L] 0/1 -> features [B, L, Dout] (sections 4.8-4.9)."""
    B, L, D = x.shape
    H, KV, hd, eps = cfg["H"], cfg["KV"], cfg["hd"], cfg["reps"]
    m = mask.bool()
    causal = torch.tril(torch.ones(L, L, dtype=torch.bool))
    allowed = causal[None, None] & m[:, None, None, :]           # [B, 1, Lq, Lk]
    h = x
    for l in range(cfg["Ls"]):
        Lp = LLM + f"layers.{l}."
        y = rms(h, w[Lp + "input_layernorm.weight"], eps)
        q = rms(lin(y, w[Lp + "self_attn.q_proj.weight"]).reshape(B, L, H, hd), w[Lp + "self_attn.q_norm.weight"], eps)
        k = rms(lin(y, w[Lp + "self_attn.k_proj.weight"]).reshape(B, L, KV, hd), w[Lp + "self_attn.k_norm.weight"], eps)
        v = lin(y, w[Lp + "self_attn.v_proj.weight"]).reshape(B, L, KV, hd)
        q = rope(q.transpose(1, 2), cfg["theta"], x.dtype)
        k = rope(k.transpose(1, 2), cfg["theta"], x.dtype)
        v = v.transpose(1, 2)
        g = H // KV
        k = k.repeat_interleave(g, dim=1)                            # query head j uses kv head j // g
        v = v.repeat_interleave(g, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        s = s.masked_fill(~allowed, float("-inf"))
        s = s.masked_fill(~m[:, None, :, None], 0.0)                 # masked queries: any finite row, zeroed below
        o = torch.softmax(s, -1) @ v
        o = o * m[:, None, :, None].to(o.dtype)
        h = h + lin(o.transpose(1, 2).reshape(B, L, H * hd), w[Lp + "self_attn.o_proj.weight"])
        z = rms(h, w[Lp + "post_attention_layernorm.weight"], eps)
        h = h + lin(torch.nn.functional.silu(lin(z, w[Lp + "mlp.gate_proj.weight"])) * lin(z, w[Lp + "mlp.up_proj.weight"]),
                    w[Lp + "mlp.down_proj.weight"])
    f = rms(h, w[LLM + "norm.weight"], eps)
    if cfg["Pj"] is not None:
        f = lin(f, w["backbone.eagle_linear.weight"], w["backbone.eagle_linear.bias"])
    return f


def images_to_pixel_values(u8):
    """U8 [N, S, S, 3] -> [N, 3, S, S] = u/127.5 - 1 (section 4.1)."""
    return ((u8.to(torch.float64) / 255.0 - 0.5) / 0.5).permute(0, 3, 1, 2)


def embed(cfg, w, pixel_values, input_ids, attention_mask):
    """The whole backbone. Returns dict with backbone_features, vision_features, image_embeds."""
    v = vision(cfg, w, pixel_values)
    img = mlp1(cfg, w, pixel_shuffle(cfg, v))
    x = token_table(w)[input_ids]
    pos = (input_ids == cfg["img_id"]).reshape(-1).nonzero().reshape(-1)
    N, T = img.shape[0], img.shape[1]
    if pos.numel() != N * T:
        raise ValueError(f"image-context tokens: {pos.numel()} in input_ids, {N}x{T} = {N * T} expected")
    B, L = input_ids.shape
    x = x.reshape(B * L, -1).clone()
    x[pos] = img.reshape(N * T, -1)
    x = x.reshape(B, L, -1)
    return {"backbone_features": llm(cfg, w, x, attention_mask), "vision_features": v, "image_embeds": img}
