#include "calib/calibmethods.h"

#include "util/parallel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

namespace qs {

namespace {

// HQQ clamps the inverse scale so that a (near) constant group stays finite in half precision.
constexpr float kMaxInverseScale = 2e4f;

struct GroupState {
    float inverse = 1.0f;
    float zero = 0.0f;
};

// One solver step on a group at its current zero: Σ|x - x̂| (x̂ as HQQ's solver forms it, by
// dividing by the inverse scale) and the zero of the next step.
struct GroupStep {
    double absErrorSum = 0.0;
    std::int64_t count = 0;
    float nextZero = 0.0f;
};

float codeOf(float x, const GroupState &s, float qmax) {
    return std::clamp(std::nearbyint(x * s.inverse + s.zero), 0.0f, qmax);
}

// The proximal operator of |t|^p with weight 1/β: shrinks t towards 0, to 0 once the shrink
// exceeds |t| (at t = 0 the power is infinite and the result 0).
float shrinkLp(float t, float invBeta, float p) {
    const float magnitude = std::abs(t);
    const float shrunk = std::max(magnitude - invBeta * std::pow(magnitude, p - 1.0f), 0.0f);
    return t < 0.0f ? -shrunk : shrunk;
}

template <typename Fn>
void forEachFiniteIn(std::span<const float> values, const ParamGrid &grid, std::int64_t g, Fn &&fn) {
    grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i)
            if (std::isfinite(values[std::size_t(i)]))
                fn(values[std::size_t(i)]);
    });
}

GroupState initialState(std::span<const float> values, const ParamGrid &grid, std::int64_t g, float qmax) {
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    forEachFiniteIn(values, grid, g, [&](float x) {
        lo = std::min(lo, x);
        hi = std::max(hi, x);
    });
    if (!(lo <= hi))
        lo = hi = 0.0f;
    GroupState s;
    // A range beyond float's reach would give an inverse of 0; the smallest normal keeps it usable.
    s.inverse = std::clamp(qmax / (hi - lo), std::numeric_limits<float>::min(), kMaxInverseScale);
    s.zero = -lo * s.inverse;
    return s;
}

GroupStep step(std::span<const float> values, const ParamGrid &grid, std::int64_t g, const GroupState &s,
               float qmax, float invBeta, float p) {
    GroupStep out;
    double zeroSum = 0.0;
    forEachFiniteIn(values, grid, g, [&](float x) {
        const float q = codeOf(x, s, qmax);
        const float r = (q - s.zero) / s.inverse;
        out.absErrorSum += std::abs(double(x) - double(r));
        const float e = shrinkLp(x - r, invBeta, p);
        zeroSum += double(q - (x - e) * s.inverse);
        ++out.count;
    });
    out.nextZero = out.count > 0 ? float(zeroSum / double(out.count)) : s.zero;
    return out;
}

} // namespace

std::optional<HqqParams> solveHqq(std::span<const float> values, const ParamGrid &grid, int bits,
                                  const HqqOptions &options, const RunControl &control) {
    const auto groups = std::size_t(grid.groupCount());
    const float qmax = float((std::int64_t(1) << std::clamp(bits, kMinBits, kMaxBits)) - 1);
    std::vector<GroupState> states(groups);
    std::vector<GroupStep> steps(groups);
    const std::size_t perGroup = groups > 0 ? std::size_t(grid.elementCount()) / groups : 1;
    const std::size_t groupsPerTask =
        std::max<std::size_t>(1, kChunkSize / std::max<std::size_t>(perGroup, 1));
    const auto eachGroup = [&](const auto &fn) {
        RunControl quiet = control;
        quiet.progress = nullptr;
        return parallelChunks(groups, groupsPerTask, quiet,
                              [&](std::size_t, std::size_t begin, std::size_t end) {
                                  for (std::size_t g = begin; g < end; ++g)
                                      fn(g);
                              });
    };
    if (!eachGroup([&](std::size_t g) { states[g] = initialState(values, grid, std::int64_t(g), qmax); }))
        return std::nullopt;

    HqqParams result;
    std::vector<GroupState> best = states;
    double bestError = std::numeric_limits<double>::infinity();
    double beta = options.beta;
    for (int k = 0; k <= options.maxIterations; ++k) {
        const auto invBeta = float(1.0 / beta);
        const auto p = float(options.lpNorm);
        if (!eachGroup([&](std::size_t g) {
                steps[g] = step(values, grid, std::int64_t(g), states[g], qmax, invBeta, p);
            }))
            return std::nullopt;
        // Summed in group order: the same at any thread count.
        double errorSum = 0.0;
        std::int64_t count = 0;
        for (const GroupStep &s : steps) {
            errorSum += s.absErrorSum;
            count += s.count;
        }
        const double meanError = count > 0 ? errorSum / double(count) : 0.0;
        if (k == 0)
            result.initialMeanAbsError = meanError;
        if (!(meanError < bestError))
            break;
        bestError = meanError;
        best = states;
        result.iterations = k;
        for (std::size_t g = 0; g < groups; ++g)
            states[g].zero = steps[g].nextZero;
        beta *= options.kappa;
        control.report(double(k + 1) / double(options.maxIterations + 1));
    }
    result.meanAbsError = bestError;
    for (const GroupState &s : best) {
        result.inverseScales.push_back(s.inverse);
        result.scales.push_back(1.0f / s.inverse);
        result.zeroPoints.push_back(s.zero);
    }
    return result;
}

void hqqDequantize(std::span<const float> values, const ParamGrid &grid, int bits, const HqqParams &params,
                   std::span<float> out) {
    const float qmax = float((std::int64_t(1) << std::clamp(bits, kMinBits, kMaxBits)) - 1);
    for (std::int64_t g = 0; g < grid.groupCount(); ++g) {
        const GroupState s{params.inverseScales[std::size_t(g)], params.zeroPoints[std::size_t(g)]};
        const float scale = params.scales[std::size_t(g)];
        grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const float q = codeOf(values[std::size_t(i)], s, qmax);
                out[std::size_t(i)] = (q - s.zero) * scale;
            }
        });
    }
}

} // namespace qs
