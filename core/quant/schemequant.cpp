#include "quant/schemequant.h"

#include "stats/valuesource.h"

#include "calib/calibmethods.h"
#include "io/ggmlblocks.h"
#include "quant/blocklayout.h"
#include "quant/formatkernels.h"
#include "quant/ggmlencode.h"
#include "quant/groupquant.h"
#include "quant/microscaling.h"
#include "quant/minifloat.h"
#include "quant/nf4.h"
#include "quant/quantizer.h"
#include "quant/scaledtype.h"
#include "stats/statkernels.h"
#include "stats/tensorstats.h"
#include "util/floatbounds.h"
#include "util/parallel.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace qs {

namespace {

constexpr double kF16ScaleBits = 16.0;

std::int64_t elementCount(const std::vector<std::int64_t> &shape) {
    std::int64_t n = 1;
    for (std::int64_t d : shape)
        n *= d;
    return n;
}

// Row-wise block formats run along the last dimension, as ggml's rows do.
std::int64_t rowLength(const std::vector<std::int64_t> &shape) {
    return shape.empty() ? 1 : shape.back();
}

std::string formatName(const QuantSpec &spec) {
    return std::string(formatTraits(spec.format).name);
}

// Average values per parameter group, for the overhead of one F16 scale each.
double valuesPerGroup(const QuantSpec &spec, const std::vector<std::int64_t> &shape) {
    const auto grid = ParamGrid::make(shape, spec.granularity);
    if (!grid || grid->groupCount() == 0)
        return 0.0;
    return double(grid->elementCount()) / double(grid->groupCount());
}

Error cancelled() {
    return Error{"cancelled"};
}

void addParams(SchemeQuantization &out, const QuantParams &p) {
    out.scales.push_back(p.scale);
    out.zeroPoints.push_back(p.zeroPoint);
    out.clipMin.push_back(p.clipMin);
    out.clipMax.push_back(p.clipMax);
}

// Per tensor, the method's clip range from the tensor's own statistics, so that the parameters
// are those analyzeQuant gives the same spec.
Result<SchemeQuantization> quantizeIntClipped(std::span<const float> values, const ParamGrid &grid,
                                              const QuantSpec &spec, const RunControl &control) {
    const auto stats = computeStats(values, control);
    const auto clip = stats ? tensorClip(values, *stats, spec, control) : std::nullopt;
    if (!clip)
        return cancelled();
    const QuantParams params = paramsForTensor(resolvedSpec(spec, *clip), stats->min, stats->max);
    SchemeQuantization out;
    out.dequantized.resize(values.size());
    fakeQuantize(values, out.dequantized, params); // as analyze's per-tensor pass
    addParams(out, params);
    out.paramShape = grid.shape();
    return out;
}

Result<SchemeQuantization> quantizeHqq(std::span<const float> values, const ParamGrid &grid,
                                       const QuantSpec &spec, const RunControl &control) {
    const auto params = solveHqq(values, grid, spec.bits, {}, control);
    if (!params)
        return cancelled();
    SchemeQuantization out;
    out.dequantized.resize(values.size());
    hqqDequantize(values, grid, spec.bits, *params, out.dequantized);
    out.scales = params->scales;
    out.zeroPointsFloat = params->zeroPoints;
    const double qmax = double((std::int64_t(1) << spec.bits) - 1);
    for (std::size_t g = 0; g < out.scales.size(); ++g) {
        out.clipMin.push_back(double((0.0f - out.zeroPointsFloat[g]) * out.scales[g]));
        out.clipMax.push_back(double((float(qmax) - out.zeroPointsFloat[g]) * out.scales[g]));
    }
    out.paramShape = grid.shape();
    return out;
}

Result<SchemeQuantization> quantizeInt(std::span<const float> values, const ParamGrid &grid,
                                       const QuantSpec &spec, const RunControl &control) {
    const bool perTensor = grid.granularity().kind == Granularity::Kind::Tensor;
    if (usesTensorClip(spec))
        return quantizeIntClipped(values, grid, spec, control);
    if (spec.method == CalibMethod::Hqq)
        return quantizeHqq(values, grid, spec, control);
    GroupParams params;
    if (perTensor && spec.rangeMode == RangeMode::Saturating) {
        params = {grid, {computeParams(spec, spec.clipLo, spec.clipHi)}, {}, {}};
    } else if (spec.method == CalibMethod::Mse) {
        const auto ratios = mseShrinkRatios(
            values, grid,
            [&spec](std::span<const float> group, float ratio, std::span<float> out) {
                fakeQuantizeIntGroup(group, spec, ratio, out);
            },
            control);
        if (!ratios)
            return cancelled();
        params = intGroupParams(values, grid, spec, *ratios);
    } else {
        params = intGroupParams(values, grid, spec, spec.clipRatio);
    }
    SchemeQuantization out;
    out.dequantized.resize(values.size());
    if (perTensor)
        fakeQuantize(values, out.dequantized, params.groups.front()); // as analyze's per-tensor pass
    else
        fakeQuantizeGroups(values, params, out.dequantized);
    for (const QuantParams &p : params.groups)
        addParams(out, p);
    out.paramShape = grid.shape();
    return out;
}

// The scale as stored: amax / the format's largest value, rounded to the spec's scale dtype.
float fp8Scale(const QuantSpec &spec, MiniFloat format, float amax) {
    return roundScale(miniFloatScale(format, amax), spec.scaleDtype);
}

// FP8 at any granularity: each group gathered, scaled to the format's range, put back. Method mse
// picks each group's ratio; otherwise every group takes the spec's clip ratio.
Result<SchemeQuantization> quantizeFp8(std::span<const float> values, const ParamGrid &grid,
                                       const QuantSpec &spec, const RunControl &control) {
    const MiniFloat format = miniFloatOf(spec.format);
    std::vector<float> ratios(std::size_t(grid.groupCount()), float(spec.clipRatio));
    if (spec.method == CalibMethod::Mse) {
        auto searched = mseShrinkRatios(
            values, grid,
            [&spec, format](std::span<const float> group, float ratio, std::span<float> out) {
                fakeQuantizeScaled(format, group, out, fp8Scale(spec, format, finiteAbsMax(group) * ratio));
            },
            control);
        if (!searched)
            return cancelled();
        ratios = std::move(*searched);
    }
    SchemeQuantization out;
    out.dequantized.resize(values.size());
    out.paramShape = grid.shape();
    std::vector<float> in;
    std::vector<float> result;
    for (std::int64_t g = 0; g < grid.groupCount(); ++g) {
        in.clear();
        grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
            in.insert(in.end(), values.begin() + begin, values.begin() + end);
        });
        result.resize(in.size());
        const float amax = finiteAbsMax(in) * ratios[std::size_t(g)];
        const float scale = fp8Scale(spec, format, amax);
        fakeQuantizeScaled(format, in, result, scale);
        out.scales.push_back(scale);
        out.clipMin.push_back(-double(amax));
        out.clipMax.push_back(double(amax));
        std::size_t next = 0;
        grid.forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
            std::copy(result.begin() + std::ptrdiff_t(next),
                      result.begin() + std::ptrdiff_t(next + std::size_t(end - begin)),
                      out.dequantized.begin() + begin);
            next += std::size_t(end - begin);
        });
    }
    return out;
}

