"""Minimal safetensors writer/reader for the dust4j reference fixtures (no `safetensors` package needed).

Format: 8-byte little-endian header length N, N bytes of UTF-8 JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, optional "__metadata__": {str: str}},
padded with spaces to a multiple of 8, then the raw little-endian tensor bytes.
Offsets are relative to the first byte after the header.
"""

import json
import struct

import numpy as np
import torch

# dtype name -> (torch dtype, numpy dtype used for the raw bytes)
_DTYPES = {
    "F32": (torch.float32, np.dtype("<f4")),
    "F16": (torch.float16, np.dtype("<i2")),
    "BF16": (torch.bfloat16, np.dtype("<i2")),
    "I64": (torch.int64, np.dtype("<i8")),
    "I32": (torch.int32, np.dtype("<i4")),
}
_BY_TORCH = {t: name for name, (t, _) in _DTYPES.items()}


def _to_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().contiguous().cpu()
    if t.dtype in (torch.float16, torch.bfloat16):
        # numpy has no bfloat16: reinterpret the 16-bit patterns as int16 and write them verbatim.
        arr = t.view(torch.int16).numpy().astype("<i2", copy=False)
    else:
        arr = t.numpy().astype(_DTYPES[_BY_TORCH[t.dtype]][1], copy=False)
    return arr.tobytes(order="C")


def save(path, tensors: dict, metadata: dict = None) -> None:
    """Writes `tensors` (name -> torch.Tensor, insertion order kept) to `path`."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        if t.dtype not in _BY_TORCH:
            raise ValueError(f"st.save: tensor {name} has unsupported dtype {t.dtype}")
        b = _to_bytes(t)
        header[name] = {"dtype": _BY_TORCH[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hjson = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def load(path):
    """Reads a file written by `save` (or any safetensors file with the dtypes above).

    Returns (tensors: dict name -> torch.Tensor, metadata: dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        tdtype, npdtype = _DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype=npdtype).copy()
        if tdtype in (torch.float16, torch.bfloat16):
            t = torch.from_numpy(arr).view(tdtype)
        else:
            t = torch.from_numpy(arr)
        out[name] = t.reshape(info["shape"])
    return out, metadata
