#pragma once

#include "analysis/analysisresult.h"
#include "io/tensorinfo.h"

#include <QJsonObject>
#include <QString>

#include <vector>

namespace qs::cli {

/// {"tensors": [{"name", "dtype", "shape"}, ...]}
QJsonObject tensorListJson(const std::vector<TensorInfo> &tensors);
/// A table with columns name, dtype, shape, elements.
QString tensorListText(const std::vector<TensorInfo> &tensors);

/// The analyze report: the spec, the mapping, the error and the tensor's statistics.
QJsonObject analysisJson(const TensorAnalysis &tensor, const QuantAnalysis &quant);
QString analysisText(const TensorAnalysis &tensor, const QuantAnalysis &quant);

} // namespace qs::cli
