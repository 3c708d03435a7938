#!/usr/bin/python3
"""Writes testdata/engine/nonfinite.safetensors: PyTorch's activations (forward and backward with a gradient of
ones) on NaN, +-Infinity, +-0 and ordinary values, so the engine can be checked to propagate non-finite values as
PyTorch does (ReLU keeps NaN, silu(-inf) is NaN, ...).

Run:  /usr/bin/python3 tools/reference/make_nonfinite_fixtures.py   (Debian python3-torch 1.13)
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "testdata", "engine", "nonfinite.safetensors")

X = [float("nan"), float("inf"), -float("inf"), -0.0, 0.0, 1.0, -1.0, 3.5, -3.5, 1e30, -1e30, 1e-30]

OPS = {
    "relu": torch.relu,
    "silu": F.silu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "exp": torch.exp,
    "neg": torch.neg,
    "abs": torch.abs,
    "square": torch.square,
}


def main():
    torch.set_num_threads(1)
    tensors = {"x": torch.tensor(X, dtype=torch.float32)}
    for name, f in OPS.items():
        x = torch.tensor(X, dtype=torch.float32, requires_grad=True)
        y = f(x)
        y.backward(torch.ones_like(y))
        tensors[name] = y.detach().clone()
        tensors[name + ".grad"] = x.grad.detach().clone()
    meta = {"generator": "tools/reference/make_nonfinite_fixtures.py", "torch": torch.__version__}
    st.save(OUT, tensors, meta)
    print(f"wrote {os.path.relpath(OUT, ROOT)} ({len(tensors)} tensors)")


if __name__ == "__main__":
    main()
