#!/usr/bin/python3
"""Writes the PyTorch parity fixtures for the dust4j engine into testdata/engine/*.safetensors.

Run from anywhere:  /usr/bin/python3 tools/reference/make_engine_fixtures.py
Needs Debian's python3-torch (1.13) and numpy; the Java tests only read the committed files.

Everything is seeded, single-threaded and float32 (except halfconv, which stores bit patterns), so a rerun
reproduces the files byte for byte on the same torch build. Each fixture also records, in its
`__metadata__`, how far torch's float32 result is from a float64 recomputation ("f64dev.*", see dev()):
that is the floor any float32 engine, torch included, sits at, and the Java tolerances are chosen above it.
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import st  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "testdata", "engine")


def gen(seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def randn(g, *shape, scale=1.0, shift=0.0):
    return torch.randn(*shape, generator=g, dtype=torch.float32) * scale + shift


def leaf(t, dt):
    """A fresh leaf copy of t in dtype dt that requires grad (never aliases the stored input)."""
    return t.detach().clone().to(dt).requires_grad_()


def dev(f32, f64):
    """How far a float32 result is from the float64 recomputation (informative): "abs=A rel=R" with A the
    max |f32 - f64| and R the max |f32 - f64| / |f64| over elements with |f64| >= 1e-3 * max|f64|."""
    a = f32.detach().double()
    b = f64.detach().double()
    d = (a - b).abs()
    big = b.abs() >= 1e-3 * float(b.abs().max())
    return "abs=%.2e rel=%.2e" % (float(d.max()), float((d[big] / b.abs()[big]).max()))


def meta(**kw):
    base = {"generator": "tools/reference/make_engine_fixtures.py", "torch": torch.__version__}
    base.update({k: (repr(v) if isinstance(v, float) else str(v)) for k, v in kw.items()})
    return base


def save(name, tensors, metadata, finite=True):
    path = os.path.join(OUT, name)
    if finite:
        for k, t in tensors.items():
            assert torch.isfinite(t).all(), f"{name}: {k} is not finite"
    st.save(path, tensors, metadata)
    back, back_meta = st.load(path)  # round-trip check of the writer
    assert list(back) == list(tensors) and back_meta == metadata, name
    for k, t in tensors.items():
        a, b = t.detach().contiguous(), back[k]
        assert a.dtype == b.dtype and a.shape == b.shape and st._to_bytes(a) == st._to_bytes(b), k
    print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes, {len(tensors)} tensors)")


# --------------------------------------------------------------------------- layernorm

def layernorm():
    g = gen(101)
    x = randn(g, 3, 7, 33, scale=2.0, shift=0.5)
    # a row with a common offset (mean 10, std 0.5) exercises the variance computation; kept moderate so
    # float32 rounding of the mean itself (~ulp(10)/2 / 0.5 = 1e-6 in y) stays below the test tolerance
    x[1, 3] = randn(g, 33, scale=0.5, shift=10.0)
    w = randn(g, 33, scale=0.5, shift=1.0)
    b = randn(g, 33, scale=0.5)
    gy = randn(g, 3, 7, 33)
    out = {"x": x, "weight": w, "bias": b, "gy": gy}
    devs = {}

    def run(dt):
        xv = leaf(x, dt)
        wv = leaf(w, dt)
        bv = leaf(b, dt)
        y = F.layer_norm(xv, (33,), wv, bv, 1e-5)
        (y * gy.to(dt)).sum().backward()
        xn = leaf(x, dt)
        yn = F.layer_norm(xn, (33,), None, None, 1e-6)
        (yn * gy.to(dt)).sum().backward()
        return y, xv.grad, wv.grad, bv.grad, yn, xn.grad

    r32, r64 = run(torch.float32), run(torch.float64)
    for k, a, c in zip(["y", "gx", "gw", "gb", "y_noaffine", "gx_noaffine"], r32, r64):
        out[k] = a.detach()
        devs["f64dev." + k] = dev(a, c)
    save("layernorm.safetensors", out,
         meta(eps="1e-5", eps_noaffine="1e-6", loss="sum(y*gy)", **devs))


# --------------------------------------------------------------------------- activations

def activations():
    g = gen(202)
    x = randn(g, 1000, scale=3.0)
    special = torch.tensor([0.0, -0.0, 1e-6, -1e-6, 0.5, -0.5, 3.0, -3.0, 5.0, -5.0, 8.0, -8.0,
                            10.0, -10.0, 15.0, -15.0, 20.0, -20.0, 50.0, -50.0, 100.0, -100.0], dtype=torch.float32)
    x[: special.numel()] = special
    gy = randn(g, 1000)
    out = {}
    devs = {}

    def gelu(dt):
        xv = leaf(x, dt)
        y = F.gelu(xv, approximate="tanh")
        (y * gy.to(dt)).sum().backward()
        return y, xv.grad

    (y, gx), (y64, gx64) = gelu(torch.float32), gelu(torch.float64)
    out.update({"x": x, "y": y.detach(), "gy": gy, "gx": gx})
    devs["f64dev.y"], devs["f64dev.gx"] = dev(y, y64), dev(gx, gx64)

    # silu on [7,33]
    sx = randn(g, 7, 33, scale=4.0)
    sx[0, :6] = torch.tensor([0.0, 30.0, -30.0, 90.0, -90.0, 1e-7])
    sgy = randn(g, 7, 33)

    def silu(dt):
        xv = leaf(sx, dt)
        y = F.silu(xv)
        (y * sgy.to(dt)).sum().backward()
        return y, xv.grad

    (y, gx), (y64, gx64) = silu(torch.float32), silu(torch.float64)
    out.update({"silu.x": sx, "silu.y": y.detach(), "silu.gy": sgy, "silu.gx": gx})
    devs["f64dev.silu.y"], devs["f64dev.silu.gx"] = dev(y, y64), dev(gx, gx64)

    # softmax over the last axis on [7,33]; row 2 has huge logits (needs max subtraction), row 5 is constant
    mx = randn(g, 7, 33, scale=3.0)
    mx[2] = mx[2] * 30.0 + 500.0
    mx[5] = -7.0
    mgy = randn(g, 7, 33)

    def softmax(dt):
        xv = leaf(mx, dt)
        y = torch.softmax(xv, dim=-1)
        (y * mgy.to(dt)).sum().backward()
        return y, xv.grad

    (y, gx), (y64, gx64) = softmax(torch.float32), softmax(torch.float64)
    out.update({"softmax.x": mx, "softmax.y": y.detach(), "softmax.gy": mgy, "softmax.gx": gx})
    devs["f64dev.softmax.y"], devs["f64dev.softmax.gx"] = dev(y, y64), dev(gx, gx64)
    save("gelu.safetensors", out, meta(gelu="tanh approximation", softmax_axis="-1", loss="sum(y*gy)", **devs))


# --------------------------------------------------------------------------- attention

def attention():
    g = gen(303)
    q = randn(g, 1, 4, 7, 8)
    k = randn(g, 1, 4, 33, 8)
    v = randn(g, 1, 4, 33, 8)
    gout = randn(g, 1, 4, 7, 8)
    scale = 1.0 / math.sqrt(8.0)

    def run(dt):
        qv, kv, vv = (leaf(t, dt) for t in (q, k, v))
        s = torch.matmul(qv, kv.transpose(-1, -2)) * scale
        p = torch.softmax(s, dim=-1)
        o = torch.matmul(p, vv)
        (o * gout.to(dt)).sum().backward()
        return o, qv.grad, kv.grad, vv.grad

    r32, r64 = run(torch.float32), run(torch.float64)
    out = {"q": q, "k": k, "v": v, "scale": torch.tensor(scale, dtype=torch.float32), "gout": gout}
    devs = {}
    for name, a, c in zip(["out", "gq", "gk", "gv"], r32, r64):
        out[name] = a.detach()
        devs["f64dev." + name] = dev(a, c)
    save("attention.safetensors", out,
         meta(formula="out = softmax(q @ k^T * scale, -1) @ v, no mask", loss="sum(out*gout)", **devs))


# --------------------------------------------------------------------------- MLP

class MLP(torch.nn.Module):
    """Named as dust4j nn names it: net.0 Linear(7,16), net.1 GELU(tanh), net.2 Linear(16,5)."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(7, 16), torch.nn.GELU(approximate="tanh"),
                                       torch.nn.Linear(16, 5))

    def forward(self, x):
        return self.net(x)


