#include "calib/calibmethods.h"

#include "util/parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

// Each refinement pass splits the current value range into this many bins and keeps the one
// that holds the wanted rank; once that range holds few enough values they are sorted directly.
constexpr int kSelectBins = 4096;
constexpr std::size_t kGatherLimit = std::size_t(1) << 20;

float transformed(float x, bool absolute) {
    return absolute ? std::abs(x) : x;
}

// The finite values (or their magnitudes) inside [lo, hi].
struct Range {
    float lo = 0.0f;
    float hi = 0.0f;
    std::int64_t count = 0;
};

// Calls fn(v) for every finite transformed value, a chunk at a time so cancellation is seen.
template <typename Fn>
bool forEachFinite(std::span<const float> values, bool absolute, const RunControl &control, Fn &&fn) {
    for (std::size_t begin = 0; begin < values.size(); begin += kChunkSize) {
        if (control.canceled())
            return false;
        const std::size_t end = std::min(values.size(), begin + kChunkSize);
        for (std::size_t i = begin; i < end; ++i)
            if (std::isfinite(values[i]))
                fn(transformed(values[i], absolute));
    }
    return true;
}

std::optional<Range> fullRange(std::span<const float> values, bool absolute, const RunControl &control) {
    Range r{std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), 0};
    const bool done = forEachFinite(values, absolute, control, [&](float v) {
        r.lo = std::min(r.lo, v);
        r.hi = std::max(r.hi, v);
        ++r.count;
    });
    return done ? std::optional(r) : std::nullopt;
}

std::optional<float> sortedPick(std::span<const float> values, bool absolute, const Range &range,
                                std::int64_t rank, const RunControl &control) {
    std::vector<float> inside;
    inside.reserve(std::size_t(range.count));
    const bool done = forEachFinite(values, absolute, control, [&](float v) {
        if (v >= range.lo && v <= range.hi)
            inside.push_back(v);
    });
    if (!done)
        return std::nullopt;
    std::nth_element(inside.begin(), inside.begin() + rank, inside.end());
    return inside[std::size_t(rank)];
}

// One refinement pass: the bin of [range.lo, range.hi] that holds `rank`, narrowed to the
// smallest and largest value in it (binning is monotonic, so those bound exactly its values).
std::optional<Range> narrowed(std::span<const float> values, bool absolute, const Range &range,
                              std::int64_t &rank, const RunControl &control) {
    std::vector<std::int64_t> counts(kSelectBins, 0);
    std::vector<float> mins(kSelectBins, std::numeric_limits<float>::infinity());
    std::vector<float> maxs(kSelectBins, -std::numeric_limits<float>::infinity());
    const double width = double(range.hi) - double(range.lo);
    const bool done = forEachFinite(values, absolute, control, [&](float v) {
        if (!(v >= range.lo && v <= range.hi))
            return;
        const auto bin = std::min(kSelectBins - 1, int((double(v) - range.lo) / width * kSelectBins));
        ++counts[std::size_t(bin)];
        mins[std::size_t(bin)] = std::min(mins[std::size_t(bin)], v);
        maxs[std::size_t(bin)] = std::max(maxs[std::size_t(bin)], v);
    });
    if (!done)
        return std::nullopt;
    std::size_t bin = 0;
    while (rank >= counts[bin])
        rank -= counts[bin++];
    return Range{mins[bin], maxs[bin], counts[bin]};
}

// The rank-th smallest (0-based) finite value, without sorting a copy of the tensor.
std::optional<float> orderStatistic(std::span<const float> values, bool absolute, Range range,
                                    std::int64_t rank, const RunControl &control) {
    while (range.lo < range.hi && std::size_t(range.count) > kGatherLimit) {
        const auto next = narrowed(values, absolute, range, rank, control);
        if (!next)
            return std::nullopt;
        range = *next;
    }
    if (!(range.lo < range.hi))
        return range.lo;
    return sortedPick(values, absolute, range, rank, control);
}

} // namespace

std::optional<double> percentileOf(std::span<const float> values, double percentile, bool absolute,
                                   const RunControl &control) {
    const auto range = fullRange(values, absolute, control);
    if (!range)
        return std::nullopt;
    if (range->count == 0)
        return 0.0;
    // numpy's "linear" method (torch.quantile's default too): the virtual index h = (n - 1)·q.
    const double h = double(range->count - 1) * std::clamp(percentile, 0.0, 100.0) / 100.0;
    const auto below = std::int64_t(std::floor(h));
    const double t = h - double(below);
    const auto a = orderStatistic(values, absolute, *range, below, control);
    if (!a)
        return std::nullopt;
    if (t == 0.0 || below + 1 >= range->count)
        return double(*a);
    const auto b = orderStatistic(values, absolute, *range, below + 1, control);
    if (!b)
        return std::nullopt;
    return double(*a) + (double(*b) - double(*a)) * t;
}

std::optional<ClipRange> percentileClip(std::span<const float> values, const TensorStats &,
                                        const QuantSpec &spec, const RunControl &control) {
    if (spec.scheme == Scheme::Symmetric) {
        const auto amax = percentileOf(values, spec.percentile, true, control);
        if (!amax)
            return std::nullopt;
        return ClipRange{-*amax, *amax};
    }
    const auto lo = percentileOf(values, 100.0 - spec.percentile, false, control);
    const auto hi = lo ? percentileOf(values, spec.percentile, false, control) : std::nullopt;
    if (!hi)
        return std::nullopt;
    return ClipRange{*lo, *hi};
}

} // namespace qs
