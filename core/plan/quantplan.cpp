#include "plan/quantplan.h"

#include "quant/numberformat.h"
#include "quant/scaledtype.h"
#include "quant/schemequant.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace qs {

namespace {

std::string formatText(const FormatTraits &traits) {
    return std::string(traits.name);
}

Error notApplicable(const char *key, const FormatTraits &traits) {
    return Error{std::string(key) + " does not apply to " + formatText(traits)};
}

// A shape every format and granularity fits (rows of 256 hold every block size; the channel axis
// exists), so checkScheme on it reports only what no tensor could fix.
std::vector<std::int64_t> shapeThatFits(const QuantSpec &spec) {
    std::vector<std::int64_t> shape(std::size_t(std::max(2, spec.granularity.axis + 1)), 1);
    shape.back() = 256;
    return shape;
}

bool methodApplies(CalibMethod method, FormatFamily family) {
    switch (method) {
    case CalibMethod::MinMax:
        return true;
    case CalibMethod::Mse:
        return family == FormatFamily::Integer || family == FormatFamily::Minifloat;
    default:
        return family == FormatFamily::Integer;
    }
}

// bits, scheme and narrow: int only.
Status mergeIntKeys(QuantSpec &out, const PlanScheme &layer, const FormatTraits &traits) {
    if (!traits.takesBits) {
        if (layer.bits)
            return notApplicable("bits", traits);
        if (layer.scheme)
            return notApplicable("scheme", traits);
        if (layer.narrow)
            return notApplicable("narrow", traits);
        const QuantSpec fresh;
        out.bits = fresh.bits;
        out.scheme = fresh.scheme;
        out.narrow = fresh.narrow;
        return {};
    }
    out.bits = layer.bits.value_or(out.bits);
    out.scheme = layer.scheme.value_or(out.scheme);
    out.narrow = layer.narrow.value_or(out.narrow);
    if (out.narrow && out.scheme == Scheme::Asymmetric) {
        if (layer.narrow)
            return Error{"narrow applies to the symmetric scheme only"};
        out.narrow = false;
    }
    return {};
}

Status mergeGranularity(QuantSpec &out, const PlanScheme &layer, const FormatTraits &traits) {
    if (!ownsGrouping(traits)) {
        out.granularity = layer.granularity.value_or(out.granularity);
        return {};
    }
    if (layer.granularity)
        return Error{"granularity does not apply to " + formatText(traits) +
                     (traits.fixedBlock != 0
                          ? ": it carries its own blocks of " + std::to_string(traits.fixedBlock)
                          : std::string(": a cast has no scale"))};
    out.granularity = {};
    return {};
}

// method, clip and clip_ratio are one choice: the layer that gives any of them sets all three.
Status takeRange(QuantSpec &out, const PlanScheme &layer) {
    const CalibMethod method = layer.method.value_or(CalibMethod::MinMax);
    if (layer.clip && layer.clipRatio)
        return Error{"clip and clip_ratio exclude each other: both set the range"};
    if (method != CalibMethod::MinMax && (layer.clip || layer.clipRatio))
        return Error{std::string(layer.clip ? "clip" : "clip_ratio") + " and method " +
                     planMethodText(method, layer.percentile) + " exclude each other: both set the range"};
    out.method = method;
    out.percentile = method == CalibMethod::Percentile ? layer.percentile : kDefaultPercentile;
    out.rangeMode = layer.clip ? RangeMode::Saturating : RangeMode::NonSaturating;
    out.clipLo = layer.clip ? layer.clip->lo : 0.0;
    out.clipHi = layer.clip ? layer.clip->hi : 0.0;
    out.clipRatio = layer.clipRatio.value_or(1.0);
    return {};
}

Status mergeRange(QuantSpec &out, const PlanScheme &layer, const FormatTraits &traits) {
    if (layer.method || layer.clip || layer.clipRatio)
        if (Status taken = takeRange(out, layer); !taken)
            return taken;
    const QuantSpec fresh;
    if (traits.family != FormatFamily::Integer) {
        if (layer.clip)
            return notApplicable("clip", traits);
        out.rangeMode = fresh.rangeMode;
        out.clipLo = fresh.clipLo;
        out.clipHi = fresh.clipHi;
    }
    if (ownsGrouping(traits)) {
        if (layer.clipRatio)
            return notApplicable("clip_ratio", traits);
        out.clipRatio = fresh.clipRatio;
    }
    if (!methodApplies(out.method, traits.family)) {
        if (layer.method)
            return Error{"method " + planMethodText(out.method, out.percentile) + " does not apply to " +
                         formatText(traits)};
        out.method = fresh.method;
        out.percentile = fresh.percentile;
    }
    return {};
}

// scale_dtype: int and fp8 only, and not under hqq, which keeps its own float scales.
Status mergeScaleDtype(QuantSpec &out, const PlanScheme &layer, const FormatTraits &traits) {
    out.scaleDtype = layer.scaleDtype.value_or(out.scaleDtype);
    if (!scaleDtypeApplies(out.format)) {
        if (layer.scaleDtype)
            return notApplicable("scale_dtype", traits);
        out.scaleDtype = ScaleDtype::F32;
    } else if (out.method == CalibMethod::Hqq && (layer.scaleDtype || out.scaleDtype != ScaleDtype::F32)) {
        if (layer.scaleDtype)
            return Error{"scale_dtype does not apply to method hqq: it keeps float32 scales"};
        out.scaleDtype = ScaleDtype::F32;
    }
    return {};
}

std::string ruleLabel(const QuantPlan &plan, std::size_t index) {
    return "rules[" + std::to_string(index) + "] (" + plan.rules[index].pattern.text() + ")";
}

std::string overrideLabel(const std::string &name) {
    return "overrides[\"" + name + "\"]";
}

bool containsAny(std::string_view name, std::initializer_list<std::string_view> parts) {
    return std::any_of(parts.begin(), parts.end(),
                       [name](std::string_view part) { return name.find(part) != std::string_view::npos; });
}

int firstMatchingRule(const QuantPlan &plan, std::string_view name) {
    for (std::size_t i = 0; i < plan.rules.size(); ++i)
        if (plan.rules[i].pattern.matches(name))
            return int(i);
    return -1;
}

// Marks r as kept when the ignore list (defaults, then the user's patterns) holds the tensor.
void applyIgnore(const QuantPlan &plan, std::string_view name, const std::vector<std::int64_t> &shape,
                 TensorResolution &r) {
    if (plan.ignoreDefaults)
        r.keep = defaultIgnoreReason(name, shape);
    for (std::size_t i = 0; r.keep == KeepReason::None && i < plan.ignore.size(); ++i) {
        if (plan.ignore[i].matches(name)) {
            r.keep = KeepReason::UserIgnore;
            r.ignoreIndex = int(i);
        }
    }
    if (r.kept())
        r.layer = PlanLayer::Ignore;
}

std::string keepText(const QuantPlan &plan, const TensorResolution &r) {
    switch (r.keep) {
    case KeepReason::None:
        return {};
    case KeepReason::OneDimensional:
        return "ignored: rank 0 or 1 (norm or bias)";
    case KeepReason::Embedding:
        return "ignored: embedding";
    case KeepReason::OutputHead:
        return "ignored: output head";
    case KeepReason::UserIgnore:
        return r.ignoreIndex >= 0 && std::size_t(r.ignoreIndex) < plan.ignore.size()
                   ? "ignored: " + plan.ignore[std::size_t(r.ignoreIndex)].text()
                   : std::string("ignored");
    case KeepReason::OverrideKeep:
        return "override: keep";
    }
    return {};
}

} // namespace

