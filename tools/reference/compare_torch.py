#!/usr/bin/python3
"""PyTorch side of the dust4j-vs-torch model benchmark: times the reference model (dust_ref.py) on given weights
and inputs and prints one JSON object. dust4j runs the same weights and inputs in the same session; the lead's
compare script prints the ratios. Timings on the shared 2-core machine are noisy: compare only within one run.

Weights: --model DIR (config.json + model.safetensors or shards; F32/F16/BF16) or --config CONFIG.json with a
random init (--init-seed, N(0, 0.02^2) matrices, zero biases, unit LN weights; every AdaLN linear random too).
--save-model DIR writes config.json + model.safetensors (F32, or --save-dtype bf16/f16: the torch model is then
rounded to the same values so both sides run identical weights).
Inputs: --inputs FILE (safetensors; any missing tensor is generated) or generated from --input-seed with
--batch B and --seq S; --save-inputs FILE writes the full set used (forward, sample and loss names of contract §7).

Benchmarks (--bench, comma list; default all that apply):
  forward      one forward, no grad
  sample4      sampler with --action-steps 4, q = 1 (gr00t: its 4-step Euler loop)
  sample_q16   async joint sampler N_A = 4, q = 16 (N_O = 64), variant start (dust only)
  train        one training step: loss (given eps/tau) + backward + clip_grad_norm_(1.0) + AdamW
               (lr 1e-4, betas (0.95, 0.999), eps 1e-8, wd 1e-5 except biases / 1-D), no dropout
Each: --warmup runs, then --iters timed runs; JSON holds median and all times in ms, and peak RSS.

Examples:
  /usr/bin/python3 tools/reference/compare_torch.py --config configs/dust-small.json --batch 1 --seq 64 \
      --save-model /tmp/dust-small --save-inputs /tmp/dust-small-in.safetensors
  /usr/bin/python3 tools/reference/compare_torch.py --model /tmp/dust-small --inputs /tmp/dust-small-in.safetensors
  /usr/bin/python3 tools/reference/compare_torch.py --config configs/dust-gr00t.json --bench forward,sample4 \
      --iters 3 --warmup 1        # 2.2 B parameters: 8.8 GB F32; training needs ~4x that
Measured here (shared, loaded 2-core machine, noisy): dust-small batch 1, S 64: forward ~0.1-0.2 s, sample4
~0.5 s, train ~0.7 s; dust-gr00t: setup (random init) ~60 s, forward ~13 s, so sample_q16 (64 forwards) takes
~15 min per run: use --iters 1 --warmup 0 for it. train is skipped (with the reason in the JSON) when grads +
AdamW state would not fit in MemAvailable; dust-gr00t needs ~35 GB in all.
"""

import argparse
import contextlib
import json
import math
import os
import resource
import statistics
import struct
import sys
import time


def _pre_import_threads():
    """Thread settings that must be in the environment before torch (OpenMP) and OpenBLAS load. On the shared,
    oversubscribed machine OpenMP's default spin-waiting made a 2-thread forward 5-10x slower than 1 thread;
    passive waiting (what a parked ForkJoin worker does too) removes that. Both can be overridden from outside."""
    n = "2"
    for i, v in enumerate(sys.argv):
        if v == "--threads" and i + 1 < len(sys.argv):
            n = sys.argv[i + 1]
        elif v.startswith("--threads="):
            n = v.split("=", 1)[1]
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OMP_NUM_THREADS", n)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", n)


_pre_import_threads()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import compare_gemm  # noqa: E402  (OpenBLAS core name and the float64 check of a float32 matmul)
import dust_ref as R  # noqa: E402
import st  # noqa: E402


def torch_matmul(a, b):
    """torch's float32 CPU matmul (BLAS sgemm; a transposed view of b takes its transposed path) on numpy inputs."""
    return (torch.from_numpy(np.ascontiguousarray(a)) @ torch.from_numpy(b.T.copy()).T).numpy()


