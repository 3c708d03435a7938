"""Writes testdata/backbone/<config>/: random-weight model directories in the GR00T-N1.5 layout (tiny
configurations of backbone-contract.md section 6) plus embed inputs and float64 reference outputs computed
by backbone_ref.py.

    /usr/bin/python3 tools/reference/backbone_fixtures.py

Per directory: config.json, model.safetensors (or two shards + model.safetensors.index.json),
case<k>.in.safetensors (pixel_values or images, input_ids, attention_mask) and case<k>.out.safetensors
(backbone_features F32, backbone_attention_mask I64, vision_features F32, image_embeds F32). Every output file's
metadata records `f32dev.<name>`: the largest |f32 - f64| / (1e-4 + 1e-3 |f64|) of the same reference run in
float32 (the contract's check, section 5, as a fraction of its budget).
"""

import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import backbone_ref as R  # noqa: E402
import st  # noqa: E402

# st.py knows F32/F16/BF16/I64/I32; images are U8.
st._DTYPES["U8"] = (torch.uint8, np.dtype("u1"))
st._BY_TORCH[torch.uint8] = "U8"

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "backbone")


def config(vis, ps, text, other):
    """vis (Dv, Hv, Iv, Nv, S, p); ps (k or None, connector, eagle select_layer); text (D, H, KV, hd, I, layers, Ls, V, theta)."""
    Dv, Hv, Iv, Nv, S, p = vis
    k, conn, vsel = ps
    D, H, KV, hd, I, nl, Ls, V, theta = text
    eagle = {
        "force_image_size": S, "image_token_index": other["img_id"], "use_pixel_shuffle": k is not None,
        "downsample_ratio": 1.0 / k if k else 0.5, "mlp_connector_layers": conn, "select_layer": vsel,
        "use_backbone_lora": 0, "use_llm_lora": 0, "template": "qwen3-chat", "dynamic_image_size": True,
        "vision_config": {"model_type": "siglip_vision_model", "hidden_size": Dv, "intermediate_size": Iv,
                          "num_attention_heads": Hv, "num_hidden_layers": Nv, "image_size": S, "patch_size": p,
                          "num_channels": 3, "layer_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh"},
        "text_config": {"architectures": ["Qwen3ForCausalLM"], "hidden_size": D, "intermediate_size": I,
                        "num_attention_heads": H, "num_key_value_heads": KV, "head_dim": hd, "num_hidden_layers": nl,
                        "rms_norm_eps": 1e-6, "rope_theta": theta, "rope_scaling": None, "vocab_size": V,
                        "hidden_act": "silu", "attention_bias": False, "use_sliding_window": False,
                        "max_position_embeddings": 40960, "tie_word_embeddings": True},
    }
    return {"model_type": "gr00t_n1_5",
            "backbone_cfg": {"select_layer": Ls, "project_to_dim": other.get("pj"), "reproject_vision": False,
                             "eagle_path": "NVEagle/eagle_er-qwen3_1_7B-Siglip2_400M_stage1_5_128gpu_er_v7_1mlp_nops",
                             "load_bf16": False, "tune_llm": False, "tune_visual": True, "use_flash_attention": True},
            "eagle_config": eagle}


CONFIGS = {
    "ps": config((48, 4, 88, 3, 28, 7), (2, 1, -1), (64, 4, 2, 20, 112, 4, 3, 200, 1e6), {"img_id": 190}),
    "n15layout": config((40, 5, 72, 2, 30, 7), (None, 1, -1), (48, 6, 1, 16, 80, 2, 2, 150, 1e6), {"img_id": 140}),
    "mlp2proj": config((32, 2, 64, 2, 36, 6), (2, 2, -1), (56, 7, 7, 8, 96, 3, 1, 128, 1e6), {"img_id": 118, "pj": 24}),
    "bf16shard": config((32, 4, 48, 3, 16, 4), (None, 1, -2), (32, 4, 2, 8, 64, 4, 2, 100, 1e4), {"img_id": 66}),
    "lowvar": config((32, 2, 48, 2, 14, 7), (None, 1, -1), (64, 2, 1, 32, 96, 2, 2, 120, 1e6), {"img_id": 101}),
    "hd128": config((16, 2, 32, 1, 32, 2), (None, 1, -1), (64, 2, 1, 128, 128, 2, 2, 300, 1e6), {"img_id": 257}),
}


