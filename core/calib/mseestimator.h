#pragma once

#include "quant/quantspec.h"
#include "stats/histogram.h"
#include "stats/tensorstats.h"

#include <optional>
#include <vector>

namespace qs {

/// Error figures estimated from the fine histogram in O(bins), for interactive dragging.
struct ErrorEstimate {
    double mse = 0.0;
    std::optional<double> sqnrDb;
    double clippedFraction = 0.0;
};

/// Estimates the error of quantizing the histogrammed values with params: clipped bins
/// contribute their distance to the clip range, in-range bins their rounding error
/// (the bin centre's error plus the within-bin variance while bins are finer than the
/// scale, s²/12 otherwise). O(bins).
ErrorEstimate estimateError(const TensorStats &stats, const QuantParams &params);

/// One point of the MSE-versus-threshold curve.
struct ThresholdPoint {
    double fraction = 1.0; ///< of the non-saturating range
    double clipLo = 0.0;
    double clipHi = 0.0;
    double mse = 0.0; ///< estimated
};

/// The curve of estimated MSE against the clip threshold, and its minimum (the suggested
/// saturating threshold). Thresholds are fractions f of the non-saturating range: symmetric
/// [-f·amax, f·amax], asymmetric [f·min, f·max]. Uses the spec's bits, scheme and narrow.
struct ThresholdSweep {
    std::vector<ThresholdPoint> points; ///< increasing fraction, ending at 1
    ThresholdPoint best;
};

/// O(steps × bins). Returns an empty sweep (best = full range) for an empty tensor.
ThresholdSweep sweepThresholds(const TensorStats &stats, const QuantSpec &spec, int steps = 200);

} // namespace qs
