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

/// Estimates the histogram of x - x̂ from the tensor's fine histogram in O(bins + fine bins),
/// for drawing while a threshold is dragged.
///
/// Approximation: the values of each fine bin are taken as spread evenly over the bin. Their
/// rounding errors then spread evenly over the part of [-s/2, s/2] the bin sweeps (wrapping at
/// ±s/2 once per step it spans), and the part of the bin beyond the outermost level spreads
/// evenly over its distances to that level. Exact for evenly spread values; values that sit on
/// a few points (an already quantized tensor) are smeared into bands instead of spikes.
///
/// The result uses computeError's binning for the same params and stats ([-h, h], h the
/// largest possible |error| with the same margin, `bins` bins), so the two compare bin by bin.
/// Counts are whole numbers that add up to stats.count. An empty tensor gives empty bins; a
/// constant one puts every value in the bin of its (exact) error.
Histogram estimateErrorHistogram(const TensorStats &stats, const QuantParams &params, int bins = 512);

/// One point of the MSE-versus-threshold curve.
struct ThresholdPoint {
    /// Width of [clipLo, clipHi] as a fraction of the non-saturating range's (asymmetric: both
    /// widened to include 0); on the joint curve the f that scales both ends.
    double fraction = 1.0;
    double clipLo = 0.0;
    double clipHi = 0.0;
    double mse = 0.0;        ///< estimated
    double fractionLo = 1.0; ///< clipLo as a fraction of the non-saturating lower end
    double fractionHi = 1.0; ///< clipHi as a fraction of the non-saturating upper end
};

/// Asymmetric mode: the MSE against each end with the other held at the spec's current
/// threshold (its requested range: the tensor's [min, max] when non-saturating). Each curve
/// includes the current threshold itself, so it passes through the current MSE estimate.
struct HeldEndCurves {
    double clipLo = 0.0; ///< the current thresholds the curves hold
    double clipHi = 0.0;
    /// clip_min at the sweep's fractions of min, clip_max = clipHi; increasing clipLo. Empty
    /// when min >= 0 (clip_min is then widened to 0 whatever it is).
    std::vector<ThresholdPoint> lower;
    /// clip_max at the sweep's fractions of max, clip_min = clipLo; increasing clipHi. Empty
    /// when max <= 0.
    std::vector<ThresholdPoint> upper;
};

/// The curve of estimated MSE against the clip threshold, and its minimum (the suggested
/// saturating threshold). The curve's thresholds are fractions f of the non-saturating range:
/// symmetric [-f·amax, f·amax], asymmetric [f·min, f·max]. Uses the spec's bits, scheme and
/// narrow; asymmetric mode adds the held-end curves through the spec's thresholds.
struct ThresholdSweep {
    std::vector<ThresholdPoint> points; ///< both ends scaled together; increasing f, ending at 1
    /// Symmetric: the minimum of points. Asymmetric: the two ends searched independently over
    /// the same fractions, by coordinate descent from the minimum of points (one end scanned
    /// with the other held, alternately, while either scan lowers the MSE): never worse than
    /// the minimum of points.
    ThresholdPoint best;
    HeldEndCurves heldEnds; ///< asymmetric only; empty curves for symmetric
};

/// O(steps × bins) for symmetric; asymmetric adds O((2 + descent rounds) × steps × bins).
/// Deterministic and single-threaded. Returns an empty sweep (best = full range) for an empty
/// tensor.
ThresholdSweep sweepThresholds(const TensorStats &stats, const QuantSpec &spec, int steps = 200);

/// The held-end curves alone, through spec's thresholds (empty for symmetric or an empty
/// tensor). O(steps × bins).
HeldEndCurves heldEndCurves(const TensorStats &stats, const QuantSpec &spec, int steps = 200);

} // namespace qs
