#include "cliexport.h"

#include "clicommands.h"
#include "cliimportance.h"
#include "cliprogress.h"

#include "export/exporter.h"
#include "io/imatrix.h"
#include "plan/planjson.h"

namespace qs::cli {

namespace {

int fail(const std::string &message, int status = kExitFileError) {
    printError(QString::fromStdString(message));
    return status;
}

} // namespace

int runExport(const CliOptions &options) {
    const bool weights = options.command == Command::Quantize;
    const Exporter *exporter = findExporter(options.target.toStdString(), weights);
    if (!exporter) // parseArguments checked
        return fail("unknown target " + options.target.toStdString(), kExitUsageError);
    const auto plan = commandPlan(options);
    if (!plan)
        return fail(plan.error());
    if (const Status valid = validatePlan(plan.value()); !valid)
        return fail(valid.error(), options.planFile.isEmpty() ? kExitUsageError : kExitFileError);
    const auto reader = openCheckpoint(options.file.toStdString());
    if (!reader)
        return fail(reader.error());
    // The matrix must fit the tensors the plan quantizes before anything is written.
    const auto matrix = loadReportImportance(options, *reader.value(), plan.value());
    if (!matrix)
        return fail(matrix.error());

    ExportJob job;
    job.reader = reader.value().get();
    job.plan = plan.value();
    job.output = options.output.toStdString();
    job.importance = matrix->get();
    job.control.threads = options.threads;
    if (const Status checked = exporter->check(job); !checked)
        return fail(checked.error(), kExitUsageError);

    TerminalProgress progress(QString::fromStdString(exporter->id()), reader.value()->tensors());
    job.tensorDone = [&](std::size_t index) { progress.advance(reader.value()->tensors()[index].byteSize); };
    const auto outcome = exporter->write(job);
    progress.finish();
    if (!outcome)
        return fail(outcome.error());
    QString text;
    for (const std::string &path : outcome->written)
        text += QStringLiteral("wrote %1\n").arg(QString::fromStdString(path));
    text += QStringLiteral("%1 tensors quantized, %2 copied\n").arg(outcome->quantized).arg(outcome->copied);
    printOut(text);
    return kExitOk;
}

} // namespace qs::cli
