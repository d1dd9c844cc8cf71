#include "quant/schememeasure.h"

#include "stats/statkernels.h"
#include "stats/valuesource.h"

#include "io/ggmlblocks.h"
#include "quant/blocklayout.h"
#include "quant/formatkernels.h"
#include "quant/ggmlencode.h"
#include "quant/granularity.h"
#include "quant/groupquant.h"
#include "quant/microscaling.h"
#include "quant/minifloat.h"
#include "quant/nf4.h"
#include "quant/quantizer.h"
#include "quant/scaledtype.h"
#include "util/floatbounds.h"
#include "util/parallel.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <numeric>
#include <string>

namespace qs {

namespace {

// What one chunk gives back: the parameters of its groups (in grid order) and its error sums.
struct ChunkResult {
    std::vector<float> scales;
    std::vector<std::int64_t> zeroPoints;
    std::vector<double> clipMin;
    std::vector<double> clipMax;
    detail::ValueErrorPartial error;
    CastCounts cast;
    ClipCount clipped; ///< when the pass counts clipped values
    std::string failure;
};

void addParams(ChunkResult &r, const QuantParams &p) {
    r.scales.push_back(p.scale);
    r.zeroPoints.push_back(p.zeroPoint);
    r.clipMin.push_back(p.clipMin);
    r.clipMax.push_back(p.clipMax);
}

// Every group's parameters at once: the arrays grow once, not four push_backs a group.
void addParams(ChunkResult &r, const std::vector<QuantParams> &groups) {
    const std::size_t at = r.scales.size();
    const std::size_t n = groups.size();
    r.scales.resize(at + n);
    r.zeroPoints.resize(at + n);
    r.clipMin.resize(at + n);
    r.clipMax.resize(at + n);
    for (std::size_t g = 0; g < n; ++g) {
        r.scales[at + g] = groups[g].scale;
        r.zeroPoints[at + g] = groups[g].zeroPoint;
        r.clipMin[at + g] = groups[g].clipMin;
        r.clipMax[at + g] = groups[g].clipMax;
    }
}

void reserveParams(ChunkResult &r, std::size_t groups) {
    r.scales.reserve(groups);
    r.zeroPoints.reserve(groups);
    r.clipMin.reserve(groups);
    r.clipMax.reserve(groups);
}

// Appends every chunk's parameters in chunk order, each array allocated once.
void gatherParams(std::vector<ChunkResult> &results, SchemeQuantization &q) {
    std::size_t scales = 0;
    std::size_t zeroPoints = 0;
    std::size_t clips = 0;
    for (const ChunkResult &r : results) {
        scales += r.scales.size();
        zeroPoints += r.zeroPoints.size();
        clips += r.clipMin.size();
    }
    q.scales.reserve(scales);
    q.zeroPoints.reserve(zeroPoints);
    q.clipMin.reserve(clips);
    q.clipMax.reserve(clips);
    for (const ChunkResult &r : results) {
        q.cast.overflow += r.cast.overflow;
        q.cast.underflow += r.cast.underflow;
        q.scales.insert(q.scales.end(), r.scales.begin(), r.scales.end());
        q.zeroPoints.insert(q.zeroPoints.end(), r.zeroPoints.begin(), r.zeroPoints.end());
        q.clipMin.insert(q.clipMin.end(), r.clipMin.begin(), r.clipMin.end());
        q.clipMax.insert(q.clipMax.end(), r.clipMax.begin(), r.clipMax.end());
    }
}

// An fp8 group's clip range is ± the amax its scale maps to the largest value.
void addFp8Params(ChunkResult &r, float scale, float amax) {
    r.scales.push_back(scale);
    r.clipMin.push_back(-double(amax));
    r.clipMax.push_back(double(amax));
}

// Quantizes the chunk's values [begin, end) into out (same length) and appends its groups'
// parameters to result; sets result.failure on an error.
using ChunkKernel = std::function<void(std::size_t begin, std::span<const float> in, std::span<float> out,
                                       ChunkResult &result)>;

// Where a chunk's clip ranges come from: none (block and codebook formats), one range for the
// whole tensor, or the chunk's own groups (whole rows or tiles of a row-aligned grid).
enum class ChunkClips { None, Whole, Groups };

// A chunk's parameters, error sums and clipped count without x̂ (the lane kernel quantizes in
// its registers); false, with r untouched, when the chunk needs the kernel's way.
using FiguresKernel = std::function<bool(std::span<const float> in, ChunkResult &r)>;

// How a spec is cut into chunks, and the kernel that quantizes one.
struct ChunkPlan {
    std::size_t chunkElements = kChunkSize;
    ChunkKernel kernel;
    FiguresKernel figures; ///< may be empty
    std::vector<std::int64_t> paramShape;
    ChunkClips clips = ChunkClips::None;
    double clipLo = 0.0; ///< ChunkClips::Whole
    double clipHi = 0.0;
    std::int64_t cols = 1; ///< ChunkClips::Groups: the chunk's grid is chunkShape(size, cols)
    Granularity granularity;
};

std::int64_t elementCount(const std::vector<std::int64_t> &shape) {
    return std::accumulate(shape.begin(), shape.end(), std::int64_t(1), std::multiplies<>());
}

std::size_t lastDimension(const std::vector<std::int64_t> &shape) {
    return shape.empty() ? 1 : std::size_t(shape.back());
}

// Chunks of whole units (rows, tiles, blocks) of about kChunkSize values.
std::size_t chunkOfUnits(std::size_t unit) {
    unit = std::max<std::size_t>(unit, 1);
    return unit * std::max<std::size_t>(1, kChunkSize / unit);
}

// The finite [min, max] and largest finite magnitude of the whole tensor, in parallel.
struct TensorRange {
    float lo = 0.0f;
    float hi = 0.0f;
    float amax = 0.0f;
};

std::optional<TensorRange> tensorRange(const ValueSource &values, const RunControl &control) {
    constexpr std::size_t kPiece = 4096;
    std::vector<std::pair<float, float>> parts(
        chunkCount(values.size()),
        {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()});
    const bool done =
        parallelChunks(values.size(), kChunkSize, control, [&](std::size_t c, std::size_t b, std::size_t e) {
            float lo = std::numeric_limits<float>::infinity();
            float hi = -std::numeric_limits<float>::infinity();
            float scratch[kPiece];
            for (std::size_t p = b; p < e; p += kPiece) {
                const std::size_t n = std::min(kPiece, e - p);
                const float *x = values.read(p, n, scratch);
                // The statistics' scan kernel, in vector lanes; a piece whose sum is not finite (a
                // NaN or an Inf in it, or a float overflow) is looked at value by value.
                const detail::LaneScan scan = detail::laneScan(x, n);
                if (scan.finite) {
                    lo = std::min(lo, scan.min);
                    hi = std::max(hi, scan.max);
                    continue;
                }
                for (std::size_t i = 0; i < n; ++i)
                    if (std::isfinite(x[i])) {
                        lo = std::min(lo, x[i]);
                        hi = std::max(hi, x[i]);
                    }
            }
            parts[c] = {lo, hi};
        });
    if (!done)
        return std::nullopt;
    TensorRange range{std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), 0.0f};
    for (const auto &[lo, hi] : parts) {
        range.lo = std::min(range.lo, lo);
        range.hi = std::max(range.hi, hi);
    }
    if (!(range.lo <= range.hi))
        return TensorRange{};
    range.amax = std::max(std::abs(range.lo), std::abs(range.hi));
    return range;
}

// A chunk of whole 2-D rows viewed as its own tensor: the groups of a row-aligned granularity
// (channel 0, group, block) fall in it exactly as in the whole tensor, in the same order.
std::vector<std::int64_t> chunkShape(std::size_t elements, std::int64_t cols) {
    return {std::int64_t(elements) / std::max<std::int64_t>(cols, 1), cols};
}

ChunkPlan intPlan(const QuantSpec &spec, const ParamGrid &grid, const std::optional<TensorRange> &range) {
    ChunkPlan plan;
    plan.paramShape = grid.shape();
    if (grid.granularity().kind == Granularity::Kind::Tensor) {
        // Per tensor: one set of parameters from the whole tensor, as quantizeScheme finds them.
        const QuantParams p = spec.rangeMode == RangeMode::Saturating
                                  ? computeParams(spec, spec.clipLo, spec.clipHi)
                                  : computeParams(spec, double(range->lo * float(spec.clipRatio)),
                                                  double(range->hi * float(spec.clipRatio)));
        plan.kernel = [p](std::size_t begin, std::span<const float> in, std::span<float> out,
                          ChunkResult &r) {
            fakeQuantize(in, out, p);
            if (begin == 0)
                addParams(r, p);
        };
        plan.clips = ChunkClips::Whole;
        plan.clipLo = p.clipMin;
        plan.clipHi = p.clipMax;
        return plan;
    }
    const std::int64_t cols = grid.cols();
    const std::int64_t unitRows =
        grid.granularity().kind == Granularity::Kind::Block ? grid.granularity().rows : 1;
    plan.chunkElements = chunkOfUnits(std::size_t(unitRows * cols));
    plan.clips = ChunkClips::Groups;
    plan.cols = cols;
    plan.granularity = spec.granularity;
    plan.kernel = [spec, cols](std::size_t, std::span<const float> in, std::span<float> out, ChunkResult &r) {
        const ParamGrid sub = ParamGrid::make(chunkShape(in.size(), cols), spec.granularity).value();
        const GroupParams params = intGroupParams(in, sub, spec, spec.clipRatio);
        fakeQuantizeGroups(in, params, out);
        addParams(r, params.groups);
    };
    // Groups that are consecutive runs of equal length (rows, groups or one-row tiles that tile
    // them) stay so in a chunk of whole rows: when that length is a whole number of lane
    // groups, one lane pass per piece quantizes and measures (laneErrorRuns), where the kernel's
    // way writes x̂ and reads it back twice (the comparison, the clip count). The same sums to
    // the bit: laneErrorRuns compares against fakeQuantize's x̂ of each value, piece by piece as
    // compareChunk does.
    const std::int64_t run = grid.contiguousGroupLength();
    if (run > 0 && run % detail::kStatLanes == 0)
        plan.figures = [spec, cols, run](std::span<const float> in, ChunkResult &r) {
            const ParamGrid sub = ParamGrid::make(chunkShape(in.size(), cols), spec.granularity).value();
            const GroupParams params = intGroupParams(in, sub, spec, spec.clipRatio);
            if (std::find(params.finite.begin(), params.finite.end(), 0) != params.finite.end())
                return false;
            thread_local std::vector<detail::LaneErrorSetup> runs; // a chunk's, reused
            runs.assign(params.groups.size(), {});
            for (std::size_t k = 0; k < runs.size(); ++k) {
                const QuantParams &p = params.groups[k];
                runs[k].quant.setFrom(p);
                runs[k].belowLimit = smallestFloatNotBelow(p.clipMin);
                runs[k].aboveLimit = largestFloatNotAbove(p.clipMax);
                // A group whose values all lie inside its limits has nothing to count clipped.
                const auto &[lo, hi] = params.ranges[k];
                runs[k].clips = !(lo >= runs[k].belowLimit && hi <= runs[k].aboveLimit);
            }
            ChunkResult measured;
            for (std::size_t i = 0; i < in.size(); i += detail::kComparePiece) {
                const std::size_t m = std::min(detail::kComparePiece, in.size() - i);
                const detail::LaneError lanes =
                    detail::laneErrorRuns(in.data() + i, m, runs.data(), std::size_t(run), i);
                if (!lanes.compare.finite) // a float sum overflowed: the kernel's way
                    return false;
                measured.error.add(lanes.compare.sums);
                measured.clipped.add({std::int64_t(m), lanes.clipped});
            }
            addParams(measured, params.groups);
            r = std::move(measured);
            return true;
        };
    return plan;
}

ChunkPlan fp8Plan(const QuantSpec &spec, const ParamGrid &grid, const std::optional<TensorRange> &range) {
    ChunkPlan plan;
    plan.paramShape = grid.shape();
    const MiniFloat format = miniFloatOf(spec.format);
    const float ratio = float(spec.clipRatio);
    if (grid.granularity().kind == Granularity::Kind::Tensor) {
        const float amax = range->amax * ratio;
        const float scale = roundScale(miniFloatScale(format, amax), spec.scaleDtype);
        plan.kernel = [format, scale, amax](std::size_t begin, std::span<const float> in,
                                            std::span<float> out, ChunkResult &r) {
            fakeQuantizeScaled(format, in, out, scale);
            if (begin == 0)
                addFp8Params(r, scale, amax);
        };
        plan.clips = ChunkClips::Whole;
        plan.clipLo = -double(amax);
        plan.clipHi = double(amax);
        return plan;
    }
    const std::int64_t cols = grid.cols();
    const std::int64_t unitRows =
        grid.granularity().kind == Granularity::Kind::Block ? grid.granularity().rows : 1;
    plan.chunkElements = chunkOfUnits(std::size_t(unitRows * cols));
    plan.clips = ChunkClips::Groups;
    plan.cols = cols;
    plan.granularity = spec.granularity;
    plan.kernel = [spec, cols, format, ratio](std::size_t, std::span<const float> in, std::span<float> out,
                                              ChunkResult &r) {
        const ParamGrid sub = ParamGrid::make(chunkShape(in.size(), cols), spec.granularity).value();
        reserveParams(r, std::size_t(sub.groupCount()));
        // A group's runs (a tile's rows) are read where they lie: its largest magnitude is the
        // largest of its runs', and the element rounding goes value by value, so no copy of the
        // group is needed to give its bits.
        for (std::int64_t g = 0; g < sub.groupCount(); ++g) {
            float groupAmax = 0.0f;
            sub.forEachRun(g, [&](std::int64_t b, std::int64_t e) {
                groupAmax = std::max(groupAmax, finiteAbsMax(in.subspan(std::size_t(b), std::size_t(e - b))));
            });
            const float amax = groupAmax * ratio;
            const float scale = roundScale(miniFloatScale(format, amax), spec.scaleDtype);
            sub.forEachRun(g, [&](std::int64_t b, std::int64_t e) {
                fakeQuantizeScaled(format, in.subspan(std::size_t(b), std::size_t(e - b)),
                                   out.subspan(std::size_t(b), std::size_t(e - b)), scale);
            });
            addFp8Params(r, scale, amax);
        }
    };
    return plan;
}

// Keeps a kernel's Result-returning call short: its scales appended, or its error recorded.
void takeScales(Result<std::vector<float>> scales, ChunkResult &r) {
    if (!scales) {
        r.failure = scales.error();
        return;
    }
    r.scales.insert(r.scales.end(), scales->begin(), scales->end());
}

// Whole rows of a ggml type encoded on this thread, decoded into out and their effective scales
// into scales; the failure's text, or empty.
std::string encodeGgmlRows(GgmlType type, std::span<const float> in, std::span<float> out,
                           std::span<float> scales, std::size_t cols, std::span<const float> importance) {
    RunControl one;
    one.threads = 1;
    auto blocks = quantizeGgmlTensor(type, in, in.size() / cols, cols, one, importance);
    if (!blocks)
        return blocks.error();
    if (const Status decoded = dequantizeGgml(type, blocks.value(), out); !decoded)
        return decoded.error();
    if (const Status ok = ggmlEffectiveScales(type, blocks.value(), scales); !ok)
        return ok.error();
    return {};
}

// importance: the ggml types' weights, empty for the plain path (see checkImportance).
ChunkPlan blockPlan(const QuantSpec &spec, const std::vector<std::int64_t> &shape,
                    const std::optional<TensorRange> &range, std::span<const float> importance) {
    ChunkPlan plan;
    const std::size_t cols = lastDimension(shape);
    const std::int64_t rows = cols == 0 ? 0 : elementCount(shape) / std::int64_t(cols);
    plan.chunkElements = chunkOfUnits(cols);
    switch (spec.format) {
    case NumberFormat::MxFp4:
    case NumberFormat::MxFp8: {
        const MxFormat mx = spec.format == NumberFormat::MxFp4 ? MxFormat::MxFp4 : MxFormat::MxFp8;
        plan.paramShape = {rows, std::int64_t(cols / kMxBlockSize)};
        plan.kernel = [mx, cols](std::size_t, std::span<const float> in, std::span<float> out,
                                 ChunkResult &r) {
            takeScales(fakeQuantizeMx(mx, in, out, in.size() / cols, cols), r);
        };
        return plan;
    }
    case NumberFormat::NvFp4: {
        const float global = nvFp4GlobalScale(range->amax);
        plan.paramShape = {rows, std::int64_t(cols / kNvFp4BlockSize)};
        plan.kernel = [global, cols](std::size_t, std::span<const float> in, std::span<float> out,
                                     ChunkResult &r) {
            const std::size_t first = r.scales.size();
            takeScales(fakeQuantizeNvFp4(in, out, in.size() / cols, cols, global), r);
            for (std::size_t i = first; i < r.scales.size(); ++i)
                r.scales[i] /= global; // the block's effective scale s_b / g
        };
        return plan;
    }
    case NumberFormat::Nf4: {
        const auto n = std::size_t(elementCount(shape));
        plan.chunkElements = chunkOfUnits(kNf4BlockSize);
        plan.paramShape = {std::int64_t((n + kNf4BlockSize - 1) / kNf4BlockSize)};
        plan.kernel = [](std::size_t, std::span<const float> in, std::span<float> out, ChunkResult &r) {
            takeScales(fakeQuantizeNf4(in, out), r);
        };
        return plan;
    }
    default: {
        const GgmlType type = ggmlTypeOf(spec.format);
        const std::size_t perScale = ggmlScaleGroupElements(type);
        plan.paramShape = {rows, std::int64_t(perScale == 0 ? 0 : cols / perScale)};
        const std::size_t runs = importance.empty() ? 1 : importance.size() / cols;
        const std::size_t runRows = std::size_t(rows) / runs;
        plan.kernel = [type, cols, perScale, importance, runRows](std::size_t begin,
                                                                  std::span<const float> in,
                                                                  std::span<float> out, ChunkResult &r) {
            r.scales.resize(in.size() / perScale);
            // A chunk may straddle two expert slices: each part takes its slice's weights.
            std::size_t row = begin / cols;
            for (std::size_t done = 0; done < in.size() && r.failure.empty();) {
                const std::size_t run = row / runRows;
                const std::size_t n = std::min(in.size() - done, ((run + 1) * runRows - row) * cols);
                const std::span<const float> weights =
                    importance.empty() ? importance : importance.subspan(run * cols, cols);
                r.failure =
                    encodeGgmlRows(type, in.subspan(done, n), out.subspan(done, n),
                                   std::span(r.scales).subspan(done / perScale, n / perScale), cols, weights);
                done += n;
                row += n / cols;
            }
        };
        return plan;
    }
    }
}

// A cast: element by element, one "group" with scale 1 and the overflow limit as its range.
ChunkPlan castPlan(const QuantSpec &spec) {
    ChunkPlan plan;
    plan.paramShape = {1};
    const HalfFormat half = halfFormatOf(spec.format);
    plan.kernel = [half](std::size_t, std::span<const float> in, std::span<float> out, ChunkResult &r) {
        castSaturating(half, in, out, r.cast);
    };
    plan.clips = ChunkClips::Whole;
    plan.clipLo = -castClipLimit(spec.format);
    plan.clipHi = castClipLimit(spec.format);
    return plan;
}

// Whether the chunked path covers spec; the others (channels along an inner axis, calibration
// methods) take quantizeScheme's whole-tensor path.
bool chunkable(const QuantSpec &spec) {
    if (spec.method != CalibMethod::MinMax)
        return false;
    const FormatFamily family = formatTraits(spec.format).family;
    if (family != FormatFamily::Integer && family != FormatFamily::Minifloat)
        return true;
    return spec.granularity.kind != Granularity::Kind::Channel || spec.granularity.axis == 0;
}

bool needsTensorRange(const QuantSpec &spec) {
    const FormatFamily family = formatTraits(spec.format).family;
    if (family == FormatFamily::Integer)
        return spec.granularity.kind == Granularity::Kind::Tensor &&
               spec.rangeMode == RangeMode::NonSaturating;
    if (family == FormatFamily::Minifloat)
        return spec.granularity.kind == Granularity::Kind::Tensor;
    return spec.format == NumberFormat::NvFp4;
}

// Counts the chunk's values outside their group's clip range, as clippedFraction does over the
// whole tensor: the groups of a row-aligned grid fall in a chunk of whole rows (tiles) as in the
// tensor, and the chunk's parameters hold their ranges in the same order.
void countChunkClipped(const ChunkPlan &plan, std::span<const float> in, ChunkResult &r) {
    if (plan.clips == ChunkClips::Whole) {
        countClipped(in, plan.clipLo, plan.clipHi, r.clipped);
        return;
    }
    const ParamGrid sub = ParamGrid::make(chunkShape(in.size(), plan.cols), plan.granularity).value();
    for (std::int64_t g = 0; g < sub.groupCount(); ++g)
        sub.forEachRun(g, [&](std::int64_t b, std::int64_t e) {
            countClipped(in.subspan(std::size_t(b), std::size_t(e - b)), r.clipMin[std::size_t(g)],
                         r.clipMax[std::size_t(g)], r.clipped);
        });
}

// The extras' chunk work over values already whole in memory: chunks of kChunkSize.
bool tapWhole(std::span<const float> values, const MeasureExtras &extras, const RunControl &control) {
    if (!extras.chunk)
        return true;
    if (extras.start)
        extras.start(chunkCount(values.size()));
    return parallelChunks(
        values.size(), kChunkSize, control,
        [&](std::size_t c, std::size_t b, std::size_t e) { extras.chunk(c, values.subspan(b, e - b)); });
}

// quantizeScheme's whole-tensor x̂, measured and copied out.
Result<SchemeMeasurement> measureWhole(std::span<const float> values, const std::vector<std::int64_t> &shape,
                                       const QuantSpec &spec, const RunControl &control,
                                       std::span<float> dequantized, std::span<const float> importance,
                                       const MeasureExtras &extras) {
    auto quantized = quantizeScheme(values, shape, spec, control, importance);
    if (!quantized)
        return Error{quantized.error()};
    SchemeMeasurement m;
    m.quantization = std::move(quantized).value();
    m.error = compareValues(values, m.quantization.dequantized, control);
    RunControl quiet = control;
    quiet.progress = nullptr;
    if (extras.clippedFraction &&
        !(m.clippedFraction = clippedFraction(values, shape, spec, m.quantization, quiet)) &&
        control.canceled())
        return Error{"cancelled"};
    if (!tapWhole(values, extras, quiet))
        return Error{"cancelled"};
    if (dequantized.size() == values.size())
        std::copy(m.quantization.dequantized.begin(), m.quantization.dequantized.end(), dequantized.begin());
    // The result keeps x̂ only for a caller who asked for it and gave no span of its own.
    if (!extras.keepDequantized || dequantized.size() == values.size())
        m.quantization.dequantized = {};
    return m;
}

// All values as float32, for the paths that quantize the tensor whole (a failure or cancel of
// the decode is an error).
using WholeValues = std::function<Result<std::span<const float>>()>;

Result<SchemeMeasurement> measureWholeOf(const WholeValues &all, const std::vector<std::int64_t> &shape,
                                         const QuantSpec &spec, const RunControl &control,
                                         std::span<float> dequantized, std::span<const float> importance,
                                         const MeasureExtras &extras) {
    const auto values = all();
    if (!values)
        return Error{values.error()};
    return measureWhole(values.value(), shape, spec, control, dequantized, importance, extras);
}

Result<SchemeMeasurement> measure(const ValueSource &values, const WholeValues &all,
                                  const std::vector<std::int64_t> &shape, const QuantSpec &spec,
                                  const RunControl &control, std::span<float> dequantized,
                                  std::span<const float> importance, const MeasureExtras &extras) {
    if (const Status ok = checkScheme(spec, shape); !ok)
        return Error{ok.error()};
    if (const Status fits = checkImportance(importance, shape); !fits)
        return Error{fits.error()};
    if (std::int64_t(values.size()) != elementCount(shape))
        return Error{std::to_string(values.size()) + " values for a tensor of " +
                     std::to_string(elementCount(shape)) + " elements"};
    if (!chunkable(spec))
        return measureWholeOf(all, shape, spec, control, dequantized, importance, extras);
    RunControl quiet = control;
    quiet.progress = nullptr;
    std::optional<TensorRange> range;
    if (needsTensorRange(spec) && !(range = tensorRange(values, quiet)))
        return Error{"cancelled"};

    const FormatFamily family = formatTraits(spec.format).family;
    ChunkPlan plan;
    if (family == FormatFamily::Integer || family == FormatFamily::Minifloat) {
        const ParamGrid grid = ParamGrid::make(shape, spec.granularity).value();
        plan = family == FormatFamily::Integer ? intPlan(spec, grid, range) : fp8Plan(spec, grid, range);
    } else if (family == FormatFamily::Cast) {
        plan = castPlan(spec);
    } else {
        plan = blockPlan(spec, shape, range,
                         usesImportance(spec.format) ? importance : std::span<const float>());
    }

    // x̂ kept for the caller: allocated once here, written by the chunks and handed over.
    std::vector<float> kept;
    if (extras.keepDequantized && dequantized.size() != values.size()) {
        try {
            kept.resize(values.size());
        } catch (const std::bad_alloc &) {
            return Error{"not enough memory for x̂ of " + std::to_string(values.size()) + " values"};
        }
    }
    const std::span<float> xhat = kept.empty() ? dequantized : std::span<float>(kept);

    std::vector<ChunkResult> results(chunkCount(values.size(), plan.chunkElements));
    const bool countClips = extras.clippedFraction && plan.clips != ChunkClips::None;
    if (extras.chunk && extras.start)
        extras.start(results.size());
    std::atomic<bool> failed{false};
    RunControl stopping = control;
    stopping.isCanceled = [&] { return failed.load(std::memory_order_relaxed) || control.canceled(); };
    const bool done = parallelChunks(
        values.size(), plan.chunkElements, stopping, [&](std::size_t c, std::size_t begin, std::size_t end) {
            thread_local std::vector<float> buffer;
            thread_local std::vector<float> input; // a stored BF16/F16/FP8 chunk, decoded
            buffer.resize(end - begin);
            input.resize(end - begin);
            const std::span<const float> in(values.read(begin, end - begin, input.data()), end - begin);
            const std::span<float> out =
                xhat.size() == values.size() ? xhat.subspan(begin, end - begin) : std::span<float>(buffer);
            ChunkResult &r = results[c];
            // The thread's next chunk streams into the cache while this one is worked on.
            const std::optional<ChunkRange> upcoming = upcomingChunk();
            const auto [nextBytes, nextSize] =
                upcoming ? values.storedBytes(upcoming->begin, upcoming->end - upcoming->begin)
                         : std::pair<const std::byte *, std::size_t>{nullptr, 0};
            const detail::StreamNext streaming(nextBytes, nextSize);
            // The caller's work first: it reads the chunk from memory while the arithmetic of
            // its first pass runs in the wait (the sweep's moments), and what follows finds
            // the chunk in the cache.
            if (extras.chunk)
                extras.chunk(c, in);
            // Without x̂ to hand out, the figures may come from one lane pass.
            if (plan.figures && xhat.size() != values.size() && plan.figures(in, r))
                return;
            plan.kernel(begin, in, out, r);
            if (!r.failure.empty()) {
                failed = true;
                return;
            }
            r.error = detail::compareChunk(in.data(), out.data(), in.size());
            if (countClips)
                countChunkClipped(plan, in, r);
        });
    // A chunk names a bad value by its place in the chunk; the whole-tensor path names it by its
    // place in the tensor, and failing is not the case to be fast for.
    if (failed) {
        kept = {};
        return measureWholeOf(all, shape, spec, control, dequantized, importance, extras);
    }
    if (!done)
        return Error{"cancelled"};

    SchemeMeasurement m;
    std::vector<detail::ValueErrorPartial> partials;
    partials.reserve(results.size());
    for (const ChunkResult &r : results)
        partials.push_back(r.error);
    gatherParams(results, m.quantization);
    m.quantization.paramShape = plan.paramShape;
    if (family == FormatFamily::Cast)
        setCastParameters(spec.format, m.quantization);
    m.error = detail::finishValueError(partials);
    m.quantization.bitsPerWeight = schemeBitsPerWeight(spec, shape);
    if (countClips) {
        ClipCount clipped;
        for (const ChunkResult &r : results)
            clipped.add(r.clipped);
        m.clippedFraction = clipped.fraction();
    }
    m.quantization.dequantized = std::move(kept);
    return m;
}

} // namespace

Result<SchemeMeasurement> measureScheme(std::span<const float> values, const std::vector<std::int64_t> &shape,
                                        const QuantSpec &spec, const RunControl &control,
                                        std::span<float> dequantized, std::span<const float> importance,
                                        const MeasureExtras &extras) {
    const WholeValues all = [values]() -> Result<std::span<const float>> { return values; };
    return measure(ValueSource(values), all, shape, spec, control, dequantized, importance, extras);
}

Result<SchemeMeasurement> measureScheme(const FloatTensor &tensor, const std::vector<std::int64_t> &shape,
                                        const QuantSpec &spec, const RunControl &control,
                                        std::span<float> dequantized, std::span<const float> importance,
                                        const MeasureExtras &extras) {
    const WholeValues all = [&tensor]() -> Result<std::span<const float>> {
        if (const Status decoded = tensor.decodeAll(); !decoded)
            return Error{decoded.error()};
        return tensor.values();
    };
    return measure(ValueSource(tensor), all, shape, spec, control, dequantized, importance, extras);
}

} // namespace qs
