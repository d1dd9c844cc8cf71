#pragma once

#include "analysis/analysisresult.h"
#include "io/tensorinfo.h"
#include "quant/halffloat.h"

#include <QJsonObject>
#include <QString>

#include <optional>
#include <string>
#include <vector>

namespace qs::cli {

/// What analyze found, from either path: the per-tensor int pass (perTensor set) or a whole-tensor
/// quantizeScheme (every other scheme).
struct AnalyzeReport {
    QuantSpec spec; ///< as applied (--suggest: saturating at the suggested thresholds)
    double bitsPerWeight = 0.0;
    std::optional<QuantParams> perTensor; ///< int per tensor: the one mapping
    double mse = 0.0;
    std::optional<double> sqnrDb;
    double maxAbsError = 0.0;
    double cosine = 1.0;
    std::optional<double> clippedFraction; ///< int per tensor and casts only
    /// Casts (f16, bf16): the overflow and underflow counts (castSaturating).
    std::optional<CastCounts> cast;
    bool withParams = false; ///< --params: list the grid below
    std::vector<std::int64_t> paramShape;
    std::vector<float> scales;
    std::vector<std::int64_t> zeroPoints; ///< int only; empty otherwise (and for hqq)
    std::vector<float> zeroPointsFloat;   ///< hqq's float zero points; empty otherwise
    /// --imatrix: the importance-weighted MSE and the entry whose weights it used.
    std::optional<double> weightedMse;
    std::string importanceEntry;
};

/// {"tensors": [{"name", "dtype", "shape"}, ...]}
QJsonObject tensorListJson(const std::vector<TensorInfo> &tensors);
/// A table with columns name, dtype, shape, elements.
QString tensorListText(const std::vector<TensorInfo> &tensors);

/// The analyze report: the spec, the mapping, the error and the tensor's statistics.
QJsonObject analysisJson(const TensorAnalysis &tensor, const AnalyzeReport &report);
QString analysisText(const TensorAnalysis &tensor, const AnalyzeReport &report);

} // namespace qs::cli
