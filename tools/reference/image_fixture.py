#!/usr/bin/python3
"""Writes the frame-resize fixtures of the dust4j backbone into testdata/image/.

Run from anywhere:  /usr/bin/python3 tools/reference/image_fixture.py
Needs Debian's python3-torch (1.13) and numpy; the Java tests (org.dust4j.backbone.image) only read the files.

The reference is GR00T-N1.5's eval-time frame pipeline (gr00t/data/transform/video.py), restated with torch:
  VideoToTensor   x = u8.to(float32) / 255.0                      (HWC -> CHW)
  VideoCrop       optional, eval = center crop of (int(H*scale), int(W*scale)), top = int(round((H-h)/2)),
                  left = int(round((W-w)/2)) (torchvision's center_crop; GR00T's data configs use scale 0.95)
  VideoResize     torch.nn.functional.interpolate(x[None], size=(S, S), mode="bilinear",
                  align_corners=False, antialias=True)           (torchvision Resize on a float tensor)
  VideoToNumpy    (y * 255).to(torch.uint8)                       (truncation toward zero)
and then the Eagle image processor's normalization, pixel_values = (u8 - 127.5) / 127.5 in float32
(backbone-contract.md 4.1).

Each case writes its input frame as <input>.png (RGB, 8 bits; a small PNG writer below, no PIL) and
  small S (noise_*):  <name>.safetensors with resized [3,S,S] F32 (interpolate's output), u8 [S,S,3] I32 (the
                      quantized frame), pixel_values [3,S,S] F32, and metadata (S, crop scale, input size);
  S = 224 (card_*):   <name>.expected.png, the quantized frame only (kept small).
  taps.safetensors:   taps_<n>_<m> [n, m] F32, torch's weight of input index k in output index i along one axis
                      (read off by resizing an identity matrix).
The script also checks that a 224x224 frame passes through the pipeline unchanged.
"""

import json
import math
import os
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "testdata", "image")


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_png(path, rgb):
    """Atomically writes an 8-bit RGB PNG (color type 2, no interlace, filter 0 on every row)."""
    h, w, _ = rgb.shape

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + rgb[y].astype(np.uint8).tobytes() for y in range(h))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(os.path.dirname(path))


def noise(h, w, seed):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def pattern(h, w):
    """A smooth-plus-edges test card (compresses well as PNG, has detail that antialiasing must average)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = x * 255.0 / max(w - 1, 1)
    g = y * 255.0 / max(h - 1, 1)
    b = np.where(np.sin(x / 7.0) * np.cos(y / 11.0) > 0, 200, 60) + (x // 40) * 3
    checker = ((x // 8 + y // 8) % 2 == 0) & (x < w / 2)
    r = np.where(checker, 255 - r, r)
    ring = np.abs(np.hypot(x - w * 0.7, y - h * 0.4) - h * 0.2) < 3
    g = np.where(ring, 0, g)
    b = np.where(((x.astype(int) % 13) == 0) & (y > h / 2), 255, b)
    return np.clip(np.rint(np.stack([r, g, b], -1)), 0, 255).astype(np.uint8)


def gr00t_frame(u8, size, crop_scale):
    """u8 [H,W,3] -> (resized float32 [3,S,S], quantized u8 [S,S,3]) exactly as GR00T's eval transforms."""
    x = torch.from_numpy(u8).to(torch.float32) / 255.0
    x = x.permute(2, 0, 1)
    if crop_scale is not None:
        hh, ww = x.shape[1], x.shape[2]
        ch, cw = int(hh * crop_scale), int(ww * crop_scale)
        top, left = int(round((hh - ch) / 2.0)), int(round((ww - cw) / 2.0))
        x = x[:, top:top + ch, left:left + cw]
    y = F.interpolate(x[None], size=(size, size), mode="bilinear", align_corners=False, antialias=True)[0]
    q = (y.permute(1, 2, 0) * 255).to(torch.uint8)
    return y.contiguous(), q.contiguous()


CASES = [  # name, input png name, image, S, crop scale
    ("noise_37x53_to_28", "noise_37x53", lambda: noise(37, 53, 1), 28, None),
    ("noise_1x1_to_16", "noise_1x1", lambda: noise(1, 1, 2), 16, None),
    ("noise_7x100_to_30", "noise_7x100", lambda: noise(7, 100, 3), 30, None),
    ("noise_300x200_to_30_crop95", "noise_300x200", lambda: noise(300, 200, 4), 30, 0.95),
    ("card_480x640_to_224", "card_480x640", lambda: pattern(480, 640), 224, None),
    ("card_480x640_to_224_crop95", "card_480x640", lambda: pattern(480, 640), 224, 0.95),
]

# (input length, output length) pairs whose resize weights are written to taps.safetensors.
TAP_SIZES = [(100, 30), (53, 28), (37, 28), (7, 30), (1, 16), (285, 30), (190, 30), (1000, 7), (24, 24)]


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for name, png, make, size, crop in CASES:
        u8 = make()
        write_png(os.path.join(OUT, png + ".png"), u8)
        resized, q = gr00t_frame(u8, size, crop)
        if size == 224:
            write_png(os.path.join(OUT, name + ".expected.png"), q.numpy())
        else:
            tensors = {"resized": resized, "u8": q.to(torch.int32),
                       "pixel_values": (q.permute(2, 0, 1).to(torch.float32) - 127.5) / 127.5}
            meta = {"size": str(size), "crop_scale": "none" if crop is None else repr(crop),
                    "input_hw": f"{u8.shape[0]}x{u8.shape[1]}", "torch": torch.__version__,
                    "reference": "F.interpolate(bilinear, align_corners=False, antialias=True) on u8/255, "
                                 "then (y*255).to(uint8)"}
            path = os.path.join(OUT, name + ".safetensors")
            st.save(path + ".tmp", tensors, meta)
            os.replace(path + ".tmp", path)
            fsync_dir(OUT)
        print(f"{name}: {u8.shape[0]}x{u8.shape[1]} -> {size}, crop {crop}")
    # The per-axis weights torch uses: resizing an identity matrix along its width returns them exactly
    # (every output is 1 * w + 0 * ...): taps_<in>_<out>[k, i] = weight of input k in output i.
    taps = {}
    for n, m in TAP_SIZES:
        eye = torch.eye(n, dtype=torch.float32)[None, None]
        taps[f"taps_{n}_{m}"] = F.interpolate(eye, size=(n, m), mode="bilinear", align_corners=False,
                                              antialias=True)[0, 0].contiguous()
    path = os.path.join(OUT, "taps.safetensors")
    st.save(path + ".tmp", taps, {"torch": torch.__version__})
    os.replace(path + ".tmp", path)
    fsync_dir(OUT)
    card = pattern(224, 224)
    _, q = gr00t_frame(card, 224, None)
    assert torch.equal(q, torch.from_numpy(card)), "a 224x224 frame must pass through unchanged"


if __name__ == "__main__":
    main()
