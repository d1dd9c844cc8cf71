#include "analysis/modelscan.h"

#include "io/decodebuffer.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"
#include "stats/statkernels.h"
#include "stats/valuesource.h"
#include "stats/weightederror.h"
#include "util/parallel.h"

#include <algorithm>
#include <cmath>

namespace qs {

namespace {

// Count, mean and central moment sums (Σd², Σd³, Σd⁴) of a run of finite values, and its
// largest magnitude: the partial that merges pairwise.
struct MomentPartial {
    double n = 0.0;
    double mean = 0.0;
    double m2 = 0.0;
    double m3 = 0.0;
    double m4 = 0.0;
    double sumSquares = 0.0;
    double maxAbs = 0.0;
};

// Two passes over one chunk, which the cache holds: the mean, then the moments about it. The
// careful path, value by value: for a chunk holding a NaN or an Inf.
MomentPartial chunkMomentsMixed(const float *x, std::size_t n) {
    MomentPartial p;
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]))
            continue;
        const double v = x[i];
        p.n += 1.0;
        sum += v;
        p.sumSquares += v * v;
        p.maxAbs = std::max(p.maxAbs, std::abs(v));
    }
    if (p.n == 0.0)
        return p;
    p.mean = sum / p.n;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]))
            continue;
        const double d = double(x[i]) - p.mean;
        const double d2 = d * d;
        p.m2 += d2;
        p.m3 += d2 * d;
        p.m4 += d2 * d2;
    }
    return p;
}

// In double lanes (stats/statkernels.h, the widest build the processor runs): one sum chain
// would wait on each add's latency, four cycles a value. One pass takes the power sums Σx … Σx⁴,
// and the central sums follow from them about the mean m:
//   Σd² = Σx² - n·m²,  Σd³ = Σx³ - 3m·Σx² + 2n·m³,  Σd⁴ = Σx⁴ - 4m·Σx³ + 6m²·Σx² - 3n·m⁴.
// Their terms are no larger than a few times the result while |m| is at most the standard
// deviation, so they lose no more than a few units in the last place; weights sit about zero.
// A chunk whose mean lies farther out (a norm's scales about 1) takes a second pass about its
// mean instead. A NaN or an Inf makes a sum non-finite (finite floats cannot overflow a double
// sum of one chunk), and the chunk then takes the careful path.
MomentPartial chunkMoments(const float *x, std::size_t n) {
    const detail::LaneMomentSums sums = detail::laneMomentSums(x, n);
    if (!sums.finite)
        return chunkMomentsMixed(x, n);
    MomentPartial p;
    p.n = double(n);
    p.sumSquares = sums.sumSquares;
    p.maxAbs = sums.maxAbs;
    if (n == 0)
        return p;
    const double m = sums.sum / p.n;
    p.mean = m;
    const double m2 = sums.sumSquares - p.n * m * m;
    if (m2 > 0.0 && p.n * m * m <= m2) {
        p.m2 = m2;
        p.m3 = sums.sumCubes - 3.0 * m * sums.sumSquares + 2.0 * p.n * m * m * m;
        p.m4 = sums.sumFourths - 4.0 * m * sums.sumCubes + 6.0 * m * m * sums.sumSquares -
               3.0 * p.n * m * m * m * m;
        return p;
    }
    const detail::LaneCentralSums central = detail::laneCentralSums(x, n, m);
    p.m2 = central.m2;
    p.m3 = central.m3;
    p.m4 = central.m4;
    return p;
}

