#pragma once

// Internal to the ggml encoders: sixteen float32 lanes (GCC / Clang vector extensions) that run
// sixteen independent sub-blocks side by side. Every lane performs exactly the IEEE operations the
// scalar code performs on its own sub-block, in the same order: vector +, −, ·, / and comparisons
// are lane-wise IEEE float32 operations, selects, min and max only pick one of their operands,
// and the files using this are compiled with -ffp-contract=off. So each lane's result is bit for
// bit the scalar one, at any vector width. Never reduce ACROSS lanes in float: a lane is one
// sub-block.
//
// The lanes are one AVX-512 register in a translation unit built for AVX-512, two AVX registers in
// one built for AVX2, and four SSE registers otherwise (GCC lowers comparisons of 8-wide vectors
// to scalar code without AVX). The builds live in different inline namespaces, so all can be
// linked into one program.

#include "quant/ggmlfit.h"

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <functional>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
#define QS_LANES_ISA avx512
#elif defined(__AVX2__)
#define QS_LANES_ISA avx2
#else
#define QS_LANES_ISA sse2
#endif

namespace qs::ggml {
inline namespace QS_LANES_ISA {

#if defined(__AVX512F__)
inline constexpr int kPartWidth = 16;
#elif defined(__AVX2__)
inline constexpr int kPartWidth = 8;
#else
inline constexpr int kPartWidth = 4;
#endif

inline constexpr int kLanes = 16;
inline constexpr int kParts = kLanes / kPartWidth;

using FloatPart = float __attribute__((vector_size(kPartWidth * sizeof(float))));
using MaskPart = std::int32_t __attribute__((vector_size(kPartWidth * sizeof(std::int32_t))));

/// Comparison results: -1 (all bits set) in a lane where true, 0 where false.
struct MaskLanes {
    MaskPart part[kParts];
};

struct FloatLanes {
    FloatPart part[kParts];
    /// Lane g (0 ... kLanes - 1).
    float operator[](int g) const { return part[g / kPartWidth][g % kPartWidth]; }
    void set(int g, float v) { part[g / kPartWidth][g % kPartWidth] = v; }
};

#define QS_LANES_INLINE [[gnu::always_inline]] inline

QS_LANES_INLINE FloatPart splatPart(float v) {
    FloatPart r;
    for (int i = 0; i < kPartWidth; ++i)
        r[i] = v;
    return r;
}

/// Every lane v. (Not `FloatLanes{} + v`: 0 + (-0) is +0.)
QS_LANES_INLINE FloatLanes splat(float v) {
    FloatLanes r;
    for (int p = 0; p < kParts; ++p)
        r.part[p] = splatPart(v);
    return r;
}

// The operators below take lanes and floats in either order; a float stands for every lane.
template <typename T>
concept LaneOperand = std::same_as<T, FloatLanes> || std::same_as<T, float>;
template <typename A, typename B>
concept LaneOperands =
    LaneOperand<A> && LaneOperand<B> && !(std::same_as<A, float> && std::same_as<B, float>);

QS_LANES_INLINE FloatLanes lanesOf(FloatLanes v) {
    return v;
}
QS_LANES_INLINE FloatLanes lanesOf(float v) {
    return splat(v);
}

// op applied part by part, each part's lanes by the vector extension's lane-wise operator.
template <typename Result, typename A, typename B, typename Op>
QS_LANES_INLINE Result zip(A a, B b, Op op) {
    const FloatLanes x = lanesOf(a);
    const FloatLanes y = lanesOf(b);
    Result r;
    for (int p = 0; p < kParts; ++p)
        r.part[p] = op(x.part[p], y.part[p]);
    return r;
}

template <typename A, typename B>
requires LaneOperands<A, B> QS_LANES_INLINE FloatLanes operator+(A a, B b) {
    return zip<FloatLanes>(a, b, std::plus<>());
}
template <typename A, typename B>
requires LaneOperands<A, B> QS_LANES_INLINE FloatLanes operator-(A a, B b) {
    return zip<FloatLanes>(a, b, std::minus<>());
}
template <typename A, typename B>
requires LaneOperands<A, B> QS_LANES_INLINE FloatLanes operator*(A a, B b) {
    return zip<FloatLanes>(a, b, std::multiplies<>());
}
template <typename A, typename B>
requires LaneOperands<A, B> QS_LANES_INLINE FloatLanes operator/(A a, B b) {
    return zip<FloatLanes>(a, b, std::divides<>());
}
QS_LANES_INLINE FloatLanes &operator+=(FloatLanes &a, FloatLanes b) {
    return a = a + b;
}
QS_LANES_INLINE FloatLanes &operator-=(FloatLanes &a, FloatLanes b) {
    return a = a - b;
}

template <typename A, typename B>
requires LaneOperands<A, B> QS_LANES_INLINE MaskLanes operator<(A a, B b) {
    return zip<MaskLanes>(a, b, std::less<>());
}
template <typename A, typename B>
requires LaneOperands<A, B> QS_LANES_INLINE MaskLanes operator>(A a, B b) {
    return zip<MaskLanes>(a, b, std::greater<>());
}
template <typename A, typename B>
requires LaneOperands<A, B> QS_LANES_INLINE MaskLanes operator==(A a, B b) {
    return zip<MaskLanes>(a, b, std::equal_to<>());
}
template <typename A, typename B>
requires LaneOperands<A, B> QS_LANES_INLINE MaskLanes operator!=(A a, B b) {
    return zip<MaskLanes>(a, b, std::not_equal_to<>());
}

QS_LANES_INLINE MaskLanes operator&(MaskLanes a, MaskLanes b) {
    for (int p = 0; p < kParts; ++p)
        a.part[p] &= b.part[p];
    return a;
}
QS_LANES_INLINE MaskLanes operator|(MaskLanes a, MaskLanes b) {
    for (int p = 0; p < kParts; ++p)
        a.part[p] |= b.part[p];
    return a;
}
QS_LANES_INLINE MaskLanes &operator|=(MaskLanes &a, MaskLanes b) {
    return a = a | b;
}
QS_LANES_INLINE MaskLanes operator~(MaskLanes a) {
    for (int p = 0; p < kParts; ++p)
        a.part[p] = ~a.part[p];
    return a;
}

QS_LANES_INLINE FloatLanes loadFloats(const float *at) {
    FloatLanes v;
    std::memcpy(&v.part, at, sizeof v.part);
    return v;
}

QS_LANES_INLINE FloatPart selectPart(MaskPart mask, FloatPart a, FloatPart b) {
    return std::bit_cast<FloatPart>((mask & std::bit_cast<MaskPart>(a)) |
                                    (~mask & std::bit_cast<MaskPart>(b)));
}

/// Where mask is set a, elsewhere b (bits only, no arithmetic).
QS_LANES_INLINE FloatLanes select(MaskLanes mask, FloatLanes a, FloatLanes b) {
    for (int p = 0; p < kParts; ++p)
        a.part[p] = selectPart(mask.part[p], a.part[p], b.part[p]);
    return a;
}

QS_LANES_INLINE FloatLanes absLanes(FloatLanes v) {
    for (int p = 0; p < kParts; ++p)
        v.part[p] = std::bit_cast<FloatPart>(std::bit_cast<MaskPart>(v.part[p]) & 0x7fffffff);
    return v;
}

QS_LANES_INLINE FloatPart nearestPart(FloatPart x) {
    const MaskPart bits = std::bit_cast<MaskPart>(x + 12582912.0f);
    return __builtin_convertvector((bits & 0x007fffff) - 0x00400000, FloatPart);
}

/// nearestInt (ggmlfit.h) of every lane, as an exact float: the bit trick yields integers in
/// [-2^22, 2^22), which float32 holds exactly, so clamping and comparing them as floats gives
/// what the scalar code's int clamps and compares give.
QS_LANES_INLINE FloatLanes nearestLanes(FloatLanes x) {
    for (int p = 0; p < kParts; ++p)
        x.part[p] = nearestPart(x.part[p]);
    return x;
}

#if defined(__AVX512F__) || defined(__AVX2__)
/// Whether roundLanes<true> has a native round-to-nearest-even instruction in this build.
inline constexpr bool kNativeRound = true;
#else
inline constexpr bool kNativeRound = false;
#endif

/// Below this magnitude nearestInt's bit trick and IEEE round-to-nearest-even give the same
/// integer: x + 1.5 · 2^23 then lies in [2^23, 2^24), where float32's spacing is 1, so the
/// addition itself rounds x to the nearest integer, ties to even. (The trick holds up to 2^22;
/// the margin leaves no doubt at the edge.)
inline constexpr float kNativeRoundLimit = 2097152.0f; // 2^21

QS_LANES_INLINE FloatPart roundEvenPart(FloatPart x) {
#if defined(__AVX512F__)
    // The masked form: GCC 12 warns that the plain one reads an undefined source.
    return (FloatPart)_mm512_mask_roundscale_ps((__m512)x, __mmask16(0xffff), (__m512)x,
                                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#elif defined(__AVX2__)
    return (FloatPart)_mm256_round_ps((__m256)x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#else
    return nearestPart(x);
#endif
}

/// nearestLanes when Native is false; when true, one native rounding instruction, which gives
/// the same floats for lanes below kNativeRoundLimit in magnitude (the caller's promise; see
/// nativeRoundable).
template <bool Native>
QS_LANES_INLINE FloatLanes roundLanes(FloatLanes x) {
    for (int p = 0; p < kParts; ++p)
        x.part[p] = Native ? roundEvenPart(x.part[p]) : nearestPart(x.part[p]);
    return x;
}

QS_LANES_INLINE FloatPart clampPart(FloatPart level, FloatPart lo, FloatPart hi) {
    // What std::min(hi, level) and std::max(lo, ·) compute, as one minps and one maxps: minps
    // and maxps give their second operand when the first is NaN or the two are equal, as these
    // comparisons do. By the intrinsics where GCC made each a compare into a mask and a masked
    // move (the zero-masked forms: the plain ones start from an undefined register GCC warns
    // about).
#if defined(__AVX512F__)
    const auto capped = _mm512_maskz_min_ps(__mmask16(0xffff), (__m512)level, (__m512)hi);
    return (FloatPart)_mm512_maskz_max_ps(__mmask16(0xffff), capped, (__m512)lo);
#else
    const FloatPart capped = level < hi ? level : hi;
    return lo < capped ? capped : lo;
#endif
}

/// std::max(lo, std::min(hi, level)) lane-wise, for exact integer levels.
QS_LANES_INLINE FloatLanes clampLanes(FloatLanes level, float lo, float hi) {
    for (int p = 0; p < kParts; ++p)
        level.part[p] = clampPart(level.part[p], splatPart(lo), splatPart(hi));
    return level;
}

QS_LANES_INLINE bool anyLane(MaskLanes mask) {
    MaskPart any = mask.part[0];
    for (int p = 1; p < kParts; ++p)
        any |= mask.part[p];
        // A mask lane is all ones or all zeros, so its sign bit says which.
#if defined(__AVX512F__)
    return _mm512_test_epi32_mask((__m512i)any, (__m512i)any) != 0;
#elif defined(__AVX2__)
    return _mm256_movemask_ps((__m256)any) != 0;
#elif defined(__SSE2__)
    return _mm_movemask_ps((__m128)any) != 0;
#else
    std::int32_t bits = 0;
    for (int i = 0; i < kPartWidth; ++i)
        bits |= any[i];
    return bits != 0;
#endif
}

/// Whether this build can round natively and every lane's bound is below kNativeRoundLimit (a
/// NaN bound is not).
QS_LANES_INLINE bool nativeRoundable(FloatLanes bound) {
    if constexpr (!kNativeRound)
        return false;
    return !anyLane(~(bound < kNativeRoundLimit));
}

/// The larger of a and b in every lane.
QS_LANES_INLINE FloatLanes maxLanes(FloatLanes a, FloatLanes b) {
    return select(a > b, a, b);
}

static_assert(sizeof(FloatLanes) == kLanes * sizeof(float));

/// Integer lanes: levels and bytes on their way out.
struct IntLanes {
    MaskPart part[kParts];
};

/// Every lane truncated toward zero to int32, as truncateToInt32 (ggmlfit.h): INT32_MIN where the
/// value is NaN or outside the int32 range, which is what the truncating conversion instruction
/// gives.
QS_LANES_INLINE IntLanes truncateLanes(FloatLanes x) {
    IntLanes r;
    for (int p = 0; p < kParts; ++p) {
#if defined(__AVX512F__)
        // The masked form: GCC 12 warns that the plain one reads an undefined source.
        r.part[p] = (MaskPart)_mm512_maskz_cvttps_epi32(__mmask16(0xffff), (__m512)x.part[p]);
#elif defined(__AVX2__)
        r.part[p] = (MaskPart)_mm256_cvttps_epi32((__m256)x.part[p]);
#elif defined(__SSE2__)
        r.part[p] = (MaskPart)_mm_cvttps_epi32((__m128)x.part[p]);
#else
        for (int i = 0; i < kPartWidth; ++i)
            r.part[p][i] = truncateToInt32(x.part[p][i]);
#endif
    }
    return r;
}

/// Every lane as a float (exact below 2^24 in magnitude).
QS_LANES_INLINE FloatLanes floatLanes(IntLanes v) {
    FloatLanes r;
    for (int p = 0; p < kParts; ++p)
        r.part[p] = __builtin_convertvector(v.part[p], FloatPart);
    return r;
}

/// Bit g set where lane g of mask is set.
QS_LANES_INLINE std::uint32_t laneBits(MaskLanes mask) {
    std::uint32_t bits = 0;
    for (int p = 0; p < kParts; ++p) {
#if defined(__AVX512F__)
        const std::uint32_t partBits = _mm512_test_epi32_mask((__m512i)mask.part[p], (__m512i)mask.part[p]);
#elif defined(__AVX2__)
        const auto partBits = std::uint32_t(_mm256_movemask_ps((__m256)mask.part[p]));
#elif defined(__SSE2__)
        const auto partBits = std::uint32_t(_mm_movemask_ps((__m128)mask.part[p]));
#else
        std::uint32_t partBits = 0;
        for (int i = 0; i < kPartWidth; ++i)
            partBits |= std::uint32_t(mask.part[p][i] != 0) << i;
#endif
        bits |= partBits << (p * kPartWidth);
    }
    return bits;
}

// The lane Pick keeps of all (Pick(a, b) is a or b), by halving: a pick, not a computation, so
// any order gives the same value (which of -0 and +0 is left open). One overload per width: GCC
// drops vector_size from a type that depends on a template parameter.
using Floats8 = float __attribute__((vector_size(8 * sizeof(float))));
using Floats4 = float __attribute__((vector_size(4 * sizeof(float))));
using Floats2 = float __attribute__((vector_size(2 * sizeof(float))));

template <class Half, class Pick, class V>
QS_LANES_INLINE Half pickHalf(V v, Pick pick) {
    Half low, high;
    std::memcpy(&low, &v, sizeof low);
    std::memcpy(&high, reinterpret_cast<const char *>(&v) + sizeof low, sizeof high);
    return pick(low, high);
}
template <class Pick>
QS_LANES_INLINE float pickLane(Floats2 v, Pick pick) {
    return pick(v, Floats2{v[1], v[0]})[0];
}
template <class Pick>
QS_LANES_INLINE float pickLane(Floats4 v, Pick pick) {
    return pickLane(pickHalf<Floats2>(v, pick), pick);
}
template <class Pick>
QS_LANES_INLINE float pickLane(Floats8 v, Pick pick) {
    return pickLane(pickHalf<Floats4>(v, pick), pick);
}
#if defined(__AVX512F__)
template <class Pick>
QS_LANES_INLINE float pickLane(FloatPart v, Pick pick) {
    return pickLane(pickHalf<Floats8>(v, pick), pick);
}
#endif

/// The largest lane.
QS_LANES_INLINE float largestLane(FloatLanes v) {
    const auto larger = [](auto a, auto b) { return a > b ? a : b; };
    FloatPart m = v.part[0];
    for (int p = 1; p < kParts; ++p)
        m = larger(m, v.part[p]);
    return pickLane(m, larger);
}

/// The smallest lane.
QS_LANES_INLINE float smallestLane(FloatLanes v) {
    const auto smaller = [](auto a, auto b) { return a < b ? a : b; };
    FloatPart m = v.part[0];
    for (int p = 1; p < kParts; ++p)
        m = smaller(m, v.part[p]);
    return pickLane(m, smaller);
}

/// The low byte of every lane, lane g to out[g].
QS_LANES_INLINE void storeLowBytes(IntLanes v, std::uint8_t *out) {
    using BytePart = std::uint8_t __attribute__((vector_size(kPartWidth)));
    for (int p = 0; p < kParts; ++p) {
        const BytePart bytes = __builtin_convertvector(v.part[p], BytePart);
        std::memcpy(out + p * kPartWidth, &bytes, sizeof bytes);
    }
}

/// Lane g of out[i] = x[g · N + i]: kLanes consecutive groups of N values, one per lane.
/// Transposed through plain floats: setting lanes one by one goes through memory anyway.
template <int N>
QS_LANES_INLINE void loadGroups(const float *x, FloatLanes (&out)[N]) {
    float lanes[N][kLanes];
    for (int g = 0; g < kLanes; ++g)
        for (int i = 0; i < N; ++i)
            lanes[i][g] = x[g * N + i];
    std::memcpy(out, lanes, sizeof lanes);
}

/// The lanes as plain floats, lanes[i][g] = lane g of v[i].
template <int N>
QS_LANES_INLINE void storeLanes(const FloatLanes (&v)[N], float (&lanes)[N][kLanes]) {
    std::memcpy(lanes, v, sizeof lanes);
}

#undef QS_LANES_INLINE

} // namespace QS_LANES_ISA
} // namespace qs::ggml
