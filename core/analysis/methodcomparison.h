#pragma once

#include "analysis/analysisresult.h"
#include "quant/quantspec.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <optional>
#include <string>
#include <vector>

namespace qs {

/// One row of the method table: one calibration method on the caller's spec, with exact figures.
struct MethodRow {
    QuantSpec spec;    ///< the caller's format, bits, scheme and granularity with this method
    std::string label; ///< methodLabel(spec): "minmax", "percentile:99.9", ...
    /// The range quantized: per tensor the resolved parameters' [clipMin, clipMax]; per channel or
    /// group the lowest and highest of the groups' ranges.
    double clipLo = 0.0;
    double clipHi = 0.0;
    double mse = 0.0;             ///< over the finite values
    std::optional<double> sqnrDb; ///< nullopt when there is no error
    double clippedFraction = 0.0; ///< finite values outside their group's range
    /// Each group's range, row-major over the scheme's parameter grid (the groups of
    /// SchemeAnalysis::grid, in the same order): SchemeQuantization's clipMin / clipMax. Empty for
    /// per-tensor int rows, whose one range is [clipLo, clipHi], and for formats without a clip
    /// range (block and codebook formats).
    std::vector<double> groupClipLo;
    std::vector<double> groupClipHi;
};

/// The specs the table compares for spec on a tensor of this shape: minmax, mse, percentile at
/// 99.9 and 99.99, entropy, histogram-l2 and hqq, each on spec's format, bits, scheme, narrow and
/// granularity with the range rule reset (non-saturating, clip ratio 1), kept when checkScheme
/// accepts it.
std::vector<QuantSpec> methodCandidates(const QuantSpec &spec, const std::vector<std::int64_t> &shape);

/// Evaluates every methodCandidates spec on the tensor, in that order. Per-tensor int rows are
/// exactly what analyzeQuant gives the row's spec (clip, MSE, SQNR, clipped fraction); other rows
/// come from quantizeScheme. Rows run one after another, each on control's threads; the figures
/// do not depend on the thread count. Fails with "cancelled" when control says so.
Result<std::vector<MethodRow>> compareMethods(const TensorAnalysis &tensor, const QuantSpec &spec,
                                              const RunControl &control = {});

} // namespace qs
