#include "clianalyze.h"
#include "cliargs.h"
#include "clicommands.h"
#include "clicompare.h"
#include "cliexport.h"
#include "climodelreport.h"

#include <QCoreApplication>

// Argument dispatch only; the commands live in clicommands.cpp.
int main(int argc, char *argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("quantscope-cli"));
    QCoreApplication::setApplicationVersion(QStringLiteral(QUANTSCOPE_VERSION));

    using namespace qs::cli;
    const auto options = parseArguments(QCoreApplication::arguments().mid(1));
    if (!options) {
        printError(QString::fromStdString(options.error()));
        return kExitUsageError;
    }
    switch (options->command) {
    case Command::Help:
        printOut(usageText());
        return kExitOk;
    case Command::Version:
        printOut(QStringLiteral("quantscope-cli %1\n").arg(QCoreApplication::applicationVersion()));
        return kExitOk;
    case Command::List:
        return runList(options.value());
    case Command::Analyze:
        return runAnalyze(options.value());
    case Command::Compare:
        return runCompare(options.value());
    case Command::Report:
        return runReport(options.value());
    case Command::Export:
    case Command::Quantize:
        return runExport(options.value());
    case Command::Demo:
        return runDemo(options.value());
    }
    return kExitUsageError;
}
