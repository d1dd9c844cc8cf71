#include "cliexport.h"

#include "clicommands.h"
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
    auto opened = openModelInput(options);
    if (const int *status = std::get_if<int>(&opened))
        return *status;
    const ModelInput &input = std::get<ModelInput>(opened);

    ExportJob job;
    job.reader = input.reader.get();
    job.plan = input.plan;
    job.output = options.output.toStdString();
    job.importance = input.matrix.get();
    job.control.threads = options.threads;
    if (const Status checked = exporter->check(job); !checked)
        return fail(checked.error(), kExitUsageError);

    TerminalProgress progress(QString::fromStdString(exporter->id()), input.reader->tensors());
    job.tensorDone = [&](std::size_t index) { progress.advance(input.reader->tensors()[index].byteSize); };
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
