#include "clianalyze.h"

#include "clicommands.h"
#include "cliimportance.h"
#include "clireport.h"
#include "npywriter.h"

#include "analysis/tensoranalyzer.h"
#include "quant/quantizer.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"
#include "stats/weightederror.h"

#include <QJsonDocument>

namespace qs::cli {

namespace {

// The report and, when --save-dequantized asks for it, x̂.
struct Analyzed {
    AnalyzeReport report;
    std::vector<float> dequantized;
};

QString tensorContext(const CliOptions &options) {
    return QStringLiteral("%1: tensor \"%2\"").arg(options.file, options.tensor);
}

// A clip ratio per tensor is PyTorch's observer range min·r, max·r (in float32, as quantizeScheme
// scales each group's range) taken as saturating thresholds, so both paths agree bit for bit.
QuantSpec withRatioApplied(QuantSpec spec, const TensorStats &stats) {
    if (spec.clipRatio == 1.0)
        return spec;
    const auto ratio = float(spec.clipRatio);
    spec.rangeMode = RangeMode::Saturating;
    spec.clipLo = double(float(stats.min) * ratio);
    spec.clipHi = double(float(stats.max) * ratio);
    return spec;
}

// x̂ is needed for --save-dequantized and for the weighted error.
bool keepsDequantized(const CliOptions &options) {
    return !options.saveDequantized.isEmpty() || !options.imatrixFile.isEmpty();
}

// int per tensor has no importance path: the weights only weigh its error. Statistics and error
// come from one call, so that the error pass can ride along the statistics' second read.
Result<std::pair<std::shared_ptr<const TensorAnalysis>, Analyzed>>
analyzePerTensor(std::shared_ptr<const FloatTensor> values, std::size_t index, const CliOptions &options,
                 const RunControl &control) {
    // The report lists figures only: no error histogram or threshold curve to compute.
    const auto analyzed = analyzeTensorAndQuant(
        std::move(values), index, options.spec.method,
        [&](const TensorStats &stats) { return withRatioApplied(options.spec, stats); },
        options.spec.method == CalibMethod::Mse, control, QuantDetail::FiguresOnly);
    if (!analyzed)
        return Error{analyzed.error()};
    const TensorAnalysis &tensor = *analyzed.value().tensor;
    const QuantAnalysis &q = *analyzed.value().quant;
    Analyzed out;
    AnalyzeReport &r = out.report;
    r.spec = q.spec;
    r.withParams = options.params;
    r.bitsPerWeight = schemeBitsPerWeight(q.spec, tensor.info().shape);
    r.perTensor = q.params;
    r.mse = q.error.mse;
    r.sqnrDb = q.error.sqnrDb;
    r.maxAbsError = q.error.maxAbsError;
    r.cosine = q.error.cosine;
    r.clippedFraction = q.error.clippedFraction;
    r.paramShape = {1};
    r.scales = {q.params.scale};
    r.zeroPoints = {q.params.zeroPoint};
    if (keepsDequantized(options)) {
        out.dequantized.resize(tensor.tensor->values().size());
        fakeQuantize(tensor.tensor->values(), out.dequantized, q.params);
    }
    return std::pair{analyzed.value().tensor, std::move(out)};
}

Result<Analyzed> analyzeScheme(const TensorAnalysis &tensor, const CliOptions &options,
                               const RunControl &control, std::span<const float> importance) {
    Analyzed out;
    // compare measures its rows the same way, so the figures agree with its row to the last bit.
    // x̂, when kept, is held once: the measurement's own.
    MeasureExtras extras;
    extras.keepDequantized = keepsDequantized(options);
    auto measured =
        measureScheme(*tensor.tensor, tensor.info().shape, options.spec, control, {}, importance, extras);
    if (!measured)
        return Error{measured.error()};
    SchemeQuantization &q = measured.value().quantization;
    out.dequantized = std::move(q.dequantized);
    const ValueError &error = measured.value().error;
    AnalyzeReport &r = out.report;
    r.spec = options.spec;
    r.withParams = options.params;
    r.bitsPerWeight = q.bitsPerWeight;
    r.mse = error.mse;
    r.sqnrDb = error.sqnrDb;
    r.maxAbsError = error.maxAbsError;
    r.cosine = error.cosine;
    r.paramShape = std::move(q.paramShape);
    r.scales = std::move(q.scales);
    r.zeroPoints = std::move(q.zeroPoints);
    r.zeroPointsFloat = std::move(q.zeroPointsFloat);
    if (formatTraits(options.spec.format).family == FormatFamily::Cast) {
        // A cast has no scale to list; its clipped values are exactly its overflows.
        r.cast = q.cast;
        const std::int64_t finite = tensor.stats.count;
        r.clippedFraction = finite > 0 ? double(q.cast.overflow) / double(finite) : 0.0;
        r.paramShape.clear();
        r.scales.clear();
    }
    return out;
}

} // namespace

int runAnalyze(const CliOptions &options) {
    RunControl control;
    control.threads = options.threads;
    // The statistics, error and scheme passes decode a stored BF16, F16 or FP8 tensor a piece at
    // a time: no float32 copy. x̂ and the importance-weighted error read all values at once.
    const bool streams = !keepsDequantized(options);
    const ValueAccess access = streams ? ValueAccess::Chunked : ValueAccess::Decoded;
    const auto opened = findOptionsTensor(options);
    if (!opened) {
        printError(QString::fromStdString(opened.error()));
        return kExitFileError;
    }
    const TensorInfo &info = opened.value().info();
    // The options fit some tensor (parseArguments checked); this one's shape may not.
    if (const Status fits = checkScheme(options.spec, info.shape); !fits) {
        printError(tensorContext(options) + QStringLiteral(": ") + QString::fromStdString(fits.error()));
        return kExitFileError;
    }
    const auto weights = loadTensorImportance(options, info);
    if (!weights) {
        printError(QString::fromStdString(weights.error()));
        return kExitFileError;
    }
    const std::span<const float> importance =
        weights.value() ? weights.value()->weights.weights : std::span<const float>();
    // A file that cannot be read names itself; what goes wrong after loading names the tensor too.
    auto values = loadTensor(*opened.value().reader, opened.value().index, control, access);
    if (!values) {
        printError(QString::fromStdString(values.error()));
        return kExitFileError;
    }
    std::shared_ptr<const TensorAnalysis> tensor;
    Result<Analyzed> analyzed = Error{std::string()};
    if (isPerTensorInt(options.spec)) {
        auto both = analyzePerTensor(std::move(values).value(), opened.value().index, options, control);
        if (both) {
            tensor = both.value().first;
            analyzed = std::move(both.value().second);
        } else {
            analyzed = Error{both.error()};
        }
    } else {
        auto loaded = analyzeLoadedTensor(std::move(values).value(), opened.value().index, control);
        if (!loaded) {
            printError(QString::fromStdString(loaded.error()));
            return kExitFileError;
        }
        tensor = std::move(loaded).value();
        analyzed = analyzeScheme(*tensor, options, control, importance);
    }
    if (!analyzed) {
        printError(tensorContext(options) + QStringLiteral(": ") + QString::fromStdString(analyzed.error()));
        return kExitFileError;
    }
    const TensorAnalysis &t = *tensor;
    if (const auto &w = weights.value()) {
        const auto weighted = weightedMse(t.tensor->values(), analyzed->dequantized, w->weights.weights,
                                          w->weights.columns, control);
        if (!weighted) {
            printError(tensorContext(options) + QStringLiteral(": ") +
                       QString::fromStdString(weighted.error()));
            return kExitFileError;
        }
        analyzed.value().report.weightedMse = weighted.value();
        analyzed.value().report.importanceEntry = w->weights.entryName;
    }
    if (!options.saveDequantized.isEmpty())
        if (const auto problem =
                writeNpyFloat32(options.saveDequantized, analyzed->dequantized, t.info().shape)) {
            printError(*problem);
            return kExitFileError;
        }
    if (options.json)
        printOut(QString::fromUtf8(
            QJsonDocument(analysisJson(t, analyzed->report)).toJson(QJsonDocument::Indented)));
    else
        printOut(analysisText(t, analyzed->report));
    return kExitOk;
}

} // namespace qs::cli
