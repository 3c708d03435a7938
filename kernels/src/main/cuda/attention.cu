// attention.cu: fused scaled-dot-product attention, forward and backward, flash-style tiling with an online
// softmax: no [Tq, Tk] matrix is ever stored. Head dims 32, 48, 64, 128; any Tq, Tk >= 1; F32 or BF16
// storage, F32 accumulation. Tensors are [B, H, T, dh] views with any B/H/T strides and dh contiguous
// (struct Bhts carries the three strides).
//
// Thread layout: a "row group" of LANES consecutive threads owns one query row (forward, dQ) or one key row
// (dK/dV); lane l owns the float4 chunks l, l+LANES, ... of the head dim (DPL = D/LANES dims per lane), so
// the LANES threads of a group read one contiguous run of shared memory (no bank conflicts) and dot
// products finish with LANES-1 xor-shuffles inside the group. LANES = 8 for D = 128, else 4.
// Launch shapes (LaunchGeometry.attention*):
//   dust_attn_fwd_<t>_d<D>:      block 128, grid (ceil(Tq/ROWS), B*H), ROWS = 128/LANES query rows per block;
//                                K/V tiles of BK = 32 keys staged in static smem as float (2*32*D*4 bytes).
//   dust_attn_bwd_delta_<t>:     block 256 (8 warps, one row per warp), grid ceil(B*H*Tq/8): delta = rowsum(dO*O).
//   dust_attn_bwd_dkdv_<t>_d<D>: block 128, grid (ceil(Tk/ROWS), B*H): each group owns a key row, loops over
//                                query tiles of 32 staged in smem (Q, dO, lse, delta). No atomics.
//   dust_attn_bwd_dq_<t>_d<D>:   block 128, grid (ceil(Tq/ROWS), B*H): each group owns a query row, loops over
//                                K/V tiles. No atomics: every output element has one writer (deterministic).
// Softmax runs in base 2: scores are pre-multiplied by scale*log2(e); lse is stored in natural-log units of
// the scaled scores, exactly as ReferenceBackend.attention defines it.
// CPU references: ReferenceBackend.attention and ReferenceBackend.attentionBackward.
#include "common.cuh"

#define LOG2E 1.4426950408889634f
#define LN2 0.6931471805599453f
#define ATT_THREADS 128
#define ATT_BK 32

struct Bhts {        // element strides of a [B, H, T, dh] view (dh stride is 1)
    long long b, h, t;
};

template <int D> struct AttCfg {
    static constexpr int LANES = D == 128 ? 8 : 4;
    static constexpr int DPL = D / LANES;           // dims per lane
    static constexpr int V4 = DPL / 4;              // float4 chunks per lane
    static constexpr int ROWS = ATT_THREADS / LANES;
    static_assert(D % (4 * LANES) == 0, "head dim must split into float4 chunks per lane");
};

