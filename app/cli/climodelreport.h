#pragma once

#include "cliargs.h"

namespace qs::cli {

/// report FILE: every tensor of the model under the plan (--plan, or the scheme options as the
/// default with the default ignore list), streamed as JSON or CSV as each tensor is measured.
int runReport(const CliOptions &options);

} // namespace qs::cli
