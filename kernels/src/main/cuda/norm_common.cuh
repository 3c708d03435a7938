// norm_common.cuh: row statistics and grouped column reductions shared by norm.cu and adaln.cu.
#pragma once
#include "common.cuh"

// Loads row (d values) into smem buf as float and returns its mean and 1/sqrt(var + eps) in every thread
// (two passes over smem: mean first, then the centred sum of squares). rms: mean is 0 and var = mean(x^2).
template <typename T>
__device__ __forceinline__ void row_stats(const T* __restrict__ row, float* buf, int d, float eps, bool rms,
                                          float& mean, float& rstd) {
    __shared__ float scratch[32];
    float s = 0.f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float v = to_f(row[i]);
        buf[i] = v;
        s += v;
    }
    mean = rms ? 0.f : block_sum(s, scratch) / (float) d;
    float ss = 0.f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float c = buf[i] - mean;
        ss += c * c;
    }
    float var = block_sum(ss, scratch) / (float) d;
    rstd = 1.f / sqrtf(var + eps);
}

// dx of a normalisation with a per-column weight w: w_param[i], or 1 + mod_scale[i] (AdaLN), or 1 when both are null:
// dx = rstd * (dy*w - mean(dy*w) - xhat * mean(dy*w*xhat)); the rms form drops the mean(dy*w) term.
// One block per row; buf is smem of 2*d floats.
template <typename T>
__device__ __forceinline__ void norm_dx_row(const T* __restrict__ x, const T* __restrict__ dy, T* __restrict__ dx,
                                            const T* __restrict__ w_param, const T* __restrict__ mod_scale,
                                            float mean, float rstd,
                                            int d, bool rms, float* buf) {
    __shared__ float scratch[32];
    float* xh = buf;
    float* g = buf + d;
    float s1 = 0.f, s2 = 0.f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float xhat = (to_f(x[i]) - mean) * rstd;
        float w = 1.f;
        if (w_param) w = to_f(w_param[i]);
        if (mod_scale) w = 1.f + to_f(mod_scale[i]);
        float gy = to_f(dy[i]) * w;
        xh[i] = xhat;
        g[i] = gy;
        s1 += gy;
        s2 += gy * xhat;
    }
    float mean_g = rms ? 0.f : block_sum(s1, scratch) / (float) d;
    float mean_gx = block_sum(s2, scratch) / (float) d;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        dx[i] = from_f<T>(rstd * (g[i] - mean_g - xh[i] * mean_gx));
    }
}

// Grouped column sums for parameter gradients: for group gidx = blockIdx.y (rows [gidx*rpg, min(rows,(gidx+1)*rpg))),
// column c = blockIdx.x*32 + threadIdx.x:
//   out_a[gidx, c] = sum_r dy[r,c] * xhat[r,c]     xhat = (x - mean[r]) * rstd[r]; (x * rstd[r]) when mean is null;
//                                                   x itself when rstd is null
//   out_b[gidx, c] = sum_r dy[r,c]                  (skipped when out_b is null)
// Block (32, 8): the 8 thread rows stride over the group's rows, then a fixed-order smem reduction.
template <typename T>
__device__ __forceinline__ void grouped_colsums(const T* __restrict__ x, const float* __restrict__ mean,
                                                const float* __restrict__ rstd, const T* __restrict__ dy,
                                                float* __restrict__ out_a, float* __restrict__ out_b,
                                                int rows, int d, int rows_per_group) {
    __shared__ float sa[8][33];
    __shared__ float sb[8][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    int r0 = blockIdx.y * rows_per_group;
    int r1 = min(rows, r0 + rows_per_group);
    float a = 0.f, b = 0.f;
    if (c < d) {
        for (int r = r0 + threadIdx.y; r < r1; r += blockDim.y) {
            long long p = (long long) r * d + c;
            float xv = to_f(x[p]);
            float xhat = rstd ? (mean ? (xv - mean[r]) * rstd[r] : xv * rstd[r]) : xv;
            float g = to_f(dy[p]);
            a += g * xhat;
            b += g;
        }
    }
    sa[threadIdx.y][threadIdx.x] = a;
    sb[threadIdx.y][threadIdx.x] = b;
    __syncthreads();
    if (threadIdx.y == 0 && c < d) {
        float ta = 0.f, tb = 0.f;
        for (int k = 0; k < (int) blockDim.y; k++) { ta += sa[k][threadIdx.x]; tb += sb[k][threadIdx.x]; }
        out_a[(long long) blockIdx.y * d + c] = ta;
        if (out_b) out_b[(long long) blockIdx.y * d + c] = tb;
    }
}
