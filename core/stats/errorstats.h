#pragma once

#include "io/floattensor.h"
#include "quant/quantspec.h"
#include "stats/histogram.h"
#include "stats/tensorstats.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <optional>
#include <span>

namespace qs {

/// Exact error of quantizing a tensor's finite values with given parameters.
struct ErrorStats {
    double mse = 0.0;             ///< mean of (x - x̂)²
    std::optional<double> sqnrDb; ///< 10·log10(Σx² / Σ(x - x̂)²); nullopt when Σ(x - x̂)² = 0
    double maxAbsError = 0.0;
    double cosine = 1.0; ///< Σx·x̂ / (‖x‖·‖x̂‖); 1 when both are all zero, 0 when one is
    double clippedFraction = 0.0; ///< fraction of values outside [clipMin, clipMax]
    std::int64_t clippedCount = 0;
    Histogram errorHistogram; ///< of x - x̂, symmetric around 0
};

/// One chunked multithreaded pass; identical results at any thread count. Each piece of values
/// is read once: x̂, the sums, the clipped count and the error histogram come from one lane
/// kernel (stats/statkernels.h). The sums are compareValues' (the same pieces of the same
/// chunks), so mse, sqnrDb, maxAbsError and cosine
/// equal compareValues' on fakeQuantize's x̂ bit for bit. `stats`
/// supplies the tensor's min/max (to size the error histogram) and count. bins = 0 skips the
/// error histogram (errorHistogram then has no bins): what needs only the figures saves a store
/// per value. Returns nullopt if cancelled.
std::optional<ErrorStats> computeError(std::span<const float> values, const QuantParams &params,
                                       const TensorStats &stats, const RunControl &control = {},
                                       int bins = 512);
/// The same over a tensor; stored BF16, F16 or FP8 elements are decoded a piece at a time,
/// never into a float32 copy. Equal to computeError(tensor.values(), ...).
std::optional<ErrorStats> computeError(const FloatTensor &tensor, const QuantParams &params,
                                       const TensorStats &stats, const RunControl &control = {},
                                       int bins = 512);

} // namespace qs