std::string planNumber(double value) {
    char text[32];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    return ec == std::errc() ? std::string(text, end) : std::string("nan");
}

std::string planMethodText(CalibMethod method, double percentile) {
    std::string text(methodName(method));
    if (method == CalibMethod::Percentile)
        text += ":" + planNumber(percentile);
    return text;
}

bool PlanScheme::empty() const {
    return *this == PlanScheme{};
}

PlanScheme planSchemeFromSpec(const QuantSpec &spec) {
    const FormatTraits &traits = formatTraits(spec.format);
    PlanScheme out;
    out.format = spec.format;
    if (traits.takesBits) {
        out.bits = spec.bits;
        out.scheme = spec.scheme;
        out.narrow = spec.narrow;
    }
    if (!ownsGrouping(traits))
        out.granularity = spec.granularity;
    // Block and codebook formats and casts have no method but minmax, and drop any other they
    // inherit.
    if (!ownsGrouping(traits) || spec.method != CalibMethod::MinMax)
        out.method = spec.method;
    if (spec.method == CalibMethod::Percentile)
        out.percentile = spec.percentile;
    if (spec.rangeMode == RangeMode::Saturating && traits.family == FormatFamily::Integer)
        out.clip = ClipRange{spec.clipLo, spec.clipHi};
    if (spec.clipRatio != 1.0 && !ownsGrouping(traits))
        out.clipRatio = spec.clipRatio;
    // Given even when f32, so that a default's f16 or bf16 does not come back under it.
    if (scaleDtypeApplies(spec.format) && spec.method != CalibMethod::Hqq)
        out.scaleDtype = spec.scaleDtype;
    return out;
}

