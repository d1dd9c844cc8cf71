#include "calib/groupedestimate.h"

#include "quant/minifloat.h"
#include "quant/numberformat.h"
#include "quant/quantizer.h"
#include "quant/scaledtype.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace qs {

namespace {

// A little room beyond the outermost level, so values there land in a bin of their own.
constexpr double kRangeMargin = 0.5;

bool isMinifloat(const QuantSpec &spec) {
    return formatTraits(spec.format).family == FormatFamily::Minifloat;
}

MiniFloat miniFloatOf(const QuantSpec &spec) {
    return spec.format == NumberFormat::Fp8E5M2 ? MiniFloat::E5M2 : MiniFloat::E4M3;
}

struct GroupScale {
    double scale = 0.0; // s1_g; 0 for a group that quantizes without error (all zero)
    std::int64_t zeroPoint = 0;
};

GroupScale groupScale(std::span<const float> values, const ParamGrid &grid, const QuantSpec &spec,
                      std::int64_t g) {
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const float x = values[std::size_t(i)];
            if (std::isfinite(x)) {
                lo = std::min(lo, x);
                hi = std::max(hi, x);
            }
        }
    });
    if (!(lo <= hi) || (lo == 0.0f && hi == 0.0f))
        return {};
    if (isMinifloat(spec))
        return {double(roundScale(miniFloatScale(miniFloatOf(spec), std::max(std::abs(lo), std::abs(hi))),
                                  spec.scaleDtype)),
                0};
    const QuantParams p = computeParams(spec, double(lo), double(hi));
    return {double(p.scale), p.zeroPoint};
}

WeightedHistogram emptyClass(const QuantSpec &spec, std::int64_t zeroPoint, int bins) {
    const std::vector<double> levels = unitLevels(spec, zeroPoint);
    WeightedHistogram h;
    h.lo = levels.front() - kRangeMargin;
    h.hi = levels.back() + kRangeMargin;
    h.counts.assign(std::size_t(bins), 0);
    h.weights.assign(std::size_t(bins), 0.0);
    return h;
}

void addValue(WeightedHistogram &h, double u, double weight) {
    const double t = (u - h.lo) / (h.hi - h.lo) * double(h.bins());
    const std::size_t bin = t > 0 ? std::min(h.bins() - 1, std::size_t(t)) : 0;
    h.counts[bin] += 1;
    h.weights[bin] += weight;
}

double cube(double x) {
    return x * x * x;
}

} // namespace

std::vector<double> unitLevels(const QuantSpec &spec, std::int64_t zeroPoint) {
    std::vector<double> levels;
    if (isMinifloat(spec)) {
        const std::span<const float> positive = miniFloatLevels(miniFloatOf(spec));
        for (auto it = positive.rbegin(); it != positive.rend(); ++it)
            if (*it > 0.0f)
                levels.push_back(-double(*it));
        for (float v : positive)
            levels.push_back(double(v));
        return levels;
    }
    const auto [qmin, qmax] = integerRange(spec);
    for (std::int64_t k = qmin; k <= qmax; ++k)
        levels.push_back(double(k - zeroPoint));
    return levels;
}

GroupedEstimateInput groupedEstimateInput(std::span<const float> values, const ParamGrid &grid,
                                          const QuantSpec &spec, int bins) {
    GroupedEstimateInput input;
    input.spec = spec;
    const FormatFamily family = formatTraits(spec.format).family;
    if (family != FormatFamily::Integer && family != FormatFamily::Minifloat)
        return input;
    bins = std::max(bins, 16);
    std::map<std::int64_t, WeightedHistogram> classes;
    for (std::int64_t g = 0; g < grid.groupCount(); ++g) {
        const GroupScale s = groupScale(values, grid, spec, g);
        auto it = classes.end();
        if (s.scale > 0.0) {
            it = classes.find(s.zeroPoint);
            if (it == classes.end())
                it = classes.emplace(s.zeroPoint, emptyClass(spec, s.zeroPoint, bins)).first;
        }
        const double weight = s.scale * s.scale;
        grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const float x = values[std::size_t(i)];
                if (!std::isfinite(x))
                    continue;
                ++input.count;
                input.sumSquares += double(x) * double(x);
                if (it != classes.end())
                    addValue(it->second, double(x) / s.scale, weight);
            }
        });
    }
    for (auto &[zeroPoint, histogram] : classes) {
        input.zeroPoints.push_back(zeroPoint);
        input.classes.push_back(std::move(histogram));
    }
    return input;
}

double meanSquaredDistance(double a, double b, std::span<const double> levels, std::size_t &cell) {
    const std::size_t n = levels.size();
    const auto boundary = [&](std::size_t i) {
        return i + 1 < n ? (levels[i] + levels[i + 1]) / 2.0 : std::numeric_limits<double>::infinity();
    };
    cell = std::min(cell, n - 1);
    while (cell > 0 && a < boundary(cell - 1))
        --cell;
    if (!(b > a)) {
        while (cell + 1 < n && a >= boundary(cell))
            ++cell;
        const double d = a - levels[cell];
        return d * d;
    }
    double integral = 0.0;
    double x = a;
    while (x < b) {
        while (cell + 1 < n && x >= boundary(cell))
            ++cell;
        const double end = std::min(b, boundary(cell));
        const double level = levels[cell];
        integral += (cube(end - level) - cube(x - level)) / 3.0;
        x = end;
    }
    return integral / (b - a);
}

GroupedEstimate estimateGroupedError(const GroupedEstimateInput &input, double ratio) {
    GroupedEstimate estimate;
    if (input.count == 0)
        return estimate;
    double sumErrors = 0.0;
    std::int64_t clipped = 0;
    std::vector<double> levels;
    for (std::size_t c = 0; c < input.classes.size(); ++c) {
        const WeightedHistogram &h = input.classes[c];
        levels = unitLevels(input.spec, input.zeroPoints[c]);
        for (double &level : levels)
            level *= ratio;
        const double width = h.binWidth();
        std::size_t cell = 0;
        for (std::size_t i = 0; i < h.bins(); ++i) {
            if (h.counts[i] == 0)
                continue;
            const double a = h.lo + width * double(i);
            sumErrors += h.weights[i] * meanSquaredDistance(a, a + width, levels, cell);
            // A bin counts as clipped by the part of it beyond the outermost levels.
            const double below = std::clamp((levels.front() - a) / width, 0.0, 1.0);
            const double above = std::clamp((a + width - levels.back()) / width, 0.0, 1.0);
            clipped += std::llround(double(h.counts[i]) * (below + above));
        }
    }
    estimate.mse = sumErrors / double(input.count);
    if (sumErrors > 0.0)
        estimate.sqnrDb = 10.0 * std::log10(input.sumSquares / sumErrors);
    estimate.clippedFraction = double(clipped) / double(input.count);
    return estimate;
}

} // namespace qs
