#pragma once

#include "io/floattensor.h"
#include "stats/histogram.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <optional>
#include <span>

namespace qs {

/// Fine histogram resolution used for estimates and thresholds.
inline constexpr int kFineBins = 4096;
/// A tensor with at most this many distinct values (what 8 bits can code) looks already
/// quantized, provided it also has kQuantizedMinValuesPerDistinct values for each of them.
inline constexpr std::int64_t kQuantizedMaxDistinct = 256;
/// Distinct values are counted exactly up to this many: the count exists to flag already
/// quantized tensors, so it stops as soon as a tensor has more than kQuantizedMaxDistinct.
inline constexpr std::int64_t kDistinctValuesCap = kQuantizedMaxDistinct;
/// Few distinct values mean nothing in a small tensor (a 16-element bias has 16): only a tensor
/// with at least this many values per distinct value is taken for quantized data.
inline constexpr std::int64_t kQuantizedMinValuesPerDistinct = 16;

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
    /// Distinct finite values (-0 and +0 count as one); nullopt when there are more than
    /// kDistinctValuesCap.
    std::optional<std::int64_t> distinctValues = 0;

    /// True if the finite values take between 1 and kQuantizedMaxDistinct distinct values and
    /// there are at least kQuantizedMinValuesPerDistinct values per distinct value, as in a
    /// tensor stored after (fake) quantization to 8 bits or fewer.
    bool alreadyQuantized() const {
        return distinctValues && *distinctValues > 0 && *distinctValues <= kQuantizedMaxDistinct &&
               count >= kQuantizedMinValuesPerDistinct * *distinctValues;
    }
};

/// Two chunked, multithreaded passes over values: min, max and Σx, then Σx², Σ(x - mean)², the
/// histogram and the distinct values, each in one read of every piece. Chunk results are
/// combined in chunk order, so results are identical at any thread count. Returns nullopt if
/// cancelled.
std::optional<TensorStats> computeStats(std::span<const float> values, const RunControl &control = {},
                                        int bins = kFineBins);
/// The same over a tensor; stored BF16, F16 or FP8 elements are decoded a piece at a time in
/// the passes, never into a float32 copy. Equal to computeStats(tensor.values()).
std::optional<TensorStats> computeStats(const FloatTensor &tensor, const RunControl &control = {},
                                        int bins = kFineBins);

} // namespace qs
