#pragma once

#include "util/runcontrol.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace qs {

/// Error figures of x̂ against x over the elements whose x is finite.
struct ValueError {
    double mse = 0.0;
    std::optional<double> sqnrDb; ///< nullopt when there is no error
    double maxAbsError = 0.0;
    double cosine = 1.0; ///< cosine similarity of x and x̂ (1 when both are all zero)
};

/// One chunked pass on control's threads (cancellation is not checked: the pass is one read);
/// sums in 32 float lanes of 4 values each and in double across them, in a fixed order,
/// so the figures are the same at any thread count.
ValueError compareValues(std::span<const float> x, std::span<const float> dequantized,
                         const RunControl &control = {});

namespace detail {

/// Σx², Σ(x - x̂)², Σx·x̂ and Σx̂² of one chunk over its finite x, and its largest |x - x̂|.
struct ValueErrorPartial {
    double sumSquares = 0.0;
    double sumErrorSquares = 0.0;
    double sumProducts = 0.0;
    double sumDequantizedSquares = 0.0;
    float maxError = 0.0f;
    std::int64_t count = 0;

    /// Adds a piece's sums (in the order pieces come, for the same bits at any thread count).
    void add(const ValueErrorPartial &piece);
};

/// compareChunk works on pieces this long (from x's start); a pass that must give its bits
/// (computeError) uses the same pieces.
inline constexpr std::size_t kComparePiece = 4096; // statkernels.h kLaneMaxPiece

/// The partial sums of x[0, n) against y[0, n): each piece by the lane kernel (statkernels.h),
/// or, where it holds a non-finite value or its float sums overflow, by compareMixed.
ValueErrorPartial compareChunk(const float *x, const float *y, std::size_t n);
/// The sums in double, value by value, over the finite x.
ValueErrorPartial compareMixed(const float *x, const float *y, std::size_t n);
/// The figures of partials added in their order.
ValueError finishValueError(const std::vector<ValueErrorPartial> &partials);

} // namespace detail

} // namespace qs
