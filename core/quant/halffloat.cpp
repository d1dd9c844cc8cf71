#include "quant/halffloat.h"

#include "util/cpufeatures.h"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#define QS_HAS_X86_LANES 1
#endif

namespace qs {

namespace {

// Eigen's conversions round to nearest even and keep infinities and NaN, as IEEE casts do.
const HalfFormatInfo kF16{"f16", 5, 10, 15, 65504.0f, 0x1p-14f, 0x1p-24f, 65520.0f};
const HalfFormatInfo kBF16{"bf16",
                           8,
                           7,
                           127,
                           std::bit_cast<float>(std::uint32_t(0x7F7F0000)),
                           0x1p-126f,
                           0x1p-133f,
                           std::bit_cast<float>(std::uint32_t(0x7F7F8000))};

} // namespace

const HalfFormatInfo &halfFormatInfo(HalfFormat format) {
    return format == HalfFormat::F16 ? kF16 : kBF16;
}

std::uint16_t encodeHalf(HalfFormat format, float x) {
    if (format == HalfFormat::F16)
        return Eigen::numext::bit_cast<std::uint16_t>(Eigen::half(x));
    return Eigen::numext::bit_cast<std::uint16_t>(Eigen::bfloat16(x));
}

float decodeHalf(HalfFormat format, std::uint16_t code) {
    if (format == HalfFormat::F16)
        return float(Eigen::numext::bit_cast<Eigen::half>(code));
    return float(Eigen::numext::bit_cast<Eigen::bfloat16>(code));
}

float roundToHalf(HalfFormat format, float x) {
    return decodeHalf(format, encodeHalf(format, x));
}

namespace {

#ifdef QS_HAS_X86_LANES
// Set bits of a lane mask of up to 8 lanes, by table: without -mpopcnt std::popcount is a
// library call, which cost more than the conversion itself.
int maskCount(int mask) {
    static constexpr std::array<std::uint8_t, 16> kBits{0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
    return kBits[std::size_t(mask & 15)] + kBits[std::size_t((mask >> 4) & 15)];
}

// Eight values at a time with the F16C conversion instructions, which round to nearest even as
// Eigen's software conversion does, bit for bit. Returns how many values it did (a multiple of 8).
__attribute__((target("avx,f16c"))) std::size_t castF16Lanes(const float *in, float *out, std::size_t n,
                                                             CastCounts &counts) {
    const __m256 signMask = _mm256_set1_ps(-0.0f);
    const __m256 maxFinite = _mm256_set1_ps(65504.0f);
    const __m256 minNormal = _mm256_set1_ps(0x1p-14f);
    const __m256 infinity = _mm256_set1_ps(std::numeric_limits<float>::infinity());
    const __m256 zero = _mm256_setzero_ps();
    std::int64_t overflow = 0;
    std::int64_t underflow = 0;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(in + i);
        __m256 y = _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
        const __m256 ax = _mm256_andnot_ps(signMask, x);
        const __m256 ay = _mm256_andnot_ps(signMask, y);
        const __m256 over =
            _mm256_and_ps(_mm256_cmp_ps(ay, infinity, _CMP_EQ_OQ), _mm256_cmp_ps(ax, infinity, _CMP_LT_OQ));
        const __m256 under =
            _mm256_and_ps(_mm256_cmp_ps(ay, minNormal, _CMP_LT_OQ), _mm256_cmp_ps(x, zero, _CMP_NEQ_OQ));
        y = _mm256_blendv_ps(y, _mm256_or_ps(_mm256_and_ps(x, signMask), maxFinite), over);
        _mm256_storeu_ps(out + i, y);
        overflow += maskCount(_mm256_movemask_ps(over));
        underflow += maskCount(_mm256_movemask_ps(under));
    }
    counts.overflow += overflow;
    counts.underflow += underflow;
    return i;
}

// Four values at a time in SSE2 integer arithmetic, as Eigen rounds float32 to bfloat16: add
// 0x7FFF plus the kept half's lowest bit, then drop the low half; NaN becomes the quiet NaN
// 0x7FC0 with x's sign. Returns how many values it did (a multiple of 4).
std::size_t castBf16Lanes(const float *in, float *out, std::size_t n, CastCounts &counts) {
    const __m128i one = _mm_set1_epi32(1);
    const __m128i roundingBias = _mm_set1_epi32(0x7FFF);
    const __m128i upperHalf = _mm_set1_epi32(std::int32_t(0xFFFF0000u));
    const __m128i quietNan = _mm_set1_epi32(0x7FC00000);
    const __m128 signMask = _mm_set1_ps(-0.0f);
    const __m128 maxFinite = _mm_castsi128_ps(_mm_set1_epi32(0x7F7F0000));
    const __m128 minNormal = _mm_set1_ps(0x1p-126f);
    const __m128 infinity = _mm_set1_ps(std::numeric_limits<float>::infinity());
    const __m128 zero = _mm_setzero_ps();
    std::int64_t overflow = 0;
    std::int64_t underflow = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m128 x = _mm_loadu_ps(in + i);
        const __m128i bits = _mm_castps_si128(x);
        const __m128i lsb = _mm_and_si128(_mm_srli_epi32(bits, 16), one);
        __m128 y =
            _mm_castsi128_ps(_mm_and_si128(_mm_add_epi32(_mm_add_epi32(bits, roundingBias), lsb), upperHalf));
        const __m128 nan = _mm_cmpunord_ps(x, x);
        const __m128 nanOut = _mm_or_ps(_mm_and_ps(x, signMask), _mm_castsi128_ps(quietNan));
        y = _mm_or_ps(_mm_and_ps(nan, nanOut), _mm_andnot_ps(nan, y));
        const __m128 ax = _mm_andnot_ps(signMask, x);
        const __m128 ay = _mm_andnot_ps(signMask, y);
        const __m128 over = _mm_and_ps(_mm_cmpeq_ps(ay, infinity), _mm_cmplt_ps(ax, infinity));
        const __m128 under = _mm_and_ps(_mm_cmplt_ps(ay, minNormal), _mm_cmpneq_ps(x, zero));
        const __m128 saturated = _mm_or_ps(_mm_and_ps(x, signMask), maxFinite);
        y = _mm_or_ps(_mm_and_ps(over, saturated), _mm_andnot_ps(over, y));
        _mm_storeu_ps(out + i, y);
        overflow += maskCount(_mm_movemask_ps(over));
        underflow += maskCount(_mm_movemask_ps(under));
    }
    counts.overflow += overflow;
    counts.underflow += underflow;
    return i;
}

#endif

template <typename T>
void castRun(const HalfFormatInfo &info, std::span<const float> in, std::span<float> out,
             CastCounts &counts) {
    const std::size_t n = std::min(in.size(), out.size());
    std::size_t start = 0;
#ifdef QS_HAS_X86_LANES
    if constexpr (std::is_same_v<T, Eigen::half>) {
        if (cpuHasF16c())
            start = castF16Lanes(in.data(), out.data(), n, counts);
    } else {
        start = castBf16Lanes(in.data(), out.data(), n, counts);
    }
#endif
    std::int64_t overflow = 0;
    std::int64_t underflow = 0;
    for (std::size_t i = start; i < n; ++i) {
        const float x = in[i];
        float y = float(T(x));
        const float ay = std::fabs(y);
        if (std::isinf(y) && std::isfinite(x)) {
            ++overflow;
            y = std::copysign(info.maxFinite, x);
        } else if (ay < info.minNormal && x != 0.0f) {
            ++underflow;
        }
        out[i] = y;
    }
    counts.overflow += overflow;
    counts.underflow += underflow;
}

} // namespace

void castSaturating(HalfFormat format, std::span<const float> in, std::span<float> out, CastCounts &counts) {
    if (format == HalfFormat::F16)
        castRun<Eigen::half>(kF16, in, out, counts);
    else
        castRun<Eigen::bfloat16>(kBF16, in, out, counts);
}

} // namespace qs
