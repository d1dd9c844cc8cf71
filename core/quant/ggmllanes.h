#pragma once

// Internal to the ggml encoders: eight float32 lanes (GCC / Clang vector extensions; two SSE
// registers on baseline x86-64) that run eight independent sub-blocks side by side. Every lane
// performs exactly the IEEE operations the scalar code performs on its own sub-block, in the same
// order: vector +, −, ·, / and comparisons are lane-wise IEEE float32 operations, selects only
// move bits, and the files using this are compiled with -ffp-contract=off. So each lane's result
// is bit for bit the scalar one. Never reduce ACROSS lanes in float: a lane is one sub-block.

#include <bit>
#include <cstdint>
#include <cstring>

namespace qs::ggml {

inline constexpr int kLanes = 8;

// Eight lanes as two native 4-lane vectors: GCC lowers comparisons of 8-lane vector_size(32)
// types lane by lane in scalar code when AVX is off, while two SSE halves stay in registers (and
// give two independent dependency chains per sum).
using Float4 = float __attribute__((vector_size(16)));
using Mask4 = std::int32_t __attribute__((vector_size(16)));

/// Comparison results: -1 (all bits set) in a lane where true, 0 where false.
struct MaskLanes {
    Mask4 lo, hi;
};

struct FloatLanes {
    Float4 lo, hi;
    /// Lane g (0 ... 7).
    float operator[](int g) const { return g < 4 ? lo[g] : hi[g - 4]; }
    void set(int g, float v) {
        if (g < 4)
            lo[g] = v;
        else
            hi[g - 4] = v;
    }
};

#define QS_LANES_INLINE [[gnu::always_inline]] inline
#define QS_LANES_BINARY(op)                                                                                  \
    QS_LANES_INLINE FloatLanes operator op(FloatLanes a, FloatLanes b) {                                     \
        return {a.lo op b.lo, a.hi op b.hi};                                                                 \
    }                                                                                                        \
    QS_LANES_INLINE FloatLanes operator op(FloatLanes a, float b) {                                          \
        return {a.lo op b, a.hi op b};                                                                       \
    }                                                                                                        \
    QS_LANES_INLINE FloatLanes operator op(float a, FloatLanes b) {                                          \
        return {a op b.lo, a op b.hi};                                                                       \
    }                                                                                                        \
    QS_LANES_INLINE FloatLanes &operator op##=(FloatLanes &a, FloatLanes b) {                                \
        return a = a op b;                                                                                   \
    }
QS_LANES_BINARY(+)
QS_LANES_BINARY(-)
QS_LANES_BINARY(*)
QS_LANES_BINARY(/)
#undef QS_LANES_BINARY

#define QS_LANES_COMPARE(op)                                                                                 \
    QS_LANES_INLINE MaskLanes operator op(FloatLanes a, FloatLanes b) {                                      \
        return {a.lo op b.lo, a.hi op b.hi};                                                                 \
    }                                                                                                        \
    QS_LANES_INLINE MaskLanes operator op(FloatLanes a, float b) {                                           \
        return {a.lo op b, a.hi op b};                                                                       \
    }                                                                                                        \
    QS_LANES_INLINE MaskLanes operator op(float a, FloatLanes b) {                                           \
        return {a op b.lo, a op b.hi};                                                                       \
    }
QS_LANES_COMPARE(<)
QS_LANES_COMPARE(>)
QS_LANES_COMPARE(==)
QS_LANES_COMPARE(!=)
#undef QS_LANES_COMPARE

QS_LANES_INLINE MaskLanes operator&(MaskLanes a, MaskLanes b) {
    return {a.lo & b.lo, a.hi & b.hi};
}
QS_LANES_INLINE MaskLanes operator|(MaskLanes a, MaskLanes b) {
    return {a.lo | b.lo, a.hi | b.hi};
}
QS_LANES_INLINE MaskLanes &operator|=(MaskLanes &a, MaskLanes b) {
    return a = a | b;
}
QS_LANES_INLINE MaskLanes operator~(MaskLanes a) {
    return {~a.lo, ~a.hi};
}

QS_LANES_INLINE FloatLanes splat(float v) {
    // Not `FloatLanes{} + v`: 0 + (-0) is +0.
    const Float4 half = {v, v, v, v};
    return {half, half};
}

QS_LANES_INLINE FloatLanes loadFloats(const float *at) {
    FloatLanes v;
    std::memcpy(&v.lo, at, sizeof v.lo);
    std::memcpy(&v.hi, at + 4, sizeof v.hi);
    return v;
}

/// Where mask is set a, elsewhere b (bits only, no arithmetic).
QS_LANES_INLINE Float4 select4(Mask4 mask, Float4 a, Float4 b) {
    return std::bit_cast<Float4>((mask & std::bit_cast<Mask4>(a)) | (~mask & std::bit_cast<Mask4>(b)));
}

QS_LANES_INLINE FloatLanes select(MaskLanes mask, FloatLanes a, FloatLanes b) {
    return {select4(mask.lo, a.lo, b.lo), select4(mask.hi, a.hi, b.hi)};
}

QS_LANES_INLINE FloatLanes absLanes(FloatLanes v) {
    return {std::bit_cast<Float4>(std::bit_cast<Mask4>(v.lo) & 0x7fffffff),
            std::bit_cast<Float4>(std::bit_cast<Mask4>(v.hi) & 0x7fffffff)};
}

/// nearestInt (ggmlfit.h) of every lane, as an exact float: the bit trick yields integers in
/// [-2^22, 2^22), which float32 holds exactly, so clamping and comparing them as floats gives
/// what the scalar code's int clamps and compares give.
QS_LANES_INLINE Float4 nearest4(Float4 x) {
    const Mask4 bits = std::bit_cast<Mask4>(x + 12582912.0f);
    return __builtin_convertvector((bits & 0x007fffff) - 0x00400000, Float4);
}

QS_LANES_INLINE FloatLanes nearestLanes(FloatLanes x) {
    return {nearest4(x.lo), nearest4(x.hi)};
}

/// std::max(lo, std::min(hi, level)) lane-wise, for exact integer levels. The ternaries are what
/// std::min / std::max compute and compile to one minps / maxps each.
QS_LANES_INLINE Float4 clamp4(Float4 level, Float4 lo, Float4 hi) {
    const Float4 capped = level < hi ? level : hi;
    return lo < capped ? capped : lo;
}

QS_LANES_INLINE FloatLanes clampLanes(FloatLanes level, float lo, float hi) {
    const Float4 lo4 = {lo, lo, lo, lo};
    const Float4 hi4 = {hi, hi, hi, hi};
    return {clamp4(level.lo, lo4, hi4), clamp4(level.hi, lo4, hi4)};
}

QS_LANES_INLINE bool anyLane(MaskLanes mask) {
    const Mask4 any = mask.lo | mask.hi;
    return (any[0] | any[1] | any[2] | any[3]) != 0;
}

/// Lane g of out[i] = x[g · n + i]: eight consecutive groups of n values, one per lane.
template <int N>
QS_LANES_INLINE void loadGroups(const float *x, FloatLanes (&out)[N]) {
    for (int i = 0; i < N; ++i)
        for (int g = 0; g < kLanes; ++g)
            out[i].set(g, x[g * N + i]);
}

#undef QS_LANES_INLINE

} // namespace qs::ggml
