// adaln.cu: AdaLN and AdaLN-Zero, fused with LayerNorm (no affine), forward and backward.
//
//   y[r, :] = LN(x[r, :], eps) * (1 + scale[g, :]) + shift[g, :],  g = r / tokens (one modulation row per sample)
//   AdaLN-Zero gated residual: x[r, :] += gate[g, :] * h[r, :]
// scale / shift / gate rows have a row stride ld_mod (they are usually column chunks of one [B, k*D]
// linear output, so no copy is needed).
// Launch shapes:
//   dust_adaln_fwd_*, dust_adaln_bwd_dx_*: one block of 256 threads per row, grid = rows,
//     dynamic smem d floats (fwd) / 2*d floats (bwd).
//   dust_adaln_bwd_mod_*: block (32, 8), grid (ceil(d/32), rows/tokens): dscale[g] = sum_t dy*xhat,
//     dshift[g] = sum_t dy over the sample's tokens (deterministic, no atomics).
//   dust_gated_residual_fwd_*, dust_gated_residual_bwd_dh_*: 1-D grid-stride, blockDim 256.
//   dust_gated_residual_bwd_gate_*: block (32, 8), grid (ceil(d/32), groups): dgate[g] = sum_t dout*h.
// F32 and BF16 storage; statistics in F32.
// CPU references: FusedReference.adaLn / adaLnBackward / gatedResidual / gatedResidualBackward, which are
// themselves tested against compositions of ReferenceBackend.layerNorm, .layerNormBackward, .binary and .sumTo.
#include "norm_common.cuh"

template <typename T>
__device__ void adaln_fwd(const T* x, const T* scale, const T* shift, long long ld_mod, int tokens, T* y,
                          float* mean_out, float* rstd_out, int d, float eps) {
    extern __shared__ float buf[];
    long long base = (long long) blockIdx.x * d;
    long long g = blockIdx.x / tokens;
    const T* sc = scale + g * ld_mod;
    const T* sh = shift + g * ld_mod;
    float mean, rstd;
    row_stats<T>(x + base, buf, d, eps, false, mean, rstd);
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float v = (buf[i] - mean) * rstd;
        y[base + i] = from_f<T>(v * (1.f + to_f(sc[i])) + to_f(sh[i]));
    }
    if (threadIdx.x == 0) {
        mean_out[blockIdx.x] = mean;
        rstd_out[blockIdx.x] = rstd;
    }
}

extern "C" __global__ void dust_adaln_fwd_f32(const float* x, const float* scale, const float* shift, long long ld_mod,
                                              int tokens, float* y, float* mean, float* rstd, int d, float eps) {
    adaln_fwd<float>(x, scale, shift, ld_mod, tokens, y, mean, rstd, d, eps);
}
extern "C" __global__ void dust_adaln_fwd_bf16(const bf16* x, const bf16* scale, const bf16* shift, long long ld_mod,
                                               int tokens, bf16* y, float* mean, float* rstd, int d, float eps) {
    adaln_fwd<bf16>(x, scale, shift, ld_mod, tokens, y, mean, rstd, d, eps);
}

template <typename T>
__device__ void adaln_bwd_dx(const T* x, const T* scale, long long ld_mod, int tokens, const float* mean,
                             const float* rstd, const T* dy, T* dx, int d) {
    extern __shared__ float buf[];
    long long base = (long long) blockIdx.x * d;
    const T* sc = scale + (long long) (blockIdx.x / tokens) * ld_mod;
    norm_dx_row<T>(x + base, dy + base, dx + base, nullptr, sc, mean[blockIdx.x], rstd[blockIdx.x], d, false, buf);
}

