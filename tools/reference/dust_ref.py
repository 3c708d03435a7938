#!/usr/bin/python3
"""Independent PyTorch reference of the dust4j model contract (/work/shared/reference/model-contract.md).

Written from the contract text, section by section, as the check of the Java port. Runs on Debian's
python3-torch (1.13): plain nn.Module code, no scaled_dot_product_attention (softmax(Q K^T s) V by hand).

Model types:
  "dust"        DustActionHead, architecture "dual_stream" (contract section 4) or "single_stream" (section 6)
  "gr00t_n1_5"  Gr00tActionHead, the GR00T-N1.5 flow-matching action head (dust-spec b.2-b.5, contract section 2)

state_dict keys are the contract section 3 names (dust) / dust-spec b.7 names (gr00t) WITHOUT the
`action_head.` prefix; files on disk carry the prefix (see PREFIX, load_model_dir, save_model_dir).

Public entry points:
  parse_config(dict) -> cfg ; build_model(cfg) ; load_model_dir(dir) -> (model, cfg, report)
  save_model_dir(model, cfg_json, dir, ...) ; init_fixture_weights / init_std_weights
  bucket(tau, nb) ; model.forward(...) ; dust_loss / gr00t_loss ; dust_sample / gr00t_sample ; draw_taus
Where the contract is ambiguous the literal reading is used; see AMBIGUITIES.md beside this file.
"""

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

PREFIX = "action_head."

# ---------------------------------------------------------------------------------------------------------
# Config (contract section 2)
# ---------------------------------------------------------------------------------------------------------

DUST_DEFAULTS = {
    "model_type": "dust",
    "architecture": "dual_stream",
    "backbone_embedding_dim": 2048,
    "use_vlln": True,
    "vl_self_attention": {"num_layers": 4, "num_attention_heads": 32, "attention_head_dim": 64},
    "num_attention_heads": 32,
    "attention_head_dim": 48,
    "hidden_size": 1024,
    "num_joint_layers": 12,
    "num_single_layers": 4,
    "action_dim": 32, "action_horizon": 16, "max_state_dim": 64, "max_num_embodiments": 32,
    "vision_token_dim": 1152,
    "num_vision_tokens": 64,
    "max_seq_len": 1024,
    "num_timestep_buckets": 1000,
    "noise_beta_alpha": 1.5, "noise_beta_beta": 1.0, "noise_s": 0.999,
    "lambda_wm": 1.0,
    "decoupled_noise": True,
    "num_inference_timesteps": 4,
    "dropout": 0.2,
}


class ConfigError(ValueError):
    pass


def _isqrt_exact(n):
    r = int(math.isqrt(n))
    return r if r * r == n else None


def parse_config(raw: dict) -> dict:
    """Normalises a config.json dict into a flat cfg dict with key "model_type" in {"dust", "gr00t_n1_5"}."""
    mt = raw.get("model_type", "dust")
    if mt == "dust":
        return _parse_dust(raw)
    if mt == "gr00t_n1_5":
        return _parse_gr00t(raw)
    raise ConfigError(f"config: unknown model_type {mt!r} (expected 'dust' or 'gr00t_n1_5')")


def _parse_dust(raw):
    unknown = [k for k in raw if k not in DUST_DEFAULTS]
    if unknown:
        raise ConfigError(f"config: unknown key(s) {', '.join(sorted(unknown))}")
    cfg = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DUST_DEFAULTS.items()}
    for k, v in raw.items():
        if k == "vl_self_attention":
            if not isinstance(v, dict):
                raise ConfigError("config: vl_self_attention must be an object")
            bad = [kk for kk in v if kk not in DUST_DEFAULTS["vl_self_attention"]]
            if bad:
                raise ConfigError(f"config: unknown key(s) vl_self_attention.{', vl_self_attention.'.join(sorted(bad))}")
            cfg[k].update(v)
        else:
            cfg[k] = v
    if cfg["architecture"] not in ("dual_stream", "single_stream"):
        raise ConfigError(f"config: architecture {cfg['architecture']!r} not in dual_stream/single_stream")
    vls = cfg["vl_self_attention"]
    if vls["num_attention_heads"] * vls["attention_head_dim"] != cfg["backbone_embedding_dim"]:
        raise ConfigError("config: vl_self_attention heads x head_dim = %d != backbone_embedding_dim %d" % (
            vls["num_attention_heads"] * vls["attention_head_dim"], cfg["backbone_embedding_dim"]))
    D = cfg["num_attention_heads"] * cfg["attention_head_dim"]
    if D % 4 != 0:
        raise ConfigError(f"config: inner width D = {D} is not divisible by 4")
    if _isqrt_exact(cfg["num_vision_tokens"]) is None:
        raise ConfigError(f"config: num_vision_tokens {cfg['num_vision_tokens']} is not a perfect square")
    if cfg["action_horizon"] > cfg["max_seq_len"]:
        raise ConfigError(f"config: action_horizon {cfg['action_horizon']} > max_seq_len {cfg['max_seq_len']}")
    cfg["D"] = D
    return cfg


# Published GR00T-N1.5 action_head_cfg values (dust-spec b.1), used where a key is absent.
GR00T_HEAD_DEFAULTS = {
    "action_dim": 32, "action_horizon": 16, "add_pos_embed": True, "backbone_embedding_dim": 2048,
    "hidden_size": 1024, "input_embedding_dim": 1536, "max_action_dim": 32, "max_state_dim": 64,
    "noise_beta_alpha": 1.5, "noise_beta_beta": 1.0, "noise_s": 0.999, "num_timestep_buckets": 1000,
    "num_inference_timesteps": 4, "num_target_vision_tokens": 32, "use_vlln": True,
    "max_num_embodiments": 32, "max_seq_len": 1024,   # GR00T class defaults (contract section 2)
}
GR00T_DIT_DEFAULTS = {
    "attention_head_dim": 48, "num_attention_heads": 32, "num_layers": 16, "cross_attention_dim": 2048,
    "dropout": 0.2, "final_dropout": True, "interleave_self_attention": True, "norm_type": "ada_norm",
    "output_dim": 1024, "positional_embeddings": None,
}
GR00T_VLSA_DEFAULTS = {"attention_head_dim": 64, "num_attention_heads": 32, "num_layers": 4, "dropout": 0.2,
                       "final_dropout": True, "positional_embeddings": None}


