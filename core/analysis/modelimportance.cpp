#include "analysis/modelimportance.h"

namespace qs {

ImportanceFit checkImportanceFit(const ImportanceMatrix &matrix, const std::vector<TensorInfo> &tensors,
                                 const QuantPlan &plan) {
    ImportanceFit fit;
    const Status names = matrix.checkNames(tensors);
    if (!names && matrix.unmatchedEntries(tensors).size() == matrix.entries().size()) {
        fit.status = Error{names.error() + " (the matrix was made for another model)"};
        return fit;
    }
    if (matrix.entries().empty()) {
        fit.status = Error{matrix.path() + ": the importance matrix has no entries"};
        return fit;
    }
    if (!names)
        fit.warning = names.error();
    for (const TensorInfo &info : tensors) {
        if (planDecision(plan, info).keep || !matrix.find(info.name))
            continue;
        const auto weights = matrix.lookup(info.name, info.shape);
        if (!weights) {
            fit.status = Error{weights.error()};
            return fit;
        }
        ++fit.weightedTensors;
    }
    return fit;
}

TensorDecision withImportance(TensorDecision decision, const ImportanceMatrix *matrix,
                              const TensorInfo &info) {
    if (decision.keep || !matrix || !matrix->find(info.name))
        return decision;
    if (auto weights = matrix->lookup(info.name, info.shape))
        decision.importance = std::move(weights).value();
    return decision;
}

} // namespace qs
