#include "io/dtype.h"

#include <array>
#include <cmath>
#include <limits>

namespace qs {

namespace {

struct DTypeEntry {
    DType type;
    std::string_view name;
    std::size_t size;
};

constexpr std::array<DTypeEntry, 15> kDTypes{{
    {DType::F64, "F64", 8},
    {DType::F32, "F32", 4},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::F8_E4M3, "F8_E4M3", 1},
    {DType::F8_E5M2, "F8_E5M2", 1},
    {DType::I64, "I64", 8},
    {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},
    {DType::I8, "I8", 1},
    {DType::U64, "U64", 8},
    {DType::U32, "U32", 4},
    {DType::U16, "U16", 2},
    {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},
}};

const DTypeEntry &entry(DType type) {
    for (const DTypeEntry &e : kDTypes) {
        if (e.type == type)
            return e;
    }
    return kDTypes[1]; // unreachable for valid enum values
}

// value = (-1)^sign * 2^(exponent - bias) * (1 + mantissa / 2^mantissaBits), with subnormals
// at exponent 0; the callers handle the special encodings first.
float decodeMinifloat(std::uint8_t bits, int exponentBits, int mantissaBits, int bias) {
    const bool negative = bits & 0x80;
    const int exponent = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
    const int mantissa = bits & ((1 << mantissaBits) - 1);
    const float fraction = float(mantissa) / float(1 << mantissaBits);
    const float magnitude =
        exponent == 0 ? std::ldexp(fraction, 1 - bias) : std::ldexp(1.0f + fraction, exponent - bias);
    return negative ? -magnitude : magnitude;
}

} // namespace

std::string_view dtypeName(DType type) {
    return entry(type).name;
}

std::optional<DType> dtypeFromName(std::string_view name) {
    for (const DTypeEntry &e : kDTypes) {
        if (e.name == name)
            return e.type;
    }
    return std::nullopt;
}

std::size_t dtypeSize(DType type) {
    return entry(type).size;
}

bool isFloatingPoint(DType type) {
    switch (type) {
    case DType::F64:
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::F8_E4M3:
    case DType::F8_E5M2:
        return true;
    default:
        return false;
    }
}

float decodeFloat8E4M3(std::uint8_t bits) {
    if ((bits & 0x7F) == 0x7F)
        return std::numeric_limits<float>::quiet_NaN();
    return decodeMinifloat(bits, 4, 3, 7);
}

float decodeFloat8E5M2(std::uint8_t bits) {
    if ((bits & 0x7C) == 0x7C) {
        if (bits & 0x03)
            return std::numeric_limits<float>::quiet_NaN();
        return (bits & 0x80) ? -std::numeric_limits<float>::infinity()
                             : std::numeric_limits<float>::infinity();
    }
    return decodeMinifloat(bits, 5, 2, 15);
}

} // namespace qs