def _parse_gr00t(raw):
    head = raw.get("action_head_cfg")
    if not isinstance(head, dict):
        raise ConfigError("config: gr00t_n1_5 needs an action_head_cfg object")
    h = dict(GR00T_HEAD_DEFAULTS)
    h.update({k: v for k, v in head.items() if k not in ("diffusion_model_cfg", "vl_self_attention_cfg")})
    dit = dict(GR00T_DIT_DEFAULTS)
    dit.update(head.get("diffusion_model_cfg") or {})
    vls = dict(GR00T_VLSA_DEFAULTS)
    vls.update(head.get("vl_self_attention_cfg") or {})
    if dit.get("positional_embeddings") is not None:
        raise ConfigError("config: diffusion_model_cfg.positional_embeddings = %r is unsupported (must be null)"
                          % dit["positional_embeddings"])
    if h["use_vlln"] and vls.get("positional_embeddings") is not None:
        raise ConfigError("config: vl_self_attention_cfg.positional_embeddings = %r is unsupported (must be null)"
                          % vls["positional_embeddings"])
    if dit.get("norm_type", "ada_norm") != "ada_norm":
        raise ConfigError(f"config: diffusion_model_cfg.norm_type {dit['norm_type']!r} unsupported (ada_norm only)")
    D = dit["num_attention_heads"] * dit["attention_head_dim"]
    if D != h["input_embedding_dim"]:
        raise ConfigError("config: DiT heads x head_dim = %d != input_embedding_dim %d" % (D, h["input_embedding_dim"]))
    if dit["output_dim"] != h["hidden_size"]:
        raise ConfigError("config: diffusion_model_cfg.output_dim %d != hidden_size %d" % (dit["output_dim"], h["hidden_size"]))
    if h["use_vlln"] and vls["num_attention_heads"] * vls["attention_head_dim"] != h["backbone_embedding_dim"]:
        raise ConfigError("config: vl_self_attention_cfg heads x head_dim != backbone_embedding_dim")
    if h["action_horizon"] > h["max_seq_len"]:
        raise ConfigError(f"config: action_horizon {h['action_horizon']} > max_seq_len {h['max_seq_len']}")
    cfg = dict(h)
    cfg["model_type"] = "gr00t_n1_5"
    cfg["D"] = D
    cfg["dit"] = dit
    cfg["vl_self_attention"] = vls
    cfg["cross_attention_dim"] = dit.get("cross_attention_dim") or D
    return cfg


# ---------------------------------------------------------------------------------------------------------
# Building blocks (contract section 4, "Building blocks")
# ---------------------------------------------------------------------------------------------------------

def layer_norm(x, eps):
    """LN over the last dim, no affine parameters."""
    return F.layer_norm(x, (x.shape[-1],), eps=eps)


def gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


def tsin256(t_bucket, dtype):
    """Timestep sinusoid of the DiT timestep encoder: [cos(t f), sin(t f)], f_i = exp(-ln(1e4) i / 127).
    Computed in float64 from the integer bucket, then rounded to `dtype` (see AMBIGUITIES.md A14)."""
    t = t_bucket.to(torch.float64)
    i = torch.arange(128, dtype=torch.float64)
    f = torch.exp(-math.log(10000.0) * i / 127.0)
    arg = t[:, None] * f[None, :]
    return torch.cat([torch.cos(arg), torch.sin(arg)], dim=-1).to(dtype)


def action_sinusoid(t_bucket, width, dtype):
    """Action-encoder timestep code: [sin(t f), cos(t f)], f_i = exp(-i ln(1e4) / (w/2)), i < w/2. [B, w]."""
    t = t_bucket.to(torch.float64)
    half = width // 2
    i = torch.arange(half, dtype=torch.float64)
    f = torch.exp(-i * math.log(10000.0) / half)
    arg = t[:, None] * f[None, :]
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=-1).to(dtype)