// llama.cpp's encoder, then the GGUF reader's decoder: x̂ is what llama.cpp reads. Without
// importance one pass of the reference quantizer; with it each run of rows (an expert slice)
// with its own weights, as llama-quantize loops over a tensor's experts.
Result<SchemeQuantization> quantizeGgml(std::span<const float> values, std::size_t rows, std::size_t cols,
                                        NumberFormat format, const RunControl &control,
                                        std::span<const float> importance) {
    const GgmlType type = ggmlTypeOf(format);
    std::vector<std::byte> blocks;
    const std::size_t runs = importance.empty() ? 1 : importance.size() / cols;
    const std::size_t runRows = rows / runs;
    for (std::size_t e = 0; e < runs; ++e) {
        const std::span<const float> weights =
            importance.empty() ? importance : importance.subspan(e * cols, cols);
        auto run = quantizeGgmlTensor(type, values.subspan(e * runRows * cols, runRows * cols), runRows, cols,
                                      control, weights);
        if (!run)
            return Error{runs > 1 ? "expert " + std::to_string(e) + ": " + run.error() : run.error()};
        if (runs == 1)
            blocks = std::move(run).value();
        else
            blocks.insert(blocks.end(), run->begin(), run->end());
    }
    SchemeQuantization out;
    out.dequantized.resize(values.size());
    if (const Status decoded = dequantizeGgml(type, blocks, out.dequantized); !decoded)
        return Error{decoded.error()};
    const std::size_t perScale = ggmlScaleGroupElements(type);
    out.groupGrids.resize(values.size() / perScale);
    if (const Status grids = ggmlGroupGrids(type, blocks, out.groupGrids); !grids)
        return Error{grids.error()};
    // The effective scales are the steps' magnitudes (ggmlEffectiveScales), from the same read.
    out.scales.resize(out.groupGrids.size());
    std::transform(out.groupGrids.begin(), out.groupGrids.end(), out.scales.begin(),
                   [](const GgmlGroupGrid &grid) { return std::fabs(grid.step); });
    out.paramShape = {std::int64_t(rows), std::int64_t(cols / perScale)};
    return out;
}

