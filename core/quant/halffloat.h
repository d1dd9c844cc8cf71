#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace qs {

/// The 16-bit float types a tensor can be cast to.
enum class HalfFormat {
    F16,  ///< IEEE binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits; max 65504
    BF16, ///< bfloat16: 1 sign, 8 exponent (bias 127), 7 mantissa bits; FP32's range
};

/// Fixed facts about a 16-bit float type.
struct HalfFormatInfo {
    std::string_view name; ///< "f16", "bf16"
    int exponentBits = 0;
    int mantissaBits = 0;
    int bias = 0;
    float maxFinite = 0.0f;    ///< largest finite value (F16 65504, BF16 about 3.39e38)
    float minNormal = 0.0f;    ///< smallest positive normal value (F16 2^-14, BF16 2^-126)
    float minSubnormal = 0.0f; ///< smallest positive value (F16 2^-24, BF16 2^-133)
    /// The smallest magnitude that rounds to infinity: max + half an ulp (F16 65520, BF16
    /// 0x7F7F8000 as float32 bits). The tie rounds to the even code, which is infinity.
    float overflowThreshold = 0.0f;
};

const HalfFormatInfo &halfFormatInfo(HalfFormat format);

/// The code of x in format, rounded to nearest with ties to even, as a hardware or
/// torch `.to(torch.float16 / torch.bfloat16)` cast does: magnitudes from overflowThreshold up
/// give ±infinity, ±infinity stays, NaN gives a quiet NaN with x's sign.
std::uint16_t encodeHalf(HalfFormat format, float x);

/// The value of a code, exact.
float decodeHalf(HalfFormat format, std::uint16_t code);

/// decodeHalf(encodeHalf(x)): the value a cast gives.
float roundToHalf(HalfFormat format, float x);

/// What a cast did to a run of values.
struct CastCounts {
    std::int64_t overflow = 0;  ///< finite values that a real cast makes ±infinity
    std::int64_t underflow = 0; ///< non-zero finite values that become subnormal or zero
};

/// The cast as analysis counts it: out[i] = roundToHalf(in[i]), except that a finite value that
/// overflows gives ±maxFinite (a real cast gives ±infinity; the error figures count it at the
/// largest finite value, and as clipped). ±infinity and NaN pass through. Writes
/// min(in.size(), out.size()) values and adds to counts.
void castSaturating(HalfFormat format, std::span<const float> in, std::span<float> out, CastCounts &counts);

} // namespace qs
