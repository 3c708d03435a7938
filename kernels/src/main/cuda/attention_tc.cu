// attention_tc.cu: scaled-dot-product attention on tensor cores for BF16 storage, forward and backward,
// FlashAttention-2-style: BF16 mma.sync.m16n8k16 with F32 accumulation, online softmax in F32, the log-sum-exp
// saved by the forward for the backward; no [Tq, Tk] matrix is stored. Head dims 16, 32, 48, 64, 128 (multiples
// of the mma K = 16); any Tq, Tk >= 1 (tails masked). Tensors are [B, H, T, dh] views with any B/H/T strides
// and dh contiguous (struct Bhts, as attention.cu). Parameters are those of the attention.cu entries of the same
// role, so the host passes the same arguments (CudaBackend / AttentionTc); attention.cu stays the F32 reference.
//
// Thread layout: 4 warps per block; each warp owns 16 rows (query rows in the forward and dQ, key rows in dK/dV),
// so a block owns ROWS = 64 rows. The warp's own operand rows (Q; K and V; Q and dO) are loaded once from global
// memory straight into mma A fragments; the other side streams through shared memory in tiles of TILE rows
// (64, or 32 for dh = 128 to bound registers), staged as BF16 with rows padded by 8 elements.
// mma fragment layouts (PTX ISA, m16n8k16 .bf16): lane = 4*g + t. A (16x16, row): a0a1 (row g, cols 2t, 2t+1),
// a2a3 (row g+8, cols 2t..), a4a5 (row g, cols 2t+8..), a6a7 (row g+8, cols 2t+8..). B (16x8, col): b0b1 (k rows
// 2t, 2t+1, col g), b2b3 (k rows 2t+8, 2t+9, col g). C (16x8 f32): c0c1 (row g, cols 2t, 2t+1), c2c3 (row g+8).
// Two adjacent C tiles of S (or dS) hold exactly the A fragment of P (or dS) for the next product (FA2's
// register reuse): A.k-step j = {C[2j].c01, C[2j].c23, C[2j+1].c01, C[2j+1].c23}.
//
// Launch shapes (LaunchGeometry.attentionTc): block 128, grid (ceil(T/64), B*H), static shared memory only
// (2 * TILE * (dh + 8) * 2 bytes, at most 34 KiB).
//   dust_attn_tc_fwd_bf16_d<D>:      T = Tq. Writes O (BF16) and lse (F32, natural-log units of the scaled scores).
//   dust_attn_tc_bwd_dkdv_bf16_d<D>: T = Tk. Needs delta = rowsum(dO * O) from attention.cu's
//                                    dust_attn_bwd_delta_bf16 (F32). Each warp owns 16 keys; no atomics.
//   dust_attn_tc_bwd_dq_bf16_d<D>:   T = Tq. Each warp owns 16 queries; no atomics (deterministic).
// Precision: P and dS are rounded to BF16 before their products (as FlashAttention-2); the row sum l uses the
// rounded P so O is a convex combination of V rows. Softmax runs in base 2 (scores times scale*log2(e)).
// CPU references: ReferenceBackend.attention and ReferenceBackend.attentionBackward; F32 reference kernels in
// attention.cu (CudaKernelsGpuTest.tensorCoreAttention*).
#include "common.cuh"

#define TC_LOG2E 1.4426950408889634f
#define TC_LN2 0.6931471805599453f
#define TC_THREADS 128
#define TC_ROWS 64

struct Bhts {        // element strides of a [B, H, T, dh] view (dh stride is 1); the same struct as attention.cu
    long long b, h, t;
};

typedef unsigned short u16;

template <int D> struct TcCfg {
    static_assert(D % 16 == 0 && D <= 128, "head dim must be a multiple of 16, at most 128");
    static constexpr int TILE = D == 128 ? 32 : 64;    // rows per shared-memory tile
    static constexpr int LD = D + 8;                    // padded smem row (elements): rows start 16 bytes apart mod 128
    static constexpr int KS = D / 16;                   // mma k-steps over the head dim
    static constexpr int NT = D / 8;                    // n-tiles over the head dim
    static constexpr int TN = TILE / 8;                 // n-tiles over a tile's rows
    static constexpr int TK = TILE / 16;                // k-steps over a tile's rows
};