def mlp_setup():
    torch.manual_seed(404)
    model = MLP()
    g = gen(405)
    x = randn(g, 4, 7)
    y = randn(g, 4, 5, scale=2.0)
    return model, x, y


def mlp():
    model, x, y = mlp_setup()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    m64 = MLP().double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    loss64 = F.mse_loss(m64(x.double()), y.double())
    loss64.backward()
    out = {}
    for name, p in model.named_parameters():
        out[name] = p.detach().clone()
    out["x"], out["y"], out["loss"] = x, y, loss.detach()
    devs = {"f64dev.loss": dev(loss, loss64)}
    p64 = dict(m64.named_parameters())
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad.detach().clone()
        devs["f64dev.grad." + name] = dev(p.grad, p64[name].grad)
    save("mlp.safetensors", out, meta(loss="mse_loss(net(x), y), mean", activation="gelu tanh", **devs))


# --------------------------------------------------------------------------- AdamW + schedule + clipping

def cosine_with_warmup(warmup, total):
    """transformers.get_cosine_schedule_with_warmup's lambda (num_cycles 0.5), written out here."""
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))
    return f


def adamw():
    model, x, y = mlp_setup()
    names = [n for n, _ in model.named_parameters()]
    params = dict(model.named_parameters())
    decay = [p for n, p in params.items() if not n.endswith("bias")]
    no_decay = [p for n, p in params.items() if n.endswith("bias")]
    base_lr, warmup, total, max_norm = 1e-3, 2, 5, 0.5
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=base_lr, betas=(0.95, 0.999), eps=1e-8, foreach=False)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, cosine_with_warmup(warmup, total))
    out = {}
    for n in names:
        out["init." + n] = params[n].detach().clone()
    out["x"], out["y"] = x, y
    clipped = 0
    for k in range(1, total + 1):
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), y)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=max_norm)
        clipped += int(float(gn) > max_norm)
        lr = opt.param_groups[0]["lr"]
        assert lr == opt.param_groups[1]["lr"]
        opt.step()
        sched.step()
        out[f"loss{k}"] = loss.detach()
        out[f"gradnorm{k}"] = gn.detach().to(torch.float32)
        out[f"lr{k}"] = torch.tensor(lr, dtype=torch.float32)
        for n in names:
            out[f"step{k}.{n}"] = params[n].detach().clone()
    for n in names:
        s = opt.state[params[n]]
        out["state.exp_avg." + n] = s["exp_avg"].clone()
        out["state.exp_avg_sq." + n] = s["exp_avg_sq"].clone()
    assert clipped >= 1, "clip_grad_norm_ never clipped: the fixture would not test clipping"
    save("adamw.safetensors", out,
         meta(lr=base_lr, betas="0.95,0.999", eps="1e-8", weight_decay="0.1 for weights, 0.0 for biases",
              schedule="cosine with linear warmup, warmup 2, total 5 (LambdaLR; lr for step k is lambda(k-1))",
              clip_max_norm=max_norm, steps_clipped=clipped, foreach="False",
              order="zero_grad, forward, backward, clip_grad_norm_, step, sched.step; state.* after step 5"))