Result<SchemeQuantization> quantizeBlocks(std::span<const float> values,
                                          const std::vector<std::int64_t> &shape, const QuantSpec &spec,
                                          const RunControl &control, std::span<const float> importance) {
    SchemeQuantization out;
    out.dequantized.resize(values.size());
    const auto cols = std::size_t(rowLength(shape));
    const std::size_t rows = cols == 0 ? 0 : values.size() / cols;
    Result<std::vector<float>> scales = Error{"unsupported format"};
    if (spec.format == NumberFormat::MxFp4 || spec.format == NumberFormat::MxFp8) {
        const MxFormat mx = spec.format == NumberFormat::MxFp4 ? MxFormat::MxFp4 : MxFormat::MxFp8;
        scales = fakeQuantizeMx(mx, values, out.dequantized, rows, cols);
        out.paramShape = {std::int64_t(rows), std::int64_t(cols / kMxBlockSize)};
    } else if (spec.format == NumberFormat::NvFp4) {
        const float global = nvFp4GlobalScale(finiteAbsMax(values));
        scales = fakeQuantizeNvFp4(values, out.dequantized, rows, cols, global);
        if (scales)
            for (float &s : scales.value())
                s /= global;
        out.paramShape = {std::int64_t(rows), std::int64_t(cols / kNvFp4BlockSize)};
    } else if (spec.format == NumberFormat::Nf4) {
        scales = fakeQuantizeNf4(values, out.dequantized);
        out.paramShape = {std::int64_t(scales ? scales->size() : 0)};
    } else {
        return quantizeGgml(values, rows, cols, spec.format, control,
                            usesImportance(spec.format) ? importance : std::span<const float>());
    }
    if (!scales)
        return Error{scales.error()};
    out.scales = std::move(scales).value();
    return out;
}

Status checkMethod(const QuantSpec &spec) {
    const std::string method(methodName(spec.method));
    const FormatTraits &traits = formatTraits(spec.format);
    if (spec.rangeMode == RangeMode::Saturating)
        return Error{"a fixed clip range and method " + method + " both set the range"};
    if (spec.clipRatio != 1.0)
        return Error{"a clip ratio and method " + method + " both set the range"};
    const bool perTensor = spec.granularity.kind == Granularity::Kind::Tensor;
    switch (spec.method) {
    case CalibMethod::MinMax:
        return {};
    case CalibMethod::Mse:
        if (traits.family != FormatFamily::Integer && traits.family != FormatFamily::Minifloat)
            return Error{"method mse does not apply to " + formatName(spec) +
                         ": its blocks scale to their own maximum"};
        return {};
    case CalibMethod::Percentile:
    case CalibMethod::Entropy:
    case CalibMethod::HistogramL2:
        if (traits.family != FormatFamily::Integer)
            return Error{"method " + method + " does not apply to " + formatName(spec) +
                         ": it picks an int clip range"};
        if (!perTensor)
            return Error{"method " + method + " applies per tensor only, not to granularity " +
                         granularityName(spec.granularity) + "; use mse or a clip ratio"};
        if (spec.method == CalibMethod::Entropy && spec.scheme != Scheme::Symmetric)
            return Error{"method entropy applies to symmetric int only, not asymmetric"};
        return {};
    case CalibMethod::Hqq:
        if (traits.family != FormatFamily::Integer)
            return Error{"method hqq does not apply to " + formatName(spec) + ": it solves int zero points"};
        if (spec.scheme != Scheme::Asymmetric)
            return Error{"method hqq applies to asymmetric int only: it solves the zero point"};
        if (spec.granularity.kind != Granularity::Kind::Channel &&
            spec.granularity.kind != Granularity::Kind::Group)
            return Error{"method hqq applies to channel or group granularity only, not " +
                         granularityName(spec.granularity)};
        return {};
    }
    return {};
}

