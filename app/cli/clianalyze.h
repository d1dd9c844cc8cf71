#pragma once

#include "cliargs.h"

namespace qs::cli {

/// `analyze FILE --tensor NAME`: one scheme on one tensor. Int per tensor takes the exact
/// per-tensor pass (statistics, threshold sweep, error pass); every other scheme quantizes the
/// whole tensor with quantizeScheme and compares x̂ with x.
int runAnalyze(const CliOptions &options);

} // namespace qs::cli
