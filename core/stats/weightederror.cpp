#include "stats/weightederror.h"

#include "util/parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace qs {

namespace {

// Columns per task: each task walks every row of its block, 1 KiB of each row at a time, so a
// column's sum is always folded by one thread in row order.
constexpr std::size_t kColumnBlock = 256;

struct ColumnBlock {
    const float *x = nullptr;
    const float *xHat = nullptr;
    std::size_t rows = 0;
    std::size_t stride = 0; ///< values per row
    double *sums = nullptr;
    std::int64_t *skipped = nullptr;
};

// A row segment with a non-finite x: value by value, skipping those x. Same arithmetic as the
// vectorised path (float difference, double square), so the path taken does not show.
void addMixedSegment(const float *x, const float *xHat, std::size_t n, double *sums, std::int64_t *skipped) {
    for (std::size_t j = 0; j < n; ++j) {
        if (!std::isfinite(x[j])) {
            ++skipped[j];
            continue;
        }
        const double e = double(x[j] - xHat[j]);
        sums[j] += e * e;
    }
}

void addBlock(const ColumnBlock &b, std::size_t begin, std::size_t end) {
    const std::size_t n = end - begin;
    Eigen::Map<Eigen::ArrayXd> sums(b.sums + begin, Eigen::Index(n));
    for (std::size_t r = 0; r < b.rows; ++r) {
        const float *x = b.x + r * b.stride + begin;
        const float *xHat = b.xHat + r * b.stride + begin;
        const Eigen::Map<const Eigen::ArrayXf> xs(x, Eigen::Index(n));
        if (xs.allFinite())
            sums += (xs - Eigen::Map<const Eigen::ArrayXf>(xHat, Eigen::Index(n))).cast<double>().square();
        else
            addMixedSegment(x, xHat, n, b.sums + begin, b.skipped + begin);
    }
}

} // namespace

ColumnErrorSums::ColumnErrorSums(std::int64_t columns, std::int64_t experts)
    : m_columns(std::max<std::int64_t>(columns, 1))
    , m_experts(std::max<std::int64_t>(experts, 1))
    , m_sums(std::size_t(m_columns * m_experts), 0.0)
    , m_rows(std::size_t(m_experts), 0)
    , m_skipped(std::size_t(m_columns * m_experts), 0) {}

std::int64_t ColumnErrorSums::counted(std::int64_t expert, std::int64_t column) const {
    return rows(expert) - m_skipped[std::size_t(expert * m_columns + column)];
}

Status ColumnErrorSums::addRows(std::span<const float> x, std::span<const float> xHat, std::int64_t expert,
                                const RunControl &control) {
    if (x.size() != xHat.size())
        return Error{"x has " + std::to_string(x.size()) + " values but x̂ has " +
                     std::to_string(xHat.size())};
    if (x.size() % std::size_t(m_columns) != 0)
        return Error{std::to_string(x.size()) + " values are not whole rows of " + std::to_string(m_columns)};
    if (expert < 0 || expert >= m_experts)
        return Error{"expert " + std::to_string(expert) + " is outside 0 to " +
                     std::to_string(m_experts - 1)};
    if (x.empty())
        return control.canceled() ? Status(Error{"cancelled"}) : Status();
    const std::size_t offset = std::size_t(expert * m_columns);
    const ColumnBlock block{
        x.data(),        xHat.data(),       x.size() / std::size_t(m_columns), std::size_t(m_columns),
        &m_sums[offset], &m_skipped[offset]};
    const bool done =
        parallelChunks(std::size_t(m_columns), kColumnBlock, control,
                       [&](std::size_t, std::size_t begin, std::size_t end) { addBlock(block, begin, end); });
    if (!done)
        return Error{"cancelled"};
    m_rows[std::size_t(expert)] += std::int64_t(block.rows);
    return {};
}

double weightedMse(const ColumnErrorSums &sums, std::span<const float> weights) {
    const std::int64_t columns = sums.columns();
    if (weights.size() != std::size_t(columns * sums.experts()))
        return std::nan("");
    double weighted = 0.0;
    double weighedRows = 0.0;
    for (std::int64_t e = 0; e < sums.experts(); ++e) {
        for (std::int64_t j = 0; j < columns; ++j) {
            const std::size_t k = std::size_t(e * columns + j);
            const double w = weights[k];
            if (w == 0.0)
                continue; // a column that does not matter adds nothing, even an infinite error
            weighted += w * sums.sums()[k];
            weighedRows += w * double(sums.counted(e, j));
        }
    }
    return weighedRows > 0.0 ? weighted / weighedRows : 0.0;
}

Result<double> weightedMse(std::span<const float> x, std::span<const float> xHat,
                           std::span<const float> weights, std::int64_t columns, const RunControl &control) {
    if (columns < 1 || weights.empty() || weights.size() % std::size_t(columns) != 0)
        return Error{std::to_string(weights.size()) + " importance weights are not whole rows of " +
                     std::to_string(columns) + " columns"};
    const std::size_t experts = weights.size() / std::size_t(columns);
    const std::size_t expertValues = x.size() / experts;
    if (x.size() % (experts * std::size_t(columns)) != 0)
        return Error{std::to_string(x.size()) + " values are not " + std::to_string(experts) +
                     " equal slices of whole rows of " + std::to_string(columns)};
    if (xHat.size() != x.size())
        return Error{"x has " + std::to_string(x.size()) + " values but x̂ has " +
                     std::to_string(xHat.size())};
    ColumnErrorSums sums(columns, std::int64_t(experts));
    for (std::size_t e = 0; e < experts; ++e) {
        const Status added =
            sums.addRows(x.subspan(e * expertValues, expertValues),
                         xHat.subspan(e * expertValues, expertValues), std::int64_t(e), control);
        if (!added)
            return Error{added.error()};
    }
    return weightedMse(sums, weights);
}

} // namespace qs
