#pragma once

#include "cliargs.h"

namespace qs::cli {

/// `compare FILE --tensor NAME`: every comparison scheme on one tensor, as JSON or a table.
int runCompare(const CliOptions &options);

} // namespace qs::cli
