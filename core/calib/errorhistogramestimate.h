#pragma once

#include "quant/quantspec.h"
#include "stats/histogram.h"
#include "stats/tensorstats.h"

namespace qs {

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

} // namespace qs