def tensor_shapes(c, lm_head=False):
    """Name -> shape of every tensor the contract requires for resolved config c (section 3)."""
    s = {}
    V, p, Dv, Iv, D = R.VIS, c["p"], c["Dv"], c["Iv"], c["D"]
    s[V + "embeddings.patch_embedding.weight"] = [Dv, 3, p, p]
    s[V + "embeddings.patch_embedding.bias"] = [Dv]
    s[V + "embeddings.position_embedding.weight"] = [c["P"], Dv]
    for i in range(c["Nv"]):
        L = V + f"encoder.layers.{i}."
        for n in ("layer_norm1", "layer_norm2"):
            s[L + n + ".weight"] = [Dv]
            s[L + n + ".bias"] = [Dv]
        for n in ("q", "k", "v", "out"):
            s[L + f"self_attn.{n}_proj.weight"] = [Dv, Dv]
            s[L + f"self_attn.{n}_proj.bias"] = [Dv]
        s[L + "mlp.fc1.weight"] = [Iv, Dv]
        s[L + "mlp.fc1.bias"] = [Iv]
        s[L + "mlp.fc2.weight"] = [Dv, Iv]
        s[L + "mlp.fc2.bias"] = [Dv]
    s[V + "post_layernorm.weight"] = [Dv]
    s[V + "post_layernorm.bias"] = [Dv]
    if c["conn"] == 1:
        s[R.P + "mlp1.0.weight"] = [D, c["Din"]]
        s[R.P + "mlp1.0.bias"] = [D]
    else:
        s[R.P + "mlp1.0.weight"] = [c["Din"]]
        s[R.P + "mlp1.0.bias"] = [c["Din"]]
        s[R.P + "mlp1.1.weight"] = [D, c["Din"]]
        s[R.P + "mlp1.1.bias"] = [D]
        s[R.P + "mlp1.3.weight"] = [D, D]
        s[R.P + "mlp1.3.bias"] = [D]
    s[(R.P + "language_model.lm_head.weight") if lm_head else (R.LLM + "embed_tokens.weight")] = [c["V"], D]
    s.update(llm_layer_shapes(c, range(c["Ls"])))
    s[R.LLM + "norm.weight"] = [D]
    if c["Pj"] is not None:
        s["backbone.eagle_linear.weight"] = [c["Pj"], D]
        s["backbone.eagle_linear.bias"] = [c["Pj"]]
    return s


def llm_layer_shapes(c, layers):
    s = {}
    D, H, KV, hd, I = c["D"], c["H"], c["KV"], c["hd"], c["I"]
    for l in layers:
        L = R.LLM + f"layers.{l}."
        s[L + "input_layernorm.weight"] = [D]
        s[L + "self_attn.q_proj.weight"] = [H * hd, D]
        s[L + "self_attn.k_proj.weight"] = [KV * hd, D]
        s[L + "self_attn.v_proj.weight"] = [KV * hd, D]
        s[L + "self_attn.o_proj.weight"] = [D, H * hd]
        s[L + "self_attn.q_norm.weight"] = [hd]
        s[L + "self_attn.k_norm.weight"] = [hd]
        s[L + "post_attention_layernorm.weight"] = [D]
        s[L + "mlp.gate_proj.weight"] = [I, D]
        s[L + "mlp.up_proj.weight"] = [I, D]
        s[L + "mlp.down_proj.weight"] = [D, I]
    return s


def init(name, shape, g, tiny):
    """Random values with O(1) activations: norms ~1, biases ~0.1, linears ~1/sqrt(fan_in); `tiny` shrinks the
    embeddings to 1e-3 so that the first LayerNorm / RMSNorm see variances near eps."""
    t = torch.randn(shape, generator=g, dtype=torch.float64)
    last = name.rsplit(".", 2)[-2] if "." in name else name
    if len(shape) == 1 and name.endswith(".weight"):
        return 1 + 0.1 * t
    if name.endswith(".bias"):
        return 0.1 * t * (1e-3 if tiny and "patch_embedding" in name else 1)
    if "position_embedding" in name:
        return 0.5 * t * (1e-3 if tiny else 1)
    if "embed_tokens" in name or "lm_head" in name:
        return t * (1e-3 if tiny else 1)
    fan_in = int(np.prod(shape[1:]))
    scale = 1 / math.sqrt(fan_in)
    if "patch_embedding" in name and tiny:
        scale *= 1e-3
    del last
    return t * scale