def vision_pos_2d(num_tokens, D, dtype):
    """Fixed 2D code: g = sqrt(To), n = r g + c; emb1d(p) over D/2 channels with w_i = 1e4^(-i/(D/4)), i < D/4,
    [sin(p w), cos(p w)]; pe(n) = [emb1d(c), emb1d(r)]. [To, D], float64 then rounded to dtype."""
    g = _isqrt_exact(num_tokens)
    q = D // 4
    i = torch.arange(q, dtype=torch.float64)
    w = torch.pow(torch.tensor(10000.0, dtype=torch.float64), -i / q)
    n = torch.arange(num_tokens)
    r = (n // g).to(torch.float64)
    c = (n % g).to(torch.float64)

    def emb1d(p):
        a = p[:, None] * w[None, :]
        return torch.cat([torch.sin(a), torch.cos(a)], dim=-1)

    return torch.cat([emb1d(c), emb1d(r)], dim=-1).to(dtype)


def attention(q, k, v, heads):
    """softmax(Q K^T / sqrt(dh)) V per head; q [B,N,h*dh], k,v [B,M,h*dh] -> [B,N,h*dh]. No mask."""
    B, N, W = q.shape
    M = k.shape[1]
    dh = W // heads
    qh = q.reshape(B, N, heads, dh).transpose(1, 2)
    kh = k.reshape(B, M, heads, dh).transpose(1, 2)
    vh = v.reshape(B, M, heads, dh).transpose(1, 2)
    s = torch.matmul(qh, kh.transpose(-1, -2)) * (1.0 / math.sqrt(dh))
    p = torch.softmax(s, dim=-1)
    o = torch.matmul(p, vh)
    return o.transpose(1, 2).reshape(B, N, W)


class Attention(nn.Module):
    """diffusers-style Attention: to_q [W,Dq], to_k/to_v [W,Dkv], to_out.0 [Dq,W]; all with bias."""

    def __init__(self, query_dim, kv_dim, heads, head_dim):
        super().__init__()
        W = heads * head_dim
        self.heads = heads
        self.to_q = nn.Linear(query_dim, W)
        self.to_k = nn.Linear(kv_dim, W)
        self.to_v = nn.Linear(kv_dim, W)
        self.to_out = nn.ModuleList([nn.Linear(W, query_dim)])

    def forward(self, q_in, kv_in):
        o = attention(self.to_q(q_in), self.to_k(kv_in), self.to_v(kv_in), self.heads)
        return self.to_out[0](o)


class _GeluProj(nn.Module):
    def __init__(self, dim, inner):
        super().__init__()
        self.proj = nn.Linear(dim, inner)

    def forward(self, x):
        return gelu_tanh(self.proj(x))


class FeedForward(nn.Module):
    """FF(x) = net.2(GELU_tanh(net.0.proj(x))); net.1 is a parameter-free slot (dropout in diffusers)."""

    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.ModuleList([_GeluProj(dim, mult * dim), nn.Identity(), nn.Linear(mult * dim, dim)])

    def forward(self, x):
        return self.net[2](self.net[0](x))


class _Mod(nn.Module):
    """Holder of an AdaLN modulation linear, so that its parameters are named `<norm>.linear.*`."""

    def __init__(self, D, k):
        super().__init__()
        self.linear = nn.Linear(D, k * D)

    def chunks(self, e, k):
        # e [B, D] -> k tensors [B, 1, D] (broadcast over tokens)
        return [c.unsqueeze(1) for c in self.linear(F.silu(e)).chunk(k, dim=-1)]


class CategorySpecificLinear(nn.Module):
    """y = x @ W[id] + b[id]; W [C, in, out], b [C, out]."""

    def __init__(self, C, din, dout):
        super().__init__()
        self.W = nn.Parameter(torch.zeros(C, din, dout))
        self.b = nn.Parameter(torch.zeros(C, dout))

    def forward(self, x, ids):
        return torch.bmm(x, self.W[ids]) + self.b[ids].unsqueeze(1)


class CategorySpecificMLP(nn.Module):
    def __init__(self, C, din, dh, dout):
        super().__init__()
        self.layer1 = CategorySpecificLinear(C, din, dh)
        self.layer2 = CategorySpecificLinear(C, dh, dout)

    def forward(self, x, ids):
        return self.layer2(F.relu(self.layer1(x, ids)), ids)


class ActionEncoder(nn.Module):
    """GR00T MultiEmbodimentActionEncoder: W3(swish(W2([W1(A), sinusoid_D(tA)])))."""

    def __init__(self, C, Da, D):
        super().__init__()
        self.D = D
        self.W1 = CategorySpecificLinear(C, Da, D)
        self.W2 = CategorySpecificLinear(C, 2 * D, D)
        self.W3 = CategorySpecificLinear(C, D, D)

    def forward(self, actions, t_bucket, ids):
        B, T, _ = actions.shape
        a = self.W1(actions, ids)
        e = action_sinusoid(t_bucket, self.D, a.dtype).unsqueeze(1).expand(B, T, self.D)
        x = self.W2(torch.cat([a, e], dim=-1), ids)
        x = x * torch.sigmoid(x)
        return self.W3(x, ids)


class TimestepEncoder(nn.Module):
    def __init__(self, D):
        super().__init__()
        self.timestep_embedder = nn.Module()
        self.timestep_embedder.linear_1 = nn.Linear(256, D)
        self.timestep_embedder.linear_2 = nn.Linear(D, D)

    def forward(self, t_bucket, dtype):
        te = self.timestep_embedder
        return te.linear_2(F.silu(te.linear_1(tsin256(t_bucket, dtype))))


class VLBlock(nn.Module):
    """GR00T BasicTransformerBlock, norm_type layer_norm (affine, eps 1e-5), self-attention only."""

    def __init__(self, dim, heads, head_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn1 = Attention(dim, dim, heads, head_dim)
        self.norm3 = nn.LayerNorm(dim, eps=1e-5)
        self.ff = FeedForward(dim)

    def forward(self, h):
        n = self.norm1(h)
        h = h + self.attn1(n, n)
        return h + self.ff(self.norm3(h))


class VLSelfAttention(nn.Module):
    def __init__(self, dim, layers, heads, head_dim):
        super().__init__()
        self.transformer_blocks = nn.ModuleList([VLBlock(dim, heads, head_dim) for _ in range(layers)])

    def forward(self, h):
        for b in self.transformer_blocks:
            h = b(h)
        return h


class AdaBlock(nn.Module):
    """GR00T BasicTransformerBlock with ada_norm: h += attn1(LN(h,1e-5)(1+scale)+shift, ctx or itself);
    h += ff(LN(h,1e-5)). (scale, shift) = chunk2(norm1.linear(SiLU(e))), scale first."""

    def __init__(self, D, heads, head_dim, kv_dim):
        super().__init__()
        self.norm1 = _Mod(D, 2)
        self.attn1 = Attention(D, kv_dim, heads, head_dim)
        self.ff = FeedForward(D)

    def forward(self, h, e, ctx):
        scale, shift = self.norm1.chunks(e, 2)
        n = layer_norm(h, 1e-5) * (1 + scale) + shift
        h = h + self.attn1(n, ctx if ctx is not None else n)
        return h + self.ff(layer_norm(h, 1e-5))


# ---------------------------------------------------------------------------------------------------------
# DUST (contract sections 3, 4, 6)
# ---------------------------------------------------------------------------------------------------------

class JointAttention(nn.Module):
    def __init__(self, D, heads):
        super().__init__()
        self.heads = heads
        for n in ("to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj"):
            setattr(self, n, nn.Linear(D, D))
        self.to_out = nn.ModuleList([nn.Linear(D, D)])
        self.to_add_out = nn.Linear(D, D)

    def forward(self, xh, ch):
        nx = xh.shape[1]
        q = torch.cat([self.to_q(xh), self.add_q_proj(ch)], dim=1)
        k = torch.cat([self.to_k(xh), self.add_k_proj(ch)], dim=1)
        v = torch.cat([self.to_v(xh), self.add_v_proj(ch)], dim=1)
        o = attention(q, k, v, self.heads)
        return self.to_out[0](o[:, :nx]), self.to_add_out(o[:, nx:])


class JointBlock(nn.Module):
    def __init__(self, D, heads, head_dim, Dvl):
        super().__init__()
        self.norm1 = _Mod(D, 6)
        self.norm1_context = _Mod(D, 6)
        self.attn = JointAttention(D, heads)
        self.norm_cross = _Mod(D, 2)
        self.attn2 = Attention(D, Dvl, heads, head_dim)
        self.norm_cross_context = _Mod(D, 2)
        self.attn2_context = Attention(D, Dvl, heads, head_dim)
        self.ff = FeedForward(D)
        self.ff_context = FeedForward(D)

    def forward(self, x, c, eA, eO, vl):
        # AdaLNZero: (shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp), LN eps 1e-6
        sh1, sc1, g1, sh2, sc2, g2 = self.norm1.chunks(eA, 6)
        csh1, csc1, cg1, csh2, csc2, cg2 = self.norm1_context.chunks(eO, 6)
        xh = layer_norm(x, 1e-6) * (1 + sc1) + sh1
        ch = layer_norm(c, 1e-6) * (1 + csc1) + csh1
        ox, oc = self.attn(xh, ch)
        x = x + g1 * ox
        c = c + cg1 * oc
        # AdaLNCross: (scale, shift), LN eps 1e-6, no gate
        s, b = self.norm_cross.chunks(eA, 2)
        x = x + self.attn2(layer_norm(x, 1e-6) * (1 + s) + b, vl)
        s, b = self.norm_cross_context.chunks(eO, 2)
        c = c + self.attn2_context(layer_norm(c, 1e-6) * (1 + s) + b, vl)
        x = x + g2 * self.ff(layer_norm(x, 1e-6) * (1 + sc2) + sh2)
        c = c + cg2 * self.ff_context(layer_norm(c, 1e-6) * (1 + csc2) + csh2)
        return x, c


class SingleStreamBlock(nn.Module):
    """Contract section 6: GR00T BasicTransformerBlock over [x ; c] with per-token (eA | eO) modulation."""

    def __init__(self, D, heads, head_dim, kv_dim):
        super().__init__()
        self.norm1 = _Mod(D, 2)
        self.attn1 = Attention(D, kv_dim, heads, head_dim)
        self.ff = FeedForward(D)

    def forward(self, h, eA, eO, n_action_side, ctx):
        sA, bA = self.norm1.chunks(eA, 2)
        sO, bO = self.norm1.chunks(eO, 2)
        To = h.shape[1] - n_action_side
        B, _, D = h.shape
        scale = torch.cat([sA.expand(B, n_action_side, D), sO.expand(B, To, D)], dim=1)
        shift = torch.cat([bA.expand(B, n_action_side, D), bO.expand(B, To, D)], dim=1)
        n = layer_norm(h, 1e-5) * (1 + scale) + shift
        h = h + self.attn1(n, ctx if ctx is not None else n)
        return h + self.ff(layer_norm(h, 1e-5))


class VisionEncoder(nn.Module):
    def __init__(self, Dv, D):
        super().__init__()
        self.linear_1 = nn.Linear(Dv, D)
        self.linear_2 = nn.Linear(D, D)
        self.linear_3 = nn.Linear(D, D)

    def forward(self, o):
        return self.linear_3(F.silu(self.linear_2(F.silu(self.linear_1(o)))))


class VisionDecoder(nn.Module):
    def __init__(self, H, Dv):
        super().__init__()
        self.linear_1 = nn.Linear(H, H)
        self.linear_2 = nn.Linear(H, Dv)

    def forward(self, h):
        return self.linear_2(F.relu(self.linear_1(h)))


class DustActionHead(nn.Module):
    """DUST action head ("dust", dual_stream or single_stream). forward() returns (V_A, V_O)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        D, H, C = cfg["D"], cfg["hidden_size"], cfg["max_num_embodiments"]
        Dvl, Dv = cfg["backbone_embedding_dim"], cfg["vision_token_dim"]
        heads, hd = cfg["num_attention_heads"], cfg["attention_head_dim"]
        if cfg["use_vlln"]:
            vls = cfg["vl_self_attention"]
            self.vlln = nn.LayerNorm(Dvl, eps=1e-5)
            self.vl_self_attention = VLSelfAttention(Dvl, vls["num_layers"], vls["num_attention_heads"],
                                                     vls["attention_head_dim"])
        self.state_encoder = CategorySpecificMLP(C, cfg["max_state_dim"], H, D)
        self.action_encoder = ActionEncoder(C, cfg["action_dim"], D)
        self.action_decoder = CategorySpecificMLP(C, H, H, cfg["action_dim"])
        self.position_embedding = nn.Embedding(cfg["max_seq_len"], D)
        self.vision_encoder = VisionEncoder(Dv, D)
        self.vision_decoder = VisionDecoder(H, Dv)
        m = nn.Module()
        m.timestep_encoder = TimestepEncoder(D)
        J, S = cfg["num_joint_layers"], cfg["num_single_layers"]
        if cfg["architecture"] == "dual_stream":
            m.joint_blocks = nn.ModuleList([JointBlock(D, heads, hd, Dvl) for _ in range(J)])
            m.action_blocks = nn.ModuleList(
                [AdaBlock(D, heads, hd, Dvl if (J + k) % 2 == 0 else D) for k in range(S)])
            m.vision_blocks = nn.ModuleList(
                [AdaBlock(D, heads, hd, Dvl if (J + k) % 2 == 0 else D) for k in range(S)])
        else:
            m.transformer_blocks = nn.ModuleList(
                [SingleStreamBlock(D, heads, hd, Dvl if i % 2 == 0 else D) for i in range(J + S)])
        m.proj_out_1 = nn.Linear(D, 2 * D)
        m.proj_out_2 = nn.Linear(D, H)
        m.proj_out_1_context = nn.Linear(D, 2 * D)
        m.proj_out_2_context = nn.Linear(D, H)
        self.model = m

    def condition(self, vl0):
        """vl = vl_self_attention(vlln(vl0)) if use_vlln else vl0."""
        if self.cfg["use_vlln"]:
            return self.vl_self_attention(self.vlln(vl0))
        return vl0

    def forward(self, vl0, state, actions_noisy, vision_noisy, t_action, t_vision, ids, vl=None):
        """Contract section 4 / 6. t_action, t_vision: integer buckets [B]; ids [B]. Returns (V_A, V_O).
        `vl` may pass a precomputed condition(vl0) (the sampler does; the result is the same)."""
        cfg = self.cfg
        m = self.model
        dt = actions_noisy.dtype
        if vl is None:
            vl = self.condition(vl0)
        Ta, To, J = cfg["action_horizon"], cfg["num_vision_tokens"], cfg["num_joint_layers"]
        eA = m.timestep_encoder(t_action, dt)
        eO = m.timestep_encoder(t_vision, dt)
        a_tok = self.action_encoder(actions_noisy, t_action, ids) + self.position_embedding.weight[:Ta].unsqueeze(0)
        x = torch.cat([self.state_encoder(state, ids), a_tok], dim=1)
        c = self.vision_encoder(vision_noisy) + vision_pos_2d(To, cfg["D"], dt).unsqueeze(0)
        if cfg["architecture"] == "dual_stream":
            for blk in m.joint_blocks:
                x, c = blk(x, c, eA, eO, vl)
            for k, blk in enumerate(m.action_blocks):
                x = blk(x, eA, vl if (J + k) % 2 == 0 else None)
            for k, blk in enumerate(m.vision_blocks):
                c = blk(c, eO, vl if (J + k) % 2 == 0 else None)
        else:
            nx = x.shape[1]
            h = torch.cat([x, c], dim=1)
            for i, blk in enumerate(m.transformer_blocks):
                h = blk(h, eA, eO, nx, vl if i % 2 == 0 else None)
            x, c = h[:, :nx], h[:, nx:]
        shift, scale = [t.unsqueeze(1) for t in m.proj_out_1(F.silu(eA)).chunk(2, dim=-1)]
        hA = m.proj_out_2(layer_norm(x, 1e-6) * (1 + scale) + shift)
        shift, scale = [t.unsqueeze(1) for t in m.proj_out_1_context(F.silu(eO)).chunk(2, dim=-1)]
        hO = m.proj_out_2_context(layer_norm(c, 1e-6) * (1 + scale) + shift)
        V_A = self.action_decoder(hA, ids)[:, 1:]
        V_O = self.vision_decoder(hO)
        return V_A, V_O


# ---------------------------------------------------------------------------------------------------------
# GR00T-N1.5 action head (dust-spec b.2-b.5)
# ---------------------------------------------------------------------------------------------------------

class Gr00tActionHead(nn.Module):
    """FlowmatchingActionHead of GR00T-N1.5. forward() returns V_A (last Ta tokens of the decoder)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        D, H, C = cfg["D"], cfg["hidden_size"], cfg["max_num_embodiments"]
        dit = cfg["dit"]
        heads, hd = dit["num_attention_heads"], dit["attention_head_dim"]
        inter = bool(dit.get("interleave_self_attention", False))
        m = nn.Module()
        m.timestep_encoder = TimestepEncoder(D)
        m.transformer_blocks = nn.ModuleList([
            AdaBlock(D, heads, hd, cfg["cross_attention_dim"] if (not inter or i % 2 == 0) else D)
            for i in range(dit["num_layers"])])
        m.proj_out_1 = nn.Linear(D, 2 * D)
        m.proj_out_2 = nn.Linear(D, dit["output_dim"])
        self.model = m
        self.state_encoder = CategorySpecificMLP(C, cfg["max_state_dim"], H, D)
        self.action_encoder = ActionEncoder(C, cfg["action_dim"], D)
        self.action_decoder = CategorySpecificMLP(C, H, H, cfg["action_dim"])
        self.future_tokens = nn.Embedding(cfg["num_target_vision_tokens"], D)
        if cfg["use_vlln"]:
            vls = cfg["vl_self_attention"]
            self.vlln = nn.LayerNorm(cfg["backbone_embedding_dim"], eps=1e-5)
            self.vl_self_attention = VLSelfAttention(cfg["backbone_embedding_dim"], vls["num_layers"],
                                                     vls["num_attention_heads"], vls["attention_head_dim"])
        if cfg["add_pos_embed"]:
            self.position_embedding = nn.Embedding(cfg["max_seq_len"], D)
        self.interleave = inter

    def condition(self, vl0):
        if self.cfg["use_vlln"]:
            return self.vl_self_attention(self.vlln(vl0))
        return vl0

    def forward(self, vl0, state, actions_noisy, t_action, ids, vl=None):
        cfg = self.cfg
        m = self.model
        dt = actions_noisy.dtype
        if vl is None:
            vl = self.condition(vl0)
        B, Ta, _ = actions_noisy.shape
        s = self.state_encoder(state, ids)
        a = self.action_encoder(actions_noisy, t_action, ids)
        if cfg["add_pos_embed"]:
            a = a + self.position_embedding.weight[:Ta].unsqueeze(0)
        fut = self.future_tokens.weight.unsqueeze(0).expand(B, -1, -1)
        h = torch.cat([s, fut, a], dim=1)
        temb = m.timestep_encoder(t_action, dt)
        for i, blk in enumerate(m.transformer_blocks):
            cross = (not self.interleave) or i % 2 == 0
            h = blk(h, temb, vl if cross else None)
        shift, scale = [t.unsqueeze(1) for t in m.proj_out_1(F.silu(temb)).chunk(2, dim=-1)]
        out = m.proj_out_2(layer_norm(h, 1e-6) * (1 + scale) + shift)
        return self.action_decoder(out, ids)[:, -Ta:]


def build_model(cfg):
    if cfg["model_type"] == "dust":
        return DustActionHead(cfg)
    return Gr00tActionHead(cfg)


# ---------------------------------------------------------------------------------------------------------
# Noise, loss, sampling (contract section 5)
# ---------------------------------------------------------------------------------------------------------

def bucket(tau, nb):
    """clamp(trunc(tau * nb), 0, nb - 1) with tau * nb in float64. tau: tensor [B] (any float dtype) or float."""
    if not torch.is_tensor(tau):
        tau = torch.tensor([float(tau)], dtype=torch.float64)
    v = torch.trunc(tau.to(torch.float64) * float(nb))
    return torch.clamp(v, 0, nb - 1).to(torch.int64)


def draw_taus(cfg, B, gen):
    """Training draw: u ~ Beta(alpha, beta), tau = (s - u)/s; decoupled -> independent tau_A and tau_O.
    For beta = 1 (the default) u = U^(1/alpha) exactly (inverse CDF), drawn from `gen`; otherwise
    torch.distributions.Beta with the global RNG (torch 1.13 has no generator argument there)."""
    a, b, s = float(cfg["noise_beta_alpha"]), float(cfg["noise_beta_beta"]), float(cfg["noise_s"])

    def draw():
        if b == 1.0:
            return torch.rand(B, generator=gen, dtype=torch.float64).pow(1.0 / a).float()
        return torch.distributions.Beta(torch.tensor(a), torch.tensor(b)).sample((B,))

    uA = draw()
    uO = draw() if cfg.get("decoupled_noise", True) else uA
    return (s - uA) / s, (s - uO) / s


def dust_loss(model, vl0, state, ids, actions, action_mask, has_action, future, eps_action, eps_vision,
              tau_action, tau_vision):
    """Contract section 5 loss. Returns (L, L_A, L_WM) as 0-d tensors. tau_* are used as given, except that
    tau_A is forced to 0 on action-free samples (has_action == 0)."""
    cfg = model.cfg
    nb = cfg["num_timestep_buckets"]
    dt = actions.dtype
    has = has_action.to(dt)
    tau_a = torch.where(has != 0, tau_action.to(dt), torch.zeros_like(tau_action, dtype=dt))
    tau_o = tau_vision.to(dt)
    tA = bucket(tau_a, nb)
    tO = bucket(tau_o, nb)
    ta = tau_a[:, None, None]
    to = tau_o[:, None, None]
    A_t = ta * actions + (1 - ta) * eps_action
    O_t = to * future + (1 - to) * eps_vision
    V_A, V_O = model(vl0, state, A_t, O_t, tA, tO, ids)
    m = action_mask.to(dt) * has[:, None, None]
    msum = m.sum()
    if float(msum) > 0:
        L_A = (((V_A - (actions - eps_action)) ** 2) * m).sum() / msum
    else:
        L_A = (V_A * 0).sum()
    L_WM = ((V_O - (future - eps_vision)) ** 2).mean()
    L = L_A + float(cfg["lambda_wm"]) * L_WM
    return L, L_A, L_WM


def gr00t_loss(model, vl0, state, ids, actions, action_mask, eps_action, tau_action, has_action=None):
    """GR00T-N1.5 flow-matching loss (b.4) with the contract's bucket rule. Returns (L, L_A, 0)."""
    cfg = model.cfg
    dt = actions.dtype
    tau = tau_action.to(dt)
    m = action_mask.to(dt)
    if has_action is not None:
        has = has_action.to(dt)
        tau = torch.where(has != 0, tau, torch.zeros_like(tau))
        m = m * has[:, None, None]
    t = bucket(tau, cfg["num_timestep_buckets"])
    ta = tau[:, None, None]
    A_t = ta * actions + (1 - ta) * eps_action
    V = model(vl0, state, A_t, t, ids)
    msum = m.sum()
    L_A = (((V - (actions - eps_action)) ** 2) * m).sum() / msum if float(msum) > 0 else (V * 0).sum()
    return L_A, L_A, torch.zeros((), dtype=dt)


def dust_sample(model, vl0, state, ids, noise_action, noise_vision, n_a=None, q=1, variant="start"):
    """Asynchronous joint sampler (contract section 5). Returns (A, O)."""
    cfg = model.cfg
    nb = cfg["num_timestep_buckets"]
    if n_a is None:
        n_a = cfg["num_inference_timesteps"]
    if variant not in ("start", "end"):
        raise ValueError(f"sample: variant {variant!r} not in start/end")
    B = noise_action.shape[0]
    n_o = q * n_a
    vl = model.condition(vl0)
    A, O = noise_action, noise_vision
    kA = 0
    for j in range(n_o):
        tO = bucket(j / n_o, nb).expand(B)
        if variant == "start":
            tA = bucket(kA / n_a, nb).expand(B)
        else:
            tA = bucket((j // q) / n_a, nb).expand(B)
        V_A, V_O = model(vl0, state, A, O, tA, tO, ids, vl=vl)
        if (variant == "start" and j % q == 0) or (variant == "end" and j % q == q - 1):
            A = A + V_A / n_a
            kA += 1
        O = O + V_O / n_o
    return A, O


def gr00t_sample(model, vl0, state, ids, noise_action, n=None):
    """GR00T-N1.5 Euler sampler: for k < N: t = bucket(k/N); A += v(A, t)/N."""
    cfg = model.cfg
    if n is None:
        n = cfg["num_inference_timesteps"]
    B = noise_action.shape[0]
    vl = model.condition(vl0)
    A = noise_action
    for k in range(n):
        t = bucket(k / n, cfg["num_timestep_buckets"]).expand(B)
        A = A + model(vl0, state, A, t, ids, vl=vl) / n
    return A


# ---------------------------------------------------------------------------------------------------------
# Weights: init, load, save
# ---------------------------------------------------------------------------------------------------------

def is_bias(name):
    return name.endswith(".bias") or name.endswith(".b")


def init_fixture_weights(model, seed):
    """Fixture init (MODEL-FIXTURES.md): every tensor random, nothing zero; in state_dict order.
    matrices / embeddings / category W: 0.3 N(0,1); biases (.bias, .b): 0.1 N(0,1); LayerNorm weights: 1 + 0.1 N."""
    g = torch.Generator()
    g.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if is_bias(name):
                p.copy_(0.1 * r)
            elif p.dim() == 1:
                p.copy_(1.0 + 0.1 * r)
            else:
                p.copy_(0.3 * r)


def init_std_weights(model, seed, std=0.02):
    """Benchmark-style init: matrices / embeddings N(0, std^2), biases 0, LayerNorm weights 1, and the
    AdaLN modulation linears N(0, std^2) too (not zero, so every path does real work)."""
    g = torch.Generator()
    g.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if is_bias(name):
                p.zero_()
            elif p.dim() == 1:
                p.fill_(1.0)
            else:
                p.copy_(std * torch.randn(p.shape, generator=g, dtype=torch.float32))


def _read_tensors(model_dir):
    idx = os.path.join(model_dir, "model.safetensors.index.json")
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):
        t, _ = st.load(single)
        return t
    if os.path.exists(idx):
        with open(idx) as f:
            wm = json.load(f)["weight_map"]
        out = {}
        for fname in sorted(set(wm.values())):
            t, _ = st.load(os.path.join(model_dir, fname))
            for k, v in t.items():
                if wm.get(k) != fname:
                    raise ValueError(f"load: tensor {k} found in {fname} but the index maps it to {wm.get(k)}")
                out[k] = v
        missing = [k for k in wm if k not in out]
        if missing:
            raise ValueError("load: index names tensors absent from the shards: " + ", ".join(missing))
        return out
    raise FileNotFoundError(f"load: {model_dir} has neither model.safetensors nor model.safetensors.index.json")


def load_model_dir(model_dir):
    """Loads config.json + weights (single file or shards); F16/BF16 upcast to F32.
    Returns (model in eval mode, cfg, report lines). Name/shape problems raise one error listing all of them."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = parse_config(json.load(f))
    model = build_model(cfg)
    tensors = _read_tensors(model_dir)
    expected = model.state_dict()
    report, problems = [], []
    got = {}
    for name, t in tensors.items():
        if not name.startswith(PREFIX):
            if cfg["model_type"] == "gr00t_n1_5" and name.startswith("backbone."):
                report.append(f"ignored {name}")
                continue
            problems.append(f"unexpected tensor {name}")
            continue
        k = name[len(PREFIX):]
        if k not in expected:
            problems.append(f"unexpected tensor {name}")
        elif list(t.shape) != list(expected[k].shape):
            problems.append(f"tensor {name} has shape {list(t.shape)}, expected {list(expected[k].shape)}")
        else:
            got[k] = t.to(torch.float32)
    for k in expected:
        if k not in got and not any(p.startswith(f"tensor {PREFIX + k} has shape") for p in problems):
            problems.append(f"missing tensor {PREFIX + k}")
    if problems:
        raise ValueError("load: " + "; ".join(problems))
    model.load_state_dict(got, strict=True)
    model.eval()
    return model, cfg, report


def prefixed_state(model):
    return {PREFIX + k: v.detach().clone() for k, v in model.state_dict().items()}


def save_model_dir(model, config_json: dict, model_dir):
    """Writes config.json (sorted keys, 2-space indent) and model.safetensors (F32, action_head. prefix)."""
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config_json, f, indent=2)
        f.write("\n")
    st.save(os.path.join(model_dir, "model.safetensors"), prefixed_state(model))


# ---------------------------------------------------------------------------------------------------------
# Self-check (python3 dust_ref.py --selfcheck): the reference against hand formulas and its own invariants
# ---------------------------------------------------------------------------------------------------------

def _tiny_cfg(**kw):
    raw = {"backbone_embedding_dim": 16, "vl_self_attention": {"num_layers": 2, "num_attention_heads": 2,
                                                               "attention_head_dim": 8},
           "num_attention_heads": 2, "attention_head_dim": 8, "hidden_size": 12, "num_joint_layers": 2,
           "num_single_layers": 2, "action_dim": 3, "action_horizon": 4, "max_state_dim": 5,
           "max_num_embodiments": 3, "vision_token_dim": 6, "num_vision_tokens": 4, "max_seq_len": 8}
    raw.update(kw)
    return parse_config(raw)


def selfcheck():
    torch.set_num_threads(1)
    ok = []

    def check(name, cond):
        if not cond:
            raise AssertionError("selfcheck failed: " + name)
        ok.append(name)

    # --- fixed codes against the contract formulas, written out with math.* ---
    t = 250
    v = tsin256(torch.tensor([t]), torch.float64)[0]
    ref = [math.cos(t * math.exp(-math.log(10000) * i / 127)) for i in range(128)] + \
          [math.sin(t * math.exp(-math.log(10000) * i / 127)) for i in range(128)]
    check("tsin256 cos-first, /127", torch.allclose(v, torch.tensor(ref, dtype=torch.float64), atol=1e-12))
    v = action_sinusoid(torch.tensor([t]), 16, torch.float64)[0]
    ref = [math.sin(t * math.exp(-i * math.log(10000) / 8)) for i in range(8)] + \
          [math.cos(t * math.exp(-i * math.log(10000) / 8)) for i in range(8)]
    check("action sinusoid sin-first, /(w/2)", torch.allclose(v, torch.tensor(ref, dtype=torch.float64), atol=1e-12))
    pe = vision_pos_2d(9, 16, torch.float64)   # g = 3; token 5 = row 1, col 2
    w = [10000 ** (-i / 4) for i in range(4)]
    ref = [math.sin(2 * x) for x in w] + [math.cos(2 * x) for x in w] + [math.sin(1 * x) for x in w] + \
          [math.cos(1 * x) for x in w]
    check("2D pe column first, row-major tokens", torch.allclose(pe[5], torch.tensor(ref, dtype=torch.float64)))
    x = torch.linspace(-6, 6, 101, dtype=torch.float64)
    g = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    check("GELU tanh formula", torch.allclose(gelu_tanh(x), g, atol=1e-14))

    # --- buckets ---
    check("bucket clamps high", bucket(1.0, 1000).item() == 999)
    check("bucket clamps low", bucket(-0.001, 1000).item() == 0)
    check("bucket of F32 0.7 is 699 (float64 product)", bucket(torch.tensor([0.7]), 1000).item() == 699)
    check("bucket k/N", [bucket(k / 4, 1000).item() for k in range(4)] == [0, 250, 500, 750])

    # --- attention and category linear against explicit loops ---
    gen = torch.Generator().manual_seed(5)
    q = torch.randn(2, 3, 8, generator=gen, dtype=torch.float64)
    k = torch.randn(2, 5, 8, generator=gen, dtype=torch.float64)
    vv = torch.randn(2, 5, 8, generator=gen, dtype=torch.float64)
    o = attention(q, k, vv, 2)
    ref = torch.zeros_like(o)
    for b in range(2):
        for h in range(2):
            sl = slice(4 * h, 4 * h + 4)
            for n in range(3):
                s = [float(q[b, n, sl] @ k[b, m, sl]) / 2.0 for m in range(5)]
                mx = max(s)
                e = [math.exp(z - mx) for z in s]
                ref[b, n, sl] = sum(e[m] / sum(e) * vv[b, m, sl] for m in range(5))
    check("attention = per-head loop", torch.allclose(o, ref, atol=1e-12))
    csl = CategorySpecificLinear(3, 4, 2).double()
    with torch.no_grad():
        csl.W.normal_(generator=gen)
        csl.b.normal_(generator=gen)
    xx = torch.randn(2, 3, 4, generator=gen, dtype=torch.float64)
    ids = torch.tensor([2, 0])
    y = csl(xx, ids)
    check("category linear uses W[id] (in,out) and b[id]",
          torch.allclose(y[0], xx[0] @ csl.W[2] + csl.b[2]) and torch.allclose(y[1], xx[1] @ csl.W[0] + csl.b[0]))

    for arch in ("dual_stream", "single_stream"):
        cfg = _tiny_cfg(architecture=arch)
        m = build_model(cfg).double().eval()
        init_fixture_weights(m, 7)
        m.double()
        B = 2
        vl0 = torch.randn(B, 5, 16, generator=gen, dtype=torch.float64)
        stt = torch.randn(B, 1, 5, generator=gen, dtype=torch.float64)
        nA = torch.randn(B, 4, 3, generator=gen, dtype=torch.float64)
        nO = torch.randn(B, 4, 6, generator=gen, dtype=torch.float64)
        ids = torch.tensor([2, 0])

        # --- sampler: q = 1 equals the plain synchronous Euler loop; start/end agree at q = 1 ---
        with torch.no_grad():
            A1, O1 = dust_sample(m, vl0, stt, ids, nA, nO, n_a=4, q=1, variant="start")
            A1e, O1e = dust_sample(m, vl0, stt, ids, nA, nO, n_a=4, q=1, variant="end")
            A, O = nA, nO
            for j in range(4):
                tt = torch.full((B,), [0, 250, 500, 750][j], dtype=torch.int64)
                VA, VO = m(vl0, stt, A, O, tt, tt, ids)
                A, O = A + VA / 4, O + VO / 4
        check(arch + " q=1 sampler == plain loop", torch.equal(A1, A) and torch.equal(O1, O))
        check(arch + " q=1 start == end", torch.equal(A1, A1e) and torch.equal(O1, O1e))

        # --- sampler timestep schedules (recorded through a wrapper) ---
        seen = []
        orig = m.forward

        def rec(*a, **kw):
            seen.append((int(a[4][0]), int(a[5][0])))
            return orig(*a, **kw)

        m.forward = rec
        with torch.no_grad():
            dust_sample(m, vl0, stt, ids, nA, nO, n_a=4, q=4, variant="start")
            s4 = list(seen)
            seen.clear()
            dust_sample(m, vl0, stt, ids, nA, nO, n_a=4, q=2, variant="end")
            s2 = list(seen)
        m.forward = orig
        check(arch + " q=4 start schedule",
              [a for a, _ in s4] == [0, 250, 250, 250, 250, 500, 500, 500, 500, 750, 750, 750, 750, 999, 999, 999]
              and [o for _, o in s4] == [int(1000 * j / 16) for j in range(16)])
        check(arch + " q=2 end schedule", [a for a, _ in s2] == [0, 0, 250, 250, 500, 500, 750, 750]
              and [o for _, o in s2] == [0, 125, 250, 375, 500, 625, 750, 875])

        # --- loss: action-free forcing, masking, empty mask ---
        Aa = torch.randn(B, 4, 3, generator=gen, dtype=torch.float64)
        fut = torch.randn(B, 4, 6, generator=gen, dtype=torch.float64)
        eA = torch.randn(B, 4, 3, generator=gen, dtype=torch.float64)
        eO = torch.randn(B, 4, 6, generator=gen, dtype=torch.float64)
        mask = torch.ones(B, 4, 3, dtype=torch.float64)
        has = torch.tensor([1.0, 0.0], dtype=torch.float64)
        tO = torch.tensor([0.7, 0.2], dtype=torch.float64)
        L1 = dust_loss(m, vl0, stt, ids, Aa, mask, has, fut, eA, eO, torch.tensor([0.3, 0.6], dtype=torch.float64), tO)
        L2 = dust_loss(m, vl0, stt, ids, Aa, mask, has, fut, eA, eO, torch.tensor([0.3, 0.0], dtype=torch.float64), tO)
        check(arch + " action-free tau_A forced to 0", all(torch.equal(a, b) for a, b in zip(L1, L2)))
        L3 = dust_loss(m, vl0, stt, ids, Aa, mask * 0, has, fut, eA, eO, torch.tensor([0.3, 0.6], dtype=torch.float64), tO)
        check(arch + " empty mask -> L_A = 0", float(L3[1]) == 0.0 and torch.equal(L3[2], L1[2]))
        # L_A by hand on sample 0 only
        with torch.no_grad():
            ta = torch.tensor([0.3, 0.0], dtype=torch.float64)
            VA, _ = m(vl0, stt, ta[:, None, None] * Aa + (1 - ta[:, None, None]) * eA,
                      tO[:, None, None] * fut + (1 - tO[:, None, None]) * eO,
                      torch.tensor([300, 0]), torch.tensor([700, 200]), ids)  # float64 0.7*1000 = 700
            LA = ((VA[0] - (Aa[0] - eA[0])) ** 2).mean()
        check(arch + " L_A = mean over sample 0 only", torch.allclose(L1[1], LA, rtol=1e-12))

        # --- autograd vs central finite differences (float64) on a few entries ---
        names = dict(m.named_parameters())
        m.zero_grad()
        L = dust_loss(m, vl0, stt, ids, Aa, mask, has, fut, eA, eO, torch.tensor([0.3, 0.6], dtype=torch.float64), tO)[0]
        L.backward()
        picks = [n for n in names if any(s in n for s in (
            "joint_blocks.0.norm1.linear.weight", "joint_blocks.1.attn.add_v_proj.weight",
            "transformer_blocks.1.attn1.to_v.weight", "action_blocks.1.attn1.to_v.weight",
            "vision_blocks.0.norm1.linear.bias", "action_encoder.W2.W", "state_encoder.layer1.b",
            "position_embedding.weight", "vlln.weight", "vl_self_attention.transformer_blocks.1.ff.net.2.weight",
            "model.timestep_encoder.timestep_embedder.linear_1.weight", "vision_encoder.linear_1.weight",
            "proj_out_1_context.weight", "vision_decoder.linear_2.bias", "action_decoder.layer2.W"))]
        worst = 0.0
        with torch.no_grad():
            for n in picks:
                p = names[n]
                flat = p.view(-1)
                for idx in torch.randint(0, flat.numel(), (3,), generator=gen).tolist():
                    h = 1e-6
                    old = float(flat[idx])
                    flat[idx] = old + h
                    lp = float(dust_loss(m, vl0, stt, ids, Aa, mask, has, fut, eA, eO,
                                         torch.tensor([0.3, 0.6], dtype=torch.float64), tO)[0])
                    flat[idx] = old - h
                    lm = float(dust_loss(m, vl0, stt, ids, Aa, mask, has, fut, eA, eO,
                                         torch.tensor([0.3, 0.6], dtype=torch.float64), tO)[0])
                    flat[idx] = old
                    fd = (lp - lm) / (2 * h)
                    ag = float(p.grad.view(-1)[idx])
                    worst = max(worst, abs(fd - ag) / (1e-6 + abs(ag)))
        check(arch + " finite differences (%d tensors, worst rel %.1e)" % (len(picks), worst), worst < 1e-4)

    # --- gr00t: q-free sampler equals the plain loop ---
    raw = {"model_type": "gr00t_n1_5", "action_head_cfg": {
        "action_dim": 3, "action_horizon": 4, "backbone_embedding_dim": 24, "hidden_size": 12,
        "input_embedding_dim": 16, "max_state_dim": 5, "max_num_embodiments": 3, "max_seq_len": 8,
        "num_target_vision_tokens": 3,
        "diffusion_model_cfg": {"attention_head_dim": 8, "num_attention_heads": 2, "num_layers": 4,
                                "cross_attention_dim": 24, "output_dim": 12},
        "vl_self_attention_cfg": {"attention_head_dim": 8, "num_attention_heads": 3, "num_layers": 2}}}
    cfg = parse_config(raw)
    m = build_model(cfg)
    init_fixture_weights(m, 9)
    m.double().eval()
    vl0 = torch.randn(2, 5, 24, generator=gen, dtype=torch.float64)
    stt = torch.randn(2, 1, 5, generator=gen, dtype=torch.float64)
    nA = torch.randn(2, 4, 3, generator=gen, dtype=torch.float64)
    ids = torch.tensor([2, 0])
    with torch.no_grad():
        A = gr00t_sample(m, vl0, stt, ids, nA, n=4)
        Ar = nA
        for k in range(4):
            Ar = Ar + m(vl0, stt, Ar, torch.full((2,), 250 * k), ids) / 4
    check("gr00t sampler == plain loop", torch.equal(A, Ar))
    check("gr00t to_k widths interleave (even: cross 24, odd: self 16)",
          [b.attn1.to_k.weight.shape[1] for b in m.model.transformer_blocks] == [24, 16, 24, 16])

    # --- loader: every name problem listed at once; backbone.* ignored for gr00t ---
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        save_model_dir(m.float(), raw, tmp)
        tens, _ = st.load(os.path.join(tmp, "model.safetensors"))
        tens["backbone.eagle_model.mlp1.0.weight"] = torch.zeros(2, 2)
        st.save(os.path.join(tmp, "model.safetensors"), tens)
        _, _, rep = load_model_dir(tmp)
        check("gr00t loader ignores backbone.* and reports it", rep == ["ignored backbone.eagle_model.mlp1.0.weight"])
        del tens["action_head.model.proj_out_2.bias"]
        tens["action_head.extra.weight"] = torch.zeros(1)
        tens["action_head.future_tokens.weight"] = torch.zeros(4, 16)
        tens["action_head.vlln.bias"] = tens["action_head.vlln.bias"].to(torch.bfloat16)
        st.save(os.path.join(tmp, "model.safetensors"), tens)
        try:
            load_model_dir(tmp)
            check("loader lists all problems", False)
        except ValueError as e:
            msg = str(e)
            check("loader lists all problems", "missing tensor action_head.model.proj_out_2.bias" in msg
                  and "unexpected tensor action_head.extra.weight" in msg
                  and "action_head.future_tokens.weight has shape [4, 16], expected [3, 16]" in msg
                  and "vlln.bias" not in msg)

    # --- config errors ---
    for bad, frag in (({"bogus": 1}, "bogus"), ({"num_vision_tokens": 5}, "perfect square"),
                      ({"attention_head_dim": 3}, "divisible by 4"), ({"action_horizon": 9}, "max_seq_len"),
                      ({"backbone_embedding_dim": 32}, "backbone_embedding_dim")):
        try:
            _tiny_cfg(**bad)
            check("config error " + frag, False)
        except ConfigError as e:
            check("config error " + frag, frag in str(e))
    bad_raw = json.loads(json.dumps(raw))
    bad_raw["action_head_cfg"]["diffusion_model_cfg"]["positional_embeddings"] = "sinusoidal"
    try:
        parse_config(bad_raw)
        check("gr00t rejects positional_embeddings", False)
    except ConfigError:
        check("gr00t rejects positional_embeddings", True)
    for line in ok:
        print("ok  ", line)
    print(f"selfcheck: {len(ok)} checks passed")


if __name__ == "__main__":
    if "--selfcheck" in sys.argv:
        selfcheck()
    else:
        print(__doc__)