__device__ __forceinline__ void mma_bf16(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two floats as BF16 (round to nearest even, as from_f), lo in the low half.
__device__ __forceinline__ unsigned pack2(float lo, float hi) {
    return (unsigned) f32_to_bf16_bits(lo) | ((unsigned) f32_to_bf16_bits(hi) << 16);
}

__device__ __forceinline__ float bf16_round(float v) {
    return __uint_as_float((unsigned) f32_to_bf16_bits(v) << 16);
}

// Elements c, c+1 of a row (global, any alignment) as one packed register; zero when the row is invalid.
__device__ __forceinline__ unsigned ld_pair_g(const u16* __restrict__ row, bool valid, int c) {
    return valid ? ((unsigned) row[c] | ((unsigned) row[c + 1] << 16)) : 0u;
}

// Elements c, c+1 of a padded smem row (c even: 4-byte aligned).
__device__ __forceinline__ unsigned ld_pair_s(const u16* s, int c) { return *reinterpret_cast<const unsigned*>(s + c); }

// Element c of smem rows r and r+1 packed (the B fragment of a row-major [k, n] operand).
__device__ __forceinline__ unsigned ld_col_pair_s(const u16* s, int ld, int r, int c) {
    return (unsigned) s[r * ld + c] | ((unsigned) s[(r + 1) * ld + c] << 16);
}

template <int N>
__device__ __forceinline__ void zero_frags(float (&acc)[N][4]) {
#pragma unroll
    for (int i = 0; i < N; i++) acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.f;
}

// A fragments of 16 rows [r0, r0+16) of a [T, D] slab (row stride st) for every k-step; rows >= T are zero.
template <int D>
__device__ __forceinline__ void load_a_rows(unsigned (&a)[TcCfg<D>::KS][4], const u16* __restrict__ base, long long st, int r0, int T_) {
    int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    int ra = r0 + g, rb = r0 + g + 8;
    bool va = ra < T_, vb = rb < T_;
    const u16* pa = base + (long long) (va ? ra : 0) * st;
    const u16* pb = base + (long long) (vb ? rb : 0) * st;
#pragma unroll
    for (int ks = 0; ks < TcCfg<D>::KS; ks++) {
        int c = ks * 16 + 2 * t;
        a[ks][0] = ld_pair_g(pa, va, c);
        a[ks][1] = ld_pair_g(pb, vb, c);
        a[ks][2] = ld_pair_g(pa, va, c + 8);
        a[ks][3] = ld_pair_g(pb, vb, c + 8);
    }
}

// Rows [t0, t0 + TILE) of a [T, D] slab into padded smem (BF16 bits), zero rows beyond T. Pairs of elements per
// thread, consecutive threads on consecutive pairs (coalesced); any alignment of the view.
template <int D>
__device__ __forceinline__ void stage(u16* dst, const u16* __restrict__ base, long long st, int t0, int T_) {
    constexpr int PAIRS = D / 2, N = TcCfg<D>::TILE * PAIRS;
    for (int idx = threadIdx.x; idx < N; idx += TC_THREADS) {
        int j = idx / PAIRS, c = 2 * (idx - j * PAIRS);
        int r = t0 + j;
        unsigned v = r < T_ ? ld_pair_g(base + (long long) r * st, true, c) : 0u;
        *reinterpret_cast<unsigned*>(dst + j * TcCfg<D>::LD + c) = v;
    }
}

// acc[n-tile] += A(16 x D) . smem rows^T: S[16, TILE] = rows(A) x rows(s)^T, s a [TILE, D] tile.
template <int D>
__device__ __forceinline__ void mma_rows_by_tile(float (&acc)[TcCfg<D>::TN][4], const unsigned (&a)[TcCfg<D>::KS][4], const u16* s) {
    typedef TcCfg<D> C;
    int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    zero_frags(acc);
#pragma unroll
    for (int nt = 0; nt < C::TN; nt++) {
        const u16* row = s + (nt * 8 + g) * C::LD;
#pragma unroll
        for (int ks = 0; ks < C::KS; ks++) mma_bf16(acc[nt], a[ks], ld_pair_s(row, ks * 16 + 2 * t), ld_pair_s(row, ks * 16 + 2 * t + 8));
    }
}

// out[16, D] += P(16 x TILE, in C fragments, rounded to BF16 here) . s(TILE x D).
template <int D>
__device__ __forceinline__ void mma_frag_by_tile(float (&out)[TcCfg<D>::NT][4], const float (&p)[TcCfg<D>::TN][4], const u16* s) {
    typedef TcCfg<D> C;
    int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int kk = 0; kk < C::TK; kk++) {
        unsigned a[4] = {pack2(p[2 * kk][0], p[2 * kk][1]), pack2(p[2 * kk][2], p[2 * kk][3]), pack2(p[2 * kk + 1][0], p[2 * kk + 1][1]),
                         pack2(p[2 * kk + 1][2], p[2 * kk + 1][3])};
        int r = kk * 16 + 2 * t;
#pragma unroll
        for (int nt = 0; nt < C::NT; nt++) {
            int c = nt * 8 + g;
            mma_bf16(out[nt], a, ld_col_pair_s(s, C::LD, r, c), ld_col_pair_s(s, C::LD, r + 8, c));
        }
    }
}

