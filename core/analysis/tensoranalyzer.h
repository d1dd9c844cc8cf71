#pragma once

#include "analysis/analysisresult.h"
#include "io/checkpointreader.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <functional>
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

/// A tensor's statistics and one per-tensor int spec's analysis of it.
struct TensorQuantAnalysis {
    std::shared_ptr<const TensorAnalysis> tensor;
    std::shared_ptr<const QuantAnalysis> quant;
};

/// The per-tensor int spec to analyze, from the statistics' count, min, max and mean (e.g. a
/// clip ratio applied to min and max).
using SpecFromScan = std::function<QuantSpec(const TensorStats &)>;

/// Loads tensor `index` of reader as analyzeTensor does, without the statistics. Fails with the
/// reader's error, or "cancelled" when control says so.
Result<std::shared_ptr<const FloatTensor>> loadTensor(const CheckpointReader &reader, std::size_t index,
                                                      const RunControl &control = {},
                                                      ValueAccess access = ValueAccess::Decoded);

/// analyzeTensor's statistics of a tensor loadTensor gave (number `index` of its checkpoint).
/// Fails only when cancelled.
Result<std::shared_ptr<const TensorAnalysis>> analyzeLoadedTensor(std::shared_ptr<const FloatTensor> tensor,
                                                                  std::size_t index,
                                                                  const RunControl &control = {});

/// The statistics of a loaded tensor (number `index` of its checkpoint), then analyzeQuant of
/// specFor(stats): the same results as computeStats and analyzeQuant. When `method` (the
/// calibration method of every spec specFor gives) looks at nothing beyond min and max (minmax,
/// hqq) and suggest is false, the exact error pass rides along the statistics' second read of
/// the values (computeStatsAndError): one read of every value less. Fails when cancelled, or as
/// analyzeQuant fails.
Result<TensorQuantAnalysis> analyzeTensorAndQuant(std::shared_ptr<const FloatTensor> tensor,
                                                  std::size_t index, CalibMethod method,
                                                  const SpecFromScan &specFor, bool suggest = false,
                                                  const RunControl &control = {},
                                                  QuantDetail detail = QuantDetail::Full);

/// Whether analyzeTensorAndQuant runs method's exact error pass in the statistics' second read:
/// true for the methods that look at nothing beyond min and max (minmax, hqq).
bool ridesOnStatistics(CalibMethod method);

/// analyzeTensor, then analyzeQuant of specFor(stats) with the full detail, from one job: the
/// window opening a tensor. As analyzeTensorAndQuant, one read of every value less when method
/// rides on the statistics. Progress covers every step. Fails with the reader's error, when
/// cancelled, or as analyzeQuant fails.
Result<TensorQuantAnalysis> analyzeTensorWithQuant(const CheckpointReader &reader, std::size_t index,
                                                   CalibMethod method, const SpecFromScan &specFor,
                                                   const RunControl &control = {});

} // namespace qs
