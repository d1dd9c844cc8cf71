#include "quant/scaledtype.h"

#include "quant/numberformat.h"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace qs {

namespace {

struct DtypeName {
    ScaleDtype dtype;
    std::string_view name;
};
constexpr std::array<DtypeName, 3> kNames{{
    {ScaleDtype::F32, "f32"},
    {ScaleDtype::F16, "f16"},
    {ScaleDtype::BF16, "bf16"},
}};

// Eigen's conversions round to nearest even (with F16C or in software); the limits come from
// Eigen's numeric_limits specialisations so both ends of each type are exact.
template <typename T>
float roundTo(float scale) {
    const float largest = float(std::numeric_limits<T>::max());
    const float smallest = float(std::numeric_limits<T>::denorm_min());
    if (scale > largest)
        return largest;
    const float rounded = float(T(scale));
    if (rounded == 0.0f && scale > 0.0f)
        return smallest;
    return std::min(rounded, largest);
}

} // namespace

std::string_view scaleDtypeName(ScaleDtype dtype) {
    for (const DtypeName &entry : kNames)
        if (entry.dtype == dtype)
            return entry.name;
    return "f32";
}

std::optional<ScaleDtype> scaleDtypeFromName(std::string_view name) {
    for (const DtypeName &entry : kNames)
        if (entry.name == name)
            return entry.dtype;
    return std::nullopt;
}

float roundScale(float scale, ScaleDtype dtype) {
    if (dtype == ScaleDtype::F32 || !std::isfinite(scale) || scale <= 0.0f)
        return scale;
    return dtype == ScaleDtype::F16 ? roundTo<Eigen::half>(scale) : roundTo<Eigen::bfloat16>(scale);
}

bool scaleDtypeApplies(NumberFormat format) {
    const FormatFamily family = formatTraits(format).family;
    return family == FormatFamily::Integer || family == FormatFamily::Minifloat;
}

} // namespace qs
