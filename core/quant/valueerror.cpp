#include "quant/valueerror.h"

#include "stats/statkernels.h"
#include "util/parallel.h"

#include <algorithm>
#include <cmath>

namespace qs {

namespace detail {

ValueErrorPartial compareMixed(const float *x, const float *y, std::size_t n) {
    ValueErrorPartial block;
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
    return block;
}

void ValueErrorPartial::add(const ValueErrorPartial &piece) {
    sumSquares += piece.sumSquares;
    sumErrorSquares += piece.sumErrorSquares;
    sumProducts += piece.sumProducts;
    sumDequantizedSquares += piece.sumDequantizedSquares;
    maxError = std::max(maxError, piece.maxError);
    count += piece.count;
}

ValueErrorPartial compareChunk(const float *x, const float *y, std::size_t n) {
    ValueErrorPartial p;
    for (std::size_t i = 0; i < n; i += kComparePiece) {
        const std::size_t m = std::min(kComparePiece, n - i);
        const LaneCompare lanes = laneCompare(x + i, y + i, m);
        p.add(lanes.finite ? lanes.sums : compareMixed(x + i, y + i, m));
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
    // Float sums can put a near-perfect match a rounding error above 1; a cosine never is.
    error.cosine = norms > 0.0 ? std::clamp(total.sumProducts / norms, -1.0, 1.0)
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
