#!/usr/bin/env python3
"""PyTorch eager peer of dust4j's GPU benchmarks (run by scripts/gpu-check.sh on the GPU machine, torch 2.x + CUDA).

  gpu_torch_peer.py sdpa
      torch.nn.functional.scaled_dot_product_attention forward and backward, BF16 and F32, on the shapes of
      org.dust4j.kernels.cuda.CudaBench (B, H, T, dh); TFLOP/s counted as CudaBench does (4*B*H*T^2*dh forward,
      2.5x that backward). Lines: "sdpa <dtype> B=.. H=.. T=.. dh=..: fwd X ms Y TFLOP/s, bwd X ms Y TFLOP/s".
  gpu_torch_peer.py model --config configs/dust-gr00t.json --work DIR [--device cuda] [--dtype both]
      The reference model (tools/reference/dust_ref.py), random init seed 0 (std 0.02, as compare_torch.py),
      rounded to BF16 and written to DIR/model (config.json + model.safetensors, BF16) with the inputs
      (DIR/inputs.safetensors at --batch, DIR/train-inputs.safetensors at --train-batch), so dust4j
      (org.dust4j.bench.GpuModelBench) runs the same weights and inputs. Then, on the device, in F32 and in
      BF16 (parameters and inputs cast; matmuls accumulate in F32 as torch does): sample4 (N_A = 4, q = 1,
      N_O = 4), sample_q16 (N_A = 4, q = 16, N_O = 64) and one training step (loss + backward +
      clip_grad_norm_ 1.0 + AdamW lr 1e-4, betas (0.95, 0.999), wd 1e-5 except biases/1-D; no dropout) at
      --train-batch 32. Timed with torch.cuda.synchronize around each run; --warmup, then --iters, median.
      Lines: "model torch <bench> <dtype> B=..: median X ms (all [...])".
Both subcommands also run on --device cpu (checked that way without a GPU, with a small config).
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools", "reference"))
sys.argv, _argv = sys.argv[:1] + ["--threads", os.environ["OMP_NUM_THREADS"]], sys.argv   # compare_torch reads it at import
import torch  # noqa: E402
import compare_torch as C  # noqa: E402
sys.argv = _argv
R, st = C.R, C.st

# the shapes of CudaBench (B, H, T, dh)
ATTENTION_SHAPES = ((4, 16, 1024, 64), (4, 16, 1024, 128), (8, 16, 2048, 64), (16, 12, 256, 48))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device, warmup, iters):
    for _ in range(warmup):
        fn()
    sync(device)
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        sync(device)
        ts.append((time.perf_counter() - t0) * 1e3)
    return ts


def sdpa(a):
    dev = torch.device(a.device)
    F = torch.nn.functional
    print(f"sdpa torch {torch.__version__} on {torch.cuda.get_device_name(dev) if dev.type == 'cuda' else 'cpu'}", flush=True)
    for dtype in (torch.bfloat16, torch.float32):
        for b, h, n, dh in a.shapes:
            q, k, v = (torch.randn(b, h, n, dh, device=dev, dtype=dtype, requires_grad=True) for _ in range(3))
            g = torch.randn_like(q)
            fwd = timed(lambda: F.scaled_dot_product_attention(q, k, v), dev, 3, a.iters)

            def step():
                o = F.scaled_dot_product_attention(q, k, v)
                o.backward(g)
            both = timed(step, dev, 2, a.iters)
            mf, mb = statistics.median(fwd), max(statistics.median(both) - statistics.median(fwd), 1e-6)
            fl = 4.0 * b * h * n * n * dh
            print(f"sdpa {str(dtype).split('.')[-1]} B={b} H={h} T={n} dh={dh}: fwd {mf:.3f} ms {fl / mf / 1e9:.2f} TFLOP/s, "
                  f"bwd {mb:.3f} ms {2.5 * fl / mb / 1e9:.2f} TFLOP/s", flush=True)


def to_dev(x, dev, dtype):
    return {k: (v.to(dev, dtype) if v.is_floating_point() and not k.startswith("tau") else v.to(dev)) for k, v in x.items()}


def model(a):
    dev = torch.device(a.device)
    t0 = time.perf_counter()
    import json
    with open(a.config) as f:
        raw = json.load(f)
    cfg = R.parse_config(raw)
    if cfg["model_type"] != "dust":
        raise SystemExit(f"gpu_torch_peer: {a.config} is not a DUST config")
    with C.no_default_init():
        m = R.build_model(cfg)
    R.init_std_weights(m, a.init_seed)
    with torch.no_grad():                       # both sides run exactly the BF16-rounded weights
        for p in m.parameters():
            p.copy_(p.to(torch.bfloat16).float())
    out_dir = os.path.join(a.work, "model")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(raw, f, indent=2)
        f.write("\n")
    C.save_streaming(os.path.join(out_dir, "model.safetensors"), ((R.PREFIX + k, v) for k, v in m.state_dict().items()),
                     torch.bfloat16)
    x = C.make_inputs(cfg, a.batch, a.seq, a.input_seed)
    xt = C.make_inputs(cfg, a.train_batch, a.seq, a.input_seed + 1)
    st.save(os.path.join(a.work, "inputs.safetensors"), x, {"batch": str(a.batch), "seq": str(a.seq)})
    st.save(os.path.join(a.work, "train-inputs.safetensors"), xt, {"batch": str(a.train_batch), "seq": str(a.seq)})
    nparam = sum(p.numel() for p in m.parameters())
    print(f"model torch {torch.__version__} setup: {nparam / 1e9:.3f} B parameters, weights + inputs written to {a.work} "
          f"in {time.perf_counter() - t0:.1f} s", flush=True)
    if dev.type == "cuda" and hasattr(torch, "set_default_device"):
        torch.set_default_device(dev)           # dust_ref builds bucket/sinusoid tensors with factory functions
    dtypes = {"f32": [torch.float32], "bf16": [torch.bfloat16], "both": [torch.float32, torch.bfloat16]}[a.dtype]
    for dtype in dtypes:
        name = "bf16" if dtype == torch.bfloat16 else "f32"
        m.to(dev, dtype)
        m.eval()
        xd, xtd = to_dev(x, dev, dtype), to_dev(xt, dev, dtype)
        ids = xd["embodiment_id"]
        for bench in a.bench.split(","):
            if bench in ("sample4", "sample_q16"):
                q = 1 if bench == "sample4" else 16

                def fn():
                    with torch.no_grad():
                        R.dust_sample(m, xd["vl"], xd["state"], ids, xd["noise_action"], xd["noise_vision"], n_a=4, q=q)
                batch = a.batch
            elif bench == "train":
                decay, no_decay = [], []
                for k, p in m.named_parameters():
                    (no_decay if (R.is_bias(k) or p.dim() == 1) else decay).append(p)
                opt = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-5}, {"params": no_decay, "weight_decay": 0.0}],
                                        lr=1e-4, betas=(0.95, 0.999), eps=1e-8)
                m.train()
                tids = xtd["embodiment_id"]

                def fn():
                    opt.zero_grad(set_to_none=True)
                    L = R.dust_loss(m, xtd["vl"], xtd["state"], tids, xtd["actions"], xtd["action_mask"], xtd["has_action"],
                                    xtd["future"], xtd["eps_action"], xtd["eps_vision"], xtd["tau_action"], xtd["tau_vision"])[0]
                    L.backward()
                    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
                    opt.step()
                batch = a.train_batch
            else:
                raise SystemExit(f"gpu_torch_peer: unknown benchmark {bench!r} (sample4, sample_q16, train)")
            ts = timed(fn, dev, a.warmup, a.iters)
            m.eval()
            if bench == "train":
                del opt
                m.zero_grad(set_to_none=True)
            print(f"model torch {bench} {name} B={batch}: median {statistics.median(ts):.3f} ms (all {[round(t, 3) for t in ts]})",
                  flush=True)
        if dev.type == "cuda":
            print(f"model torch {name} peak memory {torch.cuda.max_memory_allocated(dev) / 2**30:.1f} GiB", flush=True)
            torch.cuda.empty_cache()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sdpa")
    s.add_argument("--device", default="cuda")
    s.add_argument("--iters", type=int, default=5)
    s.add_argument("--shape", action="append", help="B,H,T,dh (repeatable; default the CudaBench shapes)")
    mo = sub.add_parser("model")
    mo.add_argument("--config", required=True)
    mo.add_argument("--work", required=True, help="where the weights and inputs for dust4j are written")
    mo.add_argument("--device", default="cuda")
    mo.add_argument("--dtype", choices=("f32", "bf16", "both"), default="both")
    mo.add_argument("--bench", default="sample4,sample_q16,train")
    mo.add_argument("--batch", type=int, default=1)
    mo.add_argument("--train-batch", type=int, default=32)
    mo.add_argument("--seq", type=int, default=64, help="VL tokens S")
    mo.add_argument("--init-seed", type=int, default=0)
    mo.add_argument("--input-seed", type=int, default=1)
    mo.add_argument("--warmup", type=int, default=1)
    mo.add_argument("--iters", type=int, default=3)
    a = ap.parse_args()
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"gpu_torch_peer: torch {torch.__version__} sees no CUDA device (use --device cpu to check the script)")
    if a.cmd == "sdpa":
        a.shapes = [tuple(int(v) for v in sh.split(",")) for sh in a.shape] if a.shape else ATTENTION_SHAPES
        sdpa(a)
    else:
        model(a)


if __name__ == "__main__":
    main()
