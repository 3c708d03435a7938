// gemm.cu: strided (batched) GEMM without cuBLAS: C[b] = alpha * A[b] @ B[b] + beta * C[b].
//
// The backend uses cuBLAS (CublasGemm, through java.lang.foreign) when libcublas is present; this kernel is
// the fallback and the GPU-side cross-check of cuBLAS. Any strides, so transposed views need no copy
// (a batch stride of 0 shares an operand across the batch).
// Launch shape: block (16, 16), grid (ceil(N/64), ceil(M/64), batch) (LaunchGeometry.gemmTiles), static smem
// 2 * 16 * 65 floats; each thread computes a 4x4 sub-tile with F32 accumulation.
// CPU reference: ReferenceBackend.gemm.
#include "gemm_tile.cuh"

struct GemmStrides {     // element strides: batch, row, column for each operand (72 bytes)
    long long ab, am, ak;
    long long bb, bk, bn;
    long long cb, cm, cn;
};

template <typename T, typename TC>
__device__ void gemm_strided(int M, int N, int K, float alpha, const T* A, const T* B, float beta, TC* C, GemmStrides s) {
    __shared__ TileSmem sm;
    float acc[4][4] = {};
    long long z = blockIdx.z;
    int m0 = blockIdx.y * GT_M, n0 = blockIdx.x * GT_N;
    tile_accumulate<T>(acc, sm, M, N, K, m0, n0, A + z * s.ab, s.am, s.ak, B + z * s.bb, s.bk, s.bn);
    tile_store<T, TC>(acc, M, N, m0, n0, alpha, beta, C + z * s.cb, s.cm, s.cn, nullptr);
}

extern "C" __global__ void __launch_bounds__(256) dust_gemm_f32(int M, int N, int K, float alpha, const float* A,
                                                                const float* B, float beta, float* C, GemmStrides s) {
    gemm_strided<float, float>(M, N, K, alpha, A, B, beta, C, s);
}

// BF16 operands, F32 accumulation and F32 output.
extern "C" __global__ void __launch_bounds__(256) dust_gemm_bf16_f32(int M, int N, int K, float alpha, const bf16* A,
                                                                     const bf16* B, float beta, float* C, GemmStrides s) {
    gemm_strided<bf16, float>(M, N, K, alpha, A, B, beta, C, s);
}