// A cast has no range to choose: granularity, clip ranges and methods do not apply.
Status checkCast(const QuantSpec &spec) {
    const std::string name = formatName(spec);
    if (spec.granularity.kind != Granularity::Kind::Tensor)
        return Error{"granularity " + granularityName(spec.granularity) + " does not apply to " + name +
                     ": a cast has no scale"};
    if (spec.method != CalibMethod::MinMax)
        return Error{"method " + std::string(methodName(spec.method)) + " does not apply to " + name +
                     ": a cast has no range to calibrate"};
    if (spec.clipRatio != 1.0 || spec.rangeMode == RangeMode::Saturating)
        return Error{"a clip range does not apply to " + name + ": a cast has no scale"};
    if (spec.scaleDtype != ScaleDtype::F32)
        return Error{"scale_dtype does not apply to " + name + ": a cast has no scale"};
    return {};
}

Result<SchemeQuantization> quantizeCast(std::span<const float> values, const QuantSpec &spec,
                                        const RunControl &control) {
    SchemeQuantization out;
    out.dequantized.resize(values.size());
    const HalfFormat half = halfFormatOf(spec.format);
    std::vector<CastCounts> counts(chunkCount(values.size()));
    RunControl quiet = control;
    quiet.progress = nullptr;
    const bool done =
        parallelChunks(values.size(), kChunkSize, quiet, [&](std::size_t c, std::size_t b, std::size_t e) {
            castSaturating(half, values.subspan(b, e - b), std::span(out.dequantized).subspan(b, e - b),
                           counts[c]);
        });
    if (!done)
        return cancelled();
    for (const CastCounts &c : counts) {
        out.cast.overflow += c.overflow;
        out.cast.underflow += c.underflow;
    }
    setCastParameters(spec.format, out);
    return out;
}

// Block and codebook formats derive their own scales (and store them in their own types); HQQ
// keeps a float32 scale with a float zero point that its solver tunes against that scale.
Status checkScaleDtype(const QuantSpec &spec) {
    if (spec.scaleDtype == ScaleDtype::F32)
        return {};
    if (!scaleDtypeApplies(spec.format))
        return Error{"scale_dtype does not apply to " + formatName(spec) +
                     ": it stores its own block scales"};
    if (spec.method == CalibMethod::Hqq)
        return Error{
            "scale_dtype does not apply to method hqq: it keeps float32 scales and float zero points"};
    return {};
}

} // namespace

void setCastParameters(NumberFormat format, SchemeQuantization &q) {
    const double limit = castClipLimit(format);
    q.paramShape = {1};
    q.scales = {1.0f};
    q.clipMin = {-limit};
    q.clipMax = {limit};
}

bool usesImportance(NumberFormat format) {
    switch (format) {
    case NumberFormat::Q4_0:
    case NumberFormat::Q4_1:
    case NumberFormat::Q5_0:
    case NumberFormat::Q5_1:
    case NumberFormat::Q2_K:
    case NumberFormat::Q3_K:
    case NumberFormat::Q4_K:
    case NumberFormat::Q5_K:
    case NumberFormat::Q6_K:
        return true;
    default:
        return false;
    }
}

Status checkImportance(std::span<const float> importance, const std::vector<std::int64_t> &shape) {
    if (importance.empty())
        return {};
    const std::int64_t cols = rowLength(shape);
    const std::int64_t rows = cols > 0 ? elementCount(shape) / cols : 0;
    const auto weights = std::int64_t(importance.size());
    const std::int64_t runs = cols > 0 ? weights / cols : 0;
    if (cols > 0 && weights % cols == 0 && runs > 0 && rows % runs == 0)
        return {};
    return Error{std::to_string(weights) + " importance weights do not fit a tensor of " +
                 std::to_string(rows) + " rows of " + std::to_string(cols) +
                 " columns (one weight per column, for each of its " + "expert slices)"};
}

