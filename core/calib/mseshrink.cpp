#include "calib/calibmethods.h"

#include "calib/mseestimator.h"
#include "util/parallel.h"

#include <array>
#include <atomic>
#include <cmath>
#include <limits>

namespace qs {

namespace {

constexpr int kShrinkSteps = 100;

std::array<double, kShrinkSteps> makeCandidates() {
    std::array<double, kShrinkSteps> candidates{};
    for (int i = 0; i < kShrinkSteps; ++i)
        candidates[std::size_t(i)] = 1.0 - double(i) / 100.0;
    return candidates;
}

const std::array<double, kShrinkSteps> kCandidates = makeCandidates();

double squaredError(std::span<const float> x, std::span<const float> quantized) {
    double sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i]))
            continue;
        const double e = double(x[i]) - double(quantized[i]);
        sum += e * e;
    }
    return sum;
}

void gather(std::span<const float> values, const ParamGrid &grid, std::int64_t g, std::vector<float> &out) {
    out.clear();
    grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
        out.insert(out.end(), values.begin() + begin, values.begin() + end);
    });
}

// Scanning down from p = 1 and replacing only on a strictly smaller error keeps the larger p on
// ties: the same error with fewer values clipped. nullopt when cancelled between candidates.
std::optional<float> bestRatio(std::span<const float> group, const GroupFakeQuantizer &quantizer,
                               std::vector<float> &scratch, const RunControl &control) {
    scratch.resize(group.size());
    float best = 1.0f;
    double bestError = std::numeric_limits<double>::infinity();
    for (double p : kCandidates) {
        if (control.canceled())
            return std::nullopt;
        quantizer(group, float(p), scratch);
        const double error = squaredError(group, scratch);
        if (error < bestError) {
            bestError = error;
            best = float(p);
        }
        if (bestError == 0.0)
            break;
    }
    return best;
}

} // namespace

std::optional<ClipRange> mseClip(std::span<const float>, const TensorStats &stats, const QuantSpec &spec,
                                 const RunControl &control) {
    if (control.canceled())
        return std::nullopt;
    const ThresholdPoint best = sweepThresholds(stats, spec).best;
    return ClipRange{best.clipLo, best.clipHi};
}

std::span<const double> mseShrinkCandidates() {
    return kCandidates;
}

std::optional<std::vector<float>> mseShrinkRatios(std::span<const float> values, const ParamGrid &grid,
                                                  const GroupFakeQuantizer &quantizer,
                                                  const RunControl &control) {
    const auto groups = std::size_t(grid.groupCount());
    std::vector<float> ratios(groups, 1.0f);
    // About one chunk's worth of values per task, and at least one group.
    const std::size_t perGroup = groups > 0 ? std::size_t(grid.elementCount()) / groups : 1;
    const std::size_t groupsPerTask =
        std::max<std::size_t>(1, kChunkSize / std::max<std::size_t>(perGroup, 1));
    std::atomic<bool> canceled{false};
    const bool done =
        parallelChunks(groups, groupsPerTask, control, [&](std::size_t, std::size_t begin, std::size_t end) {
            std::vector<float> group;
            std::vector<float> scratch;
            for (std::size_t g = begin; g < end; ++g) {
                gather(values, grid, std::int64_t(g), group);
                const auto ratio = bestRatio(group, quantizer, scratch, control);
                if (!ratio) {
                    canceled = true;
                    return;
                }
                ratios[g] = *ratio;
            }
        });
    if (!done || canceled)
        return std::nullopt;
    return ratios;
}

} // namespace qs