// Chan et al.'s and Pébay's pairwise update of the central moment sums.
MomentPartial merge(const MomentPartial &a, const MomentPartial &b) {
    if (a.n == 0.0)
        return b;
    if (b.n == 0.0)
        return a;
    MomentPartial r;
    r.n = a.n + b.n;
    const double delta = b.mean - a.mean;
    const double d2 = delta * delta;
    const double ab = a.n * b.n;
    r.mean = a.mean + delta * b.n / r.n;
    r.m2 = a.m2 + b.m2 + d2 * ab / r.n;
    r.m3 = a.m3 + b.m3 + d2 * delta * ab * (a.n - b.n) / (r.n * r.n) +
           3.0 * delta * (a.n * b.m2 - b.n * a.m2) / r.n;
    r.m4 = a.m4 + b.m4 + d2 * d2 * ab * (a.n * a.n - ab + b.n * b.n) / (r.n * r.n * r.n) +
           6.0 * d2 * (a.n * a.n * b.m2 + b.n * b.n * a.m2) / (r.n * r.n) +
           4.0 * delta * (a.n * b.m3 - b.n * a.m3) / r.n;
    r.sumSquares = a.sumSquares + b.sumSquares;
    r.maxAbs = std::max(a.maxAbs, b.maxAbs);
    return r;
}

// What the stored tensor costs, for kept and skipped tensors alike.
TensorSummary summaryOf(const TensorInfo &info, std::size_t index) {
    TensorSummary s;
    s.index = index;
    s.name = info.name;
    s.shape = info.shape;
    s.dtype = info.typeName();
    s.params = info.elementCount();
    s.storedBytes = info.byteSize;
    s.bitsPerWeight = info.bitsPerWeight();
    return s;
}

// The moments of chunk partials merged in chunk order: the same at any thread count.
ValueMoments momentsOfPartials(const std::vector<MomentPartial> &partials) {
    MomentPartial total;
    for (const MomentPartial &p : partials)
        total = merge(total, p);
    ValueMoments m;
    m.count = std::int64_t(total.n);
    if (total.n == 0.0)
        return m;
    m.mean = total.mean;
    m.std = std::sqrt(total.m2 / total.n);
    m.rms = std::sqrt(total.sumSquares / total.n);
    m.maxAbs = total.maxAbs;
    m.kurtosis = total.m2 > 0.0 ? total.n * total.m4 / (total.m2 * total.m2) - 3.0 : 0.0;
    return m;
}

std::optional<ValueMoments> momentsOf(const ValueSource &values, const RunControl &control) {
    std::vector<MomentPartial> partials(chunkCount(values.size()));
    RunControl quiet = control;
    quiet.progress = nullptr;
    const bool done = parallelChunks(
        values.size(), kChunkSize, quiet, [&](std::size_t c, std::size_t begin, std::size_t end) {
            thread_local std::vector<float> decoded; // a stored chunk
            decoded.resize(end - begin);
            partials[c] = chunkMoments(values.read(begin, end - begin, decoded.data()), end - begin);
        });
    if (!done)
        return std::nullopt;
    return momentsOfPartials(partials);
}

} // namespace

std::optional<double> ValueMoments::maxOverStd() const {
    if (!(std > 0.0))
        return std::nullopt;
    return maxAbs / std;
}

std::optional<ValueMoments> computeMoments(std::span<const float> values, const RunControl &control) {
    return momentsOf(ValueSource(values), control);
}

std::optional<ValueMoments> computeMoments(const FloatTensor &tensor, const RunControl &control) {
    return momentsOf(ValueSource(tensor), control);
}

TensorDecision planDecision(const QuantPlan &plan, const TensorInfo &info) {
    const TensorResolution r = resolve(plan, info.name, info.shape);
    TensorDecision d;
    d.keep = r.kept();
    if (d.keep)
        d.keptBecause = resolutionText(plan, r);
    else
        d.spec = r.spec;
    return d;
}

