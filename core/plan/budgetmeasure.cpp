// measureLadder: the measuring half of budgetfit.h, the part that reads the checkpoint.

#include "analysis/modelscan.h"
#include "plan/budgetfit.h"
#include "quant/schemequant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace qs {

namespace {

// Each rung's spec as an override resolves it; nullopt for keep.
Result<std::vector<std::optional<QuantSpec>>> rungSpecs(const QuantPlan &plan, const Ladder &ladder) {
    std::vector<std::optional<QuantSpec>> specs;
    for (std::size_t r = 0; r < ladder.size(); ++r) {
        if (ladder[r].keep) {
            specs.emplace_back();
            continue;
        }
        const Result<QuantSpec> spec = layerSpec(plan, ladder[r].override().scheme);
        if (!spec)
            return Error{"ladder rung " + std::to_string(r + 1) + " \"" + rungText(ladder[r]) +
                         "\": " + spec.error()};
        specs.emplace_back(spec.value());
    }
    return specs;
}

RungCost unavailable(std::string why) {
    RungCost cost;
    cost.unavailableBecause = std::move(why);
    return cost;
}

// One rung on one tensor: its bits, and its error measured by scanTensor.
RungCost measureRung(const CheckpointReader &reader, std::size_t index, const std::optional<QuantSpec> &spec,
                     const std::optional<TensorImportance> &importance, const RunControl &control) {
    const TensorInfo &info = reader.tensors()[index];
    const double params = double(info.elementCount());
    if (!spec)
        return RungCost{true, double(info.byteSize) * 8.0, 0.0, {}};
    if (const Status fits = checkScheme(*spec, info.shape); !fits)
        return unavailable(fits.error());
    TensorDecision decision;
    decision.spec = *spec;
    decision.importance = importance;
    const TensorSummary s = scanTensor(reader, index, decision, control);
    if (s.skipped)
        return unavailable(*s.skipped);
    const double mse =
        importance ? s.weightedMse.value_or(std::numeric_limits<double>::quiet_NaN()) : s.error->mse;
    if (!std::isfinite(mse))
        return unavailable("the error is not finite");
    return RungCost{true, params * schemeBitsPerWeight(*spec, info.shape), mse * params, {}};
}

// What the report counts for a tensor the fit cannot move: the plan's scheme, or its stored size.
double planBits(const QuantPlan &plan, const TensorInfo &info) {
    const TensorResolution r = resolve(plan, info.name, info.shape);
    if (r.quantized())
        return double(info.elementCount()) * schemeBitsPerWeight(r.spec, info.shape);
    return double(info.byteSize) * 8.0;
}

Result<std::optional<TensorImportance>> importanceOf(const ImportanceMatrix *matrix, const TensorInfo &info) {
    if (!matrix || !matrix->find(info.name))
        return std::optional<TensorImportance>();
    auto weights = matrix->lookup(info.name, info.shape);
    if (!weights)
        return Error{weights.error()};
    return std::optional<TensorImportance>(weights.value());
}

// The tensors the ignore list keeps (overrides left out: the fit replaces them).
std::vector<bool> ignoredTensors(const QuantPlan &plan, const std::vector<TensorInfo> &tensors) {
    QuantPlan ignoreOnly = plan;
    ignoreOnly.overrides.clear();
    std::vector<bool> ignored;
    for (const TensorInfo &info : tensors)
        ignored.push_back(resolve(ignoreOnly, info.name, info.shape).kept());
    return ignored;
}

} // namespace

Result<BudgetProblem> measureLadder(const CheckpointReader &reader, const QuantPlan &plan,
                                    const Ladder &ladder, const ImportanceMatrix *importance,
                                    const RunControl &control) {
    const auto specs = rungSpecs(plan, ladder);
    if (!specs)
        return Error{specs.error()};
    const std::vector<TensorInfo> &tensors = reader.tensors();
    const std::vector<bool> ignored = ignoredTensors(plan, tensors);
    const double measuredRungs =
        double(std::count_if(specs->begin(), specs->end(), [](const auto &s) { return bool(s); }));
    double work = 0.0;
    for (std::size_t i = 0; i < tensors.size(); ++i)
        work += ignored[i] ? 0.0 : double(tensors[i].elementCount()) * measuredRungs;
    RunControl perRung = control;
    perRung.progress = nullptr;
    BudgetProblem problem;
    double done = 0.0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const TensorInfo &info = tensors[i];
        problem.totalParams += info.elementCount();
        if (ignored[i]) {
            problem.fixedBits += double(info.byteSize) * 8.0;
            continue;
        }
        const auto weights = importanceOf(importance, info);
        if (!weights)
            return Error{weights.error()};
        FitTensor tensor{i, info.name, info.elementCount(), {}, weights->has_value()};
        bool anyAvailable = false;
        for (const std::optional<QuantSpec> &spec : specs.value()) {
            if (control.canceled())
                return Error{"cancelled"};
            tensor.rungs.push_back(measureRung(reader, i, spec, weights.value(), perRung));
            if (control.canceled())
                return Error{"cancelled"}; // a cancel mid-tensor reads as unavailable; it is not
            anyAvailable = anyAvailable || tensor.rungs.back().available;
            done += spec ? double(info.elementCount()) : 0.0;
            if (work > 0.0)
                control.report(done / work);
        }
        if (!anyAvailable)
            problem.fixedBits += planBits(plan, info);
        problem.tensors.push_back(std::move(tensor));
    }
    control.report(1.0);
    return problem;
}

} // namespace qs
