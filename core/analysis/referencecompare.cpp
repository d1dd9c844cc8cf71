#include "analysis/referencecompare.h"

#include "io/tensornames.h"
#include "stats/bincountspool.h"
#include "stats/blockedsum.h"
#include "util/parallel.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <unordered_map>

namespace qs {

namespace {

// Pairs are compared in blocks this long: all-finite blocks take compareChunk's vectorised path.
constexpr std::size_t kPairBlock = 1024;

struct PairPartial {
    detail::ValueErrorPartial error;
    std::int64_t mismatches = 0;
};

void add(detail::ValueErrorPartial &to, const detail::ValueErrorPartial &p) {
    to.sumSquares += p.sumSquares;
    to.sumErrorSquares += p.sumErrorSquares;
    to.sumProducts += p.sumProducts;
    to.sumDequantizedSquares += p.sumDequantizedSquares;
    to.maxError = std::max(to.maxError, p.maxError);
    to.count += p.count;
}

// NaN against NaN and an infinity against the same infinity agree; anything else with a
// non-finite side is a mismatch.
bool sameNonFinite(float a, float b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

// A block holding a non-finite value: its both-finite pairs, gathered, go through compareChunk.
void addMixedPairs(const float *x, const float *r, std::size_t n, PairPartial &p) {
    float xs[kPairBlock];
    float rs[kPairBlock];
    std::size_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isfinite(x[i]) && std::isfinite(r[i])) {
            xs[m] = x[i];
            rs[m++] = r[i];
        } else if (!sameNonFinite(x[i], r[i])) {
            ++p.mismatches;
        }
    }
    add(p.error, detail::compareChunk(xs, rs, m));
}

PairPartial comparePairs(const float *x, const float *r, std::size_t n) {
    PairPartial p;
    for (std::size_t i = 0; i < n; i += kPairBlock) {
        const std::size_t m = std::min(kPairBlock, n - i);
        const double sx = detail::blockedSum(x + i, m, [](const auto &b) { return b.sum(); });
        const double sr = detail::blockedSum(r + i, m, [](const auto &b) { return b.sum(); });
        if (std::isfinite(sx) && std::isfinite(sr)) // else a NaN, an Inf, or an overflow
            add(p.error, detail::compareChunk(x + i, r + i, m));
        else
            addMixedPairs(x + i, r + i, m, p);
    }
    return p;
}

std::optional<ReferenceDifference> finish(const std::vector<PairPartial> &partials) {
    std::vector<detail::ValueErrorPartial> errors;
    errors.reserve(partials.size());
    ReferenceDifference d;
    for (const PairPartial &p : partials) { // in chunk order: the same at any thread count
        errors.push_back(p.error);
        d.compared += p.error.count;
        d.nonFiniteMismatches += p.mismatches;
    }
    d.error = detail::finishValueError(errors);
    return d;
}

// Rows of the reference gathered in the checkpoint's row order, a chunk of rows at a time.
std::optional<ReferenceDifference> compareRows(std::span<const float> x, std::span<const float> r,
                                               std::int64_t rows, const RopeRows &map,
                                               const RunControl &control) {
    const std::size_t cols = x.size() / std::size_t(rows);
    const std::size_t rowsPerChunk = std::max<std::size_t>(1, kChunkSize / std::max<std::size_t>(cols, 1));
    std::vector<PairPartial> partials(chunkCount(std::size_t(rows), rowsPerChunk));
    const bool done = parallelChunks(
        std::size_t(rows), rowsPerChunk, control, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
            std::vector<float> gathered((end - begin) * cols);
            for (std::size_t row = begin; row < end; ++row) {
                const auto from = std::size_t(map.referenceRow(std::int64_t(row), rows)) * cols;
                std::copy_n(r.begin() + std::ptrdiff_t(from), cols,
                            gathered.begin() + std::ptrdiff_t((row - begin) * cols));
            }
            partials[chunk] = comparePairs(x.data() + begin * cols, gathered.data(), gathered.size());
        });
    return done ? finish(partials) : std::nullopt;
}

