// softmax.cu: softmax over the last axis and its backward y * (g - sum(g*y)).
//
// Launch shape: one block of 256 threads per row, grid = rows (LaunchGeometry.rows). Rows are dense
// (row stride = d). F32 and BF16 storage, F32 math. The forward uses an online max/sum per thread,
// merged across the block, then one write pass. -inf entries contribute 0 (a thread whose elements are all
// -inf contributes nothing); a row that is -inf everywhere gives NaN everywhere (exp(-inf - -inf)), as
// torch.softmax and the reference do; NaN anywhere in a row makes the row NaN.
// CPU references: ReferenceBackend.softmax and ReferenceBackend.softmaxBackward.
#include "common.cuh"

template <typename T>
__device__ void softmax_row(const T* __restrict__ x, T* __restrict__ y, int d) {
    __shared__ float scratch[32];
    const T* row = x + (long long) blockIdx.x * d;
    T* out = y + (long long) blockIdx.x * d;
    float m = -INFINITY, s = 0.f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float v = to_f(row[i]);
        if (v > m) { s = s * expf(m - v) + 1.f; m = v; }   // expf(-inf) = 0 on the first finite element
        else if (v != -INFINITY) s += expf(v - m);         // -inf adds 0 (and -inf - -inf would be NaN)
    }
    float gm = block_max(m, scratch);
    float part = s == 0.f ? 0.f : s * expf(m - gm);       // s == 0: no finite element; NaN in s stays NaN
    float total = block_sum(part, scratch);
    float inv = 1.f / total;
    for (int i = threadIdx.x; i < d; i += blockDim.x) out[i] = from_f<T>(expf(to_f(row[i]) - gm) * inv);
}

template <typename T>
__device__ void softmax_bwd_row(const T* __restrict__ y, const T* __restrict__ g, T* __restrict__ dx, int d) {
    __shared__ float scratch[32];
    long long base = (long long) blockIdx.x * d;
    float dot = 0.f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) dot += to_f(y[base + i]) * to_f(g[base + i]);
    dot = block_sum(dot, scratch);
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        dx[base + i] = from_f<T>(to_f(y[base + i]) * (to_f(g[base + i]) - dot));
    }
}

extern "C" __global__ void dust_softmax_f32(const float* x, float* y, int d) { softmax_row<float>(x, y, d); }
extern "C" __global__ void dust_softmax_bf16(const bf16* x, bf16* y, int d) { softmax_row<bf16>(x, y, d); }
extern "C" __global__ void dust_softmax_bwd_f32(const float* y, const float* g, float* dx, int d) {
    softmax_bwd_row<float>(y, g, dx, d);
}
extern "C" __global__ void dust_softmax_bwd_bf16(const bf16* y, const bf16* g, bf16* dx, int d) {
    softmax_bwd_row<bf16>(y, g, dx, d);
}
