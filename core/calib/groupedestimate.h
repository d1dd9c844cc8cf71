#pragma once

#include "quant/granularity.h"
#include "quant/quantspec.h"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace qs {

/// Equal-width bins over [lo, hi] holding, per bin, a value count and a summed weight.
struct WeightedHistogram {
    double lo = 0.0;
    double hi = 0.0;
    std::vector<std::int64_t> counts;
    std::vector<double> weights;

    std::size_t bins() const { return counts.size(); }
    double binWidth() const { return counts.empty() ? 0.0 : (hi - lo) / double(counts.size()); }
};

/// What the grouped clip-ratio estimate needs, computed once per tensor and grid (it does not
/// depend on the ratio).
///
/// Every group g of an int or FP8 scheme is normalised by its scale at ratio 1, s1_g: u = x / s1_g.
/// A ratio ρ scales both ends of each group's range, so its scale becomes ρ·s1_g and its zero
/// point stays z_g: in u the levels are ρ·(k − z_g) for k in [qmin, qmax] (int), or ρ times the
/// format's finite values (FP8), the same for every group with the same z_g. The error is
/// x − x̂ = s1_g·(u − Q_ρ(u)), so a histogram of u weighted by s1_g² gives the tensor's MSE at any
/// ρ in one pass over its bins. Groups are kept apart by zero point (one class when symmetric).
struct GroupedEstimateInput {
    QuantSpec spec;         ///< format, bits, scheme, narrow of the grid
    std::int64_t count = 0; ///< finite values
    double sumSquares = 0.0;
    std::vector<std::int64_t> zeroPoints; ///< one per class, ascending
    std::vector<WeightedHistogram> classes;

    bool empty() const { return classes.empty(); }
};

/// Builds the estimator's histograms in one pass over values (row-major, grid.elementCount()
/// values). Only int and FP8 formats get classes; any other format gives an empty input.
/// bins is per class. O(values + classes × bins).
GroupedEstimateInput groupedEstimateInput(std::span<const float> values, const ParamGrid &grid,
                                          const QuantSpec &spec, int bins = 2048);

/// The estimate at one clip ratio.
struct GroupedEstimate {
    double mse = 0.0;
    std::optional<double> sqnrDb; ///< nullopt without error
    double clippedFraction = 0.0; ///< values beyond their group's outermost level
};

/// The MSE, SQNR and clipped fraction of the whole tensor at clip ratio ratio in (0, 1], in
/// O(classes × (bins + levels)).
///
/// Approximation: the values of each bin are taken as spread evenly over it, so each bin adds
/// its weight times the mean squared distance of that spread to the nearest level (computed
/// exactly, clipping included); the scale is taken as exactly ρ·s1_g (float32 rounding and the
/// scale's epsilon floor are ignored). s1_g is the stored scale, rounded to spec.scaleDtype, so
/// at ratio 1 the levels are the stored ones; at other ratios the rounding of ρ·s1_g to the scale
/// dtype (BF16: at most 2^-9 relative) is ignored too. Exact up to those for values spread evenly
/// in each bin.
GroupedEstimate estimateGroupedError(const GroupedEstimateInput &input, double ratio);

/// The levels of one zero-point class at ratio 1 in units of s1 (int: k − z for k in [qmin,
/// qmax]; FP8: the format's finite values), ascending.
std::vector<double> unitLevels(const QuantSpec &spec, std::int64_t zeroPoint);

/// Mean of (u − L(u))² over u spread evenly on [a, b], L(u) the nearest of levels (ascending,
/// not empty). cell is where the search for a's level starts and is left at b's; pass 0 first and
/// increasing intervals after, for O(bins + levels) over a whole histogram.
double meanSquaredDistance(double a, double b, std::span<const double> levels, std::size_t &cell);

} // namespace qs
