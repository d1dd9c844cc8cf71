#pragma once

#include "stats/histogram.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <optional>
#include <span>

namespace qs {

/// Fine histogram resolution used for estimates and thresholds.
inline constexpr int kFineBins = 4096;

/// Statistics of a tensor's values. NaN and ±Inf are counted and excluded from everything else.
struct TensorStats {
    std::int64_t count = 0; ///< finite values
    std::int64_t nanCount = 0;
    std::int64_t infCount = 0;
    double min = 0.0; ///< of finite values; 0 when count == 0
    double max = 0.0;
    double mean = 0.0;
    double std = 0.0;        ///< population standard deviation
    double sumSquares = 0.0; ///< Σx² over finite values (signal power for SQNR)
    /// `bins` bins over [min, max] of the finite values; for a constant tensor a small interval
    /// around the value; for count == 0 an empty histogram.
    Histogram histogram;
};

/// One chunked, multithreaded pass (plus a histogram pass) over values. Chunk results are
/// combined in chunk order, so results are identical at any thread count.
/// Returns nullopt if cancelled.
std::optional<TensorStats> computeStats(std::span<const float> values, const RunControl &control = {},
                                        int bins = kFineBins);

} // namespace qs
