#include "climodelreport.h"

#include "clibudget.h"
#include "clicommands.h"
#include "cliimportance.h"
#include "clireference.h"

#include "analysis/modelimportance.h"
#include "analysis/modelscan.h"
#include "clijson.h"
#include "cliprogress.h"
#include "export/csvtable.h"
#include "io/checkpointreader.h"
#include "io/imatrix.h"
#include "plan/planjson.h"
#include "plan/quantplan.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QStringList>

#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <utility>

namespace qs::cli {

namespace {

void fillReference(TableRow &row, const ReferenceCells &cells) {
    cell(row, TableColumn::ReferenceMse) = cells.mse;
    cell(row, TableColumn::ReferenceSqnrDb) = cells.sqnrDb;
    cell(row, TableColumn::ReferenceCosine) = cells.cosine;
    cell(row, TableColumn::ReferenceMaxAbsDiff) = cells.maxAbsDiff;
    cell(row, TableColumn::ReferencePartner) = cells.partner;
    cell(row, TableColumn::ReferenceSkipped) = cells.skipped;
}

// An object with its keys in the given order (QJsonObject would sort them), at an indent.
template <std::size_t N>
QByteArray orderedObject(const std::array<const char *, N> &keys, const std::array<QJsonValue, N> &values,
                         int indent) {
    const QByteArray pad(indent, ' ');
    QByteArray out = "{\n";
    for (std::size_t i = 0; i < N; ++i)
        out += pad + "    " + tableJsonText(QString::fromLatin1(keys[i])) + ": " + tableJsonText(values[i]) +
               (i + 1 < N ? ",\n" : "\n");
    return out + pad + "}";
}

// Writes the report as the tensors arrive: JSON's opening and closing around them, or CSV rows.
class ReportWriter {
public:
    explicit ReportWriter(bool csv)
        : m_csv(csv) {
        printOut(m_csv ? tableCsvHeader() : QStringLiteral("{\n    \"tensors\": ["));
    }

    void add(const TensorSummary &summary, const std::optional<ReferenceCells> &reference) {
        TableRow row = tableRow(summary);
        if (reference)
            fillReference(row, *reference);
        if (m_csv) {
            printOut(tableCsvLine(row));
            return;
        }
        const QByteArray object = orderedObject(tableColumnNames(), row, 8);
        printOut(QString::fromUtf8((m_rows++ ? ",\n        " : "\n        ") + object));
    }

    void finish(const ScanTotals &totals, double seconds) {
        if (m_csv) { // stdout stays pure CSV
            printSummaryLine(totals, seconds);
            return;
        }
        static constexpr std::array<const char *, 8> keys{
            "tensors",     "quantized",           "kept",   "skipped", "total_params",
            "total_bytes", "avg_bits_per_weight", "seconds"};
        const std::array<QJsonValue, 8> values{qint64(totals.tensors),
                                               qint64(totals.quantized),
                                               qint64(totals.kept),
                                               qint64(totals.skipped),
                                               qint64(totals.totalParams),
                                               number(totals.totalBytes),
                                               number(totals.avgBitsPerWeight),
                                               number(seconds)};
        const QByteArray close = m_rows ? "\n    ],\n" : "],\n";
        printOut(QString::fromUtf8(close + "    \"summary\": " + orderedObject(keys, values, 4) + "\n}\n"));
    }

private:
    static void printSummaryLine(const ScanTotals &t, double seconds) {
        const QByteArray line =
            QStringLiteral("report: %1 tensors (%2 quantized, %3 kept, %4 skipped), %5 parameters, "
                           "%6 bytes, %7 bits per weight on average, %8 s\n")
                .arg(t.tensors)
                .arg(t.quantized)
                .arg(t.kept)
                .arg(t.skipped)
                .arg(t.totalParams)
                .arg(t.totalBytes, 0, 'f', 0)
                .arg(t.avgBitsPerWeight, 0, 'g', 6)
                .arg(seconds, 0, 'f', 2)
                .toUtf8();
        std::fwrite(line.constData(), 1, std::size_t(line.size()), stderr);
        std::fflush(stderr);
    }

    bool m_csv;
    int m_rows = 0;
};

int fail(const std::string &message, int status = kExitFileError) {
    printError(QString::fromStdString(message));
    return status;
}

} // namespace

int runReport(const CliOptions &options) {
    QElapsedTimer timer;
    timer.start();
    auto model = openModelInput(options);
    if (const int *status = std::get_if<int>(&model))
        return *status;
    const ModelInput &input = std::get<ModelInput>(model);
    const auto used = budgetPlan(options, *input.reader, input.plan, input.matrix.get());
    if (!used)
        return fail(used.error());
    std::optional<ReportReference> reference;
    if (!options.referenceFile.isEmpty()) {
        auto opened = ReportReference::open(options.referenceFile, input.reader);
        if (!opened)
            return fail(opened.error());
        reference = std::move(opened.value());
    }
    RunControl control;
    control.threads = options.threads;
    ReportWriter writer(options.csv);
    TerminalProgress progress(QStringLiteral("report"), input.reader->tensors());
    // The pair is compared after the tensor's scan has let its values go: one pair at a time.
    const auto totals = scanModel(
        *input.reader,
        [&](const TensorInfo &info) {
            return withImportance(planDecision(used.value(), info), input.matrix.get(), info);
        },
        [&](TensorSummary &&s) {
            progress.advance(s.storedBytes);
            writer.add(s, reference ? std::optional(reference->measure(s.index, control)) : std::nullopt);
        },
        control);
    progress.finish();
    if (!totals)
        return fail(totals.error());
    writer.finish(totals.value(), double(timer.nsecsElapsed()) / 1e9);
    return kExitOk;
}

} // namespace qs::cli
