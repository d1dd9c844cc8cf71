#pragma once

#include "calib/groupedestimate.h"
#include "quant/granularity.h"
#include "quant/schemequant.h"
#include "stats/histogram.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace qs {

struct TensorAnalysis;

/// One point of the MSE-versus-clip-ratio curve (estimated).
struct RatioPoint {
    double ratio = 1.0;
    double mse = 0.0;
};

/// The exact outcome of a scheme other than per-tensor int on one tensor, with what the views
/// need to draw it group by group. Immutable.
struct SchemeAnalysis {
    QuantSpec spec;
    SchemeQuantization quantization;
    std::vector<std::int64_t> shape; ///< the tensor's
    /// Which elements share a scale: the spec's granularity for int and FP8; the fixed blocks
    /// (MX, NVFP4, ggml's scale sub-blocks along rows, NF4's 64 over the flattened tensor)
    /// otherwise. Its groups are the quantization's scales, in the same order.
    ParamGrid grid;
    ValueError error;
    double clippedFraction = 0.0; ///< values beyond their group's outermost level (int, FP8)
    std::vector<double> groupMse; ///< mean (x − x̂)² over each group's finite values
    std::int64_t worstGroup = 0;  ///< the first group with the largest MSE
    /// Each group's finite [min, max] (0, 0 without one), unclipped.
    std::vector<std::pair<float, float>> groupRanges;
    Histogram errorHistogram; ///< of x − x̂ over finite values, symmetric around 0
    /// Of x / s_g over all groups, in units of each group's scale: s_g at ratio 1 for int and
    /// FP8 (so it does not move with the ratio; int zero points are not added), the stored
    /// scale otherwise. How well the groups fill their grids.
    Histogram normalised;
    GroupedEstimateInput estimator;     ///< int and FP8 only
    std::vector<RatioPoint> ratioSweep; ///< estimated, increasing ratio, ending at 1; int and FP8
    RatioPoint bestRatio;               ///< the minimum of ratioSweep
    /// x̂ came from llama.cpp's importance path (importance weights given and usesImportance).
    bool importanceUsed = false;
};

/// Quantizes the tensor with spec (quantizeScheme, with the importance weights when given) and
/// computes the figures above: O(values) passes plus the estimator's sweep. Fails with
/// checkScheme's message (the caller adds the tensor's name), quantizeScheme's, or "cancelled".
Result<std::shared_ptr<const SchemeAnalysis>> analyzeScheme(const TensorAnalysis &tensor,
                                                            const QuantSpec &spec,
                                                            const RunControl &control = {},
                                                            std::span<const float> importance = {});

/// The scale grid of spec on a tensor of this shape whose quantization has paramShape (see
/// SchemeAnalysis::grid). Fails when the granularity does not fit the shape.
Result<ParamGrid> schemeGrid(const QuantSpec &spec, const std::vector<std::int64_t> &shape,
                             const std::vector<std::int64_t> &paramShape);

/// The values group `group` can represent, ascending: int (k − z)·s for k in [qmin, qmax];
/// FP8 s times the format's finite values; NF4 absmax times its 16 codes; MXFP4 / NVFP4 the
/// block's scale times the e2m1 values (MXFP8: e4m3); llama.cpp's block types every code of the
/// scale group (block or sub-block) as the decoder computes it, step · k - offset
/// (ggmlGroupGrids), so each x̂ of the group is one of them. Empty for a group out of range.
std::vector<double> groupLevels(const SchemeAnalysis &analysis, std::int64_t group);

/// The code that stores each of groupLevels' levels, in the same order (the level at position
/// k of the drawn grid has code codes[k]): int k from qmin to qmax; FP8, MXFP4 / NVFP4 and MXFP8
/// the element's bits (sign first); NF4 the index into its table; llama.cpp's types the quant as
/// the block holds it (ggmlLevelCodes' k + bias: Q4_0's nibble k + 8, Q8_0's int8 k, …), which
/// runs downwards in a group whose step is negative; casts the 16-bit pattern. The int, FP8 and
/// normalised views at another ratio draw as many levels in the same order, so the codes hold
/// for them too. Empty for a group out of range.
struct LevelCodes {
    std::vector<std::int64_t> codes;
    int hexDigits = 0; ///< bit patterns read in hex with this many digits; 0: decimal
};
LevelCodes groupLevelCodes(const SchemeAnalysis &analysis, std::int64_t group);

/// groupLevels for int and FP8 at another clip ratio, from the group's range (O(levels)), for
/// drawing while the ratio is dragged; groupLevels for the other formats.
std::vector<double> groupLevelsAtRatio(const SchemeAnalysis &analysis, std::int64_t group, double ratio);

/// The levels of the normalised view (x / s_g) at ratio: int ratio·(k − z) with the group's
/// zero point z (one grid for every group when symmetric); FP8 ratio times the finite values;
/// NF4 its codes, MX and NVFP4 the e2m1 (e4m3) values; ggml the group's levels (groupLevels) / s_g.
std::vector<double> normalisedLevels(const SchemeAnalysis &analysis, std::int64_t group, double ratio);

/// The scale s_g of the normalised view: the group's ratio-1 scale for int and FP8, its stored
/// scale otherwise. 0 for an all-zero group.
double normalisingScale(const SchemeAnalysis &analysis, std::int64_t group);

/// The group's clip range at ratio 1 in value units (int: computeParams' clip range of its
/// min-max; FP8: ±max |x|), where a ratio's handles sit at ratio × it. None when the scale is
/// not set by a clip ratio (block formats, a fixed clip, a calibration method).
std::optional<std::pair<double, double>> ratioBase(const SchemeAnalysis &analysis, std::int64_t group);

/// Whether spec's groups take a clip ratio the window's handles can drag: int and fp8 under
/// minmax, not saturating (a saturating spec's thresholds are its own).
bool takesClipRatio(const QuantSpec &spec);

/// A histogram of one group's finite values over their [min, max] (bins bins; a constant group
/// gets a small interval around its value). O(group size), small enough for the GUI thread.
Histogram groupHistogram(std::span<const float> values, const ParamGrid &grid, std::int64_t group,
                         int bins = 128);

} // namespace qs
