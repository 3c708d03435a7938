// adamw.cu: fused AdamW (torch.optim.AdamW semantics: decoupled decay, bias correction, eps outside the sqrt),
// single tensor and multi-tensor.
//
// The per-step scalars (decay = 1 - lr*wd, 1-beta1, 1-beta2, step_size = lr/bc1, sqrt(bc2)) are computed on
// the host exactly as ReferenceBackend.AdamScalars does, and every float operation below is an explicit
// round-to-nearest intrinsic in the reference's order (no FMA contraction), so results are bit-identical
// to ReferenceBackend.adamw.
// Launch shapes:
//   dust_adamw_f32:   1-D grid-stride, blockDim 256.
//   dust_adamw_multi: one block of 256 threads per chunk of chunk_len elements; the host plans the chunk
//     table (MultiTensorPlan) over all tensors, so one launch updates every parameter.
// CPU reference: ReferenceBackend.adamw.
#include "common.cuh"

struct AdamTensor {       // 40 bytes, mirrored by MultiTensorPlan.TENSOR_BYTES
    float* p;
    const float* g;
    float* m;
    float* v;
    long long n;
};

struct AdamChunk {        // 16 bytes, mirrored by MultiTensorPlan.CHUNK_BYTES
    int tensor;
    int pad_;
    long long start;
};

struct AdamScalars {      // passed by value, 32 bytes, mirrored by CudaBackend.adamScalars
    float beta1, beta2, eps, decay, one_minus_b1, one_minus_b2, step_size, bc2_sqrt;
};

__device__ __forceinline__ void adam_update(float* p, const float* g, float* m, float* v, long long i, const AdamScalars& s) {
    float gi = g[i];
    float pi = __fmul_rn(p[i], s.decay);
    float mi = __fadd_rn(__fmul_rn(m[i], s.beta1), __fmul_rn(gi, s.one_minus_b1));
    float vi = __fadd_rn(__fmul_rn(v[i], s.beta2), __fmul_rn(__fmul_rn(gi, gi), s.one_minus_b2));
    float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), s.bc2_sqrt), s.eps);
    p[i] = __fsub_rn(pi, __fmul_rn(s.step_size, __fdiv_rn(mi, denom)));
    m[i] = mi;
    v[i] = vi;
}

extern "C" __global__ void dust_adamw_f32(float* p, const float* g, float* m, float* v, long long n, AdamScalars s) {
    for (long long i = gtid(); i < n; i += gstride()) adam_update(p, g, m, v, i, s);
}

extern "C" __global__ void dust_adamw_multi(const AdamTensor* __restrict__ tensors, const AdamChunk* __restrict__ chunks,
                                            int chunk_len, AdamScalars s) {
    AdamChunk c = chunks[blockIdx.x];
    AdamTensor t = tensors[c.tensor];
    long long end = min(t.n, c.start + chunk_len);
    for (long long i = c.start + threadIdx.x; i < end; i += blockDim.x) adam_update(t.p, t.g, t.m, t.v, i, s);
}
