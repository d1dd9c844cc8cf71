#pragma once

#include "cliargs.h"

#include "analysis/analysisresult.h"
#include "plan/quantplan.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <QString>

namespace qs::cli {

/// Each command prints its report on stdout, or one "error: ..." line on stderr, and returns
/// the exit status.
int runList(const CliOptions &options);
int runDemo(const CliOptions &options);

/// Opens options.file, finds options.tensor and computes its statistics. The error names the file
/// and, for an unknown tensor, the closest names.
Result<std::shared_ptr<const TensorAnalysis>> openTensor(const CliOptions &options,
                                                         const RunControl &control);

/// report, export and quantize: the --plan file, or the scheme options as the default over the
/// default ignore list.
Result<QuantPlan> commandPlan(const CliOptions &options);

/// Writes text to stdout as UTF-8.
void printOut(const QString &text);
/// Writes "error: message" as exactly one line to stderr.
void printError(const QString &message);

} // namespace qs::cli
