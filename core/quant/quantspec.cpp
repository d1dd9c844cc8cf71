#include "quant/quantspec.h"

namespace qs {

namespace {
constexpr std::string_view kSymmetric = "symmetric";
constexpr std::string_view kAsymmetric = "asymmetric";
constexpr std::string_view kNonSaturating = "non-saturating";
constexpr std::string_view kSaturating = "saturating";
} // namespace

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
