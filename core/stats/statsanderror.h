#pragma once

#include "stats/errorstats.h"
#include "stats/tensorstats.h"

#include <functional>
#include <optional>
#include <span>

namespace qs {

struct StatsAndError {
    TensorStats stats;
    ErrorStats error;
};

/// The error pass's parameters from the statistics' first pass: count, NaN and Inf counts, min,
/// max and mean are set; std, sumSquares, the histogram and the distinct values are not yet.
using ParamsFromScan = std::function<QuantParams(const TensorStats &)>;

/// computeStats(values, control, bins), then computeError with params(stats) and errorBins, from
/// one read of the values less: the error pass runs in the statistics' second pass, on the same
/// pieces, so each value is read twice instead of three times (the min and max must be known
/// before anything is binned or quantized). Both results equal the two calls', bit for bit and
/// count for count, at any thread count. Returns nullopt if cancelled.
std::optional<StatsAndError> computeStatsAndError(std::span<const float> values, const ParamsFromScan &params,
                                                  const RunControl &control = {}, int bins = kFineBins,
                                                  int errorBins = 512);
/// The same over a tensor; stored BF16, F16 or FP8 elements are decoded a piece at a time.
std::optional<StatsAndError> computeStatsAndError(const FloatTensor &tensor, const ParamsFromScan &params,
                                                  const RunControl &control = {}, int bins = kFineBins,
                                                  int errorBins = 512);

} // namespace qs
