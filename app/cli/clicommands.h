#pragma once

#include "cliargs.h"

#include <QString>

namespace qs::cli {

/// Each command prints its report on stdout, or one "error: ..." line on stderr, and returns
/// the exit status.
int runList(const CliOptions &options);
int runAnalyze(const CliOptions &options);
int runDemo(const CliOptions &options);

/// Writes text to stdout as UTF-8.
void printOut(const QString &text);
/// Writes "error: message" as exactly one line to stderr.
void printError(const QString &message);

} // namespace qs::cli
