#include "quant/granularity.h"

#include <algorithm>
#include <charconv>

namespace qs {

namespace {

constexpr std::string_view kChannel = "channel";
constexpr std::string_view kGroup = "group:";
constexpr std::string_view kBlock = "block:";
// Far beyond any real tensor dimension; keeps products of two of them inside int64.
constexpr std::int64_t kMaxExtent = std::int64_t(1) << 31;

std::optional<std::int64_t> positive(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value <= 0 || value > kMaxExtent)
        return std::nullopt;
    return value;
}

Error badGranularity(std::string_view text, std::string_view why) {
    return Error{"granularity '" + std::string(text) + "': " + std::string(why) +
                 " (use tensor, channel[:AXIS], group:G or block:RxC)"};
}

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) {
    return (a + b - 1) / b;
}

} // namespace

std::string granularityName(const Granularity &g) {
    switch (g.kind) {
    case Granularity::Kind::Tensor:
        return "tensor";
    case Granularity::Kind::Channel:
        return g.axis == 0 ? "channel" : "channel:" + std::to_string(g.axis);
    case Granularity::Kind::Group:
        return "group:" + std::to_string(g.size);
    case Granularity::Kind::Block:
        return "block:" + std::to_string(g.rows) + "x" + std::to_string(g.cols);
    }
    return "tensor";
}

Result<Granularity> parseGranularity(std::string_view text) {
    Granularity g;
    if (text == "tensor")
        return g;
    if (text.starts_with(kChannel)) {
        g.kind = Granularity::Kind::Channel;
        const std::string_view rest = text.substr(kChannel.size());
        if (rest.empty())
            return g;
        std::int64_t axis = 0;
        const auto [end, error] = std::from_chars(rest.data() + 1, rest.data() + rest.size(), axis);
        if (rest.front() != ':' || error != std::errc() || end != rest.data() + rest.size() || axis < 0 ||
            axis > 64)
            return badGranularity(text, "the channel axis must be a whole number from 0");
        g.axis = int(axis);
        return g;
    }
    if (text.starts_with(kGroup)) {
        const auto size = positive(text.substr(kGroup.size()));
        if (!size)
            return badGranularity(text, "the group size must be a whole number above 0");
        g.kind = Granularity::Kind::Group;
        g.size = *size;
        return g;
    }
    if (text.starts_with(kBlock)) {
        const std::string_view dims = text.substr(kBlock.size());
        const std::size_t x = dims.find('x');
        const auto rows = x == std::string_view::npos ? std::nullopt : positive(dims.substr(0, x));
        const auto cols = x == std::string_view::npos ? std::nullopt : positive(dims.substr(x + 1));
        if (!rows || !cols)
            return badGranularity(text, "a block is ROWSxCOLS, both whole numbers above 0");
        g.kind = Granularity::Kind::Block;
        g.rows = *rows;
        g.cols = *cols;
        return g;
    }
    return badGranularity(text, "unknown granularity");
}

Result<ParamGrid> ParamGrid::make(const std::vector<std::int64_t> &shape, const Granularity &granularity) {
    ParamGrid grid;
    grid.m_granularity = granularity;
    grid.m_rows = shape.empty() ? 1 : (shape.size() == 1 ? 1 : shape[0]);
    grid.m_cols = 1;
    for (std::size_t d = shape.size() == 1 ? 0 : 1; d < shape.size(); ++d)
        grid.m_cols *= shape[d];
    switch (granularity.kind) {
    case Granularity::Kind::Tensor:
        grid.m_shape = {1};
        break;
    case Granularity::Kind::Channel: {
        if (std::size_t(granularity.axis) >= std::max<std::size_t>(shape.size(), 1) || shape.empty())
            return Error{"granularity " + granularityName(granularity) +
                         " needs an axis below the tensor's rank " + std::to_string(shape.size())};
        const auto axis = std::size_t(granularity.axis);
        for (std::size_t d = 0; d < axis; ++d)
            grid.m_outer *= shape[d];
        for (std::size_t d = axis + 1; d < shape.size(); ++d)
            grid.m_inner *= shape[d];
        grid.m_shape = {shape[axis]};
        break;
    }
    case Granularity::Kind::Group:
        grid.m_shape = {grid.m_rows, ceilDiv(grid.m_cols, granularity.size)};
        break;
    case Granularity::Kind::Block:
        grid.m_shape = {ceilDiv(grid.m_rows, granularity.rows), ceilDiv(grid.m_cols, granularity.cols)};
        break;
    }
    grid.m_groupCount = 1;
    for (std::int64_t extent : grid.m_shape)
        grid.m_groupCount *= extent;
    return grid;
}

std::int64_t ParamGrid::groupOf(std::int64_t i) const {
    switch (m_granularity.kind) {
    case Granularity::Kind::Tensor:
        return 0;
    case Granularity::Kind::Channel:
        return (i / m_inner) % m_shape[0];
    case Granularity::Kind::Group:
        return (i / m_cols) * m_shape[1] + (i % m_cols) / m_granularity.size;
    case Granularity::Kind::Block:
        return (i / m_cols) / m_granularity.rows * m_shape[1] + (i % m_cols) / m_granularity.cols;
    }
    return 0;
}

std::int64_t ParamGrid::contiguousGroupLength() const {
    switch (m_granularity.kind) {
    case Granularity::Kind::Tensor:
        return elementCount();
    case Granularity::Kind::Channel:
        return m_outer == 1 ? m_inner : 0;
    case Granularity::Kind::Group:
        return m_granularity.size > 0 && m_cols % m_granularity.size == 0 ? m_granularity.size : 0;
    case Granularity::Kind::Block:
        return m_granularity.rows == 1 && m_granularity.cols > 0 && m_cols % m_granularity.cols == 0
                   ? m_granularity.cols
                   : 0;
    }
    return 0;
}

std::int64_t ParamGrid::groupSize(std::int64_t g) const {
    std::int64_t size = 0;
    forEachRun(g, [&size](std::int64_t begin, std::int64_t end) { size += end - begin; });
    return size;
}

} // namespace qs
