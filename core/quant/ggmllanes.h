#pragma once

// Internal to the ggml encoders: eight float32 lanes (GCC / Clang vector extensions) that run
// eight independent sub-blocks side by side. Every lane performs exactly the IEEE operations the
// scalar code performs on its own sub-block, in the same order: vector +, −, ·, / and comparisons
// are lane-wise IEEE float32 operations, selects, min and max only pick one of their operands,
// and the files using this are compiled with -ffp-contract=off. So each lane's result is bit for
// bit the scalar one, at any vector width. Never reduce ACROSS lanes in float: a lane is one
// sub-block.
//
// The lanes are one AVX register in a translation unit built for AVX2 and two SSE registers
// otherwise (GCC lowers comparisons of 8-wide vectors to scalar code without AVX). The two builds
// live in different inline namespaces, so both can be linked into one program.

#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__AVX2__)
#define QS_LANES_ISA avx2
#else
#define QS_LANES_ISA sse2
#endif

namespace qs::ggml {
inline namespace QS_LANES_ISA {

#if defined(__AVX2__)
inline constexpr int kPartWidth = 8;
#else
inline constexpr int kPartWidth = 4;
#endif

inline constexpr int kLanes = 8;
inline constexpr int kParts = kLanes / kPartWidth;

using FloatPart = float __attribute__((vector_size(kPartWidth * sizeof(float))));
using MaskPart = std::int32_t __attribute__((vector_size(kPartWidth * sizeof(std::int32_t))));

/// Comparison results: -1 (all bits set) in a lane where true, 0 where false.
struct MaskLanes {
    MaskPart part[kParts];
};

struct FloatLanes {
    FloatPart part[kParts];
    /// Lane g (0 ... 7).
    float operator[](int g) const { return part[g / kPartWidth][g % kPartWidth]; }
    void set(int g, float v) { part[g / kPartWidth][g % kPartWidth] = v; }
};

#define QS_LANES_INLINE [[gnu::always_inline]] inline

// Applies `expr` (in terms of part p) to every part.
#define QS_LANES_EACH(Type, expr)                                                                            \
    Type r;                                                                                                  \
    for (int p = 0; p < kParts; ++p)                                                                         \
        r.part[p] = expr;                                                                                    \
    return r;

#define QS_LANES_BINARY(op)                                                                                  \
    QS_LANES_INLINE FloatLanes operator op(FloatLanes a, FloatLanes b){                                      \
        QS_LANES_EACH(FloatLanes, a.part[p] op b.part[p])} QS_LANES_INLINE FloatLanes                        \
    operator op(FloatLanes a, float b){QS_LANES_EACH(FloatLanes, a.part[p] op b)} QS_LANES_INLINE FloatLanes \
    operator op(float a,                                                                                     \
                FloatLanes b){QS_LANES_EACH(FloatLanes, a op b.part[p])} QS_LANES_INLINE FloatLanes &        \
    operator op##=(FloatLanes &a, FloatLanes b) {                                                            \
        return a = a op b;                                                                                   \
    }
QS_LANES_BINARY(+)
QS_LANES_BINARY(-)
QS_LANES_BINARY(*)
QS_LANES_BINARY(/)
#undef QS_LANES_BINARY

#define QS_LANES_COMPARE(op)                                                                                 \
    QS_LANES_INLINE MaskLanes operator op(FloatLanes a, FloatLanes b){                                       \
        QS_LANES_EACH(MaskLanes, a.part[p] op b.part[p])} QS_LANES_INLINE MaskLanes                          \
    operator op(FloatLanes a, float b) {                                                                     \
        QS_LANES_EACH(MaskLanes, a.part[p] op b)                                                             \
    }
QS_LANES_COMPARE(<)
QS_LANES_COMPARE(>)
QS_LANES_COMPARE(==)
QS_LANES_COMPARE(!=)
#undef QS_LANES_COMPARE

QS_LANES_INLINE MaskLanes operator&(MaskLanes a, MaskLanes b){
    QS_LANES_EACH(MaskLanes, a.part[p] & b.part[p])} QS_LANES_INLINE MaskLanes
operator|(MaskLanes a,
          MaskLanes b){QS_LANES_EACH(MaskLanes, a.part[p] | b.part[p])} QS_LANES_INLINE MaskLanes &
operator|=(MaskLanes &a, MaskLanes b) {
    return a = a | b;
}
QS_LANES_INLINE MaskLanes operator~(MaskLanes a){QS_LANES_EACH(MaskLanes, ~a.part[p])}

QS_LANES_INLINE FloatPart splatPart(float v) {
    FloatPart r;
    for (int i = 0; i < kPartWidth; ++i)
        r[i] = v;
    return r;
}

QS_LANES_INLINE FloatLanes splat(float v){// Not `FloatLanes{} + v`: 0 + (-0) is +0.
                                          QS_LANES_EACH(FloatLanes, splatPart(v))}

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
QS_LANES_INLINE FloatLanes select(MaskLanes mask, FloatLanes a, FloatLanes b){
    QS_LANES_EACH(FloatLanes, selectPart(mask.part[p], a.part[p], b.part[p]))}

QS_LANES_INLINE FloatLanes absLanes(FloatLanes v){
    QS_LANES_EACH(FloatLanes, std::bit_cast<FloatPart>(std::bit_cast<MaskPart>(v.part[p]) & 0x7fffffff))}

QS_LANES_INLINE FloatPart nearestPart(FloatPart x) {
    const MaskPart bits = std::bit_cast<MaskPart>(x + 12582912.0f);
    return __builtin_convertvector((bits & 0x007fffff) - 0x00400000, FloatPart);
}

/// nearestInt (ggmlfit.h) of every lane, as an exact float: the bit trick yields integers in
/// [-2^22, 2^22), which float32 holds exactly, so clamping and comparing them as floats gives
/// what the scalar code's int clamps and compares give.
QS_LANES_INLINE FloatLanes nearestLanes(FloatLanes x){QS_LANES_EACH(FloatLanes, nearestPart(x.part[p]))}

QS_LANES_INLINE FloatPart clampPart(FloatPart level, FloatPart lo, FloatPart hi) {
    // What std::min(hi, level) and std::max(lo, ·) compute, as one minps and one maxps.
    const FloatPart capped = level < hi ? level : hi;
    return lo < capped ? capped : lo;
}

/// std::max(lo, std::min(hi, level)) lane-wise, for exact integer levels.
QS_LANES_INLINE FloatLanes clampLanes(FloatLanes level, float lo, float hi){
    QS_LANES_EACH(FloatLanes, clampPart(level.part[p], splatPart(lo), splatPart(hi)))}

QS_LANES_INLINE bool anyLane(MaskLanes mask) {
    MaskPart any = mask.part[0];
    for (int p = 1; p < kParts; ++p)
        any |= mask.part[p];
    std::int32_t bits = 0;
    for (int i = 0; i < kPartWidth; ++i)
        bits |= any[i];
    return bits != 0;
}

/// Lane g of out[i] = x[g · N + i]: eight consecutive groups of N values, one per lane.
template <int N>
QS_LANES_INLINE void loadGroups(const float *x, FloatLanes (&out)[N]) {
    for (int i = 0; i < N; ++i)
        for (int g = 0; g < kLanes; ++g)
            out[i].set(g, x[g * N + i]);
}

#undef QS_LANES_EACH
#undef QS_LANES_INLINE

} // namespace QS_LANES_ISA
} // namespace qs::ggml
