#include "analysis/methodcomparison.h"

#include "calib/calibmethods.h"
#include "quant/numberformat.h"
#include "quant/quantizer.h"
#include "quant/schemequant.h"
#include "stats/errorstats.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace qs {

namespace {

Error cancelled() {
    return Error{"cancelled"};
}

QuantSpec withMethod(QuantSpec spec, CalibMethod method, double percentile = kDefaultPercentile) {
    spec.method = method;
    spec.percentile = percentile;
    spec.rangeMode = RangeMode::NonSaturating;
    spec.clipLo = spec.clipHi = 0.0;
    spec.clipRatio = 1.0;
    return spec;
}

bool analyzedPerTensor(const QuantSpec &spec) {
    return spec.granularity.kind == Granularity::Kind::Tensor &&
           formatTraits(spec.format).family == FormatFamily::Integer;
}

// analyzeQuant's figures without its sweep: the method's clip, the parameters, the exact pass.
Result<MethodRow> tensorRow(const TensorAnalysis &tensor, const QuantSpec &spec, const RunControl &control) {
    const auto values = tensor.tensor->values();
    const auto clip = tensorClip(values, tensor.stats, spec, control);
    if (!clip)
        return cancelled();
    const QuantSpec resolved = usesTensorClip(spec) ? resolvedSpec(spec, *clip) : spec;
    const QuantParams params = paramsForTensor(resolved, tensor.stats.min, tensor.stats.max);
    const auto error = computeError(values, params, tensor.stats, control);
    if (!error)
        return cancelled();
    MethodRow row;
    row.clipLo = params.clipMin;
    row.clipHi = params.clipMax;
    row.mse = error->mse;
    row.sqnrDb = error->sqnrDb;
    row.clippedFraction = error->clippedFraction;
    return row;
}

Result<MethodRow> schemeRow(const TensorAnalysis &tensor, const QuantSpec &spec, const RunControl &control) {
    const auto values = tensor.tensor->values();
    const auto quantized = quantizeScheme(values, tensor.info().shape, spec, control);
    if (!quantized)
        return Error{quantized.error()};
    const ValueError error = compareValues(values, quantized->dequantized);
    MethodRow row;
    if (!quantized->clipMin.empty()) {
        row.clipLo = *std::min_element(quantized->clipMin.begin(), quantized->clipMin.end());
        row.clipHi = *std::max_element(quantized->clipMax.begin(), quantized->clipMax.end());
    }
    row.mse = error.mse;
    row.sqnrDb = error.sqnrDb;
    row.clippedFraction = clippedFraction(values, tensor.info().shape, spec, quantized.value()).value_or(0.0);
    row.groupClipLo = std::move(quantized->clipMin);
    row.groupClipHi = std::move(quantized->clipMax);
    return row;
}

} // namespace

std::vector<QuantSpec> methodCandidates(const QuantSpec &spec, const std::vector<std::int64_t> &shape) {
    const std::vector<QuantSpec> all{
        withMethod(spec, CalibMethod::MinMax),
        withMethod(spec, CalibMethod::Mse),
        withMethod(spec, CalibMethod::Percentile, 99.9),
        withMethod(spec, CalibMethod::Percentile, 99.99),
        withMethod(spec, CalibMethod::Entropy),
        withMethod(spec, CalibMethod::HistogramL2),
        withMethod(spec, CalibMethod::Hqq),
    };
    std::vector<QuantSpec> applicable;
    for (const QuantSpec &candidate : all)
        if (checkScheme(candidate, shape))
            applicable.push_back(candidate);
    return applicable;
}

Result<std::vector<MethodRow>> compareMethods(const TensorAnalysis &tensor, const QuantSpec &spec,
                                              const RunControl &control) {
    const std::vector<QuantSpec> candidates = methodCandidates(spec, tensor.info().shape);
    RunControl rowControl = control;
    rowControl.progress = nullptr;
    std::vector<MethodRow> rows;
    for (const QuantSpec &candidate : candidates) {
        if (control.canceled())
            return cancelled();
        auto row = analyzedPerTensor(candidate) ? tensorRow(tensor, candidate, rowControl)
                                                : schemeRow(tensor, candidate, rowControl);
        if (!row)
            return Error{row.error()};
        row.value().spec = candidate;
        row.value().label = methodLabel(candidate);
        rows.push_back(std::move(row).value());
        control.report(double(rows.size()) / double(candidates.size()));
    }
    return rows;
}

} // namespace qs