# --------------------------------------------------------------------------- half conversions

def halfconv():
    g = gen(606)
    vals = []
    # plain random values over many magnitudes
    vals.append(randn(g, 512) * torch.pow(10.0, torch.randint(-8, 9, (512,), generator=g).float()))
    bits = []
    # bf16 ties: low 16 bits exactly 0x8000, upper lsb even and odd, plus just above / below the tie
    hi = torch.randint(0x0080, 0x7f00, (64,), generator=g, dtype=torch.int64)
    for h in hi.tolist():
        for low in (0x8000, 0x7fff, 0x8001, 0x0000, 0xffff):
            bits.append((h << 16) | low)
            bits.append(((h << 16) | low) | 0x80000000)
    # f16 ties in the normal range: exponent so the value is in [2^-14, 2^15], low 13 mantissa bits = 0x1000
    for _ in range(96):
        e = int(torch.randint(127 - 14, 127 + 16, (1,), generator=g))
        m = int(torch.randint(0, 1 << 10, (1,), generator=g)) << 13
        for low in (0x1000, 0x0fff, 0x1001):
            bits.append((e << 23) | m | low)
    # f16 subnormal range [2^-25, 2^-14): ties and near-ties relative to the 2^-24 grid
    for i in range(1, 40):
        v = i * 2.0 ** -24
        vals.append(torch.tensor([v, v + 2.0 ** -25, v - 2.0 ** -25, v + 2.0 ** -26, -(v + 2.0 ** -25)],
                                 dtype=torch.float32))
    vals.append(torch.tensor([2.0 ** -25, 2.0 ** -25 * 1.0001, 2.0 ** -26, 2.0 ** -14, 2.0 ** -14 * 0.99999],
                             dtype=torch.float32))
    # f16 overflow boundary: 65504 is the max, 65520 ties to inf
    vals.append(torch.tensor([65504.0, 65519.0, 65520.0, 65521.0, 70000.0, -65520.0, 1e6, -1e6, 3e38],
                             dtype=torch.float32))
    # bf16 overflow boundary: 0x7f7f8000 ties (-> inf), float max, just below
    bits += [0x7f7f0000, 0x7f7f7fff, 0x7f7f8000, 0x7f7fffff, 0xff7f8000, 0x7f7effff]
    # f32 subnormals (bf16 keeps them, f16 flushes to signed zero)
    bits += [0x00000001, 0x00000100, 0x00008000, 0x00018000, 0x0007ffff, 0x00400000, 0x007fffff,
             0x80000001, 0x807fffff, 0x00010000, 0x00017fff]
    # zeros, infinities, NaNs (quiet, signalling, negative, with payload)
    bits += [0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001,
             0x7fa00000, 0x7fffffff, 0xff812345, 0x3f800000, 0xbf800000]
    b = torch.tensor(bits, dtype=torch.int64)
    b = torch.where(b >= 2 ** 31, b - 2 ** 32, b).to(torch.int32)
    f = torch.cat([torch.cat(vals).to(torch.float32), b.view(torch.float32)])
    f_bits = f.view(torch.int32).clone()
    to_bf16 = f.to(torch.bfloat16)
    to_f16 = f.to(torch.float16)
    # the other direction: a sample of 16-bit patterns (all exponents, subnormals, inf, nan) -> f32
    pats = torch.randint(-32768, 32768, (2048,), generator=g, dtype=torch.int32)
    fixed = [0x0000, 0x8000, 0x0001, 0x8001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x7c01,
             0x7f80, 0xff80, 0x7fc0, 0x0080, 0x007f, 0x3c00, 0x3f80, 0xffff, 0x7fff]
    pats = torch.cat([torch.tensor([p - 65536 if p >= 32768 else p for p in fixed], dtype=torch.int32), pats])
    pats16 = pats.to(torch.int16)
    bf16_in = pats16.view(torch.bfloat16)
    f16_in = pats16.view(torch.float16)
    out = {
        "f32": f, "f32_bits": f_bits, "to_bf16": to_bf16, "to_f16": to_f16,
        "bf16_in": bf16_in, "bf16_to_f32": bf16_in.to(torch.float32),
        "f16_in": f16_in, "f16_to_f32": f16_in.to(torch.float32),
    }
    save("halfconv.safetensors", out,
         meta(note="torch .to(bfloat16)/.to(float16) on CPU (round to nearest even); NaN payloads are "
                   "implementation-defined in torch (scalar 0x7fc0 vs vectorised 0xffff), compare NaN-ness only"), finite=False)


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    layernorm()
    activations()
    attention()
    mlp()
    adamw()
    halfconv()


if __name__ == "__main__":
    main()
