#include "quant/blocklayout.h"

#include "quant/elementwise.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <string>

namespace qs {

float finiteAbsMax(std::span<const float> x) {
    constexpr float kLargest = std::numeric_limits<float>::max();
    // NaN fails both comparisons, Inf the first: neither can become the maximum.
    const auto larger = [](float amax, float v) {
        const float a = std::fabs(v);
        return (a <= kLargest && a > amax) ? a : amax;
    };
    // One running maximum per lane of a fixed-size chunk, so that the loop vectorises.
    float lanes[detail::kElementChunk] = {};
    std::size_t i = 0;
    for (; i + detail::kElementChunk <= x.size(); i += detail::kElementChunk)
        for (std::size_t j = 0; j < detail::kElementChunk; ++j)
            lanes[j] = larger(lanes[j], x[i + j]);
    for (; i < x.size(); ++i)
        lanes[0] = larger(lanes[0], x[i]);
    return *std::max_element(std::begin(lanes), std::end(lanes));
}

Status checkRowBlocks(std::size_t inSize, std::size_t outSize, std::size_t rows, std::size_t cols,
                      std::size_t blockSize, std::string_view blockKind) {
    const std::string kind(blockKind);
    if (cols != 0 && rows > std::numeric_limits<std::size_t>::max() / cols)
        return Error{"a tensor of " + std::to_string(rows) + " × " + std::to_string(cols) +
                     " values is too large"};
    if (inSize != rows * cols)
        return Error{"the input holds " + std::to_string(inSize) + " values, not " + std::to_string(rows) +
                     " × " + std::to_string(cols)};
    if (outSize != inSize)
        return Error{"the output holds " + std::to_string(outSize) + " values, the input " +
                     std::to_string(inSize)};
    if (rows == 0 || cols == 0)
        return {};
    if (blockSize == 0)
        return Error{"the " + kind + " size must be at least 1"};
    if (cols % blockSize != 0)
        return Error{"row length " + std::to_string(cols) + " is not a multiple of the " + kind + " size " +
                     std::to_string(blockSize)};
    return {};
}

void fillZeroKeepingNan(std::span<const float> in, std::span<float> out) {
    for (std::size_t i = 0; i < in.size(); ++i)
        out[i] = std::isnan(in[i]) ? in[i] : 0.0f;
}

} // namespace qs
