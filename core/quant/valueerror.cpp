#include "quant/valueerror.h"

#include "stats/blockedsum.h"
#include "util/parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace qs {

namespace {

constexpr std::size_t kCompareBlock = 1024;

// A block of finite values: float reductions in blocks of 64, vectorised, summed in double.
void addFiniteBlock(const float *x, const float *y, std::size_t n, double sumSquares,
                    detail::ValueErrorPartial &p) {
    using detail::blockedSum;
    alignas(16) float error[kCompareBlock];
    alignas(16) float product[kCompareBlock];
    const detail::FloatMap a(x, Eigen::Index(n));
    const detail::FloatMap b(y, Eigen::Index(n));
    Eigen::Map<Eigen::ArrayXf>(error, Eigen::Index(n)) = a - b;
    Eigen::Map<Eigen::ArrayXf>(product, Eigen::Index(n)) = a * b;
    p.sumSquares += sumSquares;
    p.sumErrorSquares += blockedSum(error, n, [](const auto &block) { return block.square().sum(); });
    p.sumProducts += blockedSum(product, n, [](const auto &block) { return block.sum(); });
    p.sumDequantizedSquares += blockedSum(y, n, [](const auto &block) { return block.square().sum(); });
    p.maxError =
        std::max(p.maxError, Eigen::Map<const Eigen::ArrayXf>(error, Eigen::Index(n)).abs().maxCoeff());
    p.count += std::int64_t(n);
}

// A block holding a NaN or an Inf in x (or in x̂): element by element in double, skipping
// non-finite x. The block's sums are added to p whole, as a finite block's are, so the result
// is the same whether a chunk is compared at once or block by block.
void addMixedBlock(const float *x, const float *y, std::size_t n, detail::ValueErrorPartial &p) {
    detail::ValueErrorPartial block;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i]))
            continue;
        const float e = x[i] - y[i];
        block.sumSquares += double(x[i]) * double(x[i]);
        block.sumErrorSquares += double(e) * double(e);
        block.sumProducts += double(x[i]) * double(y[i]);
        block.sumDequantizedSquares += double(y[i]) * double(y[i]);
        block.maxError = std::max(block.maxError, std::abs(e));
        ++block.count;
    }
    p.sumSquares += block.sumSquares;
    p.sumErrorSquares += block.sumErrorSquares;
    p.sumProducts += block.sumProducts;
    p.sumDequantizedSquares += block.sumDequantizedSquares;
    p.maxError = std::max(p.maxError, block.maxError);
    p.count += block.count;
}

} // namespace

namespace detail {

ValueErrorPartial compareChunk(const float *x, const float *y, std::size_t n) {
    using detail::blockedSum;
    detail::ValueErrorPartial p;
    for (std::size_t i = 0; i < n; i += kCompareBlock) {
        const std::size_t m = std::min(kCompareBlock, n - i);
        const double sumSquares =
            blockedSum(x + i, m, [](const auto &block) { return block.square().sum(); });
        const double check = blockedSum(y + i, m, [](const auto &block) { return block.sum(); });
        if (std::isfinite(sumSquares) && std::isfinite(check))
            addFiniteBlock(x + i, y + i, m, sumSquares, p);
        else
            addMixedBlock(x + i, y + i, m, p);
    }
    return p;
}

ValueError finishValueError(const std::vector<ValueErrorPartial> &partials) {
    detail::ValueErrorPartial total;
    for (const detail::ValueErrorPartial &p : partials) {
        total.sumSquares += p.sumSquares;
        total.sumErrorSquares += p.sumErrorSquares;
        total.sumProducts += p.sumProducts;
        total.sumDequantizedSquares += p.sumDequantizedSquares;
        total.maxError = std::max(total.maxError, p.maxError);
        total.count += p.count;
    }
    ValueError error;
    if (total.count == 0)
        return error;
    error.mse = total.sumErrorSquares / double(total.count);
    error.maxAbsError = double(total.maxError);
    if (total.sumErrorSquares > 0.0)
        error.sqnrDb = 10.0 * std::log10(total.sumSquares / total.sumErrorSquares);
    const double norms = std::sqrt(total.sumSquares) * std::sqrt(total.sumDequantizedSquares);
    error.cosine = norms > 0.0 ? total.sumProducts / norms
                               : (total.sumSquares == total.sumDequantizedSquares ? 1.0 : 0.0);
    return error;
}

} // namespace detail

ValueError compareValues(std::span<const float> x, std::span<const float> dequantized,
                         const RunControl &control) {
    const std::size_t n = std::min(x.size(), dequantized.size());
    std::vector<detail::ValueErrorPartial> partials(chunkCount(n));
    RunControl threadsOnly;
    threadsOnly.threads = control.threads;
    parallelChunks(n, kChunkSize, threadsOnly, [&](std::size_t chunk, std::size_t begin, std::size_t end) {
        partials[chunk] = detail::compareChunk(x.data() + begin, dequantized.data() + begin, end - begin);
    });
    return detail::finishValueError(partials); // in chunk order: the same at any thread count
}

} // namespace qs
