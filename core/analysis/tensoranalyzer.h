#pragma once

#include "analysis/analysisresult.h"
#include "io/checkpointreader.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <memory>

namespace qs {

/// How analyzeTensor loads the values.
enum class ValueAccess {
    Decoded, ///< loadFloat: values() is ready (what the window's plots need)
    Chunked, ///< loadChunked: stored BF16/F16/FP8 stay encoded and the passes decode piece by piece
};

/// Loads tensor `index` of reader and computes its statistics. Progress covers both steps.
/// Fails with the reader's error, or "cancelled" when control says so.
Result<std::shared_ptr<const TensorAnalysis>> analyzeTensor(const CheckpointReader &reader, std::size_t index,
                                                            const RunControl &control = {},
                                                            ValueAccess access = ValueAccess::Decoded);

/// What analyzeQuant computes besides the figures.
enum class QuantDetail {
    Full,        ///< the error histogram and the threshold sweep too (what the window plots)
    FiguresOnly, ///< spec, params and the error figures; errorHistogram and sweep left empty
};

/// Computes the parameters, the exact error pass and the threshold sweep for spec, taken as a
/// per-tensor int spec. A method that picks a clip range (mse: the sweep's best threshold;
/// percentile, entropy, histogram-l2: see core/calib) turns the spec into a saturating one at
/// that range first; the result's spec then keeps the method with the resolved clip, and its
/// params are what quantizeScheme gives the same spec. suggest is an alias for method mse (it
/// replaces spec.method). Other methods (hqq) leave the range as the spec sets it. Fails when
/// cancelled, or when a method that reads every value (percentile, entropy, histogram-l2) needs
/// a chunked tensor decoded and memory runs out.
Result<std::shared_ptr<const QuantAnalysis>> analyzeQuant(const TensorAnalysis &tensor, QuantSpec spec,
                                                          bool suggest = false,
                                                          const RunControl &control = {},
                                                          QuantDetail detail = QuantDetail::Full);

} // namespace qs