// Stores a warp's [16, D] F32 accumulator (times mul) as BF16 rows r0.. of a [T, D] slab; rows >= T skipped.
template <int D>
__device__ __forceinline__ void store_rows(bf16* __restrict__ base, long long st, int r0, int T_, const float (&acc)[TcCfg<D>::NT][4],
                                           float mul0, float mul1) {
    int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    int ra = r0 + g, rb = r0 + g + 8;
#pragma unroll
    for (int nt = 0; nt < TcCfg<D>::NT; nt++) {
        int c = nt * 8 + 2 * t;
        if (ra < T_) {
            base[(long long) ra * st + c] = from_f<bf16>(acc[nt][0] * mul0);
            base[(long long) ra * st + c + 1] = from_f<bf16>(acc[nt][1] * mul0);
        }
        if (rb < T_) {
            base[(long long) rb * st + c] = from_f<bf16>(acc[nt][2] * mul1);
            base[(long long) rb * st + c + 1] = from_f<bf16>(acc[nt][3] * mul1);
        }
    }
}

__device__ __forceinline__ float quad_max(float v) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
    return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}

__device__ __forceinline__ float quad_sum(float v) {
    v += __shfl_xor_sync(0xffffffffu, v, 1);
    return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

template <int D>
__device__ void tc_fwd(const bf16* q, Bhts sq, const bf16* k, Bhts sk, const bf16* v, Bhts sv, bf16* o, Bhts so, float* lse, int H,
                       int Tq, int Tk, float scale) {
    typedef TcCfg<D> C;
    __shared__ __align__(16) u16 Ks[C::TILE * C::LD];
    __shared__ __align__(16) u16 Vs[C::TILE * C::LD];
    int bh = blockIdx.y, b = bh / H, h = bh - b * H;
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    int r0 = blockIdx.x * TC_ROWS + warp * 16;
    const u16* kb = reinterpret_cast<const u16*>(k + b * sk.b + h * sk.h);
    const u16* vb = reinterpret_cast<const u16*>(v + b * sv.b + h * sv.h);
    unsigned qa[C::KS][4];
    load_a_rows<D>(qa, reinterpret_cast<const u16*>(q + b * sq.b + h * sq.h), sq.t, r0, Tq);
    float acc[C::NT][4];
    zero_frags(acc);
    float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.f, l1 = 0.f;   // rows g and g+8; l is this thread's partial sum
    const float c2 = scale * TC_LOG2E;

    for (int kt = 0; kt < Tk; kt += C::TILE) {
        __syncthreads();
        stage<D>(Ks, kb, sk.t, kt, Tk);
        stage<D>(Vs, vb, sv.t, kt, Tk);
        __syncthreads();
        float s[C::TN][4];
        mma_rows_by_tile<D>(s, qa, Ks);
        float x0 = -INFINITY, x1 = -INFINITY;
#pragma unroll
        for (int nt = 0; nt < C::TN; nt++) {
            int key = kt + nt * 8 + 2 * t;
#pragma unroll
            for (int e = 0; e < 4; e++) s[nt][e] = key + (e & 1) < Tk ? s[nt][e] * c2 : -INFINITY;
            x0 = fmaxf(x0, fmaxf(s[nt][0], s[nt][1]));
            x1 = fmaxf(x1, fmaxf(s[nt][2], s[nt][3]));
        }
        float n0 = fmaxf(m0, quad_max(x0)), n1 = fmaxf(m1, quad_max(x1));   // finite: every tile has a key < Tk
        float a0 = exp2f(m0 - n0), a1 = exp2f(m1 - n1);                      // 0 on the first tile
        l0 *= a0;
        l1 *= a1;
#pragma unroll
        for (int nt = 0; nt < C::NT; nt++) {
            acc[nt][0] *= a0; acc[nt][1] *= a0;
            acc[nt][2] *= a1; acc[nt][3] *= a1;
        }
#pragma unroll
        for (int nt = 0; nt < C::TN; nt++) {
            s[nt][0] = bf16_round(exp2f(s[nt][0] - n0));                     // 0 for masked keys
            s[nt][1] = bf16_round(exp2f(s[nt][1] - n0));
            s[nt][2] = bf16_round(exp2f(s[nt][2] - n1));
            s[nt][3] = bf16_round(exp2f(s[nt][3] - n1));
            l0 += s[nt][0] + s[nt][1];
            l1 += s[nt][2] + s[nt][3];
        }
        mma_frag_by_tile<D>(acc, s, Vs);
        m0 = n0;
        m1 = n1;
    }
    l0 = quad_sum(l0);
    l1 = quad_sum(l1);
    store_rows<D>(o + b * so.b + h * so.h, so.t, r0, Tq, acc, 1.f / l0, 1.f / l1);   // l >= 1: the max key has p = 1
    if (t == 0) {
        if (r0 + g < Tq) lse[(long long) bh * Tq + r0 + g] = (m0 + log2f(l0)) * TC_LN2;
        if (r0 + g + 8 < Tq) lse[(long long) bh * Tq + r0 + g + 8] = (m1 + log2f(l1)) * TC_LN2;
    }
}

// Stages a tile of per-row F32 statistics: l2[i] = lse * log2(e) (+inf beyond T: p = 0 there), dl[i] = delta.
template <int TILE>
__device__ __forceinline__ void stage_stats(float* l2, float* dl, const float* __restrict__ lse, const float* __restrict__ delta,
                                            long long row0, int t0, int T_) {
    for (int i = threadIdx.x; i < TILE; i += TC_THREADS) {
        bool in = t0 + i < T_;
        l2[i] = in ? lse[row0 + t0 + i] * TC_LOG2E : INFINITY;
        dl[i] = in ? delta[row0 + t0 + i] : 0.f;
    }
}

template <int D>
__device__ void tc_bwd_dkdv(const bf16* q, Bhts sq, const bf16* k, Bhts sk, const bf16* v, Bhts sv, const bf16* dout, Bhts sdo,
                            const float* lse, const float* delta, bf16* dk, Bhts sdk, bf16* dv, Bhts sdv, int H, int Tq, int Tk,
                            float scale) {
    typedef TcCfg<D> C;
    __shared__ __align__(16) u16 Qs[C::TILE * C::LD];
    __shared__ __align__(16) u16 Gs[C::TILE * C::LD];
    __shared__ float L2s[C::TILE];
    __shared__ float Ds[C::TILE];
    int bh = blockIdx.y, b = bh / H, h = bh - b * H;
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, t = lane & 3;
    int r0 = blockIdx.x * TC_ROWS + warp * 16;                   // this warp's 16 keys
    const u16* qb = reinterpret_cast<const u16*>(q + b * sq.b + h * sq.h);
    const u16* gb = reinterpret_cast<const u16*>(dout + b * sdo.b + h * sdo.h);
    unsigned ka[C::KS][4], va[C::KS][4];
    load_a_rows<D>(ka, reinterpret_cast<const u16*>(k + b * sk.b + h * sk.h), sk.t, r0, Tk);
    load_a_rows<D>(va, reinterpret_cast<const u16*>(v + b * sv.b + h * sv.h), sv.t, r0, Tk);
    float dka[C::NT][4], dva[C::NT][4];
    zero_frags(dka);
    zero_frags(dva);
    const float c2 = scale * TC_LOG2E;
    const long long row0 = (long long) bh * Tq;

    for (int qt = 0; qt < Tq; qt += C::TILE) {
        __syncthreads();
        stage<D>(Qs, qb, sq.t, qt, Tq);
        stage<D>(Gs, gb, sdo.t, qt, Tq);
        stage_stats<C::TILE>(L2s, Ds, lse, delta, row0, qt, Tq);
        __syncthreads();
        float p[C::TN][4], ds[C::TN][4];
        mma_rows_by_tile<D>(p, ka, Qs);                          // S^T: keys x queries
        mma_rows_by_tile<D>(ds, va, Gs);                         // dP^T = V dO^T
#pragma unroll
        for (int nt = 0; nt < C::TN; nt++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                int i = nt * 8 + 2 * t + (e & 1);                // query within the tile (the C column)
                float pe = exp2f(p[nt][e] * c2 - L2s[i]);         // 0 for padding queries (+inf)
                p[nt][e] = pe;
                ds[nt][e] = pe * (ds[nt][e] - Ds[i]);
            }
        }
        mma_frag_by_tile<D>(dva, p, Gs);                         // dV += P^T dO
        mma_frag_by_tile<D>(dka, ds, Qs);                        // dK += dS^T Q
    }
    store_rows<D>(dk + b * sdk.b + h * sdk.h, sdk.t, r0, Tk, dka, scale, scale);
    store_rows<D>(dv + b * sdv.b + h * sdv.h, sdv.t, r0, Tk, dva, 1.f, 1.f);
}

