#pragma once

// Inline encode/round kernels shared by the minifloat, microscaling and NVFP4 code. Internal:
// callers outside core/quant use minifloat.h.

#include "quant/minifloat.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace qs::detail {

enum class Specials {
    None,     // every code is a finite number (e2m1)
    NanAtTop, // S.1111.111 is NaN, no infinities (E4M3FN)
    Ieee,     // all-ones exponent: Inf (mantissa 0) or NaN (e5m2)
};

struct MiniFloatLayout {
    int exponentBits;
    int mantissaBits;
    int bias;
    Specials specials;
    std::uint8_t maxCode;
    std::uint8_t nanCode;
};

constexpr MiniFloatLayout layoutOf(MiniFloat format) {
    switch (format) {
    case MiniFloat::E4M3:
        return {4, 3, 7, Specials::NanAtTop, 0x7E, 0x7F};
    case MiniFloat::E5M2:
        return {5, 2, 15, Specials::Ieee, 0x7B, 0x7E};
    case MiniFloat::E2M1:
        break;
    }
    return {2, 1, 1, Specials::None, 0x7, 0x8};
}

// 2^k for a k in float32's normal range.
constexpr float pow2(int k) {
    return std::bit_cast<float>(std::uint32_t(k + 127) << 23);
}

// Whether v can serve as a scale: positive and finite (NaN fails both comparisons).
constexpr bool positiveFinite(float v) {
    return v > 0.0f && v <= std::numeric_limits<float>::max();
}

constexpr float withSignBit(float v) {
    return std::bit_cast<float>(std::bit_cast<std::uint32_t>(v) | 0x80000000u);
}

constexpr float decodeCode(MiniFloatLayout l, unsigned code) {
    const unsigned signBit = 1u << (l.exponentBits + l.mantissaBits);
    const unsigned exponentMask = (1u << l.exponentBits) - 1;
    const unsigned exponent = (code >> l.mantissaBits) & exponentMask;
    const unsigned mantissa = code & ((1u << l.mantissaBits) - 1);
    constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
    float magnitude = 0.0f;
    if (l.specials == Specials::Ieee && exponent == exponentMask)
        magnitude = mantissa == 0 ? std::numeric_limits<float>::infinity() : kNan;
    else if (l.specials == Specials::NanAtTop && (code & (signBit - 1)) == signBit - 1)
        magnitude = kNan;
    else if (exponent == 0)
        magnitude = float(mantissa) * pow2(1 - l.bias - l.mantissaBits);
    else
        magnitude = std::bit_cast<float>((std::uint32_t(int(exponent) - l.bias + 127) << 23) |
                                         (mantissa << (23 - l.mantissaBits)));
    return (code & signBit) ? withSignBit(magnitude) : magnitude;
}

template <MiniFloat F>
constexpr auto buildDecodeTable() {
    constexpr MiniFloatLayout l = layoutOf(F);
    std::array<float, std::size_t(1) << (1 + l.exponentBits + l.mantissaBits)> table{};
    for (unsigned code = 0; code < table.size(); ++code)
        table[code] = decodeCode(l, code);
    return table;
}

template <MiniFloat F>
inline constexpr auto kDecodeTable = buildDecodeTable<F>();

template <MiniFloat F>
inline constexpr float kMaxValue = kDecodeTable<F>[layoutOf(F).maxCode];

// Round to nearest even on the float32 bits: normals drop mantissa bits with an integer add
// (a carry into the exponent is the right answer), subnormals let the FPU round by adding a
// number whose ulp is the format's subnormal step. Both are computed and one selected, so that
// the loops stay free of branches the data would make unpredictable.
template <MiniFloat F>
inline std::uint8_t encode(float x) {
    constexpr MiniFloatLayout l = layoutOf(F);
    constexpr int kDropped = 23 - l.mantissaBits;
    constexpr float kMinNormal = pow2(1 - l.bias);
    constexpr float kSubnormalMagic = pow2(1 - l.bias - l.mantissaBits + 23);
    constexpr std::uint32_t kRebias = std::uint32_t(127 - l.bias) << l.mantissaBits;
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
    const std::uint32_t sign = (bits >> 31) << (l.exponentBits + l.mantissaBits);
    const std::uint32_t magnitudeBits = bits & 0x7FFFFFFFu;
    const float magnitude = std::bit_cast<float>(magnitudeBits);
    const std::uint32_t rounded =
        magnitudeBits + ((std::uint32_t(1) << (kDropped - 1)) - 1) + ((magnitudeBits >> kDropped) & 1u);
    const std::uint32_t normal = (rounded >> kDropped) - kRebias;
    const std::uint32_t subnormal = std::bit_cast<std::uint32_t>(magnitude + kSubnormalMagic) -
                                    std::bit_cast<std::uint32_t>(kSubnormalMagic);
    // A mask rather than ?:, which GCC turns back into a branch here.
    const std::uint32_t subnormalMask = 0u - std::uint32_t(magnitude < kMinNormal);
    std::uint32_t code = (subnormal & subnormalMask) | (normal & ~subnormalMask);
    code = magnitude < kMaxValue<F> ? code : l.maxCode; // beyond max, Inf and NaN
    code = magnitudeBits > 0x7F800000u ? l.nanCode : code;
    return std::uint8_t(code | sign);
}

// The nearest representable value, by the same rounding as encode but staying in float (no
// table, no branch): ±Inf saturate to ±max, NaN stays NaN even where the format has none.
template <MiniFloat F>
inline float roundTo(float x) {
    constexpr MiniFloatLayout l = layoutOf(F);
    constexpr int kDropped = 23 - l.mantissaBits;
    constexpr std::uint32_t kDroppedMask = (std::uint32_t(1) << kDropped) - 1;
    constexpr float kMinNormal = pow2(1 - l.bias);
    constexpr float kSubnormalMagic = pow2(1 - l.bias - l.mantissaBits + 23);
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
    const std::uint32_t magnitudeBits = bits & 0x7FFFFFFFu;
    const float magnitude = std::bit_cast<float>(magnitudeBits);
    const std::uint32_t rounded = magnitudeBits + (kDroppedMask >> 1) + ((magnitudeBits >> kDropped) & 1u);
    const std::uint32_t normal = rounded & ~kDroppedMask;
    const std::uint32_t subnormal =
        std::bit_cast<std::uint32_t>((magnitude + kSubnormalMagic) - kSubnormalMagic);
    const std::uint32_t subnormalMask = 0u - std::uint32_t(magnitude < kMinNormal);
    // Values past max round to at most Inf (the carry stops there), which min brings back.
    const float saturated =
        std::min(std::bit_cast<float>((subnormal & subnormalMask) | (normal & ~subnormalMask)), kMaxValue<F>);
    const std::uint32_t nanMask = 0u - std::uint32_t(magnitudeBits > 0x7F800000u);
    const std::uint32_t result = (std::bit_cast<std::uint32_t>(saturated) | (bits & 0x80000000u));
    return std::bit_cast<float>((bits & nanMask) | (result & ~nanMask));
}

} // namespace qs::detail
