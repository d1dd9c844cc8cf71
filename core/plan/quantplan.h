#pragma once

#include "io/tensorinfo.h"
#include "plan/namepattern.h"
#include "quant/quantspec.h"
#include "util/result.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

/// A scheme with only some keys given, as a plan's default, rule or override writes it. Each
/// member mirrors one key of the plan file (format, bits, scheme, narrow, granularity, method,
/// clip, clip_ratio, scale_dtype); an empty optional means the key was left out and comes from the layer
/// below (see mergeScheme). Only the keys given are written back, so a plan round-trips.
struct PlanScheme {
    std::optional<NumberFormat> format;
    std::optional<int> bits;
    std::optional<Scheme> scheme;
    std::optional<bool> narrow;
    std::optional<Granularity> granularity;
    std::optional<CalibMethod> method;
    double percentile = kDefaultPercentile; ///< P of method Percentile; ignored otherwise
    std::optional<ClipRange> clip;
    std::optional<double> clipRatio;
    std::optional<ScaleDtype> scaleDtype;

    bool operator==(const PlanScheme &) const = default;
    /// True when no key is given.
    bool empty() const;
};

/// The shortest decimal text that reads back as the same double ("0.1", "99.99", "-2.5e-05").
std::string planNumber(double value);
/// A method as the plan file writes it: "minmax", "percentile:99.9", ...
std::string planMethodText(CalibMethod method, double percentile);

/// Every key of spec that applies to its format, given explicitly: the int keys for int only,
/// granularity and clip_ratio (when not 1) for int and fp8, clip when saturating, method unless
/// it is minmax on a block or codebook format (which has no other), scale_dtype for int and fp8
/// unless the method is hqq.
/// Merged onto any default it gives spec back.
PlanScheme planSchemeFromSpec(const QuantSpec &spec);

/// Checks the values of the keys given, whatever the format: bits from 2 to 16, clip finite with
/// lo <= hi, clip_ratio in (0, 1], percentile in (0, 100]. The error names the key and the value,
/// e.g. "bits must be an integer from 2 to 16, not 1".
Status checkSchemeValues(const PlanScheme &scheme);

/// layer's keys over base. An inherited key that does not apply to the resulting format is
/// dropped (reset to QuantSpec's default): bits, scheme and narrow for every format but int;
/// granularity and clip_ratio for the block and codebook formats; clip for all but int; a method
/// the format has no use for (mse outside int and fp8, the others outside int); narrow under the
/// asymmetric scheme; scale_dtype for the block and codebook formats and under method hqq. The same key given
/// explicitly is an error naming it, e.g. "bits does not apply to q4_0". method, clip and clip_ratio together
/// set the range: a layer giving any of them replaces the other two (minmax, no clip, ratio 1); clip with
/// clip_ratio, or either with a method other than minmax, is an error. The result must fit some tensor shape
/// (checkScheme on rows of 256), so what it reports here no tensor could fix.
Result<QuantSpec> mergeScheme(const QuantSpec &base, const PlanScheme &layer);

/// One rule: the tensors its pattern matches take its scheme (keys left out from the default).
struct PlanRule {
    NamePattern pattern;
    PlanScheme scheme;
    bool operator==(const PlanRule &) const = default;
};

/// A per-tensor override: keep the stored type, or quantize with a scheme over the default.
struct PlanOverride {
    bool keep = false;
    PlanScheme scheme; ///< unused when keep
    bool operator==(const PlanOverride &) const = default;

    static PlanOverride keepStored() { return {true, {}}; }
};

/// Overrides by exact tensor name; std::less<> lets a string_view look a name up.
using PlanOverrides = std::map<std::string, PlanOverride, std::less<>>;

/// A mixed-precision plan for a whole model. A tensor's scheme comes from, the later winning:
/// the default; the first rule whose pattern matches its name; the ignore list (defaults and
/// user patterns), which keeps it in its stored type; its override. So a rule never un-ignores a
/// tensor and an override always wins.
struct QuantPlan {
    /// The default scheme; keys left out take QuantSpec's defaults (int, 8 bits, symmetric,
    /// per tensor, minmax).
    PlanScheme defaults;
    std::vector<PlanRule> rules; ///< in order: the first match wins
    /// User ignore patterns, added to the defaults when ignoreDefaults.
    std::vector<NamePattern> ignore;
    /// Keeps every tensor of rank 0 or 1 (norms, biases), embeddings (names containing "embed",
    /// "token_embd" or "wte") and the output head ("lm_head.weight", "output.weight").
    bool ignoreDefaults = true;
    PlanOverrides overrides;

