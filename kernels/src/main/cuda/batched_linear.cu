// batched_linear.cu: per-embodiment ("category-specific") linear layer, forward and backward.
//
//   y[b, t, :] = x[b, t, :] @ W[id[b]] + bias[id[b]]       x [B,T,in], W [C,in,out], bias [C,out], id [B] (I32)
//   dx[b] = dy[b] @ W[id[b]]^T;  dW[c] = sum_{b: id[b]=c} x[b]^T @ dy[b];  dbias[c] = sum_{b: id[b]=c, t} dy[b,t]
// Launch shapes (64x64 tiles of gemm_tile.cuh, block (16, 16)):
//   dust_cat_linear_fwd_*:    grid (ceil(out/64), ceil(T/64), B)
//   dust_cat_linear_bwd_dx_*: grid (ceil(in/64),  ceil(T/64), B)
//   dust_cat_linear_bwd_dw_*: grid (ceil(out/64), ceil(in/64), C); each block loops over the samples with
//                             id == c, so every dW element has one writer (deterministic, no atomics).
//   dust_cat_linear_bwd_db_*: 1-D grid over C*out columns, blockDim 256, loops over (b, t).
// ids are range-checked on the host (0 <= id < C). F32 and BF16 storage (dW, dbias always F32).
// CPU reference: FusedReference.categoryLinear / categoryLinearBackward (tested against ReferenceBackend.gemm).
#include "gemm_tile.cuh"

template <typename T>
__device__ void cat_fwd(const T* x, const T* W, const T* bias, const int* ids, T* y, int Tn, int in, int out) {
    __shared__ TileSmem sm;
    float acc[4][4] = {};
    long long b = blockIdx.z;
    long long c = ids[b];
    int m0 = blockIdx.y * GT_M, n0 = blockIdx.x * GT_N;
    tile_accumulate<T>(acc, sm, Tn, out, in, m0, n0, x + b * Tn * in, in, 1, W + c * in * out, out, 1);
    tile_store<T, T>(acc, Tn, out, m0, n0, 1.f, 0.f, y + b * Tn * out, out, 1, bias ? bias + c * out : nullptr);
}

template <typename T>
__device__ void cat_bwd_dx(const T* dy, const T* W, const int* ids, T* dx, int Tn, int in, int out) {
    __shared__ TileSmem sm;
    float acc[4][4] = {};
    long long b = blockIdx.z;
    long long c = ids[b];
    int m0 = blockIdx.y * GT_M, n0 = blockIdx.x * GT_N;
    // B operand = W[c]^T: element (k = o, n = i) at W[c][i][o]
    tile_accumulate<T>(acc, sm, Tn, in, out, m0, n0, dy + b * Tn * out, out, 1, W + c * in * out, 1, out);
    tile_store<T, T>(acc, Tn, in, m0, n0, 1.f, 0.f, dx + b * Tn * in, in, 1, (const T*) nullptr);
}

template <typename T>
__device__ void cat_bwd_dw(const T* x, const T* dy, const int* ids, float* dW, int B, int Tn, int in, int out) {
    __shared__ TileSmem sm;
    float acc[4][4] = {};
    int c = blockIdx.z;
    int m0 = blockIdx.y * GT_M, n0 = blockIdx.x * GT_N;
    for (int b = 0; b < B; b++) {
        if (ids[b] != c) continue;   // uniform across the block
        // A = x[b]^T: element (m = i, k = t) at x[b][t][i]; B = dy[b]: (k = t, n = o)
        tile_accumulate<T>(acc, sm, in, out, Tn, m0, n0, x + (long long) b * Tn * in, 1, in,
                           dy + (long long) b * Tn * out, out, 1);
    }
    tile_store<float, float>(acc, in, out, m0, n0, 1.f, 0.f, dW + (long long) c * in * out, out, 1, nullptr);
}

template <typename T>
__device__ void cat_bwd_db(const T* dy, const int* ids, float* db, int B, int Tn, int out, int C) {
    long long total = (long long) C * out;
    for (long long e = gtid(); e < total; e += gstride()) {
        int c = (int) (e / out), o = (int) (e - (long long) c * out);
        float acc = 0.f;
        for (int b = 0; b < B; b++) {
            if (ids[b] != c) continue;
            for (int t = 0; t < Tn; t++) acc += to_f(dy[((long long) b * Tn + t) * out + o]);
        }
        db[e] = acc;
    }
}

#define CAT_ENTRIES(TN, T)                                                                                           \
    extern "C" __global__ void __launch_bounds__(256) dust_cat_linear_fwd_##TN(                                     \
        const T* x, const T* W, const T* bias, const int* ids, T* y, int Tn, int in, int out) {                     \
        cat_fwd<T>(x, W, bias, ids, y, Tn, in, out);                                                                 \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(256) dust_cat_linear_bwd_dx_##TN(                                  \
        const T* dy, const T* W, const int* ids, T* dx, int Tn, int in, int out) {                                  \
        cat_bwd_dx<T>(dy, W, ids, dx, Tn, in, out);                                                                  \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(256) dust_cat_linear_bwd_dw_##TN(                                  \
        const T* x, const T* dy, const int* ids, float* dW, int B, int Tn, int in, int out) {                       \
        cat_bwd_dw<T>(x, dy, ids, dW, B, Tn, in, out);                                                               \
    }                                                                                                                \
    extern "C" __global__ void dust_cat_linear_bwd_db_##TN(const T* dy, const int* ids, float* db, int B, int Tn,   \
                                                           int out, int C) {                                         \
        cat_bwd_db<T>(dy, ids, db, B, Tn, out, C);                                                                   \
    }

CAT_ENTRIES(f32, float)
CAT_ENTRIES(bf16, bf16)
