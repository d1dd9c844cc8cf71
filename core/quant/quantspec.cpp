#include "quant/quantspec.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace qs {

namespace {
constexpr std::string_view kSymmetric = "symmetric";
constexpr std::string_view kAsymmetric = "asymmetric";
constexpr std::string_view kNonSaturating = "non-saturating";
constexpr std::string_view kSaturating = "saturating";

struct MethodName {
    CalibMethod method;
    std::string_view name;
};
constexpr std::array<MethodName, 6> kMethodNames{{
    {CalibMethod::MinMax, "minmax"},
    {CalibMethod::Mse, "mse"},
    {CalibMethod::Percentile, "percentile"},
    {CalibMethod::Entropy, "entropy"},
    {CalibMethod::HistogramL2, "histogram-l2"},
    {CalibMethod::Hqq, "hqq"},
}};
constexpr std::array<CalibMethod, 6> kMethods{CalibMethod::MinMax,      CalibMethod::Mse,
                                              CalibMethod::Percentile,  CalibMethod::Entropy,
                                              CalibMethod::HistogramL2, CalibMethod::Hqq};
} // namespace

std::string_view methodName(CalibMethod method) {
    for (const MethodName &entry : kMethodNames)
        if (entry.method == method)
            return entry.name;
    return "minmax";
}

std::string methodLabel(const QuantSpec &spec) {
    std::string label(methodName(spec.method));
    if (spec.method != CalibMethod::Percentile)
        return label;
    char text[32];
    std::snprintf(text, sizeof text, ":%g", spec.percentile);
    return label + text;
}

std::span<const CalibMethod> calibMethods() {
    return kMethods;
}

Result<MethodChoice> parseMethod(std::string_view text) {
    const std::size_t colon = text.find(':');
    const std::string_view name = text.substr(0, colon);
    for (const MethodName &entry : kMethodNames) {
        if (entry.name != name)
            continue;
        MethodChoice choice{entry.method, kDefaultPercentile};
        if (colon == std::string_view::npos)
            return choice;
        if (entry.method != CalibMethod::Percentile)
            return Error{"method " + std::string(name) + " takes no value"};
        const std::string_view value = text.substr(colon + 1);
        double p = 0.0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
        if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(p))
            return Error{"percentile '" + std::string(value) + "' is not a number"};
        if (!(p > 0.0 && p <= 100.0))
            return Error{"percentile " + std::string(value) + " is outside (0, 100]"};
        choice.percentile = p;
        return choice;
    }
    return Error{"unknown method '" + std::string(name) +
                 "' (minmax, mse, percentile:P, entropy, histogram-l2, hqq)"};
}

std::string_view schemeName(Scheme scheme) {
    return scheme == Scheme::Symmetric ? kSymmetric : kAsymmetric;
}

std::optional<Scheme> schemeFromName(std::string_view name) {
    if (name == kSymmetric)
        return Scheme::Symmetric;
    if (name == kAsymmetric)
        return Scheme::Asymmetric;
    return std::nullopt;
}

std::string_view rangeModeName(RangeMode mode) {
    return mode == RangeMode::NonSaturating ? kNonSaturating : kSaturating;
}

std::optional<RangeMode> rangeModeFromName(std::string_view name) {
    if (name == kNonSaturating)
        return RangeMode::NonSaturating;
    if (name == kSaturating)
        return RangeMode::Saturating;
    return std::nullopt;
}

} // namespace qs