Status checkScheme(const QuantSpec &spec, const std::vector<std::int64_t> &shape) {
    const FormatTraits &traits = formatTraits(spec.format);
    if (!(spec.clipRatio > 0.0 && spec.clipRatio <= 1.0))
        return Error{"clip ratio " + std::to_string(spec.clipRatio) + " is outside (0, 1]"};
    if (!(spec.percentile > 0.0 && spec.percentile <= 100.0))
        return Error{"percentile " + std::to_string(spec.percentile) + " is outside (0, 100]"};
    if (traits.family == FormatFamily::Cast)
        return checkCast(spec);
    if (spec.method != CalibMethod::MinMax)
        if (const Status ok = checkMethod(spec); !ok)
            return ok;
    if (const Status ok = checkScaleDtype(spec); !ok)
        return ok;
    if (traits.fixedBlock > 0) {
        if (spec.granularity.kind != Granularity::Kind::Tensor)
            return Error{"granularity " + granularityName(spec.granularity) + " does not apply to " +
                         formatName(spec) + ": it carries its own blocks of " +
                         std::to_string(traits.fixedBlock)};
        if (spec.clipRatio != 1.0 || spec.rangeMode == RangeMode::Saturating)
            return Error{"a clip range does not apply to " + formatName(spec) +
                         ": its blocks scale to their own maximum"};
        if (traits.blockAlongRows && rowLength(shape) % traits.fixedBlock != 0)
            return Error{"row length " + std::to_string(rowLength(shape)) +
                         " is not a multiple of the block size " + std::to_string(traits.fixedBlock) +
                         " of " + formatName(spec)};
        return {};
    }
    if (traits.family == FormatFamily::Minifloat && spec.rangeMode == RangeMode::Saturating)
        return Error{"a fixed clip range does not apply to " + formatName(spec) + ": use a clip ratio"};
    const auto grid = ParamGrid::make(shape, spec.granularity);
    if (!grid)
        return Error{grid.error()};
    if (spec.granularity.kind != Granularity::Kind::Tensor && spec.rangeMode == RangeMode::Saturating)
        return Error{"a fixed clip range applies per tensor only; use a clip ratio with granularity " +
                     granularityName(spec.granularity)};
    return {};
}

double schemeBitsPerWeight(const QuantSpec &spec, const std::vector<std::int64_t> &shape) {
    const FormatTraits &traits = formatTraits(spec.format);
    if (traits.fixedBitsPerWeight > 0.0)
        return traits.fixedBitsPerWeight;
    const bool perTensor = spec.granularity.kind == Granularity::Kind::Tensor;
    const double perGroup = perTensor ? 0.0 : valuesPerGroup(spec, shape);
    const double overhead = perGroup > 0.0 ? kF16ScaleBits / perGroup : 0.0;
    if (traits.family == FormatFamily::Minifloat)
        return 8.0 + overhead;
    const double zeroPointBits =
        perGroup > 0.0 && spec.scheme == Scheme::Asymmetric ? double(spec.bits) / perGroup : 0.0;
    return double(spec.bits) + overhead + zeroPointBits;
}

Result<SchemeQuantization> quantizeScheme(std::span<const float> values,
                                          const std::vector<std::int64_t> &shape, const QuantSpec &spec,
                                          const RunControl &control, std::span<const float> importance) {
    if (const Status ok = checkScheme(spec, shape); !ok)
        return Error{ok.error()};
    if (const Status fits = checkImportance(importance, shape); !fits)
        return Error{fits.error()};
    if (std::int64_t(values.size()) != elementCount(shape))
        return Error{std::to_string(values.size()) + " values for a tensor of " +
                     std::to_string(elementCount(shape)) + " elements"};
    const FormatTraits &traits = formatTraits(spec.format);
    Result<SchemeQuantization> out = Error{"unsupported format " + formatName(spec)};
    if (traits.family == FormatFamily::Integer || traits.family == FormatFamily::Minifloat) {
        const ParamGrid grid = ParamGrid::make(shape, spec.granularity).value();
        out = traits.family == FormatFamily::Integer ? quantizeInt(values, grid, spec, control)
                                                     : quantizeFp8(values, grid, spec, control);
    } else if (traits.family == FormatFamily::Cast) {
        out = quantizeCast(values, spec, control);
    } else {
        out = quantizeBlocks(values, shape, spec, control, importance);
    }
    if (out)
        out.value().bitsPerWeight = schemeBitsPerWeight(spec, shape);
    return out;
}