def blas_check():
    """Exits with status 2, naming the case, when torch's float32 matmul is wrong (a forced OPENBLAS_CORETYPE can
    select kernels that miscompute on some builds); the timings would then not be a valid peer."""
    failures = compare_gemm.verify_peer(torch_matmul)
    if failures:
        print("compare_torch.py: torch's float32 matmul (OpenBLAS core %s) gives wrong results:\n  %s"
              % (compare_gemm.corename(), "\n  ".join(failures)), file=sys.stderr)
        sys.exit(2)


def mem_available():
    """MemAvailable from /proc/meminfo in bytes (None where unreadable)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@contextlib.contextmanager
def no_default_init():
    """Skips nn.Linear/LayerNorm/Embedding default init while building (the weights are overwritten anyway;
    for 2 B parameters the default kaiming init alone takes tens of seconds)."""
    saved = [(c, c.reset_parameters) for c in (nn.Linear, nn.LayerNorm, nn.Embedding)]
    for c, _ in saved:
        c.reset_parameters = lambda self: None
    try:
        yield
    finally:
        for c, f in saved:
            c.reset_parameters = f


# --- streaming safetensors I/O (st.py reads/writes whole files in memory; fine for fixtures, not for 9 GB) ---

_ST_DT = {"F32": (torch.float32, np.dtype("<f4"), 4), "F16": (torch.float16, np.dtype("<i2"), 2),
          "BF16": (torch.bfloat16, np.dtype("<i2"), 2)}
_ST_NAME = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def save_streaming(path, named, dtype=torch.float32):
    """Writes (name, tensor) pairs to one safetensors file, converting each tensor to `dtype` on the fly."""
    named = list(named)
    esz = _ST_DT[_ST_NAME[dtype]][2]
    header, off = {}, 0
    for n, t in named:
        nbytes = t.numel() * esz
        header[n] = {"dtype": _ST_NAME[dtype], "shape": list(t.shape), "data_offsets": [off, off + nbytes]}
        off += nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, t in named:
            c = t.detach().to(dtype).contiguous()
            if dtype != torch.float32:
                c = c.view(torch.int16)
            f.write(c.numpy().tobytes())


def read_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n)), 8 + n


def load_weights_streaming(model, cfg, model_dir):
    """Copies the model directory's tensors into `model` one tensor at a time (memory-mapped, upcast to F32).
    Checks names and shapes like dust_ref.load_model_dir (all problems in one error)."""
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):
        files = [single]
    else:
        with open(os.path.join(model_dir, "model.safetensors.index.json")) as f:
            files = [os.path.join(model_dir, x) for x in sorted(set(json.load(f)["weight_map"].values()))]
    params = dict(model.state_dict())
    seen, problems = set(), []
    for path in files:
        header, base = read_header(path)
        header.pop("__metadata__", None)
        mm = np.memmap(path, dtype=np.uint8, mode="r")
        for name, info in header.items():
            if not name.startswith(R.PREFIX):
                if not (cfg["model_type"] == "gr00t_n1_5" and name.startswith("backbone.")):
                    problems.append(f"unexpected tensor {name}")
                continue
            k = name[len(R.PREFIX):]
            if k not in params:
                problems.append(f"unexpected tensor {name}")
                continue
            if list(params[k].shape) != info["shape"]:
                problems.append(f"tensor {name} has shape {info['shape']}, expected {list(params[k].shape)}")
                continue
            tdt, npdt, _ = _ST_DT[info["dtype"]]
            b, e = info["data_offsets"]
            arr = np.frombuffer(mm[base + b: base + e], dtype=npdt)
            t = torch.from_numpy(arr.copy())
            if tdt != torch.float32:
                t = t.view(tdt)
            with torch.no_grad():
                params[k].copy_(t.reshape(info["shape"]).to(torch.float32))
            seen.add(k)
        del mm
    problems += [f"missing tensor {R.PREFIX}{k}" for k in params if k not in seen and not any(
        p.startswith(f"tensor {R.PREFIX}{k} ") for p in problems)]
    if problems:
        raise ValueError("load: " + "; ".join(problems))


# --- inputs ---

def make_inputs(cfg, B, S, seed):
    g = torch.Generator()
    g.manual_seed(seed)

    def rn(*s):
        return torch.randn(*s, generator=g)

    C = cfg["max_num_embodiments"]
    Dvl, Ds, Ta, Da = cfg["backbone_embedding_dim"], cfg["max_state_dim"], cfg["action_horizon"], cfg["action_dim"]
    x = {"vl": rn(B, S, Dvl), "state": rn(B, 1, Ds),
         "embodiment_id": torch.randint(0, C, (B,), generator=g, dtype=torch.int64),
         "actions_noisy": rn(B, Ta, Da), "t_action": torch.randint(0, 1000, (B,), generator=g, dtype=torch.int64),
         "noise_action": rn(B, Ta, Da), "actions": rn(B, Ta, Da), "action_mask": torch.ones(B, Ta, Da),
         "has_action": torch.ones(B), "eps_action": rn(B, Ta, Da), "tau_action": torch.rand(B, generator=g)}
    if cfg["model_type"] == "dust":
        To, Dv = cfg["num_vision_tokens"], cfg["vision_token_dim"]
        x.update({"vision_noisy": rn(B, To, Dv), "t_vision": torch.randint(0, 1000, (B,), generator=g,
                                                                            dtype=torch.int64),
                  "noise_vision": rn(B, To, Dv), "future": rn(B, To, Dv), "eps_vision": rn(B, To, Dv),
                  "tau_vision": torch.rand(B, generator=g)})
    return x


# --- benchmark bodies ---

def bench(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": round(statistics.median(ts), 3), "all_ms": [round(t, 3) for t in ts],
            "peak_rss_mb_so_far": round(rss_mb(), 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="model directory (config.json + weights)")
    src.add_argument("--config", help="config.json for a random init")
    ap.add_argument("--init-seed", type=int, default=0)
    ap.add_argument("--save-model", help="write config.json + model.safetensors here")
    ap.add_argument("--save-dtype", choices=("f32", "bf16", "f16"), default="f32")
    ap.add_argument("--inputs")
    ap.add_argument("--save-inputs")
    ap.add_argument("--input-seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq", type=int, default=64, help="VL sequence length S")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--bench", default="forward,sample4,sample_q16,train")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--force", action="store_true", help="run train even if it does not seem to fit in memory")
    ap.add_argument("--corename", action="store_true", help="print the OpenBLAS core torch runs and exit")
    ap.add_argument("--check-blas", action="store_true",
                    help="check torch's float32 matmul against float64 (exit 2 when wrong), print the core, exit")
    if "--corename" in sys.argv or "--check-blas" in sys.argv:
        torch.zeros(2, 2) @ torch.zeros(2, 2)   # loads the BLAS
        if "--check-blas" in sys.argv:
            blas_check()
        print(compare_gemm.corename())
        return
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    out = {"peer": "torch", "torch_version": torch.__version__, "threads": torch.get_num_threads(),
           "env": {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                  "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}}
    torch.zeros(2, 2) @ torch.zeros(2, 2)   # loads the BLAS
    out["openblas_core"] = compare_gemm.corename()
    t0 = time.perf_counter()
    cfg_path = os.path.join(a.model, "config.json") if a.model else a.config
    with open(cfg_path) as f:
        raw = json.load(f)
    cfg = R.parse_config(raw)
    with no_default_init():
        model = R.build_model(cfg)
    if a.model and (os.path.exists(os.path.join(a.model, "model.safetensors"))
                    or os.path.exists(os.path.join(a.model, "model.safetensors.index.json"))):
        load_weights_streaming(model, cfg, a.model)
        out["weights"] = f"loaded from {a.model}"
    else:
        R.init_std_weights(model, a.init_seed)
        out["weights"] = f"random init seed {a.init_seed} (std 0.02)"
    if a.save_dtype != "f32":
        sdt = torch.bfloat16 if a.save_dtype == "bf16" else torch.float16
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(sdt).float())
        out["weights"] += f", rounded to {a.save_dtype}"
    if a.save_model:
        os.makedirs(a.save_model, exist_ok=True)
        with open(os.path.join(a.save_model, "config.json"), "w") as f:
            json.dump(raw, f, indent=2)
            f.write("\n")
        sdt = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[a.save_dtype]
        save_streaming(os.path.join(a.save_model, "model.safetensors"),
                       ((R.PREFIX + k, v) for k, v in model.state_dict().items()), sdt)
    model.eval()
    nparam = sum(p.numel() for p in model.parameters())
    out.update({"config": cfg_path, "model_type": cfg["model_type"], "architecture": cfg.get("architecture"),
                "params": nparam, "setup_s": round(time.perf_counter() - t0, 2), "rss_after_load_mb": round(rss_mb(), 1)})

    B, S = a.batch, a.seq
    x = make_inputs(cfg, B, S, a.input_seed)
    if a.inputs:
        given, _ = st.load(a.inputs)
        for k, v in given.items():
            x[k] = v if not v.is_floating_point() else v.float()
        B, S = x["vl"].shape[0], x["vl"].shape[1]
    if a.save_inputs:
        st.save(a.save_inputs, x, {"batch": str(B), "seq": str(S), "input_seed": str(a.input_seed)})
    out.update({"batch": B, "seq": S, "warmup": a.warmup, "iters": a.iters})
    dust = cfg["model_type"] == "dust"
    ids = x["embodiment_id"]
    results = {}
    todo = [b.strip() for b in a.bench.split(",") if b.strip()]
    for name in todo:
        if name == "forward":
            def fn():
                with torch.no_grad():
                    if dust:
                        model(x["vl"], x["state"], x["actions_noisy"], x["vision_noisy"], x["t_action"],
                              x["t_vision"], ids)
                    else:
                        model(x["vl"], x["state"], x["actions_noisy"], x["t_action"], ids)
        elif name == "sample4":
            def fn():
                with torch.no_grad():
                    if dust:
                        R.dust_sample(model, x["vl"], x["state"], ids, x["noise_action"], x["noise_vision"],
                                      n_a=4, q=1)
                    else:
                        R.gr00t_sample(model, x["vl"], x["state"], ids, x["noise_action"], n=4)
        elif name == "sample_q16":
            if not dust:
                results[name] = {"skipped": "gr00t has no async sampler"}
                continue

            def fn():
                with torch.no_grad():
                    R.dust_sample(model, x["vl"], x["state"], ids, x["noise_action"], x["noise_vision"],
                                  n_a=4, q=16)
        elif name == "train":
            need = 3 * 4 * nparam   # grads + AdamW exp_avg + exp_avg_sq, F32 (weights already resident)
            avail = mem_available()
            if avail is not None and need > 0.9 * avail and not a.force:
                results[name] = {"skipped": "train needs ~%.1f GB more (grads + AdamW state), %.1f GB available; "
                                            "--force runs it anyway" % (need / 1e9, avail / 1e9)}
                print(f"# {name}: {results[name]['skipped']}", file=sys.stderr, flush=True)
                continue
            decay, no_decay = [], []
            for k, p in model.named_parameters():
                (no_decay if (R.is_bias(k) or p.dim() == 1) else decay).append(p)
            opt = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-5},
                                     {"params": no_decay, "weight_decay": 0.0}],
                                    lr=a.lr, betas=(0.95, 0.999), eps=1e-8)
            model.train()

            def fn():
                opt.zero_grad(set_to_none=True)
                if dust:
                    L = R.dust_loss(model, x["vl"], x["state"], ids, x["actions"], x["action_mask"],
                                    x["has_action"], x["future"], x["eps_action"], x["eps_vision"],
                                    x["tau_action"], x["tau_vision"])[0]
                else:
                    L = R.gr00t_loss(model, x["vl"], x["state"], ids, x["actions"], x["action_mask"],
                                     x["eps_action"], x["tau_action"], has_action=x["has_action"])[0]
                L.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                if not math.isfinite(float(L)):
                    raise FloatingPointError("train: loss is not finite")
        else:
            raise SystemExit(f"compare_torch: unknown benchmark {name!r} (forward, sample4, sample_q16, train)")
        results[name] = bench(fn, a.warmup, a.iters)
        model.eval()
        print(f"# {name}: {results[name]['median_ms']} ms", file=sys.stderr, flush=True)
    out["results"] = results
    out["peak_rss_mb"] = round(rss_mb(), 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
