#include "clicompare.h"

#include "clicommands.h"
#include "cliimportance.h"

#include "analysis/schemecomparison.h"
#include "analysis/tensoranalyzer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace qs::cli {

namespace {

QJsonValue nullable(const std::optional<double> &value) {
    return value && std::isfinite(*value) ? QJsonValue(*value) : QJsonValue();
}

QJsonObject rowJson(const ComparisonRow &row) {
    const bool isInt = row.spec.format == NumberFormat::Int;
    QJsonObject o;
    o.insert(QStringLiteral("format"), QString::fromUtf8(formatTraits(row.spec.format).name));
    o.insert(QStringLiteral("bits"), nominalBits(row.spec));
    o.insert(QStringLiteral("scheme"),
             isInt ? QJsonValue(QString::fromUtf8(schemeName(row.spec.scheme))) : QJsonValue());
    o.insert(QStringLiteral("granularity"), QString::fromStdString(granularityName(row.spec.granularity)));
    o.insert(QStringLiteral("method"), QStringLiteral("minmax"));
    o.insert(QStringLiteral("bits_per_weight"), row.bitsPerWeight);
    if (!row.skipped.empty()) {
        o.insert(QStringLiteral("reason"), QString::fromStdString(row.skipped));
        return o;
    }
    o.insert(QStringLiteral("mse"), row.error.mse);
    o.insert(QStringLiteral("sqnr_db"), nullable(row.error.sqnrDb));
    o.insert(QStringLiteral("cosine"), row.error.cosine);
    return o;
}

QString rowText(const ComparisonRow &row) {
    const QString name = QStringLiteral("%1 %2 %3")
                             .arg(QString::fromUtf8(formatTraits(row.spec.format).name))
                             .arg(nominalBits(row.spec))
                             .arg(QString::fromStdString(granularityName(row.spec.granularity)));
    if (!row.skipped.empty())
        return QStringLiteral("%1  skipped: %2\n").arg(name, -24).arg(QString::fromStdString(row.skipped));
    return QStringLiteral("%1 %2 %3 %4 %5\n")
        .arg(name, -24)
        .arg(row.bitsPerWeight, 8, 'f', 4)
        .arg(row.error.mse, 12, 'g', 4)
        .arg(row.error.sqnrDb ? QString::number(*row.error.sqnrDb, 'f', 1) : QStringLiteral("inf"), 8)
        .arg(row.error.cosine, 10, 'f', 6);
}

} // namespace

int runCompare(const CliOptions &options) {
    RunControl control;
    control.threads = options.threads;
    auto tensor = openTensor(options, control);
    if (!tensor) {
        printError(QString::fromStdString(tensor.error()));
        return kExitFileError;
    }
    const TensorInfo &info = tensor.value()->info();
    const auto weights = loadTensorImportance(options, info);
    if (!weights) {
        printError(QString::fromStdString(weights.error()));
        return kExitFileError;
    }
    const std::vector<ComparisonRow> rows =
        compareSchemes(tensor.value()->tensor->values(), info.shape, control,
                       weights.value() ? weights.value()->weights.weights : std::span<const float>());
    if (options.json) {
        QJsonArray applied;
        QJsonArray skipped;
        for (const ComparisonRow &row : rows)
            (row.skipped.empty() ? applied : skipped).append(rowJson(row));
        QJsonObject report;
        report.insert(QStringLiteral("tensor"), options.tensor);
        report.insert(QStringLiteral("rows"), applied);
        report.insert(QStringLiteral("skipped"), skipped);
        printOut(QString::fromUtf8(QJsonDocument(report).toJson(QJsonDocument::Indented)));
        return kExitOk;
    }
    QString text = QStringLiteral("%1\n%2 %3 %4 %5 %6\n")
                       .arg(options.tensor)
                       .arg(QStringLiteral("scheme"), -24)
                       .arg(QStringLiteral("bits/w"), 8)
                       .arg(QStringLiteral("MSE"), 12)
                       .arg(QStringLiteral("SQNR dB"), 8)
                       .arg(QStringLiteral("cosine"), 10);
    for (const ComparisonRow &row : rows)
        text += rowText(row);
    printOut(text);
    return kExitOk;
}

} // namespace qs::cli
