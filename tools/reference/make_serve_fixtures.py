#!/usr/bin/env python3
"""Fixtures for dust4j's robot-unit layer (serve module), written from GR00T-N1.5's published formulas.

Writes into testdata/serve/:
  metadata.json        a GR00T-N1.5 style experiment_cfg/metadata.json (two embodiment tags)
  data_config.json     the dust4j data config: key order and the normalisation mode of each key
  normalization.json   raw states -> normalised concatenated state, normalised action rows -> raw per-key actions
  model/config.json    a small gr00t_n1_5 head whose dims fit the layout (the Java test initialises its weights)

Formulas (gr00t/data/transform/state_action.py, Normalizer), all in float32 like torch float32:
  min_max  fwd 2*((x-min)/(max-min))-1, 0 where min==max ; inv (x+1)/2*(max-min)+min
  q99      fwd clamp(2*((x-q01)/(q99-q01))-1 (x where q01==q99), -1, 1) ; inv (x+1)/2*(q99-q01)+q01
  mean_std fwd (x-mean)/std (x where std==0) ; inv x*std+mean
  binary   fwd and inv: (x > 0.5) as 0/1
Statistics go through float32 first (torch.tensor(list) is float32). Needs only numpy. Seeded: reruns give the same files.
Run: /usr/bin/python3 tools/reference/make_serve_fixtures.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "serve")
f32 = np.float32


def fwd(mode, x, st):
    x = x.astype(f32)
    if mode == "binary":
        return (x > f32(0.5)).astype(f32)
    if mode == "min_max":
        lo, hi = st["min"], st["max"]
        m = lo != hi
        out = np.zeros_like(x)
        out[..., m] = f32(2) * ((x[..., m] - lo[m]) / (hi[m] - lo[m])) - f32(1)
        return out
    if mode == "q99":
        lo, hi = st["q01"], st["q99"]
        m = lo != hi
        out = x.copy()
        out[..., m] = f32(2) * ((x[..., m] - lo[m]) / (hi[m] - lo[m])) - f32(1)
        return np.clip(out, f32(-1), f32(1))
    if mode == "mean_std":
        mu, sd = st["mean"], st["std"]
        m = sd != 0
        out = x.copy()
        out[..., m] = (x[..., m] - mu[m]) / sd[m]
        return out
    raise ValueError(mode)


def inv(mode, x, st):
    x = x.astype(f32)
    if mode == "binary":
        return (x > f32(0.5)).astype(f32)
    if mode == "min_max":
        return (x + f32(1)) / f32(2) * (st["max"] - st["min"]) + st["min"]
    if mode == "q99":
        return (x + f32(1)) / f32(2) * (st["q99"] - st["q01"]) + st["q01"]
    if mode == "mean_std":
        return x * st["std"] + st["mean"]
    raise ValueError(mode)


def stats(rng, width, degenerate):
    """Statistics of a key from random samples; dimension `degenerate` is made constant (min==max, q01==q99, std==0)."""
    s = rng.normal(size=(500, width)) * rng.uniform(0.1, 3.0, size=width) + rng.uniform(-2, 2, size=width)
    if degenerate is not None:
        s[:, degenerate] = 0.25
    d = {"max": s.max(0), "min": s.min(0), "mean": s.mean(0), "std": s.std(0),
         "q01": np.quantile(s, 0.01, axis=0), "q99": np.quantile(s, 0.99, axis=0)}
    if degenerate is not None:
        d["std"][degenerate] = 0.0
    return {k: [float(x) for x in v] for k, v in d.items()}


def main():
    rng = np.random.default_rng(14)
    # state keys: one per mode; action keys: one per mode (widths sum: state 10 <= 16, action 10 <= 12)
    state = [("arm", 4, "q99", 1), ("base", 2, "mean_std", 0), ("wrist", 3, "min_max", 2), ("gripper", 1, "binary", None)]
    action = [("arm", 4, "min_max", 3), ("base", 2, "q99", 1), ("wrist", 3, "mean_std", 0), ("gripper", 1, "binary", None)]
    meta = {}
    for tag in ("new_embodiment", "gr1"):
        st = {"state": {}, "action": {}}
        mods = {"video": {"ego_view": {"resolution": [224, 224], "channels": 3, "fps": 20.0}}, "state": {}, "action": {}}
        for modality, keys in (("state", state), ("action", action)):
            for name, w, mode, deg in keys:
                st[modality][name] = stats(rng, w, deg)
                mods[modality][name] = {"absolute": True, "rotation_type": None, "shape": [w], "continuous": mode != "binary"}
        meta[tag] = {"statistics": st, "modalities": mods, "embodiment_tag": tag}
    os.makedirs(os.path.join(OUT, "model"), exist_ok=True)
    with open(os.path.join(OUT, "metadata.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    dc = {
        "embodiment_tag": "new_embodiment",
        "video_keys": ["video.ego_view"],
        "state_keys": ["state." + k[0] for k in state],
        "action_keys": ["action." + k[0] for k in action],
        "language_keys": ["annotation.human.task_description"],
        "observation_indices": [0],
        "action_indices": list(range(4)),
        "normalization": {**{"state." + n: m for n, _, m, _ in state}, **{"action." + n: m for n, _, m, _ in action}},
    }
    with open(os.path.join(OUT, "data_config.json"), "w") as f:
        json.dump(dc, f, indent=2)
        f.write("\n")

    e = meta["new_embodiment"]["statistics"]
    arr = lambda d: {k: np.asarray(v, dtype=f32) for k, v in d.items()}
    cases = {"tag": "new_embodiment", "state_cases": [], "action_cases": []}
    for c in range(6):
        raw = {}
        norm = []
        for name, w, mode, _ in state:
            s = arr(e["state"][name])
            x = (rng.normal(size=w) * 2.5 + rng.uniform(-2, 2)).astype(f32)
            if c == 0:
                x = s["max"] * f32(1.5)  # beyond the range: q99 clamps, min_max does not
            if mode == "binary":
                x = np.asarray([[0.2], [0.5], [0.51], [1.0], [-3.0], [0.9]][c], dtype=f32)
            raw["state." + name] = [float(v) for v in x]
            norm.extend(float(v) for v in fwd(mode, x, s))
        cases["state_cases"].append({"raw": raw, "normalised": norm})
    for c in range(4):
        rows = (rng.normal(size=(4, 12)) * 1.2).astype(f32)  # Ta=4 rows of Da=12 (last 2 columns are padding)
        rows[c % 4, 9] = f32(0.5)   # binary threshold: exactly 0.5 -> 0
        out = {}
        off = 0
        for name, w, mode, _ in action:
            out["action." + name] = [[float(v) for v in r] for r in inv(mode, rows[:, off:off + w], arr(e["action"][name]))]
            off += w
        cases["action_cases"].append({"normalised": [[float(v) for v in r] for r in rows], "raw": out})
    with open(os.path.join(OUT, "normalization.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")

    model = {
        "model_type": "gr00t_n1_5", "action_horizon": 4, "action_dim": 12,
        "action_head_cfg": {
            "action_dim": 12, "action_horizon": 4, "add_pos_embed": True, "backbone_embedding_dim": 16,
            "hidden_size": 16, "input_embedding_dim": 16, "max_action_dim": 12, "max_state_dim": 16,
            "max_num_embodiments": 32, "max_seq_len": 8, "num_inference_timesteps": 4,
            "num_target_vision_tokens": 4, "use_vlln": True,
            "diffusion_model_cfg": {"attention_head_dim": 8, "num_attention_heads": 2, "num_layers": 2,
                                    "cross_attention_dim": 16, "dropout": 0.0, "final_dropout": True,
                                    "interleave_self_attention": True, "norm_type": "ada_norm", "output_dim": 16},
            "vl_self_attention_cfg": {"attention_head_dim": 8, "num_attention_heads": 2, "num_layers": 1,
                                      "dropout": 0.0, "final_dropout": True},
        },
    }
    with open(os.path.join(OUT, "model", "config.json"), "w") as f:
        json.dump(model, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
