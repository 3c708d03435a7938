// elementwise.cu: binary ops with broadcasting, tensor-scalar ops, fill, in-place accumulate, bias add.
//
// Launch shape (all kernels here): 1-D grid-stride, blockDim 256, gridDim = min(ceil(n/256), 65535*4)
// (LaunchGeometry.elementwise). One thread per output element, outputs contiguous; inputs are any
// strided/broadcast view described by a StridedMap already broadcast to the output shape.
// CPU references: ReferenceBackend.binary, .scalar, .fill, .addInPlace (bias add = binary ADD with a
// [N] operand broadcast over rows).
#include "common.cuh"

// Ops.Binary ordinals
#define BIN_ADD 0
#define BIN_SUB 1
#define BIN_MUL 2
#define BIN_DIV 3
#define BIN_MAX 4
#define BIN_MIN 5

// Ops.Scalar ordinals
#define SC_ADD 0
#define SC_SUB 1
#define SC_MUL 2
#define SC_DIV 3
#define SC_RSUB 4
#define SC_RDIV 5
#define SC_POW 6
#define SC_MAX 7
#define SC_MIN 8

__device__ __forceinline__ float nan_min(float a, float b) {
    return (a != a || b != b) ? __int_as_float(0x7fc00000) : fminf(a, b);
}

__device__ __forceinline__ float apply_binary(int op, float x, float y) {
    switch (op) {
        case BIN_ADD: return x + y;
        case BIN_SUB: return x - y;
        case BIN_MUL: return x * y;
        case BIN_DIV: return x / y;
        case BIN_MAX: return nan_max(x, y);
        default: return nan_min(x, y);
    }
}

__device__ __forceinline__ float apply_scalar(int op, float x, float s) {
    switch (op) {
        case SC_ADD: return x + s;
        case SC_SUB: return x - s;
        case SC_MUL: return x * s;
        case SC_DIV: return x / s;
        case SC_RSUB: return s - x;
        case SC_RDIV: return s / x;
        case SC_POW: return (float) pow((double) x, (double) s);   // as Java's Math.pow then a float cast
        case SC_MAX: return x != x ? x : nan_max(x, s);
        default: return x != x ? x : nan_min(x, s);
    }
}

// out[i] = a[map_a(i)] op b[map_b(i)], out contiguous F32 of n elements.
extern "C" __global__ void dust_binary_f32(int op, const float* __restrict__ a, StridedMap ma,
                                           const float* __restrict__ b, StridedMap mb,
                                           float* __restrict__ out, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) {
        out[i] = apply_binary(op, a[map_offset(ma, i)], b[map_offset(mb, i)]);
    }
}

// Contiguous fast path: both operands dense with the output's shape.
extern "C" __global__ void dust_binary_contig_f32(int op, const float* __restrict__ a, const float* __restrict__ b,
                                                  float* __restrict__ out, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) out[i] = apply_binary(op, a[i], b[i]);
}

extern "C" __global__ void dust_scalar_f32(int op, const float* __restrict__ x, StridedMap mx, float s,
                                           float* __restrict__ out, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) out[i] = apply_scalar(op, x[map_offset(mx, i)], s);
}

// Writes value into every element of a strided view of any dtype.
extern "C" __global__ void dust_fill(void* dst, int dtype, StridedMap md, float value, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) store_any(dst, dtype, map_offset(md, i), value);
}

// dst[i] += src[map(i)], dst contiguous F32 (gradient accumulation).
extern "C" __global__ void dust_add_inplace_f32(float* __restrict__ dst, const float* __restrict__ src, StridedMap ms,
                                                long long n) {
    for (long long i = gtid(); i < n; i += gstride()) dst[i] += src[map_offset(ms, i)];
}

// y[r, c] += bias[c] in place over a dense [rows, cols] matrix (F32 or BF16 storage, F32 add).
extern "C" __global__ void dust_bias_add_f32(float* __restrict__ y, const float* __restrict__ bias, long long rows, int cols) {
    long long n = rows * cols;
    for (long long i = gtid(); i < n; i += gstride()) y[i] += bias[i % cols];
}

extern "C" __global__ void dust_bias_add_bf16(bf16* __restrict__ y, const bf16* __restrict__ bias, long long rows, int cols) {
    long long n = rows * cols;
    for (long long i = gtid(); i < n; i += gstride()) {
        y[i] = from_f<bf16>(to_f(y[i]) + to_f(bias[i % cols]));
    }
}
