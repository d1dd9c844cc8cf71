#include "analysis/tensoranalyzer.h"

#include "calib/calibmethods.h"
#include "calib/mseestimator.h"
#include "quant/quantizer.h"
#include "stats/errorstats.h"
#include "stats/statsanderror.h"
#include "stats/tensorstats.h"

namespace qs {

namespace {

// Decoding an aligned F32 tensor is a view and costs nothing, other dtypes one pass; the
// statistics are two passes. This split keeps the bar moving at a roughly even pace.
constexpr double kLoadShare = 0.3;
// The error histogram's bins (the Error plot's resolution).
constexpr int kErrorBins = 512;

Error cancelled() {
    return Error{"cancelled"};
}

// A RunControl that maps a sub-step's [0, 1] progress onto [from, from + share] of the whole.
RunControl subStep(const RunControl &control, double from, double share) {
    RunControl sub = control;
    if (control.progress)
        sub.progress = [progress = control.progress, from, share](double f) { progress(from + share * f); };
    return sub;
}

} // namespace

Result<std::shared_ptr<const FloatTensor>> loadTensor(const CheckpointReader &reader, std::size_t index,
                                                      const RunControl &control, ValueAccess access) {
    if (index >= reader.tensors().size())
        return Error{reader.path() + ": no tensor number " + std::to_string(index) + " (the file has " +
                     std::to_string(reader.tensors().size()) + ")"};
    if (control.canceled())
        return cancelled();
    auto tensor = access == ValueAccess::Chunked ? reader.loadChunked(index, control)
                                                 : reader.loadFloat(index, control);
    if (control.canceled())
        return cancelled();
    return tensor;
}

Result<std::shared_ptr<const TensorAnalysis>> analyzeTensor(const CheckpointReader &reader, std::size_t index,
                                                            const RunControl &control, ValueAccess access) {
    auto tensor = loadTensor(reader, index, subStep(control, 0.0, kLoadShare), access);
    if (!tensor)
        return Error{tensor.error()};
    auto analysis =
        analyzeLoadedTensor(std::move(tensor).value(), index, subStep(control, kLoadShare, 1.0 - kLoadShare));
    control.report(1.0);
    return analysis;
}

Result<std::shared_ptr<const TensorAnalysis>>
analyzeLoadedTensor(std::shared_ptr<const FloatTensor> tensor, std::size_t index, const RunControl &control) {
    auto stats = computeStats(*tensor, control);
    if (!stats)
        return cancelled();
    auto analysis = std::make_shared<TensorAnalysis>();
    analysis->index = index;
    analysis->tensor = std::move(tensor);
    analysis->stats = std::move(*stats);
    return std::shared_ptr<const TensorAnalysis>(std::move(analysis));
}

Result<std::shared_ptr<const QuantAnalysis>> analyzeQuant(const TensorAnalysis &tensor, QuantSpec spec,
                                                          bool suggest, const RunControl &control,
                                                          QuantDetail detail) {
    if (control.canceled())
        return cancelled();
    if (suggest)
        spec.method = CalibMethod::Mse;
    const bool full = detail == QuantDetail::Full;
    // mse picks its clip from the sweep, so it always needs one.
    ThresholdSweep sweep =
        full || spec.method == CalibMethod::Mse ? sweepThresholds(tensor.stats, spec) : ThresholdSweep{};
    if (const TensorClipFunction method = calibMethodEntry(spec.method).tensorClip) {
        // mse is the sweep's best, as mseClip computes it; the others look at the values.
        if (spec.method != CalibMethod::Mse)
            if (const Status decoded = tensor.tensor->decodeAll(); !decoded)
                return Error{decoded.error()};
        const auto clip = spec.method == CalibMethod::Mse
                              ? std::optional(ClipRange{sweep.best.clipLo, sweep.best.clipHi})
                              : method(tensor.tensor->values(), tensor.stats, spec, control);
        if (!clip)
            return cancelled();
        spec = resolvedSpec(spec, *clip);
        // The held-end curves go through the thresholds actually applied.
        if (full)
            sweep.heldEnds = heldEndCurves(tensor.stats, spec);
    }
    const QuantParams params = paramsForTensor(spec, tensor.stats.min, tensor.stats.max);
    auto error = computeError(*tensor.tensor, params, tensor.stats, control, full ? kErrorBins : 0);
    if (!error)
        return cancelled();
    auto analysis = std::make_shared<QuantAnalysis>();
    analysis->spec = spec;
    analysis->params = params;
    analysis->error = std::move(*error);
    analysis->sweep = std::move(sweep);
    return std::shared_ptr<const QuantAnalysis>(std::move(analysis));
}

bool ridesOnStatistics(CalibMethod method) {
    return method != CalibMethod::Mse && !calibMethodEntry(method).tensorClip;
}

Result<TensorQuantAnalysis> analyzeTensorWithQuant(const CheckpointReader &reader, std::size_t index,
                                                   CalibMethod method, const SpecFromScan &specFor,
                                                   const RunControl &control) {
    auto tensor = loadTensor(reader, index, subStep(control, 0.0, kLoadShare));
    if (!tensor)
        return Error{tensor.error()};
    auto analysis = analyzeTensorAndQuant(std::move(tensor).value(), index, method, specFor, false,
                                          subStep(control, kLoadShare, 1.0 - kLoadShare), QuantDetail::Full);
    control.report(1.0);
    return analysis;
}

Result<TensorQuantAnalysis> analyzeTensorAndQuant(std::shared_ptr<const FloatTensor> tensor,
                                                  std::size_t index, CalibMethod method,
                                                  const SpecFromScan &specFor, bool suggest,
                                                  const RunControl &control, QuantDetail detail) {
    if (suggest || !ridesOnStatistics(method)) {
        auto loaded = analyzeLoadedTensor(std::move(tensor), index, control);
        if (!loaded)
            return Error{loaded.error()};
        auto quant = analyzeQuant(*loaded.value(), specFor(loaded.value()->stats), suggest, control, detail);
        if (!quant)
            return Error{quant.error()};
        return TensorQuantAnalysis{std::move(loaded).value(), std::move(quant).value()};
    }
    auto analysis = std::make_shared<TensorAnalysis>();
    analysis->index = index;
    analysis->tensor = std::move(tensor);
    const bool full = detail == QuantDetail::Full;
    QuantSpec spec;
    QuantParams params;
    auto both = computeStatsAndError(
        *analysis->tensor,
        [&](const TensorStats &stats) {
            spec = specFor(stats);
            params = paramsForTensor(spec, stats.min, stats.max);
            return params;
        },
        control, kFineBins, full ? kErrorBins : 0);
    if (!both)
        return cancelled();
    analysis->stats = std::move(both->stats);
    auto quant = std::make_shared<QuantAnalysis>();
    quant->spec = spec;
    quant->params = params;
    quant->error = std::move(both->error);
    if (full)
        quant->sweep = sweepThresholds(analysis->stats, spec);
    control.report(1.0);
    return TensorQuantAnalysis{std::move(analysis), std::move(quant)};
}

} // namespace qs
