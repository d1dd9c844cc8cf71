#include "quant/groupquant.h"

#include "quant/quantizer.h"
#include "stats/statkernels.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

// Runs of finite values (nearly all of them) take vectorised paths; a run holding a NaN or an
// Inf goes value by value.
Eigen::Map<const Eigen::ArrayXf> runOf(std::span<const float> values, std::int64_t begin, std::int64_t end) {
    return {values.data() + begin, Eigen::Index(end - begin)};
}

// Widens [lo, hi] by the run's values in one pass when all of them are finite (and returns
// true); otherwise leaves lo and hi alone and returns false. The lane kernel's min and max pick
// values, never compute them, so the result is the run's exact extremes, whatever the order.
bool finiteRunRange(const float *run, std::size_t n, float &lo, float &hi) {
    const detail::LaneRange r = detail::laneRange(run, n);
    if (r.nan || !std::isfinite(r.min) || !std::isfinite(r.max))
        return n == 0;
    lo = std::min(lo, r.min);
    hi = std::max(hi, r.max);
    return true;
}

// Widens [lo, hi] by the run's finite values, value by value: for a run holding a NaN or an
// infinity.
void widenByFinite(const float *run, std::size_t n, float &lo, float &hi) {
    for (std::size_t i = 0; i < n; ++i)
        if (std::isfinite(run[i])) {
            lo = std::min(lo, run[i]);
            hi = std::max(hi, run[i]);
        }
}

} // namespace

std::vector<std::pair<float, float>> groupRanges(std::span<const float> values, const ParamGrid &grid) {
    std::vector<std::uint8_t> finite(std::size_t(grid.groupCount()));
    return groupRanges(values, grid, finite);
}

std::vector<std::pair<float, float>> groupRanges(std::span<const float> values, const ParamGrid &grid,
                                                 std::span<std::uint8_t> finite) {
    std::vector<std::pair<float, float>> ranges(std::size_t(grid.groupCount()));
    // Groups that are consecutive runs of a whole number of lane groups: all their ranges in one
    // call (laneRunRanges), and value by value only for a group holding a NaN or an infinity.
    const std::int64_t length = grid.contiguousGroupLength();
    if (length > 0 && length % detail::kStatLanes == 0 && grid.groupCount() > 1) {
        std::vector<detail::LaneRange> lanes(std::size_t(grid.groupCount()));
        detail::laneRunRanges(values.data(), lanes.size(), std::size_t(length), lanes.data());
        for (std::size_t g = 0; g < lanes.size(); ++g) {
            const detail::LaneRange &r = lanes[g];
            if (!r.nan && std::isfinite(r.min) && std::isfinite(r.max)) {
                ranges[g] = {r.min, r.max};
                finite[g] = 1;
                continue;
            }
            float lo = std::numeric_limits<float>::infinity();
            float hi = -std::numeric_limits<float>::infinity();
            widenByFinite(values.data() + g * std::size_t(length), std::size_t(length), lo, hi);
            ranges[g] = lo <= hi ? std::pair{lo, hi} : std::pair{0.0f, 0.0f};
            finite[g] = 0;
        }
        return ranges;
    }
    for (std::int64_t g = 0; g < grid.groupCount(); ++g) {
        float lo = std::numeric_limits<float>::infinity();
        float hi = -std::numeric_limits<float>::infinity();
        bool allFinite = true;
        grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
            const float *run = values.data() + begin;
            const auto n = std::size_t(end - begin);
            if (finiteRunRange(run, n, lo, hi))
                return;
            allFinite = false;
            widenByFinite(run, n, lo, hi);
        });
        ranges[std::size_t(g)] = lo <= hi ? std::pair{lo, hi} : std::pair{0.0f, 0.0f};
        finite[std::size_t(g)] = allFinite;
    }
    return ranges;
}

GroupParams intGroupParams(std::span<const float> values, const ParamGrid &grid, const QuantSpec &spec,
                           double clipRatio) {
    GroupParams result{grid, {}, std::vector<std::uint8_t>(std::size_t(grid.groupCount())), {}};
    result.ranges = groupRanges(values, grid, result.finite);
    // The ratio scales the range in float32, as a torch observer's min_val * ratio would.
    computeParams(spec, result.ranges, float(std::clamp(clipRatio, 0.0, 1.0)), result.groups);
    return result;
}

GroupParams intGroupParams(std::span<const float> values, const ParamGrid &grid, const QuantSpec &spec,
                           std::span<const float> ratios) {
    GroupParams result{grid, {}, std::vector<std::uint8_t>(std::size_t(grid.groupCount())), {}};
    result.ranges = groupRanges(values, grid, result.finite);
    const auto &ranges = result.ranges;
    result.groups.reserve(ranges.size());
    for (std::size_t g = 0; g < ranges.size(); ++g) {
        const float ratio = g < ratios.size() ? ratios[g] : 1.0f;
        result.groups.push_back(
            computeParams(spec, double(ranges[g].first * ratio), double(ranges[g].second * ratio)));
    }
    return result;
}

void fakeQuantizeIntGroup(std::span<const float> group, const QuantSpec &spec, float ratio,
                          std::span<float> out) {
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    for (float x : group) {
        if (std::isfinite(x)) {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
        }
    }
    if (!(lo <= hi))
        lo = hi = 0.0f;
    const QuantParams p = computeParams(spec, double(lo * ratio), double(hi * ratio));
    for (std::size_t i = 0; i < group.size() && i < out.size(); ++i)
        out[i] = fakeQuantizeByReciprocal(group[i], p);
}

void fakeQuantizeGroups(std::span<const float> values, const GroupParams &params, std::span<float> out) {
    for (std::int64_t g = 0; g < params.grid.groupCount(); ++g) {
        const QuantParams &p = params.groups[std::size_t(g)];
        params.grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
            // The vectorised kernel gives fakeQuantizeByReciprocal's result for every finite x.
            const bool finite = params.finite.size() == params.groups.size()
                                    ? params.finite[std::size_t(g)] != 0
                                    : runOf(values, begin, end).allFinite();
            if (finite) {
                const auto n = std::size_t(end - begin);
                fakeQuantize(values.subspan(std::size_t(begin), n), out.subspan(std::size_t(begin), n), p);
                return;
            }
            for (std::int64_t i = begin; i < end; ++i)
                out[std::size_t(i)] = fakeQuantizeByReciprocal(values[std::size_t(i)], p);
        });
    }
}

} // namespace qs
