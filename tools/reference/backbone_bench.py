"""Full-size GR00T-N1.5 backbone embed: dust4j (F32-weight and mapped-BF16-weight modes) vs PyTorch 1.13 running
backbone_ref.py (float32, the same BF16 weights upcast) on the same checkpoint and inputs, in one run, 2 threads each.
The sides run one after the other, never at the same time. Prints each side's embed times (median of --repeat),
the ratios torch / dust4j (> 1: dust4j faster), peak RSS against the BF16 weight bytes, the load average, and how
far dust4j's features are from torch's (the contract's check as a fraction of its budget).

    bench/compare-backbone [--repeat 3] [--threads 2] [--dir DIR]

The checkpoint is a random BF16 GR00T-N1.5-shaped one (org.dust4j.backbone.RandomCheckpoint, 2.7 GB, written on
first use into DIR, default bench/target/compare-backbone/n15) with one 224x224 U8 frame and a 32-token instruction
(L = 314). Needs the fat JAR (cli/target/dust4j.jar; the wrapper builds it).
"""

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import backbone_ref as R  # noqa: E402
import st  # noqa: E402

st._DTYPES["U8"] = (torch.uint8, np.dtype("u1"))
st._BY_TORCH[torch.uint8] = "U8"

JAVA_FLAGS = ["--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"]


def header(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    return 8 + n, h


def load_weights(d):
    """name -> float32 torch tensor for every backbone.* tensor of the checkpoint, read through np.memmap."""
    idx = os.path.join(d, "model.safetensors.index.json")
    files = sorted(set(json.load(open(idx))["weight_map"].values())) if os.path.exists(idx) else ["model.safetensors"]
    w = {}
    for f in files:
        p = os.path.join(d, f)
        base, h = header(p)
        mm = np.memmap(p, dtype=np.uint8, mode="r")
        for name, info in h.items():
            if not name.startswith("backbone."):
                continue
            b, e = info["data_offsets"]
            raw = mm[base + b:base + e]
            if info["dtype"] == "BF16":
                t = torch.from_numpy(np.array(raw.view("<i2"))).view(torch.bfloat16).float()
            elif info["dtype"] == "F16":
                t = torch.from_numpy(np.array(raw.view("<f2"))).float()
            else:
                t = torch.from_numpy(np.array(raw.view("<f4")))
            w[name] = t.reshape(info["shape"])
        del mm
    return w


def run_java(jar, d, inp, mode, repeat, threads, out):
    xmx = "8g" if mode == "f32" else "3g"
    cmd = ["java", f"-Xmx{xmx}", f"-Ddust4j.threads={threads}", *JAVA_FLAGS, "-cp", jar, "org.dust4j.backbone.EmbedBench",
           d, inp, mode, str(repeat), out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"backbone_bench: dust4j {mode} failed:\n{r.stderr}")
    line = r.stdout.strip().splitlines()[-1]
    return dict(kv.split("=", 1) for kv in line.split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="bench/target/compare-backbone/n15")
    ap.add_argument("--jar", default="cli/target/dust4j.jar")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--modes", default="mapped,f32")
    a = ap.parse_args()
    java = os.environ.get("JAVA_HOME")
    if java:
        os.environ["PATH"] = os.path.join(java, "bin") + os.pathsep + os.environ["PATH"]
    d = a.dir
    inp = os.path.join(d, "embed_in.safetensors")
    if not os.path.exists(os.path.join(d, "config.json")) or not os.path.exists(inp):
        print(f"writing the random GR00T-N1.5-shaped checkpoint into {d} ...", flush=True)
        subprocess.run(["java", *JAVA_FLAGS, "-cp", a.jar, "org.dust4j.backbone.RandomCheckpoint", d], check=True)

    res = {}
    for mode in a.modes.split(","):
        res[mode] = run_java(a.jar, d, inp, mode, a.repeat, a.threads, os.path.join(d, f"out_{mode}.safetensors"))
        print(f"dust4j {mode:6s}: load {float(res[mode]['load_s']):6.2f} s, embed {res[mode]['embed_s']} s (median "
              f"{res[mode]['median_s']}), peak RSS {int(res[mode]['peak_rss_bytes']) / 1e9:.2f} GB", flush=True)

    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    root = json.load(open(os.path.join(d, "config.json")))
    cfg = R.resolve_config(root)
    w = load_weights(d)
    load_s = time.perf_counter() - t0
    x, _ = st.load(inp)
    pv = R.images_to_pixel_values(x["images"]).float()
    ts = []
    with torch.no_grad():
        for _ in range(a.repeat):
            t = time.perf_counter()
            o = R.embed(cfg, w, pv, x["input_ids"], x["attention_mask"])
            ts.append(time.perf_counter() - t)
    torch_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tmed = sorted(ts)[(len(ts) - 1) // 2]
    print(f"torch {torch.__version__} f32: load {load_s:6.2f} s, embed {','.join(f'{t:.3f}' for t in ts)} s (median {tmed:.3f}), "
          f"peak RSS {torch_rss / 1e9:.2f} GB", flush=True)

    wb = None
    for mode, r in res.items():
        wb = int(r["weight_bytes"])
        got, _ = st.load(os.path.join(d, f"out_{mode}.safetensors"))
        ref = o["backbone_features"]
        frac = float(((got["backbone_features"].double() - ref.double()).abs() / (1e-4 + 1e-3 * ref.double().abs())).max())
        vfrac = float(((got["vision_features"].double() - o["vision_features"].double()).abs()
                       / (1e-4 + 1e-3 * o["vision_features"].double().abs())).max())
        print(f"ratio torch/dust4j {mode:6s}: {tmed / float(r['median_s']):.2f}x   peak RSS / BF16 weight bytes "
              f"{int(r['peak_rss_bytes']) / wb:.2f} (target <= 1.3)   features vs torch: {frac:.3f} of the contract budget"
              f" (vision {vfrac:.3f})")
    print(f"torch peak RSS / BF16 weight bytes {torch_rss / wb:.2f}; L = {x['input_ids'].shape[1]}, threads {a.threads}; "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} (noisy if well above 0)")


if __name__ == "__main__":
    main()