Status checkSchemeValues(const PlanScheme &scheme) {
    if (scheme.bits && (*scheme.bits < kMinBits || *scheme.bits > kMaxBits))
        return Error{"bits must be an integer from " + std::to_string(kMinBits) + " to " +
                     std::to_string(kMaxBits) + ", not " + std::to_string(*scheme.bits)};
    if (scheme.clip && !(std::isfinite(scheme.clip->lo) && std::isfinite(scheme.clip->hi)))
        return Error{"clip must be two finite numbers [lo, hi]"};
    if (scheme.clip && scheme.clip->lo > scheme.clip->hi)
        return Error{"clip lo must not exceed hi (got " + planNumber(scheme.clip->lo) + " > " +
                     planNumber(scheme.clip->hi) + ")"};
    if (scheme.clipRatio && !(*scheme.clipRatio > 0.0 && *scheme.clipRatio <= 1.0))
        return Error{"clip_ratio must be a number in (0, 1], not " + planNumber(*scheme.clipRatio)};
    if (scheme.method == CalibMethod::Percentile && !(scheme.percentile > 0.0 && scheme.percentile <= 100.0))
        return Error{"method percentile needs P in (0, 100], not " + planNumber(scheme.percentile)};
    return {};
}

Result<QuantSpec> mergeScheme(const QuantSpec &base, const PlanScheme &layer) {
    if (Status values = checkSchemeValues(layer); !values)
        return Error{values.error()};
    QuantSpec out = base;
    out.format = layer.format.value_or(out.format);
    const FormatTraits &traits = formatTraits(out.format);
    if (Status merged = mergeIntKeys(out, layer, traits); !merged)
        return Error{merged.error()};
    if (Status merged = mergeGranularity(out, layer, traits); !merged)
        return Error{merged.error()};
    if (Status merged = mergeRange(out, layer, traits); !merged)
        return Error{merged.error()};
    if (Status merged = mergeScaleDtype(out, layer, traits); !merged)
        return Error{merged.error()};
    if (Status fits = checkScheme(out, shapeThatFits(out)); !fits)
        return Error{fits.error()};
    return out;
}

Result<QuantSpec> defaultSpec(const QuantPlan &plan) {
    return mergeScheme(QuantSpec{}, plan.defaults);
}

Result<QuantSpec> layerSpec(const QuantPlan &plan, const PlanScheme &scheme) {
    const Result<QuantSpec> base = defaultSpec(plan);
    if (!base)
        return Error{"default: " + base.error()};
    return mergeScheme(base.value(), scheme);
}

Status validatePlan(const QuantPlan &plan) {
    if (const Result<QuantSpec> base = defaultSpec(plan); !base)
        return Error{"default: " + base.error()};
    for (std::size_t i = 0; i < plan.rules.size(); ++i)
        if (const Result<QuantSpec> spec = layerSpec(plan, plan.rules[i].scheme); !spec)
            return Error{ruleLabel(plan, i) + ": " + spec.error()};
    for (const auto &[name, override] : plan.overrides) {
        if (name.empty())
            return Error{"overrides: a tensor name must not be empty"};
        if (override.keep)
            continue;
        if (const Result<QuantSpec> spec = layerSpec(plan, override.scheme); !spec)
            return Error{overrideLabel(name) + ": " + spec.error()};
    }
    return {};
}

KeepReason defaultIgnoreReason(std::string_view name, const std::vector<std::int64_t> &shape) {
    if (shape.size() <= 1)
        return KeepReason::OneDimensional;
    if (containsAny(name, {"embed", "token_embd", "wte"}))
        return KeepReason::Embedding;
    if (name == "lm_head.weight" || name == "output.weight")
        return KeepReason::OutputHead;
    return KeepReason::None;
}