    bool operator==(const QuantPlan &) const = default;
};

/// The default layer over QuantSpec{}.
Result<QuantSpec> defaultSpec(const QuantPlan &plan);
/// A rule's or override's scheme over the plan's default.
Result<QuantSpec> layerSpec(const QuantPlan &plan, const PlanScheme &scheme);
/// Checks every layer: the default, each rule and each override merged onto the default. The
/// error starts with the layer: `default: `, `rules[1] (*.v_proj.weight): `,
/// `overrides["model.norm.weight"]: `.
Status validatePlan(const QuantPlan &plan);

/// Why a tensor stays in its stored type.
enum class KeepReason {
    None,           ///< it is quantized
    OneDimensional, ///< default ignore: rank 0 or 1 (a norm or a bias)
    Embedding,      ///< default ignore: "embed", "token_embd" or "wte" in the name
    OutputHead,     ///< default ignore: "lm_head.weight" or "output.weight"
    UserIgnore,     ///< a user ignore pattern
    OverrideKeep,   ///< an override says "keep"
};

/// Which layer decided a tensor's outcome.
enum class PlanLayer { Default, Rule, Ignore, Override };

/// What a plan does with one tensor.
struct TensorResolution {
    PlanLayer layer = PlanLayer::Default;
    /// The first rule whose pattern matches, -1 if none; set even when a later layer decided.
    int ruleIndex = -1;
    /// KeepReason::UserIgnore: the index into QuantPlan::ignore; -1 otherwise.
    int ignoreIndex = -1;
    KeepReason keep = KeepReason::None;
    /// The resolved spec when the tensor is not kept.
    QuantSpec spec;
    /// Why spec cannot quantize the tensor (checkScheme's message, e.g. "row length 6625 is not a
    /// multiple of the block size 256 of q4_k", or a layer's merge error); empty when it can.
    std::string skipped;

    bool kept() const { return keep != KeepReason::None; }
    /// True when the tensor is quantized with spec.
    bool quantized() const { return !kept() && skipped.empty(); }
};

/// The default ignore entry that keeps a tensor, or KeepReason::None.
KeepReason defaultIgnoreReason(std::string_view name, const std::vector<std::int64_t> &shape);
/// Resolves one tensor by the plan's precedence, then checks the spec against its shape.
TensorResolution resolve(const QuantPlan &plan, std::string_view name,
                         const std::vector<std::int64_t> &shape);
/// A short text for a table: "default", "rule 2: *.mlp.*", "ignored: 1-D (norm or bias)",
/// "ignored: *.k_proj.weight", "override", "override: keep".
std::string resolutionText(const QuantPlan &plan, const TensorResolution &resolution);

/// How many tensors a rule touches, for a rules editor.
struct RuleCount {
    int matched = 0; ///< tensors its pattern matches
    int first = 0;   ///< of those, the ones no earlier rule matches
    int applied = 0; ///< of those, the ones neither ignored nor overridden: its scheme applies
    bool operator==(const RuleCount &) const = default;
};
/// One count per rule of plan, in order, over tensors.
std::vector<RuleCount> ruleCounts(const QuantPlan &plan, std::span<const TensorInfo> tensors);

/// What a plan makes of a whole checkpoint's size, over every tensor: quantized ones at their
/// scheme's bits per weight (schemeBitsPerWeight), kept and skipped ones at their stored size.
struct PlanSize {
    std::int64_t params = 0;
    double bytes = 0.0;
    double bitsPerWeight = 0.0; ///< 8 · bytes / params (0 without parameters)
    int quantized = 0;
    int kept = 0;
    int skipped = 0;
};
/// The size of tensors under plan. O(tensors · rules): no values are read.
PlanSize planSize(const QuantPlan &plan, std::span<const TensorInfo> tensors);

/// Inserts rule before index (index == rules.size() appends); false, plan unchanged, past the end.
bool insertRule(QuantPlan &plan, std::size_t index, PlanRule rule);
/// Removes rule index; false when there is none.
bool removeRule(QuantPlan &plan, std::size_t index);
/// Moves rule from to position to (both existing indices), shifting the rules between.
bool moveRule(QuantPlan &plan, std::size_t from, std::size_t to);
/// Sets or replaces the override of name.
void setOverride(QuantPlan &plan, const std::string &name, PlanOverride override);
/// Removes the override of name; false when there is none.
bool clearOverride(QuantPlan &plan, std::string_view name);

} // namespace qs
