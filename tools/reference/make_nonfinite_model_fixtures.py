#!/usr/bin/python3
"""Writes forward_nonfinite_{in,out}.safetensors into testdata/model/{dust-dual,gr00t}: the committed forward inputs
with a NaN in sample 0's state, run through the PyTorch reference
(dust_ref.py) on the committed weights. Shows how PyTorch propagates non-finite inputs through the whole model
(sample 0's outputs become NaN, sample 1's stay finite and unchanged); dust4j must match it under --allow-non-finite.

Run:  /usr/bin/python3 tools/reference/make_nonfinite_model_fixtures.py   (Debian python3-torch 1.13)
Leaves every other fixture untouched.
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dust_ref as R  # noqa: E402
import st  # noqa: E402
import make_model_fixtures as M  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def main():
    torch.set_num_threads(1)
    for variant in ("dust-dual", "gr00t"):
        d = os.path.join(ROOT, "testdata", "model", variant)
        model, cfg, _ = R.load_model_dir(d)
        model.eval()
        inp, _ = st.load(os.path.join(d, "forward_in.safetensors"))
        inp = {k: v.clone() for k, v in inp.items()}
        inp["state"][0, 0, 1] = float("nan")
        with torch.no_grad():
            out = M.run_forward(model, cfg, inp)
        outs = {"v_action": out[0].contiguous()}
        if len(out) > 1:
            outs["v_vision"] = out[1].contiguous()
        meta = {"generator": "tools/reference/make_nonfinite_model_fixtures.py", "torch": torch.__version__,
                "change": "state[0,0,1] = NaN"}
        st.save(os.path.join(d, "forward_nonfinite_in.safetensors"), inp, meta)
        st.save(os.path.join(d, "forward_nonfinite_out.safetensors"), outs, meta)
        for k, v in outs.items():
            n = torch.isnan(v).sum().item()
            print(f"{variant} {k} {list(v.shape)}: {n} NaN, {torch.isinf(v).sum().item()} inf, {v.numel() - n} finite")


if __name__ == "__main__":
    main()
