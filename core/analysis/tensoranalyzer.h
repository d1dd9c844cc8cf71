#pragma once

#include "analysis/analysisresult.h"
#include "io/checkpointreader.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <memory>

namespace qs {

/// Loads tensor `index` of reader and computes its statistics. Progress covers both steps.
/// Fails with the reader's error, or "cancelled" when control says so.
Result<std::shared_ptr<const TensorAnalysis>> analyzeTensor(const CheckpointReader &reader, std::size_t index,
                                                            const RunControl &control = {});

/// Computes the parameters, the exact error pass and the threshold sweep for spec.
/// When suggest is true the spec is first turned into a saturating one at the sweep's best
/// threshold. Fails only when cancelled.
Result<std::shared_ptr<const QuantAnalysis>> analyzeQuant(const TensorAnalysis &tensor, QuantSpec spec,
                                                          bool suggest = false,
                                                          const RunControl &control = {});

} // namespace qs
