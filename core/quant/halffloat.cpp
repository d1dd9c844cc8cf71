#include "quant/halffloat.h"

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <cmath>

namespace qs {

namespace {

// Eigen's conversions round to nearest even and keep infinities and NaN, as IEEE casts do.
const HalfFormatInfo kF16{"f16", 5, 10, 15, 65504.0f, 0x1p-14f, 0x1p-24f, 65520.0f};
const HalfFormatInfo kBF16{"bf16",
                           8,
                           7,
                           127,
                           std::bit_cast<float>(std::uint32_t(0x7F7F0000)),
                           0x1p-126f,
                           0x1p-133f,
                           std::bit_cast<float>(std::uint32_t(0x7F7F8000))};

} // namespace

const HalfFormatInfo &halfFormatInfo(HalfFormat format) {
    return format == HalfFormat::F16 ? kF16 : kBF16;
}

std::uint16_t encodeHalf(HalfFormat format, float x) {
    if (format == HalfFormat::F16)
        return Eigen::numext::bit_cast<std::uint16_t>(Eigen::half(x));
    return Eigen::numext::bit_cast<std::uint16_t>(Eigen::bfloat16(x));
}

float decodeHalf(HalfFormat format, std::uint16_t code) {
    if (format == HalfFormat::F16)
        return float(Eigen::numext::bit_cast<Eigen::half>(code));
    return float(Eigen::numext::bit_cast<Eigen::bfloat16>(code));
}

float roundToHalf(HalfFormat format, float x) {
    return decodeHalf(format, encodeHalf(format, x));
}

namespace {

template <typename T>
void castRun(const HalfFormatInfo &info, std::span<const float> in, std::span<float> out,
             CastCounts &counts) {
    const std::size_t n = std::min(in.size(), out.size());
    std::int64_t overflow = 0;
    std::int64_t underflow = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const float x = in[i];
        float y = float(T(x));
        const float ay = std::fabs(y);
        if (std::isinf(y) && std::isfinite(x)) {
            ++overflow;
            y = std::copysign(info.maxFinite, x);
        } else if (ay < info.minNormal && x != 0.0f) {
            ++underflow;
        }
        out[i] = y;
    }
    counts.overflow += overflow;
    counts.underflow += underflow;
}

} // namespace

void castSaturating(HalfFormat format, std::span<const float> in, std::span<float> out, CastCounts &counts) {
    if (format == HalfFormat::F16)
        castRun<Eigen::half>(kF16, in, out, counts);
    else
        castRun<Eigen::bfloat16>(kBF16, in, out, counts);
}

} // namespace qs
