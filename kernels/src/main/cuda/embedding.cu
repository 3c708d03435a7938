// embedding.cu: row gather (embedding lookup) and its gradient, scatter-add of rows.
//
// Indices are I32 on the device (the host converts I64 after checking the range; a device-side check also
// raises err[0] = 1 and skips the row, so a bad index can never read or write out of bounds).
// Launch shape: 1-D grid-stride over n_idx * d elements, blockDim 256 (LaunchGeometry.elementwise).
// Scatter-add uses float atomicAdd: the order of additions into one row is not fixed, so sums of repeated
// indices may differ in the last bits from run to run (tolerance in the GPU test, documented in docs/cuda.md).
// CPU references: ReferenceBackend.embedding and ReferenceBackend.scatterAddRows.
#include "common.cuh"

template <typename T>
__device__ void gather(const T* __restrict__ table, const int* __restrict__ idx, T* __restrict__ out, long long n_idx, int d,
                       int rows, int* err) {
    long long n = n_idx * d;
    for (long long e = gtid(); e < n; e += gstride()) {
        long long i = e / d;
        int c = (int) (e - i * d);
        int r = idx[i];
        if (r < 0 || r >= rows) {
            *err = 1;
            out[e] = from_f<T>(0.f);
        } else {
            out[e] = table[(long long) r * d + c];
        }
    }
}

extern "C" __global__ void dust_embedding_f32(const float* table, const int* idx, float* out, long long n_idx, int d, int rows,
                                              int* err) {
    gather<float>(table, idx, out, n_idx, d, rows, err);
}
extern "C" __global__ void dust_embedding_bf16(const bf16* table, const int* idx, bf16* out, long long n_idx, int d, int rows,
                                               int* err) {
    gather<bf16>(table, idx, out, n_idx, d, rows, err);
}

// out [rows, d] must be zeroed first; out[idx[i], c] += src[i, c].
extern "C" __global__ void dust_scatter_add_rows_f32(const float* __restrict__ src, const int* __restrict__ idx,
                                                     float* __restrict__ out, long long n_idx, int d, int rows, int* err) {
    long long n = n_idx * d;
    for (long long e = gtid(); e < n; e += gstride()) {
        long long i = e / d;
        int c = (int) (e - i * d);
        int r = idx[i];
        if (r < 0 || r >= rows) *err = 1;
        else atomicAdd(out + (long long) r * d + c, src[e]);
    }
}
