#!/usr/bin/env python3
"""PyTorch <-> dust4j safetensors interop fixtures.

Runs on Debian's python3-torch (1.13) with no safetensors package: this file carries its own small,
strict safetensors reader and writer (official layout: header padded with spaces to a multiple of 8,
tensors ordered by descending dtype size then name).

  st_roundtrip.py write [OUTDIR]   writes OUTDIR/torch_{f32,f16,bf16}.safetensors, a 2-shard checkpoint
                                   OUTDIR/torch_sharded/ with model.safetensors.index.json, and
                                   OUTDIR/torch_expected.json (every value as raw bits and F32 bits)
                                   (default OUTDIR: testdata/weights next to this repository's tools/)
  st_roundtrip.py verify DIR       checks the files a Java test wrote into DIR
                                   (weights-import/target/interop): layout, and bit-identity with the
                                   tensors torch generates here (and with torch's own F32->BF16/F16 rounding)
"""
import json
import os
import struct
import sys

import torch

DTYPES = {  # safetensors name -> (torch dtype, bytes, same-size integer view for raw bits)
    "F32": (torch.float32, 4, torch.int32),
    "F16": (torch.float16, 2, torch.int16),
    "BF16": (torch.bfloat16, 2, torch.int16),
    "F64": (torch.float64, 8, torch.int64),
    "I64": (torch.int64, 8, torch.int64),
    "I32": (torch.int32, 4, torch.int32),
    "U8": (torch.uint8, 1, torch.uint8),
    "BOOL": (torch.bool, 1, torch.uint8),
}
NAME_OF = {v[0]: k for k, v in DTYPES.items()}
SPECIAL = [0.0, -0.0, 1.0, -1.5, 1.401298464324817e-45, 1.1754943508222875e-38, 3.4028234663852886e38,
           float("inf"), float("-inf"), float("nan"), 1.00390625, 65504.0, 65520.0, 1e-8, 3.14159265, -2.7182817]


def tensor_bytes(t):
    t = t.contiguous()
    if t.numel() == 0:
        return b""
    bits_dtype = DTYPES[NAME_OF[t.dtype]][2]
    return t.view(bits_dtype).numpy().tobytes()


