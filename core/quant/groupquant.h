#pragma once

#include "quant/granularity.h"
#include "quant/quantspec.h"
#include "util/result.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace qs {

/// Integer parameters for every group of a tensor: the int format at any granularity.
struct GroupParams {
    ParamGrid grid;
    std::vector<QuantParams> groups; ///< one per group, row-major over grid.shape()
    /// One per group when known (intGroupParams fills it): whether every value of the group is
    /// finite, so fakeQuantizeGroups need not look again. Empty means unknown.
    std::vector<std::uint8_t> finite;
    /// One per group when known (intGroupParams fills it): the group's finite [min, max], the
    /// range its parameters came from. Empty means unknown.
    std::vector<std::pair<float, float>> ranges;
};

/// Each group's finite [min, max] (0, 0 for a group without a finite value), in group order.
std::vector<std::pair<float, float>> groupRanges(std::span<const float> values, const ParamGrid &grid);

/// groupRanges, also saying for each group whether all its values are finite (finite.size() ==
/// grid.groupCount()).
std::vector<std::pair<float, float>> groupRanges(std::span<const float> values, const ParamGrid &grid,
                                                 std::span<std::uint8_t> finite);

/// PyTorch's per-channel observer generalised to any granularity: each group's finite
/// [min, max], both ends scaled by clipRatio (in (0, 1]; 1 is min-max), goes through
/// computeParams (the spec's bits, scheme and narrow; its range mode is ignored). values must
/// hold grid.elementCount() values in row-major order.
GroupParams intGroupParams(std::span<const float> values, const ParamGrid &grid, const QuantSpec &spec,
                           double clipRatio = 1.0);

/// intGroupParams with a ratio per group (ratios.size() == grid.groupCount()), as the per-group
/// MSE search picks them.
GroupParams intGroupParams(std::span<const float> values, const ParamGrid &grid, const QuantSpec &spec,
                           std::span<const float> ratios);

/// One group's values (gathered) fake-quantized with the parameters intGroupParams gives a group
/// of these values at this ratio, into out (same size).
void fakeQuantizeIntGroup(std::span<const float> group, const QuantSpec &spec, float ratio,
                          std::span<float> out);

/// x̂ = (clamp(round(x · (1/s)) + z, qmin, qmax) − z) · s with each element's group parameters,
/// multiplying by the reciprocal of the scale as torch.fake_quantize_per_channel_affine does.
inline float fakeQuantizeByReciprocal(float x, const QuantParams &p) {
    const float inverse = 1.0f / p.scale;
    const float q =
        std::clamp(std::nearbyint(x * inverse) + float(p.zeroPoint), float(p.qmin), float(p.qmax));
    return (q - float(p.zeroPoint)) * p.scale;
}

/// Fake-quantizes values group by group into out (same size).
void fakeQuantizeGroups(std::span<const float> values, const GroupParams &params, std::span<float> out);

} // namespace qs
