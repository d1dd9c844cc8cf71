#pragma once

#include "cliargs.h"

#include "io/checkpointreader.h"
#include "io/imatrix.h"
#include "plan/quantplan.h"
#include "util/result.h"

#include <memory>
#include <optional>

namespace qs::cli {

// --imatrix for one tensor (analyze, compare): the matrix and the tensor's weights, which view it.
struct TensorWeights {
    std::shared_ptr<const ImportanceMatrix> matrix;
    TensorImportance weights;
};

// nullopt without --imatrix. Fails when the file is neither imatrix form, has no entry for the
// tensor, or has one whose length does not fit its shape: the user asked for its weights.
Result<std::optional<TensorWeights>> loadTensorImportance(const CliOptions &options, const TensorInfo &info);

// --imatrix for report: null without it. Fails when the file is neither form, none of its entries
// matches a tensor, or an entry does not fit a tensor the plan quantizes. Entries that match no
// tensor while others do are listed in a warning on stderr and the report goes on.
Result<std::shared_ptr<const ImportanceMatrix>>
loadReportImportance(const CliOptions &options, const CheckpointReader &reader, const QuantPlan &plan);

} // namespace qs::cli
