#include "quant/floatbits.h"

#include "quant/halffloat.h"
#include "quant/minifloat.h"

#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <vector>

namespace qs {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

FloatLayoutInfo fromHalf(FloatLayout layout, HalfFormat format) {
    const HalfFormatInfo &h = halfFormatInfo(format);
    return {layout,
            h.name,
            16,
            h.exponentBits,
            h.mantissaBits,
            h.bias,
            double(h.maxFinite),
            double(h.minNormal),
            double(h.minSubnormal),
            true,
            NanCoding::ExponentAllOnes,
            OutOfRange::Infinity,
            encodeHalf(format, h.maxFinite)};
}

FloatLayoutInfo fromMini(FloatLayout layout, MiniFloat format, bool infinity, NanCoding nan) {
    const MiniFloatInfo &m = miniFloatInfo(format);
    return {layout,
            m.name,
            m.bits,
            m.exponentBits,
            m.mantissaBits,
            m.bias,
            double(m.maxValue),
            std::ldexp(1.0, 1 - m.bias),
            double(m.minSubnormal),
            infinity,
            nan,
            OutOfRange::Saturate,
            m.maxCode};
}

const std::array<FloatLayoutInfo, 6> &infos() {
    static const std::array<FloatLayoutInfo, 6> table{
        FloatLayoutInfo{FloatLayout::F32, "fp32", 32, 8, 23, 127, double(std::numeric_limits<float>::max()),
                        0x1p-126, 0x1p-149, true, NanCoding::ExponentAllOnes, OutOfRange::Infinity,
                        0x7F7FFFFFu},
        fromHalf(FloatLayout::F16, HalfFormat::F16),
        fromHalf(FloatLayout::BF16, HalfFormat::BF16),
        fromMini(FloatLayout::E4M3, MiniFloat::E4M3, false, NanCoding::AllOnesOnly),
        fromMini(FloatLayout::E5M2, MiniFloat::E5M2, true, NanCoding::ExponentAllOnes),
        fromMini(FloatLayout::E2M1, MiniFloat::E2M1, false, NanCoding::None),
    };
    return table;
}

constexpr std::array kLayouts{FloatLayout::F32,  FloatLayout::F16,  FloatLayout::BF16,
                              FloatLayout::E4M3, FloatLayout::E5M2, FloatLayout::E2M1};

std::optional<HalfFormat> halfOf(FloatLayout layout) {
    if (layout == FloatLayout::F16)
        return HalfFormat::F16;
    if (layout == FloatLayout::BF16)
        return HalfFormat::BF16;
    return std::nullopt;
}

MiniFloat miniOf(FloatLayout layout) {
    if (layout == FloatLayout::E4M3)
        return MiniFloat::E4M3;
    return layout == FloatLayout::E5M2 ? MiniFloat::E5M2 : MiniFloat::E2M1;
}

std::uint32_t encode(FloatLayout layout, float x) {
    if (layout == FloatLayout::F32)
        return std::bit_cast<std::uint32_t>(x);
    if (const auto half = halfOf(layout))
        return encodeHalf(*half, x);
    return encodeMiniFloat(miniOf(layout), x);
}

double decode(FloatLayout layout, std::uint32_t code) {
    if (layout == FloatLayout::F32)
        return double(std::bit_cast<float>(code));
    if (const auto half = halfOf(layout))
        return double(decodeHalf(*half, std::uint16_t(code)));
    return double(decodeMiniFloat(miniOf(layout), std::uint8_t(code)));
}

std::string bitString(std::uint32_t value, int width) {
    std::string bits(std::size_t(width), '0');
    for (int i = 0; i < width; ++i)
        if ((value >> (width - 1 - i)) & 1u)
            bits[std::size_t(i)] = '1';
    return bits;
}

FloatKind kindOf(const FloatLayoutInfo &info, std::uint32_t exponent, std::uint32_t mantissa) {
    const std::uint32_t allOnes = (1u << info.exponentBits) - 1u;
    const std::uint32_t fullMantissa = (1u << info.mantissaBits) - 1u;
    if (exponent == 0)
        return mantissa == 0 ? FloatKind::Zero : FloatKind::Subnormal;
    if (exponent == allOnes && info.nan == NanCoding::ExponentAllOnes)
        return mantissa == 0 ? FloatKind::Infinity : FloatKind::NaN;
    if (exponent == allOnes && info.nan == NanCoding::AllOnesOnly && mantissa == fullMantissa)
        return FloatKind::NaN;
    return FloatKind::Normal;
}

// The next code down and up in value, from the magnitude code m: a sign-magnitude layout steps
// the magnitude, crossing zero to the smallest subnormal of the other sign.
void setNeighbours(const FloatLayoutInfo &info, FloatBits &bits) {
    const std::uint32_t m = bits.code & ((1u << (info.totalBits - 1)) - 1u);
    const double sign = bits.sign ? -1.0 : 1.0;
    if (bits.kind == FloatKind::NaN)
        return;
    if (bits.kind == FloatKind::Infinity) {
        (bits.sign ? bits.above : bits.below) = sign * info.maxFinite;
        return;
    }
    std::optional<double> outward;
    if (m < info.maxFiniteCode)
        outward = sign * decode(info.layout, m + 1);
    const double inward = m > 0 ? sign * decode(info.layout, m - 1) : -sign * info.minSubnormal;
    bits.above = bits.sign ? std::optional<double>(inward) : outward;
    bits.below = bits.sign ? outward : std::optional<double>(inward);
}

void setErrors(const FloatLayoutInfo &info, float x, FloatBits &bits) {
    const double input = double(x);
    bits.absoluteError = bits.value - input;
    if (!std::isfinite(input))
        bits.relativeError = kNan;
    else if (input != 0.0)
        bits.relativeError = bits.absoluteError / std::fabs(input);
    else
        bits.relativeError = bits.value == 0.0 ? 0.0 : kNan;
    if (info.outOfRange == OutOfRange::Infinity)
        bits.overflow = std::isfinite(input) && std::isinf(bits.value);
    else
        bits.overflow = !std::isnan(input) && std::fabs(input) > info.maxFinite;
    bits.underflow = std::isfinite(input) && input != 0.0 && bits.value == 0.0;
}

// Decimal digits, least significant first, of a non-negative integer.
using Digits = std::vector<int>;

void multiply(Digits &digits, int factor) {
    int carry = 0;
    for (int &d : digits) {
        const int product = d * factor + carry;
        d = product % 10;
        carry = product / 10;
    }
    for (; carry > 0; carry /= 10)
        digits.push_back(carry % 10);
}

Digits digitsOf(std::uint64_t value) {
    Digits digits;
    for (; value > 0; value /= 10)
        digits.push_back(int(value % 10));
    return digits.empty() ? Digits{0} : digits;
}

std::string positional(const std::string &digits, int pointExponent) {
    // value = 0.d1d2… × 10^(pointExponent + 1), i.e. d1 has weight 10^pointExponent.
    const int length = int(digits.size());
    if (pointExponent < 0)
        return "0." + std::string(std::size_t(-pointExponent - 1), '0') + digits;
    if (pointExponent + 1 >= length)
        return digits + std::string(std::size_t(pointExponent + 1 - length), '0');
    return digits.substr(0, std::size_t(pointExponent + 1)) + "." +
           digits.substr(std::size_t(pointExponent + 1));
}

} // namespace

