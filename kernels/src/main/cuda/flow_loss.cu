// flow_loss.cu: fused flow-matching loss and gradient.
//
//   m_i = elem_mask[i] (or 1) * sample_mask[i / per_sample] (or 1)       (action_mask * has_action)
//   r_i = v_i - (data_i - eps_i)                                          (velocity target A - eps)
//   loss = sum(r^2 m) / sum(m)   (0 when sum(m) = 0)
//   grad_i = grad_scale * 2 r_i m_i / sum(m)                              (grad_scale: lambda_wm or 1)
// Residual, mask, mean and gradient come out of ONE pass over v / data / eps / mask:
//   dust_flow_mask_sum: one block of 1024 threads, sum(m) in double into den[0] (skipped when there is
//     no mask: the host passes den = null and the count n is used). Masks are small ([B,Ta,Da]).
//   dust_flow_loss_fused_f32: FIXED grid of LaunchGeometry.SUM_BLOCKS blocks x 256 threads, grid-stride;
//     each block writes its gradient slice and a double partial of r^2 m; the last block to finish
//     (threadfence + atomic ticket) adds the partials in index order, writes out[0] = loss, out[1] = sum(m),
//     and re-arms the ticket counter (so the kernel can sit in a CUDA graph). Deterministic.
// CPU reference: FusedReference.flowLoss (tested against ReferenceBackend binary/sumAll compositions).
#include "common.cuh"

__device__ __forceinline__ float mask_at(const float* elem_mask, const float* sample_mask, long long per_sample, long long i) {
    float m = elem_mask ? elem_mask[i] : 1.f;
    if (sample_mask) m *= sample_mask[i / per_sample];
    return m;
}

extern "C" __global__ void dust_flow_mask_sum(const float* __restrict__ elem_mask, const float* __restrict__ sample_mask,
                                              long long per_sample, long long n, double* __restrict__ den) {
    __shared__ double scratch[32];
    double acc = 0.0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) acc += mask_at(elem_mask, sample_mask, per_sample, i);
    double r = block_sum_d(acc, scratch);
    if (threadIdx.x == 0) den[0] = r;
}

extern "C" __global__ void dust_flow_loss_fused_f32(const float* __restrict__ v, const float* __restrict__ data,
                                                    const float* __restrict__ eps, const float* __restrict__ elem_mask,
                                                    const float* __restrict__ sample_mask, long long per_sample, long long n,
                                                    const double* __restrict__ den_ptr, float grad_scale,
                                                    float* __restrict__ grad, double* __restrict__ partials,
                                                    unsigned int* __restrict__ counter, float* __restrict__ out) {
    __shared__ double scratch[32];
    __shared__ bool is_last;
    double den = den_ptr ? den_ptr[0] : (double) n;
    float gmul = den > 0.0 ? (float) (2.0 * grad_scale / den) : 0.f;
    double acc = 0.0;
    for (long long i = gtid(); i < n; i += gstride()) {
        float m = mask_at(elem_mask, sample_mask, per_sample, i);
        float r = v[i] - (data[i] - eps[i]);
        acc += (double) r * r * m;
        if (grad) grad[i] = gmul * r * m;
    }
    double part = block_sum_d(acc, scratch);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = part;
        __threadfence();
        unsigned int ticket = atomicAdd(counter, 1u);
        is_last = ticket == gridDim.x - 1;
    }
    __syncthreads();
    if (!is_last) return;
    double total = 0.0;
    for (int b = threadIdx.x; b < (int) gridDim.x; b += blockDim.x) total += __ldcg(partials + b);
    total = block_sum_d(total, scratch);
    if (threadIdx.x == 0) {
        out[0] = den > 0.0 ? (float) (total / den) : 0.f;
        out[1] = (float) den;
        *counter = 0u;
    }
}