template <int D>
__device__ void tc_bwd_dq(const bf16* q, Bhts sq, const bf16* k, Bhts sk, const bf16* v, Bhts sv, const bf16* dout, Bhts sdo,
                          const float* lse, const float* delta, bf16* dq, Bhts sdq, int H, int Tq, int Tk, float scale) {
    typedef TcCfg<D> C;
    __shared__ __align__(16) u16 Ks[C::TILE * C::LD];
    __shared__ __align__(16) u16 Vs[C::TILE * C::LD];
    int bh = blockIdx.y, b = bh / H, h = bh - b * H;
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    int r0 = blockIdx.x * TC_ROWS + warp * 16;                   // this warp's 16 queries
    const u16* kb = reinterpret_cast<const u16*>(k + b * sk.b + h * sk.h);
    const u16* vb = reinterpret_cast<const u16*>(v + b * sv.b + h * sv.h);
    unsigned qa[C::KS][4], ga[C::KS][4];
    load_a_rows<D>(qa, reinterpret_cast<const u16*>(q + b * sq.b + h * sq.h), sq.t, r0, Tq);
    load_a_rows<D>(ga, reinterpret_cast<const u16*>(dout + b * sdo.b + h * sdo.h), sdo.t, r0, Tq);
    long long row0 = (long long) bh * Tq;
    int ra = r0 + g, rb = r0 + g + 8;
    float l2a = ra < Tq ? lse[row0 + ra] * TC_LOG2E : INFINITY, l2b = rb < Tq ? lse[row0 + rb] * TC_LOG2E : INFINITY;
    float dla = ra < Tq ? delta[row0 + ra] : 0.f, dlb = rb < Tq ? delta[row0 + rb] : 0.f;
    float dqa[C::NT][4];
    zero_frags(dqa);
    const float c2 = scale * TC_LOG2E;

    for (int kt = 0; kt < Tk; kt += C::TILE) {
        __syncthreads();
        stage<D>(Ks, kb, sk.t, kt, Tk);
        stage<D>(Vs, vb, sv.t, kt, Tk);
        __syncthreads();
        float p[C::TN][4], ds[C::TN][4];
        mma_rows_by_tile<D>(p, qa, Ks);                          // S
        mma_rows_by_tile<D>(ds, ga, Vs);                         // dP = dO V^T
#pragma unroll
        for (int nt = 0; nt < C::TN; nt++) {
            int key = kt + nt * 8 + 2 * t;
#pragma unroll
            for (int e = 0; e < 4; e++) {
                bool lo = e < 2;
                float pe = key + (e & 1) < Tk ? exp2f(p[nt][e] * c2 - (lo ? l2a : l2b)) : 0.f;
                ds[nt][e] = pe * (ds[nt][e] - (lo ? dla : dlb));
            }
        }
        mma_frag_by_tile<D>(dqa, ds, Ks);                        // dQ += dS K
    }
    store_rows<D>(dq + b * sdq.b + h * sdq.h, sdq.t, r0, Tq, dqa, scale, scale);
}