extern "C" __global__ void dust_adaln_bwd_dx_f32(const float* x, const float* scale, long long ld_mod, int tokens,
                                                 const float* mean, const float* rstd, const float* dy, float* dx, int d) {
    adaln_bwd_dx<float>(x, scale, ld_mod, tokens, mean, rstd, dy, dx, d);
}
extern "C" __global__ void dust_adaln_bwd_dx_bf16(const bf16* x, const bf16* scale, long long ld_mod, int tokens,
                                                  const float* mean, const float* rstd, const bf16* dy, bf16* dx, int d) {
    adaln_bwd_dx<bf16>(x, scale, ld_mod, tokens, mean, rstd, dy, dx, d);
}

// dscale, dshift: [groups, d] dense F32.
extern "C" __global__ void dust_adaln_bwd_mod_f32(const float* x, const float* mean, const float* rstd, const float* dy,
                                                  float* dscale, float* dshift, int rows, int d, int tokens) {
    grouped_colsums<float>(x, mean, rstd, dy, dscale, dshift, rows, d, tokens);
}
extern "C" __global__ void dust_adaln_bwd_mod_bf16(const bf16* x, const float* mean, const float* rstd, const bf16* dy,
                                                   float* dscale, float* dshift, int rows, int d, int tokens) {
    grouped_colsums<bf16>(x, mean, rstd, dy, dscale, dshift, rows, d, tokens);
}

template <typename T>
__device__ void gated_fwd(T* x, const T* h, const T* gate, long long ld_mod, int tokens, int d, long long rows) {
    long long n = rows * d;
    for (long long i = gtid(); i < n; i += gstride()) {
        long long r = i / d;
        int c = (int) (i - r * d);
        float gt = to_f(gate[(r / tokens) * ld_mod + c]);
        x[i] = from_f<T>(to_f(x[i]) + gt * to_f(h[i]));
    }
}

template <typename T>
__device__ void gated_bwd_dh(const T* dout, const T* gate, long long ld_mod, int tokens, T* dh, int d, long long rows) {
    long long n = rows * d;
    for (long long i = gtid(); i < n; i += gstride()) {
        long long r = i / d;
        int c = (int) (i - r * d);
        dh[i] = from_f<T>(to_f(gate[(r / tokens) * ld_mod + c]) * to_f(dout[i]));
    }
}

extern "C" __global__ void dust_gated_residual_fwd_f32(float* x, const float* h, const float* gate, long long ld_mod,
                                                       int tokens, int d, long long rows) {
    gated_fwd<float>(x, h, gate, ld_mod, tokens, d, rows);
}
extern "C" __global__ void dust_gated_residual_fwd_bf16(bf16* x, const bf16* h, const bf16* gate, long long ld_mod,
                                                        int tokens, int d, long long rows) {
    gated_fwd<bf16>(x, h, gate, ld_mod, tokens, d, rows);
}
extern "C" __global__ void dust_gated_residual_bwd_dh_f32(const float* dout, const float* gate, long long ld_mod, int tokens,
                                                          float* dh, int d, long long rows) {
    gated_bwd_dh<float>(dout, gate, ld_mod, tokens, dh, d, rows);
}
extern "C" __global__ void dust_gated_residual_bwd_dh_bf16(const bf16* dout, const bf16* gate, long long ld_mod, int tokens,
                                                           bf16* dh, int d, long long rows) {
    gated_bwd_dh<bf16>(dout, gate, ld_mod, tokens, dh, d, rows);
}
// dgate[g, c] = sum over the group's rows of dout * h (x = h, no statistics).
extern "C" __global__ void dust_gated_residual_bwd_gate_f32(const float* h, const float* dout, float* dgate, int rows, int d,
                                                            int tokens) {
    grouped_colsums<float>(h, nullptr, nullptr, dout, dgate, nullptr, rows, d, tokens);
}
extern "C" __global__ void dust_gated_residual_bwd_gate_bf16(const bf16* h, const bf16* dout, float* dgate, int rows, int d,
                                                             int tokens) {
    grouped_colsums<bf16>(h, nullptr, nullptr, dout, dgate, nullptr, rows, d, tokens);
}