def save(path, tensors, metadata=None):
    """Writes the official layout atomically (temp file + rename)."""
    order = sorted(tensors.items(), key=lambda kv: (-DTYPES[NAME_OF[kv[1].dtype]][1], kv[0].encode("utf-8")))
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name, t in order:
        b = tensor_bytes(t)
        header[name] = {"dtype": NAME_OF[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path, check_layout=False):
    """Strict reader: returns (metadata, {name: tensor}, [names in data order])."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError(f"{path}: file too small")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > 100_000_000 or 8 + n > len(buf):
        raise ValueError(f"{path}: bad header length {n}")
    text = buf[8:8 + n].decode("utf-8")
    if not text.lstrip(" ").startswith("{"):
        raise ValueError(f"{path}: header must start with '{{'")

    def no_dups(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                raise ValueError(f"{path}: duplicate key {k!r}")
            d[k] = v
        return d

    header = json.loads(text, object_pairs_hook=no_dups)
    meta = header.pop("__metadata__", None) or {}
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()), "metadata must map str->str"
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    data, pos, out, order = buf[8 + n:], 0, {}, []
    for name, e in entries:
        b, end = e["data_offsets"]
        dtype, size, _ = DTYPES[e["dtype"]]
        numel = 1
        for d in e["shape"]:
            numel *= d
        if b != pos or end < b or end - b != numel * size:
            raise ValueError(f"{path}: tensor {name!r}: bad data_offsets {e['data_offsets']}")
        pos = end
        raw = bytearray(data[b:end])
        if numel == 0:
            t = torch.empty(e["shape"], dtype=dtype)
        else:
            t = torch.frombuffer(raw, dtype=DTYPES[e["dtype"]][2]).view(dtype).reshape(e["shape"])
        out[name] = t
        order.append(name)
    if pos != len(data):
        raise ValueError(f"{path}: data does not end at EOF ({pos} vs {len(data)})")
    if check_layout:
        if n % 8:
            raise ValueError(f"{path}: header length {n} not a multiple of 8")
        if text.rstrip(" ") != text[:len(text.rstrip(" "))] or not text.rstrip(" ").endswith("}"):
            raise ValueError(f"{path}: header padding is not spaces")
        keys = [(-DTYPES[header[k]["dtype"]][1], k.encode("utf-8")) for k in order]
        if keys != sorted(keys):
            raise ValueError(f"{path}: tensors not ordered by descending dtype size, then name")
        for k in order:
            if (8 + n + header[k]["data_offsets"][0]) % DTYPES[header[k]["dtype"]][1]:
                raise ValueError(f"{path}: tensor {k!r} not aligned")
    return meta, out, order


def fixtures():
    """The deterministic tensors of every fixture file: {file: ({name: tensor}, metadata)}."""
    g = torch.Generator().manual_seed(1234)
    special = torch.tensor(SPECIAL, dtype=torch.float32)
    w = torch.randn(7, 33, generator=g)
    b = torch.randn(33, generator=g) * 100
    small = torch.randn(5, generator=g) * 1e-5
    scalar = torch.tensor(2.75)
    empty = torch.zeros(0, 3)
    files = {}
    for name, dt in (("f32", torch.float32), ("f16", torch.float16), ("bf16", torch.bfloat16)):
        files[f"torch_{name}.safetensors"] = ({
            "special": special.to(dt), "layer.weight": w.to(dt), "layer.bias": b.to(dt),
            "small": small.to(dt), "scalar": scalar.to(dt), "empty": empty.to(dt),
        }, {"format": "pt", "dtype": name})
    # a GR00T-like 2-shard checkpoint: BF16 backbone, F32 action head, an I64 buffer
    shard1 = {"backbone.embed.weight": torch.randn(11, 8, generator=g).to(torch.bfloat16),
              "backbone.norm.weight": torch.randn(8, generator=g).to(torch.bfloat16)}
    shard2 = {"action_head.proj.weight": torch.randn(4, 8, generator=g),
              "action_head.proj.bias": torch.randn(4, generator=g),
              "action_head.steps": torch.arange(-3, 5, dtype=torch.int64)}
    files["torch_sharded/model-00001-of-00002.safetensors"] = (shard1, {"format": "pt"})
    files["torch_sharded/model-00002-of-00002.safetensors"] = (shard2, {"format": "pt"})
    return files


def bits(t):
    t = t.contiguous()
    if t.numel() == 0:
        return []
    return t.view(DTYPES[NAME_OF[t.dtype]][2]).reshape(-1).tolist()


def write(outdir):
    os.makedirs(os.path.join(outdir, "torch_sharded"), exist_ok=True)
    expected, weight_map, total = {}, {}, 0
    for rel, (tensors, meta) in fixtures().items():
        save(os.path.join(outdir, rel), tensors, meta)
        expected[rel] = {}
        for name, t in tensors.items():
            entry = {"dtype": NAME_OF[t.dtype], "shape": list(t.shape), "bits": bits(t)}
            if t.is_floating_point():
                entry["f32_bits"] = bits(t.float())
                entry["values"] = [repr(v) for v in t.float().reshape(-1).tolist()]
            expected[rel][name] = entry
            if rel.startswith("torch_sharded/"):
                weight_map[name] = os.path.basename(rel)
                total += t.numel() * t.element_size()
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(outdir, "torch_sharded", "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    with open(os.path.join(outdir, "torch_expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")
    print(f"wrote {len(expected)} files and torch_expected.json into {outdir}")


def same_bits(a, b):
    if a.dtype != b.dtype or list(a.shape) != list(b.shape):
        return False
    return bits(a) == bits(b)


def verify(d):
    """Files the Java test TorchInteropTest writes: java_<fixture> rewritten, and Java's own conversions."""
    fx = fixtures()
    checked, failures = 0, []
    for rel, (tensors, meta) in fx.items():
        path = os.path.join(d, "java_" + rel.replace("/", "_"))
        got_meta, got, _ = load(path, check_layout=True)
        if got_meta != meta:
            failures.append(f"{path}: metadata {got_meta} != {meta}")
        if set(got) != set(tensors):
            failures.append(f"{path}: names {sorted(got)} != {sorted(tensors)}")
        for name, t in tensors.items():
            checked += 1
            if name in got and not same_bits(got[name], t):
                failures.append(f"{path}: tensor {name!r} differs from torch bit for bit")
    # Java's F32 -> BF16/F16 rounding against torch's (NaN: both must be NaN; torch's NaN payload may differ)
    conv_path = os.path.join(d, "java_converted.safetensors")
    _, conv, _ = load(conv_path, check_layout=True)
    f32 = fx["torch_f32.safetensors"][0]
    for src in ("special", "layer.weight", "layer.bias", "small"):
        for tag, dt in (("bf16", torch.bfloat16), ("f16", torch.float16)):
            name = f"{src}.{tag}"
            want, have = f32[src].to(dt), conv[name]
            checked += 1
            nan = torch.isnan(want.float())
            if have.dtype != dt or not torch.equal(torch.isnan(have.float()), nan) or \
                    bits(torch.where(nan, torch.zeros_like(want), want)) != bits(torch.where(nan, torch.zeros_like(have), have)):
                failures.append(f"{conv_path}: {name} differs from torch's rounding")
    # the Java-written 2-shard checkpoint and its index
    sd = os.path.join(d, "java_sharded")
    with open(os.path.join(sd, "model.safetensors.index.json")) as f:
        index = json.load(f)
    shards = sorted(set(index["weight_map"].values()))
    if shards != ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]:
        failures.append(f"{sd}: shards {shards}")
    want_all = {**fx["torch_sharded/model-00001-of-00002.safetensors"][0], **fx["torch_sharded/model-00002-of-00002.safetensors"][0]}
    got_all, total = {}, 0
    for s in shards:
        _, t, _ = load(os.path.join(sd, s), check_layout=True)
        for k, v in t.items():
            if index["weight_map"].get(k) != s:
                failures.append(f"{sd}/{s}: {k} not indexed to this shard")
            total += v.numel() * v.element_size()
        got_all.update(t)
    if int(index["metadata"]["total_size"]) != total:
        failures.append(f"{sd}: total_size {index['metadata']['total_size']} != {total}")
    for k, v in want_all.items():
        checked += 1
        if k not in got_all or not same_bits(got_all[k], v):
            failures.append(f"{sd}: tensor {k!r} differs from torch bit for bit")
    for f in failures:
        print("FAIL", f)
    print(f"verify: {checked} tensors checked, {len(failures)} failures")
    return 1 if failures else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "write":
        here = os.path.dirname(os.path.abspath(__file__))
        write(argv[2] if len(argv) > 2 else os.path.join(here, "..", "..", "testdata", "weights"))
        return 0
    if len(argv) == 3 and argv[1] == "verify":
        return verify(argv[2])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
