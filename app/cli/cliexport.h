#pragma once

#include "cliargs.h"

namespace qs::cli {

/// export and quantize: resolves the plan (--plan, or the scheme options as the default over the
/// default ignore list) over FILE and hands it to the --to target. Exit 1 when a file cannot be
/// read or written, 2 when the target cannot express the plan; both print one error line.
int runExport(const CliOptions &options);

} // namespace qs::cli
