#!/usr/bin/python3
"""Exports the reference DUST model (dust_ref.py, torch 1.13) for the peers of bench/compare-ort: ONNX (opset 16)
for ONNX Runtime, and a TorchScript trace for PyTorch 2.x through DJL.

Usage: export_onnx.py --model DIR --inputs FILE --out DIR [--threads N]
  --model DIR    config.json + model.safetensors (as written by compare_torch.py --save-model); dust models only
  --inputs FILE  the batch-1 inputs of compare_torch.py --save-inputs (vl, state, actions_noisy, vision_noisy,
                 t_action, t_vision, embodiment_id, noise_action, noise_vision)
Writes into --out:
  condition.onnx  vl0 [B,S,Dvl] -> vl (the VL LayerNorm + self-attention; only when use_vlln)
  forward.onnx    (vl, state, actions_noisy, vision_noisy, t_action, t_vision, embodiment_id) -> (v_action, v_vision):
                  one forward given the conditioned VL tokens; the sampler of compare-ort is a Java loop around it
  condition.pt, forward.pt  the same two as TorchScript traces (float64 sinusoids, as the reference)
  expected.safetensors  the float64-sinusoid reference outputs: forward v_action, v_vision; sample4 action, vision
  export.json     how far the exported graph's torch outputs are from the reference (checked below)

ONNX Runtime has no float64 Cos/Sin, so the ONNX graph computes the timestep sinusoids in float32 (frequencies
rounded from float64, t * f and cos/sin in float32); the fixed 2D vision code is a constant computed in float64 as
in the reference. Before writing, the export runs the float32-sinusoid module in torch and checks it against the
reference: max |diff| <= 1e-3 * max |ref| per output (float32 cos/sin of arguments up to ~1e3 rad are off by
~1e-4 absolute; a wrong export is off by O(1)). Exit status 2 and no files when the check fails.
"""

import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_torch as CT  # noqa: E402
import dust_ref as R  # noqa: E402
import st  # noqa: E402

FWD_IN = ["vl", "state", "actions_noisy", "vision_noisy", "t_action", "t_vision", "embodiment_id"]


class Condition(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, vl0):
        return self.m.condition(vl0)


class Forward(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, vl, state, actions_noisy, vision_noisy, t_action, t_vision, ids):
        return self.m(None, state, actions_noisy, vision_noisy, t_action, t_vision, ids, vl=vl)


def _freqs32(n, denom):
    i = torch.arange(n, dtype=torch.float64)
    return torch.exp(-math.log(10000.0) * i / denom).to(torch.float32)


def tsin256_f32(t_bucket, dtype):
    arg = t_bucket.to(torch.float32)[:, None] * _freqs32(128, 127.0)[None, :]
    return torch.cat([torch.cos(arg), torch.sin(arg)], dim=-1).to(dtype)


def action_sinusoid_f32(t_bucket, width, dtype):
    half = width // 2
    arg = t_bucket.to(torch.float32)[:, None] * _freqs32(half, float(half))[None, :]
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=-1).to(dtype)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(os.path.join(a.model, "config.json")) as f:
        cfg = R.parse_config(json.load(f))
    if cfg["model_type"] != "dust":
        raise SystemExit("export_onnx.py: only dust models are exported (got %s)" % cfg["model_type"])
    with CT.no_default_init():
        model = R.build_model(cfg)
    CT.load_weights_streaming(model, cfg, a.model)
    model.eval()
    x, _ = st.load(a.inputs)
    x = {k: (v.float() if v.is_floating_point() else v) for k, v in x.items()}
    ids = x["embodiment_id"]

    with torch.no_grad():
        # the reference (float64 sinusoids)
        vl = model.condition(x["vl"])
        ref_a, ref_o = model(x["vl"], x["state"], x["actions_noisy"], x["vision_noisy"], x["t_action"], x["t_vision"], ids)
        smp_a, smp_o = R.dust_sample(model, x["vl"], x["state"], ids, x["noise_action"], x["noise_vision"], n_a=4, q=1)
        fargs = (vl, x["state"], x["actions_noisy"], x["vision_noisy"], x["t_action"], x["t_vision"], ids)
        os.makedirs(a.out, exist_ok=True)
        # TorchScript (DJL): the reference as is
        if cfg["use_vlln"]:
            torch.jit.trace(Condition(model), (x["vl"],), check_trace=False).save(os.path.join(a.out, "condition.pt"))
        torch.jit.trace(Forward(model), fargs, check_trace=False).save(os.path.join(a.out, "forward.pt"))

        # ONNX: float32 sinusoids, the 2D vision code as a float64-computed constant
        To, D = cfg["num_vision_tokens"], cfg["D"]
        pos = R.vision_pos_2d(To, D, torch.float32)
        saved = (R.tsin256, R.action_sinusoid, R.vision_pos_2d)
        R.tsin256, R.action_sinusoid = tsin256_f32, action_sinusoid_f32
        R.vision_pos_2d = lambda n, d, dt: pos.to(dt)
        try:
            got_a, got_o = Forward(model)(*fargs)
            report = {}
            for name, got, ref in (("v_action", got_a, ref_a), ("v_vision", got_o, ref_o)):
                diff, scale = float((got - ref).abs().max()), float(ref.abs().max())
                report[name] = {"max_abs_diff": diff, "max_abs_ref": scale}
                if not diff <= 1e-3 * scale:
                    print("export_onnx.py: the float32-sinusoid forward differs from the reference in %s: max |diff| "
                          "%.3g > 1e-3 * %.3g" % (name, diff, scale), file=sys.stderr)
                    sys.exit(2)
            if cfg["use_vlln"]:
                torch.onnx.export(Condition(model), (x["vl"],), os.path.join(a.out, "condition.onnx"), opset_version=16,
                                  input_names=["vl0"], output_names=["vl"], do_constant_folding=True)
            torch.onnx.export(Forward(model), fargs, os.path.join(a.out, "forward.onnx"), opset_version=16,
                              input_names=FWD_IN, output_names=["v_action", "v_vision"], do_constant_folding=True)
        finally:
            R.tsin256, R.action_sinusoid, R.vision_pos_2d = saved
    st.save(os.path.join(a.out, "expected.safetensors"),
            {"forward.v_action": ref_a, "forward.v_vision": ref_o, "sample4.action": smp_a, "sample4.vision": smp_o},
            {"torch_version": torch.__version__, "use_vlln": str(cfg["use_vlln"]).lower()})
    report.update({"torch_version": torch.__version__, "opset": 16, "use_vlln": cfg["use_vlln"],
                   "tolerance": "max |diff| <= 1e-3 * max |ref| (float32 vs float64 sinusoids)"})
    with open(os.path.join(a.out, "export.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
