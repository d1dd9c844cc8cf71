#include "clicommands.h"

#include "cliimportance.h"
#include "clireport.h"

#include "analysis/tensoranalyzer.h"
#include "clijson.h"
#include "io/checkpointreader.h"
#include "io/democheckpoint.h"
#include "plan/planjson.h"

#include <QJsonDocument>
#include <QStringList>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace qs::cli {

namespace {

// Suggesting names costs O(tensors x name length^2); beyond this many it is not worth it.
constexpr std::size_t kMaxTensorsToCompare = 20000;
constexpr int kMaxSuggestions = 3;

int editDistance(const QString &a, const QString &b) {
    std::vector<int> row(std::size_t(b.size()) + 1);
    for (std::size_t j = 0; j < row.size(); ++j)
        row[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            diagonal = row[std::size_t(j)];
            row[std::size_t(j)] =
                std::min({row[std::size_t(j)] + 1, row[std::size_t(j - 1)] + 1, substitute});
        }
    }
    return row.back();
}

// Names that contain the request, or are a few edits away from it, closest first.
QStringList closeNames(const std::vector<TensorInfo> &tensors, const QString &wanted) {
    if (tensors.size() > kMaxTensorsToCompare)
        return {};
    const int limit = std::max<int>(3, int(wanted.size()) / 3);
    std::vector<std::pair<int, QString>> candidates;
    for (const TensorInfo &t : tensors) {
        const QString name = qstr(t.name);
        const int distance = name.contains(wanted) ? 0 : editDistance(name, wanted);
        if (distance <= limit)
            candidates.emplace_back(distance, name);
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    QStringList names;
    for (std::size_t i = 0; i < candidates.size() && names.size() < kMaxSuggestions; ++i)
        names.append(QLatin1Char('"') + candidates[i].second + QLatin1Char('"'));
    return names;
}

std::optional<std::size_t> findTensor(const std::vector<TensorInfo> &tensors, const std::string &name) {
    for (std::size_t i = 0; i < tensors.size(); ++i)
        if (tensors[i].name == name)
            return i;
    return std::nullopt;
}

QString unknownTensorMessage(const CheckpointReader &reader, const QString &wanted) {
    QString message = QStringLiteral("%1: no tensor named \"%2\"").arg(qstr(reader.path()), wanted);
    const QStringList close = closeNames(reader.tensors(), wanted);
    if (!close.isEmpty())
        message += QStringLiteral(" (did you mean %1?)").arg(close.join(QStringLiteral(", ")));
    return message;
}

void printJson(const QJsonObject &object) {
    printOut(QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Indented)));
}

} // namespace

void printOut(const QString &text) {
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

void printError(const QString &message) {
    QString text = message.simplified(); // one line, whatever the core's text holds
    const QByteArray bytes = QStringLiteral("error: %1\n").arg(text).toUtf8();
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

int runList(const CliOptions &options) {
    auto reader = openCheckpoint(options.file.toStdString());
    if (!reader) {
        printError(qstr(reader.error()));
        return kExitFileError;
    }
    const std::vector<TensorInfo> &tensors = reader.value()->tensors();
    if (options.json)
        printJson(tensorListJson(tensors));
    else
        printOut(tensorListText(tensors));
    return kExitOk;
}

Result<OpenedTensor> findOptionsTensor(const CliOptions &options) {
    auto opened = openCheckpoint(options.file.toStdString());
    if (!opened)
        return Error{opened.error()};
    const auto index = findTensor(opened.value()->tensors(), options.tensor.toStdString());
    if (!index)
        return Error{unknownTensorMessage(*opened.value(), options.tensor).toStdString()};
    return OpenedTensor{std::move(opened).value(), *index};
}

Result<std::shared_ptr<const TensorAnalysis>> openTensor(const CliOptions &options, const RunControl &control,
                                                         ValueAccess access) {
    const auto opened = findOptionsTensor(options);
    if (!opened)
        return Error{opened.error()};
    return analyzeTensor(*opened.value().reader, opened.value().index, control, access);
}

int runDemo(const CliOptions &options) {
    const Status written = writeDemoCheckpoint(options.file.toStdString());
    if (!written) {
        printError(qstr(written.error()));
        return kExitFileError;
    }
    printOut(QStringLiteral("wrote the demo checkpoint to %1\n").arg(options.file));
    return kExitOk;
}

std::variant<ModelInput, int> openModelInput(const CliOptions &options) {
    auto fail = [](const std::string &message, int status) {
        printError(QString::fromStdString(message));
        return status;
    };
    ModelInput input;
    if (!options.planFile.isEmpty()) {
        auto plan = loadPlan(options.planFile.toStdString());
        if (!plan)
            return fail(plan.error(), kExitFileError);
        input.plan = std::move(plan).value();
    } else {
        input.plan.defaults = planSchemeFromSpec(options.spec);
    }
    // The scheme options fit some tensor (parseArguments checked); a plan layer may still refuse
    // them, e.g. a key the format has no use for. That is the command line's fault.
    if (const Status valid = validatePlan(input.plan); !valid)
        return fail(valid.error(), options.planFile.isEmpty() ? kExitUsageError : kExitFileError);
    auto reader = openCheckpoint(options.file.toStdString());
    if (!reader)
        return fail(reader.error(), kExitFileError);
    input.reader = std::move(reader).value();
    auto matrix = loadReportImportance(options, *input.reader, input.plan);
    if (!matrix)
        return fail(matrix.error(), kExitFileError);
    input.matrix = std::move(matrix).value();
    return input;
}

} // namespace qs::cli
