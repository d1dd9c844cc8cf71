#include "quant/groupquant.h"

#include "quant/quantizer.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace qs {

namespace {

// Runs of finite values (nearly all of them) take vectorised paths; a run holding a NaN or an
// Inf goes value by value.
Eigen::Map<const Eigen::ArrayXf> runOf(std::span<const float> values, std::int64_t begin, std::int64_t end) {
    return {values.data() + begin, Eigen::Index(end - begin)};
}

using Floats4 = float __attribute__((vector_size(4 * sizeof(float))));
using Mask4 = std::int32_t __attribute__((vector_size(4 * sizeof(std::int32_t))));

// Widens [lo, hi] by the run's values in one pass, four lanes at a time, when all of them are
// finite (and returns true); otherwise leaves lo and hi alone and returns false. The lanes' min
// and max pick values, never compute them, so the result is the run's exact extremes, whatever
// the order. (A NaN fails every comparison and never enters a lane; an infinity does, and is
// seen at the end.)
bool finiteRunRange(const float *run, std::size_t n, float &lo, float &hi) {
    constexpr float kInf = std::numeric_limits<float>::infinity();
    Floats4 low = {kInf, kInf, kInf, kInf};
    Floats4 high = -low;
    Mask4 nan = {};
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        Floats4 v;
        std::memcpy(&v, run + i, sizeof v);
        low = v < low ? v : low;
        high = v > high ? v : high;
        nan |= v != v;
    }
    float runLo = std::min({low[0], low[1], low[2], low[3]});
    float runHi = std::max({high[0], high[1], high[2], high[3]});
    bool finite = (nan[0] | nan[1] | nan[2] | nan[3]) == 0;
    for (; i < n; ++i) {
        finite = finite && std::isfinite(run[i]);
        runLo = std::min(runLo, run[i]);
        runHi = std::max(runHi, run[i]);
    }
    if (!finite || !std::isfinite(runLo) || !std::isfinite(runHi))
        return n == 0;
    lo = std::min(lo, runLo);
    hi = std::max(hi, runHi);
    return true;
}

} // namespace

std::vector<std::pair<float, float>> groupRanges(std::span<const float> values, const ParamGrid &grid) {
    std::vector<std::uint8_t> finite(std::size_t(grid.groupCount()));
    return groupRanges(values, grid, finite);
}

std::vector<std::pair<float, float>> groupRanges(std::span<const float> values, const ParamGrid &grid,
                                                 std::span<std::uint8_t> finite) {
    std::vector<std::pair<float, float>> ranges(std::size_t(grid.groupCount()));
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
            for (std::size_t i = 0; i < n; ++i) {
                if (std::isfinite(run[i])) {
                    lo = std::min(lo, run[i]);
                    hi = std::max(hi, run[i]);
                }
            }
        });
        ranges[std::size_t(g)] = lo <= hi ? std::pair{lo, hi} : std::pair{0.0f, 0.0f};
        finite[std::size_t(g)] = allFinite;
    }
    return ranges;
}

GroupParams intGroupParams(std::span<const float> values, const ParamGrid &grid, const QuantSpec &spec,
                           double clipRatio) {
    GroupParams result{grid, {}, std::vector<std::uint8_t>(std::size_t(grid.groupCount()))};
    const auto ranges = groupRanges(values, grid, result.finite);
    result.groups.reserve(ranges.size());
    // The ratio scales the range in float32, as a torch observer's min_val * ratio would.
    const float ratio = float(std::clamp(clipRatio, 0.0, 1.0));
    for (const auto &[lo, hi] : ranges)
        result.groups.push_back(computeParams(spec, double(lo * ratio), double(hi * ratio)));
    return result;
}

GroupParams intGroupParams(std::span<const float> values, const ParamGrid &grid, const QuantSpec &spec,
                           std::span<const float> ratios) {
    GroupParams result{grid, {}, std::vector<std::uint8_t>(std::size_t(grid.groupCount()))};
    const auto ranges = groupRanges(values, grid, result.finite);
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
