#pragma once

#include "io/checkpointreader.h"
#include "io/imatrix.h"
#include "plan/quantplan.h"
#include "quant/quantspec.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

/// One rung of a budget ladder: keep the stored type, or a whole scheme.
struct LadderRung {
    bool keep = false;
    /// The scheme, complete: what the rung's text leaves out takes QuantSpec's defaults
    /// (symmetric, per tensor, minmax), never the plan's default, so a rung means the same in
    /// any plan. Unused when keep.
    QuantSpec spec;

    bool operator==(const LadderRung &) const = default;
    /// The override that puts a tensor on this rung: keep, or every key of spec given
    /// (planSchemeFromSpec), so that resolve() gives spec back over any default.
    PlanOverride override() const;
};

/// Rungs from the cheapest to the most expensive (the fit only moves up).
using Ladder = std::vector<LadderRung>;

/// Parses a ladder as the CLI's --ladder and the GUI take it: rungs separated by "," or by
/// "→" / "->" (spaces around any separator are fine), e.g. "int4-g128, int8-channel, keep" or
/// "q4_k → q5_k → q6_k → q8_0". A rung is `keep`; a format as --format names it (q4_k, q8_0,
/// nf4, mxfp4, nvfp4, fp8_e4m3, ...); or `int<B>` for B bits. Options follow, each after "-" or
/// a space: `g<N>` (groups of N along the rows), `channel`, `tensor` (the default) for int and
/// fp8, and `asym` for int. Case does not matter. At least 2 rungs. An error names the rung by
/// its 1-based position and text: `ladder rung 2 "int17-g128": bits must be an integer from 2 to
/// 16, not 17`.
Result<Ladder> parseLadder(std::string_view text);
/// The rung as parseLadder reads it: "keep", "q4_k", "int4-g128-asym", "fp8_e4m3-channel".
/// Granularities the syntax cannot write (a channel axis other than 0, 2-D blocks) print as
/// granularityName gives them, which parseLadder refuses.
std::string rungText(const LadderRung &rung);
/// The rungs joined by ",": parseLadder(ladderText(l)) gives l back.
std::string ladderText(const Ladder &ladder);

/// What one rung costs a tensor and what error it leaves.
struct RungCost {
    /// False when the tensor cannot take the rung's scheme (see unavailableBecause).
    bool available = false;
    double bits = 0.0; ///< the tensor's total bits: params × schemeBitsPerWeight, stored bytes × 8 for keep
    double error = 0.0; ///< sum of squared error: mse × params, or weighted MSE × params; 0 for keep
    std::string unavailableBecause; ///< checkScheme's or the reader's message
};

/// A tensor the fit moves along the ladder.
struct FitTensor {
    std::size_t index = 0; ///< in the checkpoint's tensor list
    std::string name;
    std::int64_t params = 0;
    std::vector<RungCost> rungs; ///< one per ladder rung, in ladder order
    /// True when the error is importance-weighted (the matrix has an entry for the tensor).
    bool weighted = false;
};

/// The numbers a budget fit works on.
struct BudgetProblem {
    /// Every tensor the plan's ignore list does not keep, in file order. Overrides do not count:
    /// the fit replaces them, so a tensor kept only by an override "keep" is fitted like the rest
    /// (put it on the ignore list to pin it).
    std::vector<FitTensor> tensors;
    /// Bits of everything the fit does not move: ignored tensors at their stored size, and fitted
    /// tensors with no available rung as the plan resolves them (their scheme's bits, or stored).
    double fixedBits = 0.0;
    std::int64_t totalParams = 0; ///< of every tensor in the checkpoint
};

/// A size budget for the whole model, kept tensors included.
struct Budget {
    enum class Unit { BitsPerWeight, Bytes };
    Unit unit = Unit::BitsPerWeight;
    double value = 0.0;

    static Budget bitsPerWeight(double bpw) { return {Unit::BitsPerWeight, bpw}; }
    static Budget bytes(double bytes) { return {Unit::Bytes, bytes}; }
    static Budget gib(double gib) { return {Unit::Bytes, gib * 1073741824.0}; }
    /// The budget in bits for a model of totalParams parameters.
    double totalBits(std::int64_t totalParams) const;
};

/// One step of a fit: problem.tensors[tensor] moved from rung `from` to rung `to` (the next
/// rung it can take, skipping unavailable ones).
struct FitRaise {
    std::size_t tensor = 0;
    int from = 0;
    int to = 0;
    bool operator==(const FitRaise &) const = default;
};

/// Where a fit ended.
struct BudgetFit {
    /// Per problem tensor: its rung, or -1 when it can take none (it is left as the plan has it).
    std::vector<int> rungs;
    std::vector<FitRaise> raises; ///< in the order taken
    double budgetBits = 0.0;
    double totalBits = 0.0;        ///< the whole model: fixedBits plus each fitted tensor's rung
    double avgBitsPerWeight = 0.0; ///< totalBits / totalParams (0 for an empty model)
    double totalError = 0.0;       ///< Σ error of the fitted tensors on their rungs
    /// The first rungs alone exceed the budget: every tensor stays on its first rung.
    bool overBudget = false;
};

/// The greedy fit. Every tensor starts on its first available rung. Then, repeatedly, among the
/// tensors' next available rungs, the raise that fits (the whole model's bits stay within
/// budgetBits) and is best is taken: first any raise that adds no bits (or saves some) without
/// adding error, the largest error reduction first; then the largest error reduction per added
/// bit. Ties go to the lower tensor index. A raise that does not fit is passed over for the next
/// best; the fit stops when none fits. A raise that changes nothing, or adds bits without reducing
/// the error, is never taken, so a tensor stops below it. When the first rungs exceed budgetBits,
/// nothing is raised and overBudget is set. problem.fixedBits must hold the tensors with no
/// available rung (measureLadder puts them there).
BudgetFit fitBudget(const BudgetProblem &problem, double budgetBits);

/// Measures every rung on every tensor the plan does not ignore, one tensor and one rung at a
/// time with scanTensor (one tensor's values held at a time). A rung's spec is the override's
/// resolution (layerSpec). With importance, a tensor with an entry is measured by its weighted
/// MSE (an entry that does not fit its tensor fails the measure); one without by its plain MSE.
/// importance must outlive the call. Progress in [0, 1] by parameters measured; fails with a
/// rung the plan cannot merge, an importance entry that does not fit, or "cancelled".
Result<BudgetProblem> measureLadder(const CheckpointReader &reader, const QuantPlan &plan,
                                    const Ladder &ladder, const ImportanceMatrix *importance = nullptr,
                                    const RunControl &control = {});

/// plan with every fitted tensor's override set to its rung (keep, or the rung's scheme); tensors
/// with no rung and every other override left as they are. The caller makes it one undo step.
QuantPlan applyBudgetFit(const QuantPlan &plan, const Ladder &ladder, const BudgetProblem &problem,
                         const BudgetFit &fit);

} // namespace qs