TensorSummary scanTensor(const CheckpointReader &reader, std::size_t index, const TensorDecision &decision,
                         const RunControl &control) {
    const TensorInfo &info = reader.tensors().at(index);
    TensorSummary s = summaryOf(info, index);
    if (decision.keep) {
        s.kept = true;
        s.keptBecause = decision.keptBecause;
        return s;
    }
    if (const Status ok = checkScheme(decision.spec, info.shape); !ok) {
        s.skipped = ok.error();
        return s;
    }
    // A stored BF16/F16/FP8 tensor stays in the mapping and the passes decode it a chunk at a
    // time; the weighted error reads all values at once, so a tensor with weights is decoded.
    const auto tensor =
        decision.importance ? reader.loadFloat(index, control) : reader.loadChunked(index, control);
    if (!tensor) {
        s.skipped = tensor.error();
        return s;
    }
    const FloatTensor &values = *tensor.value();
    // One read of the values: the moments and the clipped count ride on measureScheme's chunks
    // (each decoded once), their partials merged in chunk order.
    std::vector<MomentPartial> partials;
    MeasureExtras extras;
    extras.clippedFraction = true;
    extras.start = [&](std::size_t chunks) { partials.assign(chunks, MomentPartial{}); };
    extras.chunk = [&](std::size_t c, std::span<const float> chunk) {
        partials[c] = chunkMoments(chunk.data(), chunk.size());
    };
    // x̂ is kept only for the weighted error; otherwise measureScheme never holds it whole. The
    // ggml types quantize with the weights too, so the error weighed is llama-quantize's.
    std::vector<float> dequantized(decision.importance ? values.size() : 0);
    const std::span<const float> importance =
        decision.importance ? decision.importance->weights : std::span<const float>();
    const auto measured =
        measureScheme(values, info.shape, decision.spec, control, dequantized, importance, extras);
    if (!measured) {
        s.skipped = measured.error();
        return s;
    }
    if (const auto &w = decision.importance) {
        const auto weighted = weightedMse(values.values(), dequantized, w->weights, w->columns, control);
        if (!weighted) {
            s.skipped = "importance-weighted error: " + weighted.error();
            return s;
        }
        s.weightedMse = weighted.value();
    }
    const ValueMoments moments = momentsOfPartials(partials);
    s.spec = decision.spec;
    s.bitsPerWeight = measured->quantization.bitsPerWeight;
    s.moments = moments;
    s.error = measured->error;
    if (moments.rms > 0.0)
        s.relRmse = std::sqrt(measured->error.mse) / moments.rms;
    s.clippedFraction = measured->clippedFraction;
    if (formatTraits(decision.spec.format).family == FormatFamily::Cast)
        s.cast = measured->quantization.cast;
    return s;
}

Result<ScanTotals> scanModel(const CheckpointReader &reader, const DecideTensor &decide,
                             const SummarySink &sink, const RunControl &control) {
    const DecodeBufferReuse reuse; // one decode buffer for the whole scan, not one per tensor
    const std::vector<TensorInfo> &tensors = reader.tensors();
    double allParams = 0.0;
    for (const TensorInfo &info : tensors)
        allParams += double(info.elementCount());
    RunControl perTensor = control;
    perTensor.progress = nullptr;
    ScanTotals totals;
    double paramsDone = 0.0;
    double bits = 0.0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (control.canceled())
            return Error{"cancelled"};
        TensorSummary s = scanTensor(reader, i, decide(tensors[i]), perTensor);
        if (control.canceled())
            return Error{"cancelled"}; // a cancel mid-tensor reads as a skip; it is not one
        ++totals.tensors;
        totals.totalParams += s.params;
        totals.kept += s.kept ? 1 : 0;
        totals.skipped += s.skipped ? 1 : 0;
        totals.quantized += s.error ? 1 : 0;
        bits += s.bitsPerWeight * double(s.params);
        paramsDone += double(s.params);
        sink(std::move(s));
        control.report(allParams > 0.0 ? paramsDone / allParams : double(i + 1) / double(tensors.size()));
    }
    totals.totalBytes = bits / 8.0;
    totals.avgBitsPerWeight = totals.totalParams > 0 ? bits / double(totals.totalParams) : 0.0;
    return totals;
}

} // namespace qs
