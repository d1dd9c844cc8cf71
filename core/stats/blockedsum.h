#pragma once

#include <Eigen/Core>

#include <cstddef>

namespace qs::detail {

// Sums run in float (vectorised) within blocks this long and in double across blocks: the
// speed of float with an error far below what any figure shows.
inline constexpr std::size_t kSumBlock = 64;

using FloatMap = Eigen::Map<const Eigen::ArrayXf>;
using SumBlock = Eigen::Map<const Eigen::Array<float, kSumBlock, 1>>;

// Σ fn(block) over x[0, n) in fixed blocks of kSumBlock (the tail as a shorter FloatMap);
// fn returns a float reduction of its block. The block order is fixed, so the result is too.
template <typename BlockFn>
double blockedSum(const float *x, std::size_t n, BlockFn &&fn) {
    double total = 0.0;
    std::size_t i = 0;
    for (; i + kSumBlock <= n; i += kSumBlock)
        total += double(fn(SumBlock(x + i)));
    if (i < n)
        total += double(fn(FloatMap(x + i, Eigen::Index(n - i))));
    return total;
}

} // namespace qs::detail