TensorResolution resolve(const QuantPlan &plan, std::string_view name,
                         const std::vector<std::int64_t> &shape) {
    TensorResolution r;
    const PlanScheme *layer = nullptr;
    std::string label = "default";
    r.ruleIndex = firstMatchingRule(plan, name);
    if (r.ruleIndex >= 0) {
        r.layer = PlanLayer::Rule;
        layer = &plan.rules[std::size_t(r.ruleIndex)].scheme;
        label = ruleLabel(plan, std::size_t(r.ruleIndex));
    }
    applyIgnore(plan, name, shape, r);
    if (const auto it = plan.overrides.find(name); it != plan.overrides.end()) {
        r.layer = PlanLayer::Override;
        r.keep = it->second.keep ? KeepReason::OverrideKeep : KeepReason::None;
        r.ignoreIndex = -1;
        layer = &it->second.scheme;
        label = overrideLabel(it->first);
    }
    if (r.kept())
        return r;
    const Result<QuantSpec> spec = layer ? layerSpec(plan, *layer) : defaultSpec(plan);
    if (!spec) {
        r.skipped = label + ": " + spec.error();
        return r;
    }
    r.spec = spec.value();
    if (const Status fits = checkScheme(r.spec, shape); !fits)
        r.skipped = fits.error();
    return r;
}

std::string resolutionText(const QuantPlan &plan, const TensorResolution &r) {
    switch (r.layer) {
    case PlanLayer::Default:
        return "default";
    case PlanLayer::Rule:
        // Counted from 1, as the Plan panel lists them.
        return r.ruleIndex >= 0 && std::size_t(r.ruleIndex) < plan.rules.size()
                   ? "rule " + std::to_string(r.ruleIndex + 1) + ": " +
                         plan.rules[std::size_t(r.ruleIndex)].pattern.text()
                   : std::string("rule");
    case PlanLayer::Ignore:
        return keepText(plan, r);
    case PlanLayer::Override:
        return r.kept() ? keepText(plan, r) : std::string("override");
    }
    return {};
}

std::vector<RuleCount> ruleCounts(const QuantPlan &plan, std::span<const TensorInfo> tensors) {
    std::vector<RuleCount> counts(plan.rules.size());
    for (const TensorInfo &tensor : tensors) {
        for (std::size_t i = 0; i < plan.rules.size(); ++i)
            counts[i].matched += plan.rules[i].pattern.matches(tensor.name) ? 1 : 0;
        const TensorResolution r = resolve(plan, tensor.name, tensor.shape);
        if (r.ruleIndex < 0)
            continue;
        RuleCount &count = counts[std::size_t(r.ruleIndex)];
        ++count.first;
        count.applied += r.layer == PlanLayer::Rule ? 1 : 0;
    }
    return counts;
}

bool insertRule(QuantPlan &plan, std::size_t index, PlanRule rule) {
    if (index > plan.rules.size())
        return false;
    plan.rules.insert(plan.rules.begin() + std::ptrdiff_t(index), std::move(rule));
    return true;
}

bool removeRule(QuantPlan &plan, std::size_t index) {
    if (index >= plan.rules.size())
        return false;
    plan.rules.erase(plan.rules.begin() + std::ptrdiff_t(index));
    return true;
}

bool moveRule(QuantPlan &plan, std::size_t from, std::size_t to) {
    if (from >= plan.rules.size() || to >= plan.rules.size())
        return false;
    PlanRule rule = std::move(plan.rules[from]);
    plan.rules.erase(plan.rules.begin() + std::ptrdiff_t(from));
    plan.rules.insert(plan.rules.begin() + std::ptrdiff_t(to), std::move(rule));
    return true;
}

void setOverride(QuantPlan &plan, const std::string &name, PlanOverride override) {
    plan.overrides.insert_or_assign(name, std::move(override));
}

bool clearOverride(QuantPlan &plan, std::string_view name) {
    const auto it = plan.overrides.find(name);
    if (it == plan.overrides.end())
        return false;
    plan.overrides.erase(it);
    return true;
}

PlanSize planSize(const QuantPlan &plan, std::span<const TensorInfo> tensors) {
    PlanSize size;
    for (const TensorInfo &info : tensors) {
        const std::int64_t params = info.elementCount();
        size.params += params;
        const TensorResolution resolution = resolve(plan, info.name, info.shape);
        if (resolution.quantized()) {
            size.bytes += double(params) * schemeBitsPerWeight(resolution.spec, info.shape) / 8.0;
            ++size.quantized;
            continue;
        }
        size.bytes += double(info.byteSize);
        ++(resolution.kept() ? size.kept : size.skipped);
    }
    size.bitsPerWeight = size.params > 0 ? 8.0 * size.bytes / double(size.params) : 0.0;
    return size;
}

} // namespace qs
