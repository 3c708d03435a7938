// reduce.cu: sum / mean / max over one axis, column sums, and whole-tensor sum / sum of squares.
//
// The input is dense and viewed as [outer, n, inner] around the reduced axis (the host makes a strided
// input dense first).
//   dust_reduce_rows_f32   inner == 1: one block (256 threads) per output row, grid = outer.
//   dust_reduce_cols_f32   inner > 1: one thread per output element (outer*inner), loops over n in order;
//                          1-D grid-stride, blockDim 256 (coalesced along inner).
//   dust_colsum_f32        [rows, cols] -> [cols]: one thread per column, 1-D grid over cols, blockDim 256.
//   dust_sum_partial_f32   grid-stride with a FIXED grid (LaunchGeometry.SUM_BLOCKS blocks of 256), double
//                          accumulation, one partial per block; dust_sum_finish_f64 reduces the partials in
//                          one 256-thread block. Deterministic (fixed order) for a fixed grid.
// CPU references: ReferenceBackend.reduce, .sumTo (composed on the host), .sumAll, .sumSquares.
#include "common.cuh"

// Ops.Reduce ordinals
#define R_SUM 0
#define R_MEAN 1
#define R_MAX 2

extern "C" __global__ void dust_reduce_rows_f32(int op, const float* __restrict__ x, float* __restrict__ out, int n) {
    __shared__ float scratch[32];
    const float* row = x + (long long) blockIdx.x * n;
    float acc = op == R_MAX ? -INFINITY : 0.f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        acc = op == R_MAX ? nan_max(acc, row[i]) : acc + row[i];
    }
    float r = op == R_MAX ? block_max(acc, scratch) : block_sum(acc, scratch);
    if (threadIdx.x == 0) out[blockIdx.x] = op == R_MEAN ? r / (float) n : r;
}

extern "C" __global__ void dust_reduce_cols_f32(int op, const float* __restrict__ x, float* __restrict__ out,
                                                long long outer, int n, long long inner) {
    long long total = outer * inner;
    for (long long t = gtid(); t < total; t += gstride()) {
        long long o = t / inner, in = t - o * inner;
        const float* p = x + o * n * inner + in;
        float acc = op == R_MAX ? -INFINITY : 0.f;
        for (int i = 0; i < n; i++) {
            float e = p[(long long) i * inner];
            acc = op == R_MAX ? nan_max(acc, e) : acc + e;
        }
        out[t] = op == R_MEAN ? acc / (float) n : acc;
    }
}

extern "C" __global__ void dust_colsum_f32(const float* __restrict__ x, float* __restrict__ out, int rows, int cols) {
    for (long long c = gtid(); c < cols; c += gstride()) {
        float acc = 0.f;
        for (int r = 0; r < rows; r++) acc += x[(long long) r * cols + c];
        out[c] = acc;
    }
}

// partials[blockIdx.x] = sum over this block's grid-stride share of x (or x^2 when square != 0), in double.
extern "C" __global__ void dust_sum_partial_f32(const float* __restrict__ x, long long n, int square,
                                                double* __restrict__ partials) {
    __shared__ double scratch[32];
    double acc = 0.0;
    for (long long i = gtid(); i < n; i += gstride()) {
        double v = x[i];
        acc += square ? v * v : v;
    }
    double r = block_sum_d(acc, scratch);
    if (threadIdx.x == 0) partials[blockIdx.x] = r;
}

extern "C" __global__ void dust_sum_finish_f64(const double* __restrict__ partials, int count, double* __restrict__ out) {
    __shared__ double scratch[32];
    double acc = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
    double r = block_sum_d(acc, scratch);
    if (threadIdx.x == 0) out[0] = r;
}
