#pragma once

#include "cliargs.h"

#include "analysis/analysisresult.h"
#include "analysis/tensoranalyzer.h"
#include "io/checkpointreader.h"
#include "io/imatrix.h"
#include "plan/quantplan.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <QString>

#include <memory>
#include <variant>

namespace qs::cli {

/// Each command prints its report on stdout, or one "error: ..." line on stderr, and returns
/// the exit status.
int runList(const CliOptions &options);
int runDemo(const CliOptions &options);

/// options.file opened, and the index of options.tensor in it.
struct OpenedTensor {
    std::shared_ptr<const CheckpointReader> reader;
    std::size_t index = 0;
    const TensorInfo &info() const { return reader->tensors()[index]; }
};
/// Opens options.file and finds options.tensor. The error names the file and, for an unknown
/// tensor, the closest names.
Result<OpenedTensor> findOptionsTensor(const CliOptions &options);

/// Opens options.file, finds options.tensor and computes its statistics. The error names the file
/// and, for an unknown tensor, the closest names. Decoded loads every value; Chunked leaves stored
/// BF16/F16/FP8 to the passes, which decode a piece at a time.
Result<std::shared_ptr<const TensorAnalysis>> openTensor(const CliOptions &options, const RunControl &control,
                                                         ValueAccess access = ValueAccess::Decoded);

/// What report, export and quantize work on: the plan (the --plan file, or the scheme options as
/// the default over the default ignore list), the checkpoint and the --imatrix (null without).
struct ModelInput {
    QuantPlan plan;
    std::shared_ptr<const CheckpointReader> reader;
    std::shared_ptr<const ImportanceMatrix> matrix;
};

/// Opens a command's ModelInput, or prints the error and returns the exit status: 2 when the
/// scheme options make a plan no layer accepts, 1 for a file that cannot be read or a matrix that
/// does not fit the tensors the plan quantizes (checked before anything is written).
std::variant<ModelInput, int> openModelInput(const CliOptions &options);

/// Writes text to stdout as UTF-8.
void printOut(const QString &text);
/// Writes "error: message" as exactly one line to stderr.
void printError(const QString &message);

} // namespace qs::cli
