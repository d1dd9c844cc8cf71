#pragma once

#include "util/result.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace qs {

/// Small floating-point formats: sign, exponent and mantissa fields, codes in the low bits.
enum class MiniFloat {
    E4M3, ///< fp8_e4m3 (OCP E4M3FN): bias 7, no infinities, S.1111.111 is NaN, max 448
    E5M2, ///< fp8_e5m2: bias 15, IEEE-like (exponent field 31 is ±Inf or NaN), max 57344
    E2M1, ///< FP4 e2m1: bias 1, no Inf or NaN, values ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}
};

/// Fixed facts about a format.
struct MiniFloatInfo {
    std::string_view name; ///< "fp8_e4m3", "fp8_e5m2", "e2m1"
    int bits = 0;          ///< code width including the sign: 8 or 4
    int exponentBits = 0;
    int mantissaBits = 0;
    int bias = 0;
    float maxValue = 0.0f;     ///< largest finite value
    float minSubnormal = 0.0f; ///< smallest positive value
    std::uint8_t maxCode = 0;  ///< code of +maxValue
    std::uint8_t nanCode = 0;  ///< what encodeMiniFloat gives for +NaN (e2m1: 0x8, i.e. -0)
};

const MiniFloatInfo &miniFloatInfo(MiniFloat format);

/// The code of the value nearest x, ties to the even mantissa. Saturating: everything beyond
/// ±maxValue, infinities included, gives ±maxValue, so no Inf code is ever produced (also for
/// e5m2, like PTX's cvt.satfinite). NaN gives the format's NaN code with x's sign bit (e4m3
/// 0x7F/0xFF, e5m2 0x7E/0xFE); e2m1 has no NaN and gives 0x8 (-0), the code ml_dtypes uses as
/// float4_e2m1fn's quiet_NaN(). Results that round to zero keep x's sign (-0 is 0x80 or 0x8).
std::uint8_t encodeMiniFloat(MiniFloat format, float x);

/// The value of a code, exact; bits above the format's width are ignored.
float decodeMiniFloat(MiniFloat format, std::uint8_t code);

/// The representable value nearest x: decode(encode(x)), except that NaN stays NaN in e2m1 too.
float roundToMiniFloat(MiniFloat format, float x);

/// The non-negative finite values in ascending order, +0 first (e4m3: 127 values, e5m2: 124,
/// e2m1: 8). Points into static storage.
std::span<const float> miniFloatLevels(MiniFloat format);

/// The scale that maps amax onto the largest finite value: amax / maxValue in float32.
/// 0 when amax is 0 (or not a positive finite number).
float miniFloatScale(MiniFloat format, float amax);

/// Scaled fake quantization with a given scale s: out[i] = s · round(in[i] / s), computed in
/// float32 in that order and saturating at ±s · maxValue. NaN inputs give NaN, ±Inf give
/// ±s · maxValue. A scale that is not positive and finite (s = 0 for an all-zero group) gives 0
/// for every non-NaN input. Writes min(in.size(), out.size()) values.
void fakeQuantizeScaled(MiniFloat format, std::span<const float> in, std::span<float> out, float scale);

/// One group: s = miniFloatScale(format, finiteAbsMax(in)), then fakeQuantizeScaled.
/// Returns s (0 for a group without a non-zero finite value, whose outputs are then 0).
float fakeQuantizeScaledGroup(MiniFloat format, std::span<const float> in, std::span<float> out);

/// A row-major [rows, cols] tensor in groups of groupSize consecutive values along each row
/// (groupSize = cols: one scale per row, i.e. per output channel), each as
/// fakeQuantizeScaledGroup. Returns the rows · cols / groupSize scales in row-major order, or an
/// error if the sizes disagree or cols is not a multiple of groupSize. For one scale per tensor
/// use fakeQuantizeScaledGroup on the whole span, or fakeQuantizeScaled with
/// miniFloatScale(format, finiteAbsMax(tensor)) when splitting the work.
Result<std::vector<float>> fakeQuantizeScaledRows(MiniFloat format, std::span<const float> in,
                                                  std::span<float> out, std::size_t rows, std::size_t cols,
                                                  std::size_t groupSize);

/// Storage cost of scaled minifloats: the element bits plus one F16 scale per valuesPerScale
/// values (the convention of integer groups and channels), e.g. 8 + 16/128 = 8.125 for fp8 in
/// groups of 128. valuesPerScale = 0 means one scale per tensor, counted as free: 8 for fp8.
double scaledMiniFloatBitsPerWeight(MiniFloat format, std::size_t valuesPerScale);

} // namespace qs
