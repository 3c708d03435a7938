// gemm_tile.cuh: a 64x64 output tile of C = alpha * A @ B (+ beta * C) with arbitrary element strides,
// shared by gemm.cu and batched_linear.cu. 256 threads as 16x16; thread (ty, tx) owns rows ty + 16*i and
// columns tx + 16*j (i, j < 4), so shared-memory reads are broadcasts (A) or consecutive (B). K advances in
// steps of 16 through shared memory (F32 copies of the operand tiles). F32 accumulation.
#pragma once
#include "common.cuh"

#define GT_M 64
#define GT_N 64
#define GT_K 16

struct TileSmem {
    float a[GT_K][GT_M + 1];
    float b[GT_K][GT_N + 1];
};

// acc[i][j] += sum_k A[m0 + ty + 16i, k] * B[k, n0 + tx + 16j] over k < K.
template <typename T>
__device__ __forceinline__ void tile_accumulate(float (&acc)[4][4], TileSmem& sm, int M, int N, int K, int m0, int n0,
                                                const T* __restrict__ A, long long sam, long long sak,
                                                const T* __restrict__ B, long long sbk, long long sbn) {
    int tid = threadIdx.y * 16 + threadIdx.x;
    for (int k0 = 0; k0 < K; k0 += GT_K) {
        __syncthreads();
        for (int e = tid; e < GT_M * GT_K; e += 256) {
            // A tile: consecutive threads walk k fastest (coalesced for row-major A)
            int mm = e / GT_K, kk = e - mm * GT_K;
            int gm = m0 + mm, gk = k0 + kk;
            sm.a[kk][mm] = (gm < M && gk < K) ? to_f(A[gm * sam + gk * sak]) : 0.f;
        }
        for (int e = tid; e < GT_K * GT_N; e += 256) {
            // B tile: consecutive threads walk n fastest (coalesced for row-major B)
            int kk = e / GT_N, nn = e - kk * GT_N;
            int gk = k0 + kk, gn = n0 + nn;
            sm.b[kk][nn] = (gk < K && gn < N) ? to_f(B[gk * sbk + gn * sbn]) : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < GT_K; kk++) {
            float av[4], bv[4];
#pragma unroll
            for (int i = 0; i < 4; i++) av[i] = sm.a[kk][threadIdx.y + 16 * i];
#pragma unroll
            for (int j = 0; j < 4; j++) bv[j] = sm.b[kk][threadIdx.x + 16 * j];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] += av[i] * bv[j];
        }
    }
}

// C[m, n] = alpha * acc + beta * C[m, n] (+ bias[n]); C is not read when beta == 0.
template <typename TB, typename TC>
__device__ __forceinline__ void tile_store(const float (&acc)[4][4], int M, int N, int m0, int n0, float alpha, float beta,
                                           TC* __restrict__ C, long long scm, long long scn, const TB* __restrict__ bias) {
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int gm = m0 + threadIdx.y + 16 * i;
        if (gm >= M) continue;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int gn = n0 + threadIdx.x + 16 * j;
            if (gn >= N) continue;
            long long p = gm * scm + gn * scn;
            float r = alpha * acc[i][j];
            if (beta != 0.f) r += beta * to_f(C[p]);
            if (bias) r += to_f(bias[gn]);
            C[p] = from_f<TC>(r);
        }
    }
}
