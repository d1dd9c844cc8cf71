#include "quant/nf4.h"

#include "quant/blocklayout.h"
#include "quant/elementwise.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

namespace qs {

namespace {

constexpr std::array<float, 16> kCodebook = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

constexpr std::uint8_t kZeroCode = 7;

// bitsandbytes' decision tree (dQuantizeNF4) sends v to the upper code when v > threshold. Its
// thresholds are the double midpoints of adjacent float codes, printed as shortest decimals and
// written as float literals. Where a midpoint lies exactly halfway between two floats, the
// printed decimal decides the rounding, not ties-to-even, so the thresholds are its literals
// rather than recomputed midpoints. A float on a threshold stays with the lower code.
constexpr std::array<float, 15> kThresholds = {
    -0.8480964004993439f,  -0.6106329262256622f,  -0.4599952697753906f,   -0.33967943489551544f,
    -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
    0.1202552504837513f,   0.2035212516784668f,   0.2920137718319893f,    0.3893125355243683f,
    0.5016634166240692f,   0.6427869200706482f,   0.8614784181118011f,
};

// Counting the thresholds below v is branch-free, unlike a search.
inline std::uint8_t nearestCode(float v) {
    unsigned code = 0;
    for (const float threshold : kThresholds)
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
    float value = kCodebook[0];
    ((value = select(v > kThresholds[I], kCodebook[I + 1], value)), ...);
    return value;
}

// flatten inlines the whole per-element chain, which the vectoriser needs.
// bitsandbytes normalises by multiplying with the float reciprocal of absmax, which can differ
// from x / absmax in the last bit.
[[gnu::flatten]] void nf4Kernel(const float *in, float *out, std::size_t n, float absmax) {
    const float reciprocal = 1.0f / absmax;
    detail::mapElements(in, out, n, [absmax, reciprocal](float x) {
        const float dequantized =
            nearestCodeValue(x * reciprocal, std::make_index_sequence<kThresholds.size()>()) * absmax;
        return select(std::isnan(x), x, dequantized);
    });
}

} // namespace

std::span<const float, 16> nf4Codebook() {
    return kCodebook;
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
    std::vector<float> absmax;
    absmax.reserve((in.size() + kNf4BlockSize - 1) / kNf4BlockSize);
    for (std::size_t begin = 0; begin < in.size(); begin += kNf4BlockSize) {
        const std::size_t count = std::min(kNf4BlockSize, in.size() - begin);
        absmax.push_back(fakeQuantizeNf4Block(in.subspan(begin, count), out.subspan(begin, count)));
    }
    return absmax;
}

double nf4BitsPerWeight() {
    return 4.0 + 32.0 / double(kNf4BlockSize);
}

} // namespace qs
