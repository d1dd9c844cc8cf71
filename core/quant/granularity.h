#pragma once

#include "util/result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

/// Which elements share quantization parameters, as `--granularity` names it: `tensor`,
/// `channel[:AXIS]` (default axis 0, the output channel), `group:G` (runs of G elements along
/// the last axis) or `block:RxC` (2-D tiles).
struct Granularity {
    enum class Kind { Tensor, Channel, Group, Block };
    Kind kind = Kind::Tensor;
    int axis = 0;          ///< Channel
    std::int64_t size = 0; ///< Group: elements per group
    std::int64_t rows = 0; ///< Block: tile rows
    std::int64_t cols = 0; ///< Block: tile columns

    bool operator==(const Granularity &) const = default;
};

/// "tensor", "channel:1", "group:128", "block:16x16" (channel keeps ":0" off).
std::string granularityName(const Granularity &granularity);
/// Parses a --granularity value; the error says what is wrong with it.
Result<Granularity> parseGranularity(std::string_view text);

/// How the elements of a tensor of a given shape fall into parameter groups. Groups and blocks
/// view the tensor as [rows, cols]: rows = the first dimension, cols = the product of the rest
/// (a 1-D tensor is one row, a scalar one element); the last group or tile of a row may be
/// short. Channels follow `axis` of the original shape. Groups are numbered row-major over the
/// grid's shape.
class ParamGrid {
public:
    /// Fails, saying why, when the granularity does not fit the shape (an axis past the rank,
    /// a channel of a scalar).
    static Result<ParamGrid> make(const std::vector<std::int64_t> &shape, const Granularity &granularity);

    const Granularity &granularity() const { return m_granularity; }
    /// The grid's shape: [1] per tensor, [channels] per channel, [rows, groups per row] per group,
    /// [tile rows, tile columns] per block.
    const std::vector<std::int64_t> &shape() const { return m_shape; }
    std::int64_t groupCount() const { return m_groupCount; }
    std::int64_t elementCount() const { return m_rows * m_cols; }
    std::int64_t rows() const { return m_rows; }
    std::int64_t cols() const { return m_cols; }

    /// The group of the element at row-major index i.
    std::int64_t groupOf(std::int64_t i) const;
    /// Calls run(begin, end) for each contiguous run [begin, end) of row-major element indices
    /// that belong to group g, in increasing order.
    template <typename Run>
    void forEachRun(std::int64_t g, Run &&run) const;
    /// Number of elements in group g.
    std::int64_t groupSize(std::int64_t g) const;
    /// L when every group g is the one run [g·L, (g + 1)·L) (per tensor, channels along axis 0,
    /// groups that tile the rows), else 0.
    std::int64_t contiguousGroupLength() const;

private:
    Granularity m_granularity;
    std::vector<std::int64_t> m_shape;
    std::int64_t m_groupCount = 1;
    std::int64_t m_rows = 1;
    std::int64_t m_cols = 1;
    // Channel: elements are [outer, channels, inner] around the axis.
    std::int64_t m_inner = 1;
    std::int64_t m_outer = 1;
};

template <typename Run>
void ParamGrid::forEachRun(std::int64_t g, Run &&run) const {
    switch (m_granularity.kind) {
    case Granularity::Kind::Tensor:
        run(std::int64_t(0), elementCount());
        return;
    case Granularity::Kind::Channel: {
        const std::int64_t channels = m_shape[0];
        for (std::int64_t o = 0; o < m_outer; ++o) {
            const std::int64_t begin = (o * channels + g) * m_inner;
            run(begin, begin + m_inner);
        }
        return;
    }
    case Granularity::Kind::Group: {
        const std::int64_t perRow = m_shape[1];
        const std::int64_t row = g / perRow;
        const std::int64_t col = (g % perRow) * m_granularity.size;
        const std::int64_t begin = row * m_cols + col;
        run(begin, begin + std::min(m_granularity.size, m_cols - col));
        return;
    }
    case Granularity::Kind::Block: {
        const std::int64_t tileRow = g / m_shape[1];
        const std::int64_t col = (g % m_shape[1]) * m_granularity.cols;
        const std::int64_t width = std::min(m_granularity.cols, m_cols - col);
        const std::int64_t lastRow = std::min(m_rows, (tileRow + 1) * m_granularity.rows);
        for (std::int64_t r = tileRow * m_granularity.rows; r < lastRow; ++r)
            run(r * m_cols + col, r * m_cols + col + width);
        return;
    }
    }
}

} // namespace qs
