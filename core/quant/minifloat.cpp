#include "quant/minifloat.h"

#include "quant/blocklayout.h"
#include "quant/elementwise.h"
#include "quant/minifloatkernel.h"
#include "stats/statkernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

template <MiniFloat F>
MiniFloatInfo makeInfo(std::string_view name) {
    constexpr detail::MiniFloatLayout l = detail::layoutOf(F);
    MiniFloatInfo info;
    info.name = name;
    info.bits = 1 + l.exponentBits + l.mantissaBits;
    info.exponentBits = l.exponentBits;
    info.mantissaBits = l.mantissaBits;
    info.bias = l.bias;
    info.maxValue = detail::kMaxValue<F>;
    info.minSubnormal = detail::kDecodeTable<F>[1];
    info.maxCode = l.maxCode;
    info.nanCode = l.nanCode;
    return info;
}

} // namespace

const MiniFloatInfo &miniFloatInfo(MiniFloat format) {
    static const MiniFloatInfo e4m3 = makeInfo<MiniFloat::E4M3>("fp8_e4m3");
    static const MiniFloatInfo e5m2 = makeInfo<MiniFloat::E5M2>("fp8_e5m2");
    static const MiniFloatInfo e2m1 = makeInfo<MiniFloat::E2M1>("e2m1");
    switch (format) {
    case MiniFloat::E4M3:
        return e4m3;
    case MiniFloat::E5M2:
        return e5m2;
    case MiniFloat::E2M1:
        break;
    }
    return e2m1;
}

std::uint8_t encodeMiniFloat(MiniFloat format, float x) {
    switch (format) {
    case MiniFloat::E4M3:
        return detail::encode<MiniFloat::E4M3>(x);
    case MiniFloat::E5M2:
        return detail::encode<MiniFloat::E5M2>(x);
    case MiniFloat::E2M1:
        break;
    }
    return detail::encode<MiniFloat::E2M1>(x);
}

float decodeMiniFloat(MiniFloat format, std::uint8_t code) {
    switch (format) {
    case MiniFloat::E4M3:
        return detail::kDecodeTable<MiniFloat::E4M3>[code];
    case MiniFloat::E5M2:
        return detail::kDecodeTable<MiniFloat::E5M2>[code];
    case MiniFloat::E2M1:
        break;
    }
    return detail::kDecodeTable<MiniFloat::E2M1>[code & 0x0Fu];
}

float roundToMiniFloat(MiniFloat format, float x) {
    switch (format) {
    case MiniFloat::E4M3:
        return detail::roundTo<MiniFloat::E4M3>(x);
    case MiniFloat::E5M2:
        return detail::roundTo<MiniFloat::E5M2>(x);
    case MiniFloat::E2M1:
        break;
    }
    return detail::roundTo<MiniFloat::E2M1>(x);
}

std::span<const float> miniFloatLevels(MiniFloat format) {
    // Non-negative codes count up with their values, so the levels are a prefix of the table.
    const auto prefix = [](const auto &table, std::uint8_t maxCode) {
        return std::span<const float>(table.data(), std::size_t(maxCode) + 1);
    };
    switch (format) {
    case MiniFloat::E4M3:
        return prefix(detail::kDecodeTable<MiniFloat::E4M3>, detail::layoutOf(MiniFloat::E4M3).maxCode);
    case MiniFloat::E5M2:
        return prefix(detail::kDecodeTable<MiniFloat::E5M2>, detail::layoutOf(MiniFloat::E5M2).maxCode);
    case MiniFloat::E2M1:
        break;
    }
    return prefix(detail::kDecodeTable<MiniFloat::E2M1>, detail::layoutOf(MiniFloat::E2M1).maxCode);
}

float miniFloatScale(MiniFloat format, float amax) {
    const float scale = amax / miniFloatInfo(format).maxValue;
    return detail::positiveFinite(scale) ? scale : 0.0f;
}

void fakeQuantizeScaled(MiniFloat format, std::span<const float> in, std::span<float> out, float scale) {
    const std::size_t n = std::min(in.size(), out.size());
    if (!detail::positiveFinite(scale)) {
        fillZeroKeepingNan(in.first(n), out.first(n));
        return;
    }
    // scale · roundTo(x / scale), in the lanes of the widest build (statkernels.h): the same bits.
    detail::laneMiniFloatScaled(format, in.data(), out.data(), n, scale);
}

float fakeQuantizeScaledGroup(MiniFloat format, std::span<const float> in, std::span<float> out) {
    const float scale = miniFloatScale(format, finiteAbsMax(in));
    fakeQuantizeScaled(format, in, out, scale);
    return scale;
}

Result<std::vector<float>> fakeQuantizeScaledRows(MiniFloat format, std::span<const float> in,
                                                  std::span<float> out, std::size_t rows, std::size_t cols,
                                                  std::size_t groupSize) {
    if (Status status = checkRowBlocks(in.size(), out.size(), rows, cols, groupSize, "group"); !status)
        return Error{status.error()};
    std::vector<float> scales;
    if (in.empty())
        return scales;
    scales.reserve(in.size() / groupSize);
    for (std::size_t begin = 0; begin < in.size(); begin += groupSize)
        scales.push_back(
            fakeQuantizeScaledGroup(format, in.subspan(begin, groupSize), out.subspan(begin, groupSize)));
    return scales;
}

double scaledMiniFloatBitsPerWeight(MiniFloat format, std::size_t valuesPerScale) {
    const double elementBits = miniFloatInfo(format).bits;
    return valuesPerScale == 0 ? elementBits : elementBits + 16.0 / double(valuesPerScale);
}

} // namespace qs
