#pragma once

#include "analysis/modelscan.h"
#include "io/imatrix.h"
#include "io/tensorinfo.h"
#include "plan/quantplan.h"
#include "util/result.h"

#include <cstddef>
#include <string>
#include <vector>

namespace qs {

/// How an importance matrix fits a checkpoint's tensors under a plan.
struct ImportanceFit {
    /// Fails when the matrix cannot be meant for the checkpoint: none of its entries matches a
    /// tensor (the entries listed, as checkNames lists them), or the entry of a tensor the plan
    /// quantizes does not fit its shape (lookup's error: the file, the tensor and both lengths).
    Status status;
    /// Entries that match no tensor while others do, listed as checkNames lists them; empty
    /// when every entry matches. Not an error: a matrix may cover tensors a checkpoint lacks.
    std::string warning;
    /// Tensors the plan quantizes that get weights.
    std::size_t weightedTensors = 0;
};

/// Checks matrix against tensors under plan, as `report --imatrix` and the window do before
/// using it.
ImportanceFit checkImportanceFit(const ImportanceMatrix &matrix, const std::vector<TensorInfo> &tensors,
                                 const QuantPlan &plan);

/// decision with info's importance weights from matrix when the tensor is quantized and the
/// matrix has an entry that fits it; unchanged otherwise (no matrix, no entry, kept, or an
/// entry whose length does not fit). The weights view matrix, which must outlive the decision.
TensorDecision withImportance(TensorDecision decision, const ImportanceMatrix *matrix,
                              const TensorInfo &info);

} // namespace qs