template <int LANES>
__device__ __forceinline__ float group_sum(float v) {
#pragma unroll
    for (int o = LANES / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Loads (into registers, as float) the lane's DPL dims of one row: chunk k covers dims 4*(lane + LANES*k) .. +3.
template <typename T, int D>
__device__ __forceinline__ void load_row(const T* __restrict__ p, bool valid, int lane, float (&r)[AttCfg<D>::DPL], float mul) {
#pragma unroll
    for (int k = 0; k < AttCfg<D>::V4; k++) {
        int c = 4 * (lane + AttCfg<D>::LANES * k);
#pragma unroll
        for (int e = 0; e < 4; e++) r[4 * k + e] = valid ? to_f(p[c + e]) * mul : 0.f;
    }
}

template <typename T, int D>
__device__ __forceinline__ void store_row(T* __restrict__ p, int lane, const float (&r)[AttCfg<D>::DPL], float mul) {
#pragma unroll
    for (int k = 0; k < AttCfg<D>::V4; k++) {
        int c = 4 * (lane + AttCfg<D>::LANES * k);
#pragma unroll
        for (int e = 0; e < 4; e++) p[c + e] = from_f<T>(r[4 * k + e] * mul);
    }
}

// Partial dot of the lane's dims with smem row s (float, D wide), completed across the row group.
template <int D>
__device__ __forceinline__ float dot_smem(const float (&r)[AttCfg<D>::DPL], const float* s, int lane) {
    float acc = 0.f;
#pragma unroll
    for (int k = 0; k < AttCfg<D>::V4; k++) {
        float4 v = *reinterpret_cast<const float4*>(s + 4 * (lane + AttCfg<D>::LANES * k));
        acc += r[4 * k] * v.x + r[4 * k + 1] * v.y + r[4 * k + 2] * v.z + r[4 * k + 3] * v.w;
    }
    return group_sum<AttCfg<D>::LANES>(acc);
}

// acc += w * smem row s over the lane's dims.
template <int D>
__device__ __forceinline__ void axpy_smem(float (&acc)[AttCfg<D>::DPL], float w, const float* s, int lane) {
#pragma unroll
    for (int k = 0; k < AttCfg<D>::V4; k++) {
        float4 v = *reinterpret_cast<const float4*>(s + 4 * (lane + AttCfg<D>::LANES * k));
        acc[4 * k] += w * v.x;
        acc[4 * k + 1] += w * v.y;
        acc[4 * k + 2] += w * v.z;
        acc[4 * k + 3] += w * v.w;
    }
}

// Cooperative load of rows [t0, t0 + nrows) of a [T, D] slab into smem (float), zero rows beyond T.
template <typename T, int D>
__device__ __forceinline__ void stage_tile(float* dst, const T* __restrict__ base, long long st, int t0, int T_, int nrows) {
    for (int idx = threadIdx.x; idx < nrows * D; idx += ATT_THREADS) {
        int j = idx / D, c = idx - j * D;
        int t = t0 + j;
        dst[idx] = t < T_ ? to_f(base[(long long) t * st + c]) : 0.f;
    }
}

template <typename T, int D>
__device__ void attn_fwd(const T* __restrict__ q, Bhts sq, const T* __restrict__ k, Bhts sk, const T* __restrict__ v,
                         Bhts sv, T* __restrict__ o, Bhts so, float* __restrict__ lse, int H, int Tq, int Tk, float scale) {
    typedef AttCfg<D> C;
    __shared__ __align__(16) float Ks[ATT_BK * D];
    __shared__ __align__(16) float Vs[ATT_BK * D];
    int bh = blockIdx.y, b = bh / H, h = bh - b * H;
    int lane = threadIdx.x % C::LANES;
    int row = blockIdx.x * C::ROWS + threadIdx.x / C::LANES;
    bool valid = row < Tq;
    const T* kb = k + b * sk.b + h * sk.h;
    const T* vb = v + b * sv.b + h * sv.h;

    float qr[C::DPL], acc[C::DPL];
    load_row<T, D>(q + b * sq.b + h * sq.h + (long long) (valid ? row : 0) * sq.t, valid, lane, qr, scale * LOG2E);
#pragma unroll
    for (int i = 0; i < C::DPL; i++) acc[i] = 0.f;
    float m = -INFINITY, l = 0.f;

    for (int kt = 0; kt < Tk; kt += ATT_BK) {
        __syncthreads();
        stage_tile<T, D>(Ks, kb, sk.t, kt, Tk, ATT_BK);
        stage_tile<T, D>(Vs, vb, sv.t, kt, Tk, ATT_BK);
        __syncthreads();
        float s[ATT_BK];
        float tmax = -INFINITY;
#pragma unroll
        for (int j = 0; j < ATT_BK; j++) {
            float d = dot_smem<D>(qr, Ks + j * D, lane);
            s[j] = kt + j < Tk ? d : -INFINITY;
            tmax = fmaxf(tmax, s[j]);
        }
        float mnew = fmaxf(m, tmax);               // finite: every tile holds at least one key
        float alpha = exp2f(m - mnew);             // 0 on the first tile (m = -inf)
        l *= alpha;
#pragma unroll
        for (int i = 0; i < C::DPL; i++) acc[i] *= alpha;
#pragma unroll
        for (int j = 0; j < ATT_BK; j++) {
            float p = exp2f(s[j] - mnew);          // 0 for masked keys
            l += p;
            axpy_smem<D>(acc, p, Vs + j * D, lane);
        }
        m = mnew;
    }
    if (valid) {
        float inv = l > 0.f ? 1.f / l : 0.f;
        store_row<T, D>(o + b * so.b + h * so.h + (long long) row * so.t, lane, acc, inv);
        if (lane == 0) lse[(long long) bh * Tq + row] = l > 0.f ? (m + log2f(l)) * LN2 : -INFINITY;
    }
}

// delta[bh*Tq + i] = sum_c dO[i,c] * O[i,c]; one warp per row.
template <typename T>
__device__ void attn_bwd_delta(const T* __restrict__ o, Bhts so, const T* __restrict__ dout, Bhts sdo,
                               float* __restrict__ delta, int H, int Tq, int D, long long rows) {
    long long r = (long long) blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    if (r >= rows) return;
    int lane = threadIdx.x & 31;
    long long bh = r / Tq;
    int i = (int) (r - bh * Tq);
    long long b = bh / H, h = bh - b * H;
    const T* op = o + b * so.b + h * so.h + (long long) i * so.t;
    const T* gp = dout + b * sdo.b + h * sdo.h + (long long) i * sdo.t;
    float acc = 0.f;
    for (int c = lane; c < D; c += 32) acc += to_f(op[c]) * to_f(gp[c]);
    acc = warp_sum(acc);
    if (lane == 0) delta[r] = acc;
}

template <typename T, int D>
__device__ void attn_bwd_dkdv(const T* __restrict__ q, Bhts sq, const T* __restrict__ k, Bhts sk, const T* __restrict__ v,
                              Bhts sv, const T* __restrict__ dout, Bhts sdo, const float* __restrict__ lse,
                              const float* __restrict__ delta, T* __restrict__ dk, Bhts sdk, T* __restrict__ dv, Bhts sdv,
                              int H, int Tq, int Tk, float scale) {
    typedef AttCfg<D> C;
    __shared__ __align__(16) float Qs[ATT_BK * D];
    __shared__ __align__(16) float Gs[ATT_BK * D];
    __shared__ float L2s[ATT_BK];
    __shared__ float Ds[ATT_BK];
    int bh = blockIdx.y, b = bh / H, h = bh - b * H;
    int lane = threadIdx.x % C::LANES;
    int key = blockIdx.x * C::ROWS + threadIdx.x / C::LANES;
    bool valid = key < Tk;
    const T* qb = q + b * sq.b + h * sq.h;
    const T* gb = dout + b * sdo.b + h * sdo.h;

    float kr[C::DPL], vr[C::DPL], dkr[C::DPL], dvr[C::DPL];
    long long kk = valid ? key : 0;
    load_row<T, D>(k + b * sk.b + h * sk.h + kk * sk.t, valid, lane, kr, scale * LOG2E);
    load_row<T, D>(v + b * sv.b + h * sv.h + kk * sv.t, valid, lane, vr, 1.f);
#pragma unroll
    for (int i = 0; i < C::DPL; i++) { dkr[i] = 0.f; dvr[i] = 0.f; }

    for (int qt = 0; qt < Tq; qt += ATT_BK) {
        __syncthreads();
        stage_tile<T, D>(Qs, qb, sq.t, qt, Tq, ATT_BK);
        stage_tile<T, D>(Gs, gb, sdo.t, qt, Tq, ATT_BK);
        if (threadIdx.x < ATT_BK) {
            int i = qt + threadIdx.x;
            // +inf log-sum-exp makes p = 0 for padding rows
            L2s[threadIdx.x] = i < Tq ? lse[(long long) bh * Tq + i] * LOG2E : INFINITY;
            Ds[threadIdx.x] = i < Tq ? delta[(long long) bh * Tq + i] : 0.f;
        }
        __syncthreads();
#pragma unroll 4
        for (int i = 0; i < ATT_BK; i++) {
            float s = dot_smem<D>(kr, Qs + i * D, lane);        // scale*log2e already in kr
            float p = exp2f(s - L2s[i]);
            float dp = dot_smem<D>(vr, Gs + i * D, lane);
            float ds = p * (dp - Ds[i]);
            axpy_smem<D>(dvr, p, Gs + i * D, lane);
            axpy_smem<D>(dkr, ds, Qs + i * D, lane);
        }
    }
    if (valid) {
        store_row<T, D>(dk + b * sdk.b + h * sdk.h + (long long) key * sdk.t, lane, dkr, scale);
        store_row<T, D>(dv + b * sdv.b + h * sdv.h + (long long) key * sdv.t, lane, dvr, 1.f);
    }
}

template <typename T, int D>
__device__ void attn_bwd_dq(const T* __restrict__ q, Bhts sq, const T* __restrict__ k, Bhts sk, const T* __restrict__ v,
                            Bhts sv, const T* __restrict__ dout, Bhts sdo, const float* __restrict__ lse,
                            const float* __restrict__ delta, T* __restrict__ dq, Bhts sdq, int H, int Tq, int Tk,
                            float scale) {
    typedef AttCfg<D> C;
    __shared__ __align__(16) float Ks[ATT_BK * D];
    __shared__ __align__(16) float Vs[ATT_BK * D];
    int bh = blockIdx.y, b = bh / H, h = bh - b * H;
    int lane = threadIdx.x % C::LANES;
    int row = blockIdx.x * C::ROWS + threadIdx.x / C::LANES;
    bool valid = row < Tq;
    long long rr = valid ? row : 0;
    const T* kb = k + b * sk.b + h * sk.h;
    const T* vb = v + b * sv.b + h * sv.h;

    float qr[C::DPL], gr[C::DPL], dqr[C::DPL];
    load_row<T, D>(q + b * sq.b + h * sq.h + rr * sq.t, valid, lane, qr, scale * LOG2E);
    load_row<T, D>(dout + b * sdo.b + h * sdo.h + rr * sdo.t, valid, lane, gr, 1.f);
#pragma unroll
    for (int i = 0; i < C::DPL; i++) dqr[i] = 0.f;
    float l2 = valid ? lse[(long long) bh * Tq + row] * LOG2E : INFINITY;
    float dl = valid ? delta[(long long) bh * Tq + row] : 0.f;

    for (int kt = 0; kt < Tk; kt += ATT_BK) {
        __syncthreads();
        stage_tile<T, D>(Ks, kb, sk.t, kt, Tk, ATT_BK);
        stage_tile<T, D>(Vs, vb, sv.t, kt, Tk, ATT_BK);
        __syncthreads();
#pragma unroll 4
        for (int j = 0; j < ATT_BK; j++) {
            float s = dot_smem<D>(qr, Ks + j * D, lane);
            float p = kt + j < Tk ? exp2f(s - l2) : 0.f;
            float dp = dot_smem<D>(gr, Vs + j * D, lane);
            axpy_smem<D>(dqr, p * (dp - dl), Ks + j * D, lane);
        }
    }
    if (valid) store_row<T, D>(dq + b * sdq.b + h * sdq.h + (long long) row * sdq.t, lane, dqr, scale);
}

#define ATTN_ENTRIES(TN, T, D)                                                                                       \
    extern "C" __global__ void __launch_bounds__(ATT_THREADS) dust_attn_fwd_##TN##_d##D(                            \
        const T* q, Bhts sq, const T* k, Bhts sk, const T* v, Bhts sv, T* o, Bhts so, float* lse, int H, int Tq,   \
        int Tk, float scale) {                                                                                       \
        attn_fwd<T, D>(q, sq, k, sk, v, sv, o, so, lse, H, Tq, Tk, scale);                                          \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(ATT_THREADS) dust_attn_bwd_dkdv_##TN##_d##D(                       \
        const T* q, Bhts sq, const T* k, Bhts sk, const T* v, Bhts sv, const T* dout, Bhts sdo, const float* lse,   \
        const float* delta, T* dk, Bhts sdk, T* dv, Bhts sdv, int H, int Tq, int Tk, float scale) {                 \
        attn_bwd_dkdv<T, D>(q, sq, k, sk, v, sv, dout, sdo, lse, delta, dk, sdk, dv, sdv, H, Tq, Tk, scale);        \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(ATT_THREADS) dust_attn_bwd_dq_##TN##_d##D(                         \
        const T* q, Bhts sq, const T* k, Bhts sk, const T* v, Bhts sv, const T* dout, Bhts sdo, const float* lse,   \
        const float* delta, T* dq, Bhts sdq, int H, int Tq, int Tk, float scale) {                                  \
        attn_bwd_dq<T, D>(q, sq, k, sk, v, sv, dout, sdo, lse, delta, dq, sdq, H, Tq, Tk, scale);                   \
    }

ATTN_ENTRIES(f32, float, 32)
ATTN_ENTRIES(f32, float, 48)
ATTN_ENTRIES(f32, float, 64)
ATTN_ENTRIES(f32, float, 128)
ATTN_ENTRIES(bf16, bf16, 32)
ATTN_ENTRIES(bf16, bf16, 48)
ATTN_ENTRIES(bf16, bf16, 64)
ATTN_ENTRIES(bf16, bf16, 128)

extern "C" __global__ void dust_attn_bwd_delta_f32(const float* o, Bhts so, const float* dout, Bhts sdo, float* delta, int H,
                                                   int Tq, int D, long long rows) {
    attn_bwd_delta<float>(o, so, dout, sdo, delta, H, Tq, D, rows);
}
extern "C" __global__ void dust_attn_bwd_delta_bf16(const bf16* o, Bhts so, const bf16* dout, Bhts sdo, float* delta, int H,
                                                    int Tq, int D, long long rows) {
    attn_bwd_delta<bf16>(o, so, dout, sdo, delta, H, Tq, D, rows);
}