def prompt(c, g, images, body):
    """A token row: random text ids, then per image a tag pair around T image tokens, then more text."""
    V, img = c["V"], c["img_id"]
    row = []

    def text(n):
        for _ in range(n):
            x = int(torch.randint(0, V - 1, (1,), generator=g))
            row.append(x if x < img else x + 1)             # never the image id
    text(body[0])
    for _ in range(images):
        text(2)
        row.extend([img] * c["T"])
        text(1)
    text(body[1])
    return row


def batch(c, g, rows):
    """rows: list of (images, (pre, post), pad, side, hole). Returns input_ids, attention_mask [B, L] int64."""
    toks = [prompt(c, g, r[0], r[1]) for r in rows]
    L = max(len(t) + r[2] for t, r in zip(toks, rows))
    ids = torch.zeros(len(rows), L, dtype=torch.int64)
    mask = torch.zeros(len(rows), L, dtype=torch.int64)
    for b, (t, r) in enumerate(zip(toks, rows)):
        pad = L - len(t)
        start = pad if r[3] == "left" else 0
        ids[b, start:start + len(t)] = torch.tensor(t)
        mask[b, start:start + len(t)] = 1
        # pad token: a random valid id (the mask, not the id, marks padding)
        for j in list(range(0, start)) + list(range(start + len(t), L)):
            ids[b, j] = int(torch.randint(0, c["img_id"], (1,), generator=g))
        if r[4] is not None:
            mask[b, start + r[4]] = 0
    return ids, mask


def dev(a64, a32):
    ref = a64
    return float(((a32.double() - ref).abs() / (1e-4 + 1e-3 * ref.abs())).max())


def write_case(d, k, c, w64, w32, pix, ids, mask, image_key, id_dtype, extra_meta):
    inputs = {image_key: pix, "input_ids": ids.to(id_dtype), "attention_mask": mask.to(id_dtype)}
    st.save(os.path.join(d, f"case{k}.in.safetensors"), inputs)
    if image_key == "images":
        pv = R.images_to_pixel_values(pix)
    else:
        pv = pix.to(torch.float64)
    o64 = R.embed(c, w64, pv, ids, mask)
    o32 = R.embed(c, w32, pv.float(), ids, mask)
    meta = {"f32dev." + n: f"{dev(o64[n], o32[n]):.3g}" for n in o64}
    meta.update(extra_meta)
    out = {"backbone_features": o64["backbone_features"].float(), "backbone_attention_mask": mask.clone(),
           "vision_features": o64["vision_features"].float(), "image_embeds": o64["image_embeds"].float()}
    st.save(os.path.join(d, f"case{k}.out.safetensors"), out, meta)
    return meta


def write_model(d, name, root, c, g):
    bf16 = name == "bf16shard"
    shapes = tensor_shapes(c, lm_head=bf16)
    w = {n: init(n, s, g, name == "lowvar") for n, s in shapes.items()}
    if bf16:
        w = {n: t.to(torch.bfloat16).to(torch.float64) for n, t in w.items()}
    stored = {n: (t.to(torch.bfloat16) if bf16 else t.float()) for n, t in w.items()}
    if bf16:
        # present in real checkpoints, never read: SigLIP's pooling head, LLM layers >= Ls, the action head
        Dv, Iv = c["Dv"], c["Iv"]
        H = R.VIS + "head."
        extra = {H + "probe": [1, 1, Dv], H + "attention.in_proj_weight": [3 * Dv, Dv], H + "attention.in_proj_bias": [3 * Dv],
                 H + "attention.out_proj.weight": [Dv, Dv], H + "attention.out_proj.bias": [Dv], H + "layernorm.weight": [Dv],
                 H + "layernorm.bias": [Dv], H + "mlp.fc1.weight": [Iv, Dv], H + "mlp.fc1.bias": [Iv],
                 H + "mlp.fc2.weight": [Dv, Iv], H + "mlp.fc2.bias": [Dv],
                 "action_head.state_encoder.layer1.W": [2, 5, 7], "action_head.position_embedding.weight": [9, 4]}
        extra.update(llm_layer_shapes(c, range(c["Ls"], root["eagle_config"]["text_config"]["num_hidden_layers"])))
        for n, s in extra.items():
            stored[n] = init(n, s, g, False).to(torch.bfloat16)
        names = sorted(stored)
        half = len(names) // 2
        shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
        wm = {}
        for f, ns in shards.items():
            st.save(os.path.join(d, f), {n: stored[n] for n in ns}, {"format": "pt"})
            wm.update({n: f for n in ns})
        total = sum(t.numel() * 2 for t in stored.values())
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as fh:
            json.dump({"metadata": {"total_size": total}, "weight_map": wm}, fh, indent=2, sort_keys=True)
    else:
        st.save(os.path.join(d, "model.safetensors"), stored, {"format": "pt"})
    with open(os.path.join(d, "config.json"), "w") as fh:
        json.dump(root, fh, indent=2)
    return w


