#!/usr/bin/env python3
"""numpy (OpenBLAS) side of bench/compare-gemm: times float32 matmul on the given shapes.

Shapes are MxNxK or MxNxK:nt (B stored [N, K], computed as a @ b.T). Prints one line per shape:
shape<TAB>GFLOP/s<TAB>median seconds, and on stderr which BLAS numpy uses. Before timing, checks numpy's results
against a float64 product on small cases and exits with status 2 (naming the case) if they are wrong.
"""
import argparse
import os
import sys
import time

import numpy as np


def openblas_lib():
    """The OpenBLAS shared library mapped into this process (numpy loaded it), or None."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if os.path.basename(path).startswith("libopenblas") and path.startswith("/"):
                    return path
    except OSError:
        pass
    return None


def corename():
    lib = openblas_lib()
    if lib is None:
        return "unknown"
    import ctypes
    h = ctypes.CDLL(lib)
    if not hasattr(h, "openblas_get_corename"):
        return "unknown"
    h.openblas_get_corename.restype = ctypes.c_char_p
    return h.openblas_get_corename().decode()


def describe_blas():
    try:
        import threadpoolctl
        for info in threadpoolctl.threadpool_info():
            if info.get("user_api") == "blas":
                return "%s %s, %s threads, core %s (%s)" % (
                    info.get("internal_api"), info.get("version"), info.get("num_threads"),
                    info.get("architecture"), info.get("filepath"))
    except ImportError:
        pass
    # fallback: the OpenBLAS library mapped into this process and what it reports about itself
    lib = openblas_lib()
    if lib is None:
        return "numpy %s, no OpenBLAS loaded (numpy.show_config: see below)" % np.__version__
    import ctypes
    h = ctypes.CDLL(lib)
    h.openblas_get_config.restype = ctypes.c_char_p
    return "numpy %s, %s: core %s, %d threads, %s" % (
        np.__version__, lib, corename(), h.openblas_get_num_threads(), h.openblas_get_config().decode())


def verify_peer(matmul=np.matmul):
    """Checks a float32 matmul (numpy's unless given: compare_torch.py passes torch's) against a float64 product on small cases (a forced OPENBLAS_CORETYPE can
    select kernels that miscompute on some builds). Returns a list of failure descriptions (empty when all pass).

    Bound per element: |C32 - C64| <= 2*k*eps32 * (|A| @ |B|), twice the classic k*eps32 worst case for a float32
    dot product of length k, while a wrong kernel (a dropped or doubled term) is off by O(|a||b|)."""
    rng = np.random.default_rng(1)
    eps = float(np.finfo(np.float32).eps)
    failures = []
    # odd edges, a transposed B, and sizes big enough for OpenBLAS's threaded, blocked path
    for m, n, k, nt in [(7, 33, 65, False), (67, 45, 129, True), (81, 160, 1536, False), (257, 320, 288, False),
                        (300, 257, 513, True)]:
        A = rng.standard_normal((m, k), dtype=np.float32)
        B = rng.standard_normal((n, k) if nt else (k, n), dtype=np.float32)
        Bop = B.T if nt else B
        C = matmul(A, Bop)
        ref = A.astype(np.float64) @ Bop.astype(np.float64)
        bound = 2.0 * k * eps * (np.abs(A).astype(np.float64) @ np.abs(Bop).astype(np.float64)) + 1e-30
        excess = np.abs(C - ref) / bound
        if not np.all(excess <= 1.0):
            i = np.unravel_index(np.argmax(excess), excess.shape)
            failures.append("%dx%dx%d%s: C%s = %r, float64 %r, bound %.3g" % (
                m, n, k, ":nt" if nt else "", [int(x) for x in i], float(C[i]), float(ref[i]), float(bound[i])))
    return failures


def main():
    p = argparse.ArgumentParser()
    p.add_argument("shapes", nargs="*", default=["512x512x512", "1024x1024x1024", "2048x2048x2048",
                                                 "81x1536x1536", "81x6144x1536", "648x1536x1536"])
    p.add_argument("--samples", type=int, default=7)
    p.add_argument("--min-ms", type=float, default=200)
    p.add_argument("--corename", action="store_true", help="print the OpenBLAS core name and exit")
    a = p.parse_args()
    if a.corename:
        print(corename())
        return
    print("numpy: " + describe_blas(), file=sys.stderr)
    failures = verify_peer()
    if failures:
        print("compare_gemm.py: numpy's sgemm (OpenBLAS core %s) gives wrong results, so its timings are no "
              "valid peer:\n  %s" % (corename(), "\n  ".join(failures)), file=sys.stderr)
        sys.exit(2)
    print("numpy: results match a float64 product on 5 small cases", file=sys.stderr)
    rng = np.random.default_rng(0)
    if openblas_lib() is None:
        np.show_config()
    for spec in a.shapes:
        nt = spec.endswith(":nt")
        m, n, k = (int(x) for x in spec.replace(":nt", "").split("x"))
        A = rng.standard_normal((m, k), dtype=np.float32)
        B = rng.standard_normal((n, k) if nt else (k, n), dtype=np.float32)
        Bop = B.T if nt else B
        C = np.empty((m, n), dtype=np.float32)
        call = lambda: np.matmul(A, Bop, out=C)
        t0 = time.perf_counter()
        warm = 0
        while warm < 20 or time.perf_counter() - t0 < 1.5:
            call()
            warm += 1
        per = (time.perf_counter() - t0) / warm
        reps = max(1, int(-(-a.min_ms / 1e3 // per)))
        sec = []
        for _ in range(a.samples):
            st = time.perf_counter()
            for _ in range(reps):
                call()
            sec.append((time.perf_counter() - st) / reps)
        sec.sort()
        med = sec[len(sec) // 2]
        print("%s\t%.1f\t%.6f" % (spec, 2.0 * m * n * k / med / 1e9, med), flush=True)


if __name__ == "__main__":
    main()