namespace {

// Values [begin, end), read (or decoded) a piece at a time.
void countClipped(const ValueSource &values, std::int64_t begin, std::int64_t end, double lo, double hi,
                  ClipCount &count) {
    constexpr std::int64_t kPiece = 1024;
    float scratch[kPiece];
    for (std::int64_t p = begin; p < end; p += kPiece) {
        const auto n = std::size_t(std::min(kPiece, end - p));
        countClipped(std::span<const float>(values.read(std::size_t(p), n, scratch), n), lo, hi, count);
    }
}

std::optional<double> clippedFractionOf(const ValueSource &values, const std::vector<std::int64_t> &shape,
                                        const QuantSpec &spec, const SchemeQuantization &q,
                                        const RunControl &control);

} // namespace

// Without a branch, in the lane kernels: the limits become float limits that select the same
// values, and x - x is 0 only for a finite x.
void countClipped(std::span<const float> values, double lo, double hi, ClipCount &count) {
    const detail::LaneClipCount c = detail::laneClipCount(
        values.data(), values.size(), smallestFloatNotBelow(lo), largestFloatNotAbove(hi));
    count.finite += c.finite;
    count.outside += c.outside;
}

std::optional<double> clippedFraction(std::span<const float> values, const std::vector<std::int64_t> &shape,
                                      const QuantSpec &spec, const SchemeQuantization &q,
                                      const RunControl &control) {
    return clippedFractionOf(ValueSource(values), shape, spec, q, control);
}

std::optional<double> clippedFraction(const FloatTensor &tensor, const std::vector<std::int64_t> &shape,
                                      const QuantSpec &spec, const SchemeQuantization &q,
                                      const RunControl &control) {
    return clippedFractionOf(ValueSource(tensor), shape, spec, q, control);
}

namespace {

std::optional<double> clippedFractionOf(const ValueSource &values, const std::vector<std::int64_t> &shape,
                                        const QuantSpec &spec, const SchemeQuantization &q,
                                        const RunControl &control) {
    const auto grid = ParamGrid::make(shape, spec.granularity);
    if (!grid || q.clipMin.empty() || q.clipMin.size() != std::size_t(grid->groupCount()) ||
        q.clipMax.size() != q.clipMin.size())
        return std::nullopt;
    RunControl quiet = control;
    quiet.progress = nullptr;
    // Chunks of the values under one range, or of whole groups of about kChunkSize values; the
    // counts are integers, so their sum does not depend on the thread count.
    const auto groups = std::size_t(grid->groupCount());
    const bool single = groups == 1;
    const std::size_t perChunk =
        single ? kChunkSize
               : std::max<std::size_t>(1, kChunkSize / std::max<std::size_t>(1, values.size() / groups));
    const std::size_t units = single ? values.size() : groups;
    std::vector<ClipCount> counts(chunkCount(units, perChunk));
    const bool done =
        parallelChunks(units, perChunk, quiet, [&](std::size_t c, std::size_t b, std::size_t e) {
            if (single)
                return countClipped(values, std::int64_t(b), std::int64_t(e), q.clipMin[0], q.clipMax[0],
                                    counts[c]);
            for (std::size_t g = b; g < e; ++g)
                grid->forEachRun(std::int64_t(g), [&](std::int64_t begin, std::int64_t end) {
                    countClipped(values, begin, end, q.clipMin[g], q.clipMax[g], counts[c]);
                });
        });
    if (!done)
        return std::nullopt;
    ClipCount total;
    for (const ClipCount &c : counts)
        total.add(c);
    return total.fraction();
}

} // namespace

} // namespace qs
