// norm.cu: LayerNorm and RMSNorm over the last axis, forward and backward.
//
// Launch shapes:
//   dust_layernorm_fwd_*, dust_rmsnorm_fwd_*, dust_norm_bwd_dx_*: one block of 256 threads per row,
//     grid = rows, dynamic smem = d floats (forward) / 2*d floats (backward): LaunchGeometry.rows / normSmem.
//   dust_norm_bwd_params_*: block (32, 8), grid (ceil(d/32), groups) writing [groups, d] partial sums
//     of dy*xhat and dy; the host then sums the groups with dust_colsum_f32 (reduce.cu). Deterministic.
// Rows are dense (row stride d). F32 and BF16 storage; statistics, mean and rstd in F32.
// CPU references: ReferenceBackend.layerNorm, .layerNormBackward, .rmsNorm, .rmsNormBackward.
#include "norm_common.cuh"

template <typename T>
__device__ void layernorm_fwd(const T* x, const T* w, const T* b, T* y, float* mean_out, float* rstd_out, int d,
                              float eps, bool rms) {
    extern __shared__ float buf[];
    long long base = (long long) blockIdx.x * d;
    float mean, rstd;
    row_stats<T>(x + base, buf, d, eps, rms, mean, rstd);
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float v = (buf[i] - mean) * rstd;
        if (w) v *= to_f(w[i]);
        if (b) v += to_f(b[i]);
        y[base + i] = from_f<T>(v);
    }
    if (threadIdx.x == 0) {
        if (mean_out) mean_out[blockIdx.x] = mean;
        rstd_out[blockIdx.x] = rstd;
    }
}

extern "C" __global__ void dust_layernorm_fwd_f32(const float* x, const float* w, const float* b, float* y, float* mean,
                                                  float* rstd, int d, float eps) {
    layernorm_fwd<float>(x, w, b, y, mean, rstd, d, eps, false);
}
extern "C" __global__ void dust_layernorm_fwd_bf16(const bf16* x, const bf16* w, const bf16* b, bf16* y, float* mean,
                                                   float* rstd, int d, float eps) {
    layernorm_fwd<bf16>(x, w, b, y, mean, rstd, d, eps, false);
}
extern "C" __global__ void dust_rmsnorm_fwd_f32(const float* x, const float* w, float* y, float* rstd, int d, float eps) {
    layernorm_fwd<float>(x, w, nullptr, y, nullptr, rstd, d, eps, true);
}
extern "C" __global__ void dust_rmsnorm_fwd_bf16(const bf16* x, const bf16* w, bf16* y, float* rstd, int d, float eps) {
    layernorm_fwd<bf16>(x, w, nullptr, y, nullptr, rstd, d, eps, true);
}

// dx for LayerNorm (mean non-null) or RMSNorm (mean null); w optional.
template <typename T>
__device__ void norm_bwd_dx(const T* x, const T* w, const float* mean, const float* rstd, const T* dy, T* dx, int d) {
    extern __shared__ float buf[];
    long long base = (long long) blockIdx.x * d;
    float mu = mean ? mean[blockIdx.x] : 0.f;
    norm_dx_row<T>(x + base, dy + base, dx + base, w, nullptr, mu, rstd[blockIdx.x], d, mean == nullptr, buf);
}

extern "C" __global__ void dust_norm_bwd_dx_f32(const float* x, const float* w, const float* mean, const float* rstd,
                                                const float* dy, float* dx, int d) {
    norm_bwd_dx<float>(x, w, mean, rstd, dy, dx, d);
}
extern "C" __global__ void dust_norm_bwd_dx_bf16(const bf16* x, const bf16* w, const float* mean, const float* rstd,
                                                 const bf16* dy, bf16* dx, int d) {
    norm_bwd_dx<bf16>(x, w, mean, rstd, dy, dx, d);
}

extern "C" __global__ void dust_norm_bwd_params_f32(const float* x, const float* mean, const float* rstd, const float* dy,
                                                    float* dw_partial, float* db_partial, int rows, int d,
                                                    int rows_per_group) {
    grouped_colsums<float>(x, mean, rstd, dy, dw_partial, db_partial, rows, d, rows_per_group);
}
extern "C" __global__ void dust_norm_bwd_params_bf16(const bf16* x, const float* mean, const float* rstd, const bf16* dy,
                                                     float* dw_partial, float* db_partial, int rows, int d,
                                                     int rows_per_group) {
    grouped_colsums<bf16>(x, mean, rstd, dy, dw_partial, db_partial, rows, d, rows_per_group);
}
