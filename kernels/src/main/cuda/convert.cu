// convert.cu: dtype conversion (BF16/F16 <-> F32 with round to nearest even, int <-> float) and strided copies.
//
// Launch shape: 1-D grid-stride, blockDim 256, gridDim = min(ceil(n/256), 65535*4) (LaunchGeometry.elementwise).
// CPU references: ReferenceBackend.convert and ReferenceBackend.copyInto (BF16 rounding bit-identical to
// org.dust4j.tensor.Half.floatToBf16, NaN kept as a quiet NaN).
#include "common.cuh"

extern "C" __global__ void dust_f32_to_bf16(const float* __restrict__ src, unsigned short* __restrict__ dst, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) dst[i] = f32_to_bf16_bits(src[i]);
}

extern "C" __global__ void dust_bf16_to_f32(const unsigned short* __restrict__ src, float* __restrict__ dst, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) dst[i] = __uint_as_float(((unsigned int) src[i]) << 16);
}

// dst[md(i)] = convert(src[ms(i)]) through float; ms may broadcast (stride 0).
extern "C" __global__ void dust_copy_convert(const void* src, int src_dtype, StridedMap ms,
                                             void* dst, int dst_dtype, StridedMap md, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) {
        store_any(dst, dst_dtype, map_offset(md, i), load_any(src, src_dtype, map_offset(ms, i)));
    }
}

// Exact same-dtype strided copies by element size (2, 4, 8 bytes): integers keep all 64 bits.
extern "C" __global__ void dust_copy_strided_b2(const unsigned short* src, StridedMap ms, unsigned short* dst, StridedMap md,
                                                long long n) {
    for (long long i = gtid(); i < n; i += gstride()) dst[map_offset(md, i)] = src[map_offset(ms, i)];
}

extern "C" __global__ void dust_copy_strided_b4(const unsigned int* src, StridedMap ms, unsigned int* dst, StridedMap md,
                                                long long n) {
    for (long long i = gtid(); i < n; i += gstride()) dst[map_offset(md, i)] = src[map_offset(ms, i)];
}

extern "C" __global__ void dust_copy_strided_b8(const unsigned long long* src, StridedMap ms, unsigned long long* dst,
                                                StridedMap md, long long n) {
    for (long long i = gtid(); i < n; i += gstride()) dst[map_offset(md, i)] = src[map_offset(ms, i)];
}