std::string shapeText(const std::vector<std::int64_t> &shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// The names a tensor may have in the reference: as written, then mapped either way.
std::vector<std::string> candidateNames(const std::string &name) {
    std::vector<std::string> names{name};
    for (const auto &mapped : {hfToGguf(name), ggufToHf(name)})
        if (mapped && *mapped != name)
            names.push_back(*mapped);
    return names;
}

std::string noTensorText(const std::vector<std::string> &names) {
    std::string text = "no tensor named " + names.front();
    for (std::size_t i = 1; i < names.size(); ++i)
        text += " or " + names[i];
    return text + " in the reference";
}

bool endsWith(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// "q" or "k" for a GGUF name of llama.cpp's permuted projections, else 0.
char ropeProjection(std::string_view ggufName) {
    for (std::string_view suffix : {".attn_q.weight", ".attn_q.bias"})
        if (endsWith(ggufName, suffix))
            return 'q';
    for (std::string_view suffix : {".attn_k.weight", ".attn_k.bias"})
        if (endsWith(ggufName, suffix))
            return 'k';
    return 0;
}

std::int64_t metadataCount(const CheckpointReader &reader, const std::string &key) {
    const auto it = reader.metadata().find(key);
    if (it == reader.metadata().end())
        return 0;
    std::int64_t value = 0;
    const std::string &text = it->second;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

// Heads of a llama GGUF's q (or k) projection; 0 for another file.
std::int64_t llamaHeads(const CheckpointReader &gguf, char projection) {
    const auto arch = gguf.metadata().find("general.architecture");
    if (gguf.formatName() != "GGUF" || arch == gguf.metadata().end() || arch->second != "llama")
        return 0;
    const std::int64_t heads = metadataCount(gguf, "llama.attention.head_count");
    const std::int64_t kvHeads = metadataCount(gguf, "llama.attention.head_count_kv");
    return projection == 'k' && kvHeads > 0 ? kvHeads : heads;
}

RopeRows ropeRowsFor(const CheckpointReader &checkpoint, const CheckpointReader &reference,
                     const std::string &name, const std::string &partnerName) {
    RopeRows rows;
    if (name == partnerName)
        return rows;
    if (const char p = ropeProjection(partnerName); p && hfToGguf(name) == partnerName) {
        rows.heads = llamaHeads(reference, p);
        rows.referenceInterleaved = true;
    } else if (const char q = ropeProjection(name); q && ggufToHf(name) == partnerName) {
        rows.heads = llamaHeads(checkpoint, q);
        rows.referenceInterleaved = false;
    }
    return rows;
}

// The bin of a value inside [lo, hi] computed in float as computeStats does, so that a value
// lands in the same bin of the tensor's histogram as in this one.
void countBlock(const float *x, std::size_t n, const Histogram &bins, std::int64_t *counts,
                BinnedValues &out) {
    const auto lo = float(bins.lo);
    const auto binsPerUnit = float(double(bins.bins()) / (bins.hi - bins.lo));
    const auto last = float(bins.bins() - 1);
    for (std::size_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (!std::isfinite(v))
            ++out.nonFinite;
        else if (double(v) < bins.lo)
            ++out.below;
        else if (double(v) > bins.hi)
            ++out.above;
        else
            ++counts[int(std::clamp((v - lo) * binsPerUnit, 0.0f, last))];
    }
}

} // namespace

std::int64_t RopeRows::referenceRow(std::int64_t row, std::int64_t rows) const {
    if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0)
        return row;
    const std::int64_t size = rows / heads;
    const std::int64_t half = size / 2;
    const std::int64_t head = row / size * size;
    const std::int64_t r = row % size;
    if (referenceInterleaved) // Hugging Face row (half t, index j) sits at 2j + t in the GGUF
        return head + 2 * (r % half) + r / half;
    return head + (r % 2) * half + r / 2;
}

std::vector<ReferencePairing> pairTensors(const std::vector<TensorInfo> &tensors,
                                          const std::vector<TensorInfo> &reference) {
    std::unordered_map<std::string, std::size_t> byName;
    for (std::size_t i = 0; i < reference.size(); ++i)
        byName.emplace(reference[i].name, i);
    std::vector<ReferencePairing> pairings;
    pairings.reserve(tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        ReferencePairing p;
        p.index = i;
        const std::vector<std::string> names = candidateNames(tensors[i].name);
        std::optional<std::size_t> misfit;
        for (const std::string &name : names) {
            const auto it = byName.find(name);
            if (it == byName.end())
                continue;
            if (reference[it->second].shape == tensors[i].shape) {
                p.partner = it->second;
                p.partnerName = name;
                break;
            }
            misfit = misfit.value_or(it->second);
        }
        if (!p.partner && misfit)
            p.unpaired = "reference " + reference[*misfit].name + " has shape " +
                         shapeText(reference[*misfit].shape) + ", not " + shapeText(tensors[i].shape);
        else if (!p.partner)
            p.unpaired = noTensorText(names);
        pairings.push_back(std::move(p));
    }
    return pairings;
}

std::vector<ReferencePairing> pairWithReference(const CheckpointReader &checkpoint,
                                                const CheckpointReader &reference) {
    std::vector<ReferencePairing> pairings = pairTensors(checkpoint.tensors(), reference.tensors());
    for (ReferencePairing &p : pairings)
        if (p.partner)
            p.rows = ropeRowsFor(checkpoint, reference, checkpoint.tensors()[p.index].name, p.partnerName);
    return pairings;
}

std::optional<ReferenceDifference> compareWithReference(std::span<const float> values,
                                                        std::span<const float> reference,
                                                        const std::vector<std::int64_t> &shape,
                                                        const RopeRows &rows, const RunControl &control) {
    const std::size_t n = std::min(values.size(), reference.size());
    RunControl quiet = control;
    quiet.progress = nullptr;
    const std::int64_t rowCount = shape.empty() ? 0 : shape.front();
    if (rows.heads > 0 && rowCount > 0 && n % std::size_t(rowCount) == 0)
        return compareRows(values.first(n), reference.first(n), rowCount, rows, quiet);
    std::vector<PairPartial> partials(chunkCount(n));
    const bool done =
        parallelChunks(n, kChunkSize, quiet, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
            partials[chunk] = comparePairs(values.data() + begin, reference.data() + begin, end - begin);
        });
    return done ? finish(partials) : std::nullopt;
}