#define ATTN_TC_ENTRIES(D)                                                                                          \
    extern "C" __global__ void __launch_bounds__(TC_THREADS) dust_attn_tc_fwd_bf16_d##D(                           \
        const bf16* q, Bhts sq, const bf16* k, Bhts sk, const bf16* v, Bhts sv, bf16* o, Bhts so, float* lse, int H,  \
        int Tq, int Tk, float scale) {                                                                              \
        tc_fwd<D>(q, sq, k, sk, v, sv, o, so, lse, H, Tq, Tk, scale);                                               \
    }                                                                                                               \
    extern "C" __global__ void __launch_bounds__(TC_THREADS) dust_attn_tc_bwd_dkdv_bf16_d##D(                      \
        const bf16* q, Bhts sq, const bf16* k, Bhts sk, const bf16* v, Bhts sv, const bf16* dout, Bhts sdo,         \
        const float* lse, const float* delta, bf16* dk, Bhts sdk, bf16* dv, Bhts sdv, int H, int Tq, int Tk,        \
        float scale) {                                                                                              \
        tc_bwd_dkdv<D>(q, sq, k, sk, v, sv, dout, sdo, lse, delta, dk, sdk, dv, sdv, H, Tq, Tk, scale);             \
    }                                                                                                               \
    extern "C" __global__ void __launch_bounds__(TC_THREADS) dust_attn_tc_bwd_dq_bf16_d##D(                        \
        const bf16* q, Bhts sq, const bf16* k, Bhts sk, const bf16* v, Bhts sv, const bf16* dout, Bhts sdo,         \
        const float* lse, const float* delta, bf16* dq, Bhts sdq, int H, int Tq, int Tk, float scale) {             \
        tc_bwd_dq<D>(q, sq, k, sk, v, sv, dout, sdo, lse, delta, dq, sdq, H, Tq, Tk, scale);                        \
    }

ATTN_TC_ENTRIES(16)
ATTN_TC_ENTRIES(32)
ATTN_TC_ENTRIES(48)
ATTN_TC_ENTRIES(64)
ATTN_TC_ENTRIES(128)
