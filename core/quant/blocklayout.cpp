#include "quant/blocklayout.h"

#include "quant/elementwise.h"
#include "stats/statkernels.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <string>

namespace qs {

float finiteAbsMax(std::span<const float> x) {
    // NaN and ±inf are skipped: in the lanes (statkernels.h), the same value in every build.
    return detail::laneFiniteAbsMax(x.data(), x.size());
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
