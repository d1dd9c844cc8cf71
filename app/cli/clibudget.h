#pragma once

#include "cliargs.h"

#include "io/checkpointreader.h"
#include "io/imatrix.h"
#include "plan/quantplan.h"
#include "util/result.h"

#include <QString>

#include <optional>

namespace qs::cli {

/// report's --budget-bpw / --budget-gib, --ladder and --save-plan: the usage problem, naming the
/// option, or nullopt when they are fine (or not given).
std::optional<QString> checkBudgetOptions(const CliOptions &options);

/// The plan report measures: plan fitted to the budget when --ladder asks (every rung measured
/// on every non-ignored tensor, weighted by matrix when given), then written to --save-plan when
/// asked. Prints one "budget: ..." line on stderr, or a warning when the first rungs alone exceed
/// the budget. Errors (a rung the model refuses, an importance entry, the plan file) are file
/// errors.
Result<QuantPlan> budgetPlan(const CliOptions &options, const CheckpointReader &reader, QuantPlan plan,
                             const ImportanceMatrix *matrix);

} // namespace qs::cli
