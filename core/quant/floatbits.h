#pragma once

#include "quant/numberformat.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace qs {

/// The binary float layouts whose bits can be explained: float32 and the formats values are
/// cast or quantized to.
enum class FloatLayout {
    F32,  ///< IEEE binary32, what the tensors hold
    F16,  ///< IEEE binary16
    BF16, ///< bfloat16
    E4M3, ///< fp8_e4m3 (OCP E4M3FN)
    E5M2, ///< fp8_e5m2
    E2M1, ///< FP4 e2m1, the elements of MXFP4 and NVFP4
};

/// How a layout codes NaN.
enum class NanCoding {
    ExponentAllOnes, ///< IEEE: exponent field all ones and a non-zero mantissa (all ones + 0 is ±Inf)
    AllOnesOnly,     ///< only S.1111.111 (E4M3): the rest of the top exponent holds finite values
    None,            ///< no NaN code at all (E2M1)
};

/// What an encoder does with a magnitude beyond the largest finite value.
enum class OutOfRange {
    Infinity, ///< rounds it to ±infinity (IEEE casts: F16, BF16; F32 itself)
    Saturate, ///< holds it at ±largest finite (Quantscope's FP8 and E2M1 encoders)
};

/// Fixed facts about a layout. Values are exact (every one is a power of two times a small
/// integer), held as double.
struct FloatLayoutInfo {
    FloatLayout layout;
    std::string_view name; ///< "fp32", "f16", "bf16", "fp8_e4m3", "fp8_e5m2", "e2m1"
    int totalBits = 0;     ///< code width including the sign bit
    int exponentBits = 0;
    int mantissaBits = 0;
    int bias = 0;
    double maxFinite = 0.0;    ///< largest finite value
    double minNormal = 0.0;    ///< smallest positive normal value, 2^(1 − bias)
    double minSubnormal = 0.0; ///< smallest positive value, 2^(1 − bias − mantissaBits)
    bool hasInfinity = false;
    NanCoding nan = NanCoding::ExponentAllOnes;
    OutOfRange outOfRange = OutOfRange::Infinity;
    std::uint32_t maxFiniteCode = 0; ///< code of +maxFinite
};

/// Every layout, F32 first.
std::span<const FloatLayout> floatLayouts();
const FloatLayoutInfo &floatLayoutInfo(FloatLayout layout);

/// The layout a number format stores its elements in: F16 and BF16 themselves, E4M3 for
/// fp8_e4m3 and mxfp8, E5M2 for fp8_e5m2, E2M1 for mxfp4 and nvfp4; nullopt for the integer,
/// codebook and ggml formats, whose elements are not floats.
std::optional<FloatLayout> elementLayout(NumberFormat format);

/// What a code is.
enum class FloatKind { Zero, Subnormal, Normal, Infinity, NaN };

std::string_view floatKindName(FloatKind kind); ///< "zero", "subnormal", "normal", "infinity", "NaN"

/// One float32 value x as a layout codes it.
struct FloatBits {
    FloatLayout layout = FloatLayout::F32;
    float input = 0.0f;     ///< x
    std::uint32_t code = 0; ///< the code in the low totalBits bits; for F32, x's own bits
    int sign = 0;           ///< sign bit, 0 or 1
    std::uint32_t exponentField = 0;
    std::uint32_t mantissaField = 0;
    std::string signBits; ///< the fields as '0'/'1' strings, most significant bit first
    std::string exponentBits;
    std::string mantissaBits;
    FloatKind kind = FloatKind::Zero;
    /// The power of two of a normal or subnormal code: exponentField − bias, or 1 − bias for a
    /// subnormal (whose implicit leading digit is 0). 0 for zero, infinity and NaN.
    int exponent = 0;
    double value = 0.0; ///< the decoded value, exact
    /// The representable values next to value, the next code down and up in value: from ±0 the
    /// step goes to ∓ the smallest subnormal, from ±infinity to ±maxFinite; nothing beyond
    /// ±maxFinite (or ±infinity where the layout has it) and nothing around NaN.
    std::optional<double> below;
    std::optional<double> above;
    double absoluteError = 0.0; ///< value − x (NaN if either is NaN; ±inf after overflow)
    /// absoluteError / |x|; 0 when both are 0, NaN for x = 0 with a non-zero value or x not finite.
    double relativeError = 0.0;
    /// True when x was out of range: a finite x that became ±infinity (F16, BF16), or an |x|
    /// (infinity included) beyond maxFinite that a saturating encoder held at ±maxFinite.
    bool overflow = false;
    /// True when a finite non-zero x became zero.
    bool underflow = false;
};

/// Explains x in layout, encoding as halffloat.h / minifloat.h do (round to nearest, ties to
/// even). NaN gives the encoder's NaN code (E2M1, which has none, gives 0x8, i.e. −0).
FloatBits explainFloat(FloatLayout layout, float x);

/// The decimal expansion of a finite double, exact (every binary fraction has one): positional
/// ("0.100000001490116119384765625", "65504") for exponents from -7 to 20, scientific beyond
/// ("1.00000003e-30" style, with all its digits). "inf", "-inf", "nan" otherwise.
std::string exactDecimal(double x);

} // namespace qs
