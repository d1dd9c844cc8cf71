#include "quant/nf4.h"

#include "quant/blocklayout.h"
#include "quant/elementwise.h"
#include "stats/statkernels.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

namespace qs {

namespace {

constexpr std::uint8_t kZeroCode = 7;

// Counting the thresholds below v is branch-free, unlike a search.
inline std::uint8_t nearestCode(float v) {
    unsigned code = 0;
    for (const float threshold : detail::kNf4Thresholds)
        code += v > threshold ? 1u : 0u;
    return std::uint8_t(code);
}

// a where the condition holds, else b, as bit masks: GCC if-converts and vectorises these where
// it leaves a chain of ?: as branches.
inline std::uint32_t select(bool condition, std::uint32_t a, std::uint32_t b) {
    const std::uint32_t mask = 0u - std::uint32_t(condition);
    return (a & mask) | (b & ~mask);
}

inline float select(bool condition, float a, float b) {
    return std::bit_cast<float>(
        select(condition, std::bit_cast<std::uint32_t>(a), std::bit_cast<std::uint32_t>(b)));
}

// nearestCode's choice made on the code values themselves: no table lookup, no loop.
template <std::size_t... I>
inline float nearestCodeValue(float v, std::index_sequence<I...>) {
    float value = detail::kNf4Codes[0];
    ((value = select(v > detail::kNf4Thresholds[I], detail::kNf4Codes[I + 1], value)), ...);
    return value;
}

// flatten inlines the whole per-element chain, which the vectoriser needs.
// bitsandbytes normalises by multiplying with the float reciprocal of absmax, which can differ
// from x / absmax in the last bit.
[[gnu::flatten]] void nf4Kernel(const float *in, float *out, std::size_t n, float absmax) {
    const float reciprocal = 1.0f / absmax;
    detail::mapElements(in, out, n, [absmax, reciprocal](float x) {
        const float dequantized =
            nearestCodeValue(x * reciprocal, std::make_index_sequence<detail::kNf4Thresholds.size()>()) *
            absmax;
        return select(std::isnan(x), x, dequantized);
    });
}

} // namespace

std::span<const float, 16> nf4Codebook() {
    return detail::kNf4Codes;
}

std::uint8_t encodeNf4(float v) {
    return std::isnan(v) ? kZeroCode : nearestCode(v);
}

float fakeQuantizeNf4Block(std::span<const float> in, std::span<float> out) {
    const float absmax = finiteAbsMax(in);
    const std::size_t n = std::min(in.size(), out.size());
    if (absmax == 0.0f) {
        fillZeroKeepingNan(in.first(n), out.first(n));
        return absmax;
    }
    nf4Kernel(in.data(), out.data(), n, absmax);
    return absmax;
}

Result<std::vector<float>> fakeQuantizeNf4(std::span<const float> in, std::span<float> out) {
    if (out.size() != in.size())
        return Error{"the output holds " + std::to_string(out.size()) + " values, the input " +
                     std::to_string(in.size())};
    // Whole blocks in the lanes (statkernels.h, fakeQuantizeNf4Block's bits), a shorter last one
    // here.
    std::vector<float> absmax((in.size() + kNf4BlockSize - 1) / kNf4BlockSize);
    const std::size_t whole = in.size() / kNf4BlockSize;
    detail::laneNf4Blocks(in.data(), out.data(), whole, absmax.data());
    if (const std::size_t begin = whole * kNf4BlockSize; begin < in.size())
        absmax.back() = fakeQuantizeNf4Block(in.subspan(begin), out.subspan(begin));
    return absmax;
}

double nf4BitsPerWeight() {
    return 4.0 + 32.0 / double(kNf4BlockSize);
}

} // namespace qs