Result<ReferenceDifference> compareReferencePair(const CheckpointReader &checkpoint,
                                                 const CheckpointReader &reference,
                                                 const ReferencePairing &pairing, const RunControl &control) {
    if (!pairing.partner)
        return Error{pairing.unpaired.value_or("no partner in the reference")};
    const auto values = checkpoint.loadFloat(pairing.index, control);
    if (!values)
        return Error{values.error()};
    const auto partner = reference.loadFloat(*pairing.partner, control);
    if (!partner)
        return Error{partner.error()};
    const auto difference = compareWithReference(values.value()->values(), partner.value()->values(),
                                                 values.value()->info().shape, pairing.rows, control);
    if (!difference)
        return Error{"cancelled"};
    return *difference;
}

std::optional<BinnedValues> countInBins(std::span<const float> values, const Histogram &bins,
                                        const RunControl &control) {
    BinnedValues result;
    result.histogram.lo = bins.lo;
    result.histogram.hi = bins.hi;
    result.histogram.counts.assign(bins.bins(), 0);
    if (bins.bins() == 0 || !(bins.hi > bins.lo))
        return result;
    BinCountsPool pool(bins.bins());
    std::vector<BinnedValues> outside(chunkCount(values.size()));
    RunControl quiet = control;
    quiet.progress = nullptr;
    const bool done = parallelChunks(
        values.size(), kChunkSize, quiet, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
            BinCountsLease counts(pool);
            countBlock(values.data() + begin, end - begin, bins, counts.data(), outside[chunk]);
        });
    if (!done)
        return std::nullopt;
    result.histogram.counts = pool.merged();
    for (const BinnedValues &o : outside) {
        result.below += o.below;
        result.above += o.above;
        result.nonFinite += o.nonFinite;
    }
    return result;
}

} // namespace qs