def pixels(c, g, n, dtype):
    return (torch.rand(n, 3, c["S"], c["S"], generator=g, dtype=torch.float64) * 2 - 1).to(dtype)


def main():
    torch.set_num_threads(1)
    # the pixel-shuffle example of section 4.5
    ex = R.pixel_shuffle({"k": 2, "G": 4}, torch.tensor([[10 * r + c for r in range(4) for c in range(4)]], dtype=torch.float64)
                         .reshape(1, 16, 1))
    assert ex.reshape(4, 4).tolist() == [[0, 1, 10, 11], [2, 3, 12, 13], [20, 21, 30, 31], [22, 23, 32, 33]], ex
    # the RoPE example of section 4.8
    u = R.rope(torch.tensor([[[0, 0, 0, 0], [1, 2, 3, 4.]]], dtype=torch.float64), 100.0, torch.float64)[0, 1]
    want = [math.cos(1) - 3 * math.sin(1), 2 * math.cos(.1) - 4 * math.sin(.1), 3 * math.cos(1) + math.sin(1), 4 * math.cos(.1) + 2 * math.sin(.1)]
    assert max(abs(a - b) for a, b in zip(u.tolist(), want)) < 1e-12, u

    summary = []
    for i, (name, root) in enumerate(CONFIGS.items()):
        d = os.path.join(ROOT, name)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
        g = torch.Generator().manual_seed(1000 + i)
        c = R.resolve_config(root)
        w64 = write_model(d, name, root, c, g)
        w32 = {n: t.float() for n, t in w64.items()}
        cases = []
        if name == "ps":
            # 2 + 1 images, left padding 0 and 5, F32 pixels, I64 ids
            ids, mask = batch(c, g, [(2, (3, 4), 0, "left", None), (1, (2, 3), 5, "left", None)])
            cases.append((pixels(c, g, 3, torch.float32), ids, mask, "pixel_values", torch.int64))
        elif name == "n15layout":
            # U8 frames, I32 ids, left padding 2, a right-padded row, a 0 inside a mask
            ids, mask = batch(c, g, [(1, (4, 3), 2, "left", None), (1, (2, 2), 3, "right", None), (1, (3, 5), 0, "left", 2)])
            u8 = torch.randint(0, 256, (3, c["S"], c["S"], 3), generator=g, dtype=torch.int64).to(torch.uint8)
            cases.append((u8, ids, mask, "images", torch.int32))
            ids2, mask2 = batch(c, g, [(2, (3, 4), 0, "left", None)])
            cases.append((pixels(c, g, 2, torch.float32), ids2, mask2, "pixel_values", torch.int64))
        elif name == "mlp2proj":
            ids, mask = batch(c, g, [(2, (3, 2), 0, "left", None)])
            cases.append((pixels(c, g, 2, torch.float16), ids, mask, "pixel_values", torch.int64))
        elif name == "bf16shard":
            ids, mask = batch(c, g, [(1, (3, 3), 0, "left", None), (1, (2, 1), 3, "left", None)])
            cases.append((pixels(c, g, 2, torch.bfloat16), ids, mask, "pixel_values", torch.int64))
        elif name == "lowvar":
            ids, mask = batch(c, g, [(1, (5, 4), 0, "left", None)])
            cases.append((pixels(c, g, 1, torch.float32) * 1e-3, ids, mask, "pixel_values", torch.int64))
        elif name == "hd128":
            ids, mask = batch(c, g, [(1, (14, 17), 0, "left", None)])
            cases.append((pixels(c, g, 1, torch.float32), ids, mask, "pixel_values", torch.int64))
        for k, (pix, ids, mask, key, idt) in enumerate(cases):
            meta = write_case(d, k, c, w64, w32, pix, ids, mask, key, idt, {"config": name})
            summary.append(f"{name}/case{k}: B={ids.shape[0]} L={ids.shape[1]} N={pix.shape[0]} {key} "
                           + " ".join(f"{m}={v}" for m, v in meta.items() if m.startswith("f32dev")))
    print("\n".join(summary))


if __name__ == "__main__":
    main()
