// activation.cu: unary element-wise ops (GELU-tanh, SiLU, ReLU and the rest of Ops.Unary), forward and
// backward (gradOut * f'(x)).
//
// Launch shape: 1-D grid-stride, blockDim 256, gridDim = min(ceil(n/256), 65535*4) (LaunchGeometry.elementwise).
// Input is any strided view (StridedMap) for F32; the BF16 variants take dense storage. Math in F32.
// CPU references: ReferenceBackend.unary and ReferenceBackend.unaryBackward (which compute in double and
// round once; the F32 math here differs by a few ulp, see CudaKernelsGpuTest tolerances).
#include "common.cuh"

// Ops.Unary ordinals
#define U_NEG 0
#define U_ABS 1
#define U_SQUARE 2
#define U_EXP 3
#define U_LOG 4
#define U_SQRT 5
#define U_RSQRT 6
#define U_RECIPROCAL 7
#define U_TANH 8
#define U_SIGMOID 9
#define U_SILU 10
#define U_RELU 11
#define U_GELU_TANH 12

#define SQRT_2_OVER_PI 0.7978845608028654f
#define GELU_C 0.044715f

__device__ __forceinline__ float sigmoidf_(float x) { return 1.f / (1.f + expf(-x)); }

__device__ __forceinline__ float apply_unary(int op, float x) {
    switch (op) {
        case U_NEG: return -x;
        case U_ABS: return fabsf(x);
        case U_SQUARE: return x * x;
        case U_EXP: return expf(x);
        case U_LOG: return logf(x);
        case U_SQRT: return sqrtf(x);
        case U_RSQRT: return 1.f / sqrtf(x);
        case U_RECIPROCAL: return 1.f / x;
        case U_TANH: return tanhf(x);
        case U_SIGMOID: return sigmoidf_(x);
        case U_SILU: return x * sigmoidf_(x);
        case U_RELU: return x < 0.f ? 0.f : x;  // as PyTorch and ReferenceBackend: NaN and -0.0 pass through
        default: return 0.5f * x * (1.f + tanhf(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)));
    }
}

__device__ __forceinline__ float unary_derivative(int op, float x) {
    switch (op) {
        case U_NEG: return -1.f;
        case U_ABS: return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
        case U_SQUARE: return 2.f * x;
        case U_EXP: return expf(x);
        case U_LOG: return 1.f / x;
        case U_SQRT: return 0.5f / sqrtf(x);
        case U_RSQRT: return -0.5f / (x * sqrtf(x));
        case U_RECIPROCAL: return -1.f / (x * x);
        case U_TANH: { float t = tanhf(x); return 1.f - t * t; }
        case U_SIGMOID: { float s = sigmoidf_(x); return s * (1.f - s); }
        case U_SILU: { float s = sigmoidf_(x); return s * (1.f + x * (1.f - s)); }
        case U_RELU: return x <= 0.f ? 0.f : 1.f;  // threshold_backward: the gradient passes where x is NaN
        default: {
            float u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
            float t = tanhf(u);
            return 0.5f * (1.f + t) + 0.5f * x * (1.f - t * t) * SQRT_2_OVER_PI * (1.f + 3.f * GELU_C * x * x);
        }
    }
}

extern "C" __global__ void dust_unary_f32(int op, const float* __restrict__ x, StridedMap mx, float* __restrict__ out,
                                          long long n) {
    for (long long i = gtid(); i < n; i += gstride()) out[i] = apply_unary(op, x[map_offset(mx, i)]);
}

extern "C" __global__ void dust_unary_bwd_f32(int op, const float* __restrict__ x, StridedMap mx,
                                              const float* __restrict__ g, StridedMap mg,
                                              float* __restrict__ dx, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) {
        dx[i] = g[map_offset(mg, i)] * unary_derivative(op, x[map_offset(mx, i)]);
    }
}

extern "C" __global__ void dust_unary_bf16(int op, const bf16* __restrict__ x, bf16* __restrict__ out, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) out[i] = from_f<bf16>(apply_unary(op, to_f(x[i])));
}

extern "C" __global__ void dust_unary_bwd_bf16(int op, const bf16* __restrict__ x, const bf16* __restrict__ g,
                                               bf16* __restrict__ dx, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) {
        dx[i] = from_f<bf16>(to_f(g[i]) * unary_derivative(op, to_f(x[i])));
    }
}