std::span<const FloatLayout> floatLayouts() {
    return kLayouts;
}

const FloatLayoutInfo &floatLayoutInfo(FloatLayout layout) {
    return infos()[std::size_t(layout)];
}

std::optional<FloatLayout> elementLayout(NumberFormat format) {
    switch (format) {
    case NumberFormat::F16:
        return FloatLayout::F16;
    case NumberFormat::BF16:
        return FloatLayout::BF16;
    case NumberFormat::Fp8E4M3:
    case NumberFormat::MxFp8:
        return FloatLayout::E4M3;
    case NumberFormat::Fp8E5M2:
        return FloatLayout::E5M2;
    case NumberFormat::MxFp4:
    case NumberFormat::NvFp4:
        return FloatLayout::E2M1;
    default:
        return std::nullopt;
    }
}

std::string_view floatKindName(FloatKind kind) {
    switch (kind) {
    case FloatKind::Zero:
        return "zero";
    case FloatKind::Subnormal:
        return "subnormal";
    case FloatKind::Normal:
        return "normal";
    case FloatKind::Infinity:
        return "infinity";
    case FloatKind::NaN:
        return "NaN";
    }
    return "";
}

FloatBits explainFloat(FloatLayout layout, float x) {
    const FloatLayoutInfo &info = floatLayoutInfo(layout);
    FloatBits bits;
    bits.layout = layout;
    bits.input = x;
    bits.code = encode(layout, x);
    bits.sign = int((bits.code >> (info.totalBits - 1)) & 1u);
    bits.exponentField = (bits.code >> info.mantissaBits) & ((1u << info.exponentBits) - 1u);
    bits.mantissaField = bits.code & ((1u << info.mantissaBits) - 1u);
    bits.signBits = bitString(std::uint32_t(bits.sign), 1);
    bits.exponentBits = bitString(bits.exponentField, info.exponentBits);
    bits.mantissaBits = bitString(bits.mantissaField, info.mantissaBits);
    bits.kind = kindOf(info, bits.exponentField, bits.mantissaField);
    if (bits.kind == FloatKind::Normal)
        bits.exponent = int(bits.exponentField) - info.bias;
    else if (bits.kind == FloatKind::Subnormal)
        bits.exponent = 1 - info.bias;
    bits.value = decode(layout, bits.code);
    setNeighbours(info, bits);
    setErrors(info, x, bits);
    return bits;
}

std::string exactDecimal(double x) {
    if (std::isnan(x))
        return "nan";
    if (std::isinf(x))
        return x < 0 ? "-inf" : "inf";
    const std::string sign = std::signbit(x) ? "-" : "";
    if (x == 0.0)
        return sign + "0";
    // |x| = m · 2^e with m odd: m · 2^e exactly, or m · 5^-e / 10^-e.
    int e = 0;
    auto m = std::uint64_t(std::ldexp(std::frexp(std::fabs(x), &e), 53));
    e -= 53;
    while ((m & 1u) == 0) {
        m >>= 1;
        ++e;
    }
    Digits digits = digitsOf(m);
    for (int i = 0; i < std::abs(e); ++i)
        multiply(digits, e > 0 ? 2 : 5);
    int power = e > 0 ? 0 : e; // value = digits · 10^power
    std::size_t zeros = 0;
    while (zeros + 1 < digits.size() && digits[zeros] == 0)
        ++zeros;
    digits.erase(digits.begin(), digits.begin() + std::ptrdiff_t(zeros));
    power += int(zeros);
    std::string text;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it)
        text += char('0' + *it);
    const int leading = int(text.size()) - 1 + power; // the first digit's power of ten
    if (leading >= -7 && leading <= 20)
        return sign + positional(text, leading);
    const std::string mantissa = text.size() > 1 ? text.substr(0, 1) + "." + text.substr(1) : text;
    return sign + mantissa + "e" + std::to_string(leading);
}

} // namespace qs
