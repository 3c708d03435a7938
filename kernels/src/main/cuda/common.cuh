// common.cuh: helpers shared by every dust4j kernel file (not compiled on its own).
//
// - StridedMap: a logical row-major index -> storage offset map for up to 8 dims. Passed BY VALUE
//   as a kernel parameter; its byte layout (176 bytes, 8-byte aligned) is mirrored by the Java
//   class org.dust4j.kernels.cuda.StridedMap and checked against the PTX (PtxManifestTest, DryGpu).
//   Each dim carries a precomputed 32-bit divisor (magic, shift), so indices below 2^31 are split
//   into coordinates with a multiply-high, an add and a shift per dim instead of a 64-bit division.
// - Storage types: float and __nv_bfloat16 (BF16). Everything accumulates in float.
// - Warp/block reductions with a fixed order (deterministic for a fixed launch shape).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#define DUST_MAX_DIMS 8

typedef __nv_bfloat16 bf16;

struct StridedMap {
    int rank;                         // 0..8
    int pad_;                         // keeps offset 8-byte aligned
    long long offset;                 // element offset of logical index 0
    int shape[DUST_MAX_DIMS];         // logical sizes, outermost first
    unsigned int magic[DUST_MAX_DIMS];  // fast_div constants of shape[d] (StridedMap.magic on the host)
    unsigned int shift[DUST_MAX_DIMS];
    long long stride[DUST_MAX_DIMS];  // element strides (0 for broadcast dims)
};

// n / d for 0 <= n < 2^31 and 1 <= d < 2^31, with shift = ceil(log2 d), magic = floor(2^32 (2^shift - d) / d) + 1
// (umulhi(n, magic) < n, so the 32-bit sum cannot wrap below 2^31). Emulated and checked exhaustively on ranges
// by StridedMapTest.
__device__ __forceinline__ unsigned int fast_div(unsigned int n, unsigned int magic, unsigned int shift) {
    return (__umulhi(n, magic) + n) >> shift;
}

// Storage offset of logical (row-major) element i: 32-bit divmods below 2^31 (every index of a tensor with
// fewer than 2^31 elements; the branch is uniform across a warp but for the one warp at the boundary),
// 64-bit division above.
__device__ __forceinline__ long long map_offset(const StridedMap& m, long long i) {
    long long off = m.offset;
    if (i <= 0x7fffffffLL) {
        unsigned int u = (unsigned int) i;
        for (int d = m.rank - 1; d >= 0; --d) {
            unsigned int q = fast_div(u, m.magic[d], m.shift[d]);
            off += (long long) (u - q * (unsigned int) m.shape[d]) * m.stride[d];
            u = q;
        }
        return off;
    }
    for (int d = m.rank - 1; d >= 0; --d) {
        long long s = m.shape[d];
        long long q = i / s;
        off += (i - q * s) * m.stride[d];
        i = q;
    }
    return off;
}

// dtype codes shared with org.dust4j.kernels.cuda.KernelDType (same order as org.dust4j.tensor.DType)
#define DT_F32 0
#define DT_BF16 1
#define DT_F16 2
#define DT_I64 3
#define DT_I32 4

__device__ __forceinline__ float to_f(float v) { return v; }
__device__ __forceinline__ float to_f(bf16 v) { return __bfloat162float(v); }

template <typename T> __device__ __forceinline__ T from_f(float v);
template <> __device__ __forceinline__ float from_f<float>(float v) { return v; }

// F32 -> BF16, round to nearest even; NaN becomes a quiet NaN keeping the sign and high payload bits
// (bit-identical to org.dust4j.tensor.Half.floatToBf16).
__device__ __forceinline__ unsigned short f32_to_bf16_bits(float f) {
    unsigned int b = __float_as_uint(f);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (unsigned short) ((b >> 16) | 0x0040u);
    unsigned int rounding = 0x7fffu + ((b >> 16) & 1u);
    return (unsigned short) ((b + rounding) >> 16);
}

template <> __device__ __forceinline__ bf16 from_f<bf16>(float v) {
    return __ushort_as_bfloat16(f32_to_bf16_bits(v));
}

// Reads element p of a buffer of any dtype as float.
__device__ __forceinline__ float load_any(const void* base, int dtype, long long p) {
    switch (dtype) {
        case DT_F32: return ((const float*) base)[p];
        case DT_BF16: return __bfloat162float(((const bf16*) base)[p]);
        case DT_F16: return __half2float(((const __half*) base)[p]);
        case DT_I64: return (float) ((const long long*) base)[p];
        default: return (float) ((const int*) base)[p];
    }
}

// Writes a float into element p of a buffer of any dtype (float -> int truncates toward zero, NaN -> 0).
__device__ __forceinline__ void store_any(void* base, int dtype, long long p, float v) {
    switch (dtype) {
        case DT_F32: ((float*) base)[p] = v; break;
        case DT_BF16: ((unsigned short*) base)[p] = f32_to_bf16_bits(v); break;
        case DT_F16: ((__half*) base)[p] = __float2half_rn(v); break;
        case DT_I64: ((long long*) base)[p] = (long long) v; break;
        default: ((int*) base)[p] = (int) v; break;
    }
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ double warp_sum_d(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// max that propagates NaN (fmaxf would drop it), as the reference does
__device__ __forceinline__ float nan_max(float a, float b) {
    return (a != a || b != b) ? __int_as_float(0x7fc00000) : fmaxf(a, b);
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the whole block (blockDim.x a multiple of 32, <= 1024). Every thread gets the result.
// scratch: __shared__ float[32].
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float r = lane < nw ? scratch[lane] : 0.f;
    return warp_sum(r);
}

__device__ __forceinline__ double block_sum_d(double v, double* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_sum_d(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    double r = lane < nw ? scratch[lane] : 0.0;
    return warp_sum_d(r);
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float r = lane < nw ? scratch[lane] : -INFINITY;
    return warp_max(r);
}

// Linear thread index over a 1-D grid and the grid-stride step.
__device__ __forceinline__ long long gtid() { return (long long) blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long gstride() { return (long long) gridDim.x * blockDim.x; }
