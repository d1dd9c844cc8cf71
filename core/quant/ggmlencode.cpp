#include "quant/ggmlencode.h"

#include "quant/ggmlblockencoders.h"
#include "stats/statkernels.h"
#include "util/parallel.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

namespace qs {

namespace {

struct EncoderEntry {
    GgmlType type;
    ggml::BlockEncoder encode;
    std::size_t scaleGroup;        // values per effective scale
    ggml::BlockEncoder encodePair; // two blocks at once where that is faster, else null
};

constexpr std::array<EncoderEntry, 10> kEncoders{{
    {GgmlType::Q4_0, &ggml::encodeQ4_0, 32, nullptr},
    {GgmlType::Q4_1, &ggml::encodeQ4_1, 32, nullptr},
    {GgmlType::Q5_0, &ggml::encodeQ5_0, 32, nullptr},
    {GgmlType::Q5_1, &ggml::encodeQ5_1, 32, nullptr},
    {GgmlType::Q8_0, &ggml::encodeQ8_0, 32, nullptr},
    {GgmlType::Q2_K, &ggml::encodeQ2_K, 16, nullptr},
    {GgmlType::Q3_K, &ggml::encodeQ3_K, 16, nullptr},
    {GgmlType::Q4_K, &ggml::encodeQ4_K, 32, &ggml::encodeQ4_KPair},
    {GgmlType::Q5_K, &ggml::encodeQ5_K, 32, &ggml::encodeQ5_KPair},
    {GgmlType::Q6_K, &ggml::encodeQ6_K, 16, nullptr},
}};

const EncoderEntry *encoderFor(GgmlType type) {
    const auto it = std::find_if(kEncoders.begin(), kEncoders.end(),
                                 [type](const EncoderEntry &e) { return e.type == type; });
    return it == kEncoders.end() ? nullptr : &*it;
}

std::string nameOf(GgmlType type) {
    return std::string(ggmlBlockLayout(type).name);
}

Error noEncoder(GgmlType type) {
    return Error{nameOf(type) + ": no encoder; only Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and Q2_K ... Q6_K"};
}

std::string describe(float value) {
    return std::isnan(value) ? "NaN" : value > 0 ? "+inf" : "-inf";
}

std::size_t firstNonFinite(std::span<const float> values) {
    // Nearly every tensor is finite: the lane kernels' check first (Eigen's allFinite was a tenth
    // of a Q8_0 measurement), the search only when it fails.
    if (detail::laneAllFinite(values.data(), values.size()))
        return values.size();
    return std::size_t(std::find_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); }) -
                       values.begin());
}

// Encodes one row block after block; importance, if given, has one weight per value. The
// 32-value types' importance weights use the mean square of the whole row, as ggml's do.
void encodeRow(const EncoderEntry &encoder, std::span<const float> row, std::span<const float> importance,
               std::span<std::byte> out) {
    const GgmlBlockLayout &layout = ggmlBlockLayout(encoder.type);
    auto *block = reinterpret_cast<std::uint8_t *>(out.data());
    // The 32-value types' reference path writes every byte of every block, a row at a time.
    if (importance.empty() &&
        ggml::encodeLegacyBlocks(encoder.type, row.data(), row.size() / layout.blockElements, block))
        return;
    std::fill(out.begin(), out.end(), std::byte{0});
    ggml::Importance weights{nullptr, 0.0f};
    if (!importance.empty() && !row.empty())
        weights.rowMeanSquare = ggml::sumOfSquares(row) / float(row.size());
    for (std::size_t at = 0; at < row.size();) {
        const bool pair = encoder.encodePair && row.size() - at >= 2 * layout.blockElements;
        weights.weights = importance.empty() ? nullptr : importance.data() + at;
        (pair ? encoder.encodePair : encoder.encode)(row.data() + at, importance.empty() ? nullptr : &weights,
                                                     block);
        const std::size_t blocks = pair ? 2 : 1;
        at += blocks * layout.blockElements;
        block += blocks * layout.blockBytes;
    }
}

// Importance must be empty or one finite weight per value of a row.
Status checkImportance(GgmlType type, std::span<const float> importance, std::size_t expected) {
    if (!importance.empty() && importance.size() != expected)
        return Error{nameOf(type) + ": " + std::to_string(importance.size()) + " importance weights for " +
                     std::to_string(expected) + " values per row"};
    if (const std::size_t bad = firstNonFinite(importance); bad < importance.size())
        return Error{nameOf(type) + ": importance weight " + std::to_string(bad) + " is " +
                     describe(importance[bad])};
    return {};
}

} // namespace

bool canQuantizeGgml(GgmlType type) {
    return encoderFor(type) != nullptr;
}

Result<std::size_t> ggmlEncodedBytes(GgmlType type, std::size_t elements) {
    if (!canQuantizeGgml(type))
        return noEncoder(type);
    const GgmlBlockLayout &layout = ggmlBlockLayout(type);
    if (elements % layout.blockElements != 0)
        return Error{nameOf(type) + ": a row of " + std::to_string(elements) +
                     " values is not a multiple of the block size " + std::to_string(layout.blockElements)};
    return elements / layout.blockElements * layout.blockBytes;
}

Status quantizeGgmlRow(GgmlType type, std::span<const float> row, std::span<std::byte> out,
                       std::span<const float> importance) {
    const Result<std::size_t> bytes = ggmlEncodedBytes(type, row.size());
    if (!bytes)
        return Error{bytes.error()};
    if (out.size() != bytes.value())
        return Error{nameOf(type) + ": " + std::to_string(row.size()) + " values encode to " +
                     std::to_string(bytes.value()) + " bytes, not " + std::to_string(out.size())};
    Status status = checkImportance(type, importance, row.size());
    if (const std::size_t bad = firstNonFinite(row); status && bad < row.size())
        status = Error{nameOf(type) + ": value " + std::to_string(bad) + " is " + describe(row[bad]) +
                       "; ggml's quantizers need finite values"};
    if (!status) {
        std::fill(out.begin(), out.end(), std::byte{0});
        return status;
    }
    encodeRow(*encoderFor(type), row, importance, out);
    return {};
}

Result<std::vector<std::byte>> quantizeGgmlTensor(GgmlType type, std::span<const float> values,
                                                  std::size_t rows, std::size_t cols,
                                                  const RunControl &control,
                                                  std::span<const float> importance) {
    const Result<std::size_t> rowBytes = ggmlEncodedBytes(type, cols);
    if (!rowBytes)
        return Error{rowBytes.error()};
    if (cols != 0 && rows > std::numeric_limits<std::size_t>::max() / std::max(cols, rowBytes.value()))
        return Error{nameOf(type) + ": " + std::to_string(rows) + " rows of " + std::to_string(cols) +
                     " values are too many"};
    if (values.size() != rows * cols)
        return Error{nameOf(type) + ": " + std::to_string(values.size()) + " values are not " +
                     std::to_string(rows) + " rows of " + std::to_string(cols)};
    if (Status status = checkImportance(type, importance, cols); !status)
        return Error{status.error()};
    if (const std::size_t bad = firstNonFinite(values); bad < values.size())
        return Error{nameOf(type) + ": row " + std::to_string(bad / cols) + ", column " +
                     std::to_string(bad % cols) + " is " + describe(values[bad]) +
                     "; ggml's quantizers need finite values"};

    std::vector<std::byte> out(rows * rowBytes.value());
    const EncoderEntry &encoder = *encoderFor(type);
    const std::size_t rowsPerChunk = std::max<std::size_t>(1, kChunkSize / std::max<std::size_t>(cols, 1));
    const bool done =
        parallelChunks(rows, rowsPerChunk, control, [&](std::size_t, std::size_t begin, std::size_t end) {
            for (std::size_t r = begin; r < end; ++r)
                encodeRow(encoder, values.subspan(r * cols, cols), importance,
                          std::span(out).subspan(r * rowBytes.value(), rowBytes.value()));
        });
    if (!done)
        return Error{"cancelled"};
    return out;
}

std::size_t ggmlScaleGroupElements(GgmlType type) {
    const EncoderEntry *encoder = encoderFor(type);
    return encoder ? encoder->scaleGroup : 0;
}

namespace {

// One block's scale fields, read once for all its scale groups.
struct BlockScales {
    GgmlType type;
    float d = 0.0f;
    float dmin = 0.0f;                    // 0 for a type without mins
    const std::uint8_t *scales = nullptr; // nullptr for a type with one scale per block
};

BlockScales blockScales(GgmlType type, const GgmlBlockLayout &layout, const std::uint8_t *block) {
    BlockScales b{type};
    b.d = ggml::loadHalf(block + layout.d);
    if (layout.dmin != kNoGgmlField)
        b.dmin = ggml::loadHalf(block + layout.dmin);
    if (layout.scales != kNoGgmlField)
        b.scales = block + layout.scales;
    return b;
}

// The signed multiplier of scale group g of a block (value = multiplier · level - offset).
float groupMultiplier(const BlockScales &b, int g) {
    if (!b.scales)
        return b.d; // one scale per block
    switch (b.type) {
    case GgmlType::Q2_K:
        return b.d * float(b.scales[g] & 0x0F);
    case GgmlType::Q3_K:
        return b.d * float(ggml::unpackScaleQ3K(b.scales, g));
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
        return b.d * float(ggml::unpackScaleMinK4(b.scales, g).scale);
    default: // Q6_K
        return b.d * float(std::int8_t(b.scales[g]));
    }
}

// The offset of scale group g of a block: value = multiplier · level - offset.
float groupOffset(const BlockScales &b, int g) {
    switch (b.type) {
    case GgmlType::Q4_1:
    case GgmlType::Q5_1:
        return -b.dmin; // value = level · d + m
    case GgmlType::Q2_K:
        return b.dmin * float(b.scales[g] >> 4);
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
        return b.dmin * float(ggml::unpackScaleMinK4(b.scales, g).min);
    default: // no mins
        return 0.0f;
    }
}

// Calls fn(scales, group, index) for every scale group of whole blocks, after checking that
// `groups` entries are exactly what the blocks hold.
template <class Fn>
Status forEachScaleGroup(GgmlType type, std::span<const std::byte> blocks, std::size_t groups, Fn fn) {
    if (!canQuantizeGgml(type))
        return noEncoder(type);
    const GgmlBlockLayout &layout = ggmlBlockLayout(type);
    const std::size_t perBlock = layout.blockElements / ggmlScaleGroupElements(type);
    if (blocks.size() % layout.blockBytes != 0 || groups != blocks.size() / layout.blockBytes * perBlock)
        return Error{nameOf(type) + ": " + std::to_string(blocks.size()) + " bytes of " +
                     std::to_string(layout.blockBytes) + "-byte blocks do not give " +
                     std::to_string(groups) + " scales"};
    const auto *block = reinterpret_cast<const std::uint8_t *>(blocks.data());
    for (std::size_t b = 0; b < blocks.size() / layout.blockBytes; ++b, block += layout.blockBytes) {
        const BlockScales scales = blockScales(type, layout, block);
        for (std::size_t g = 0; g < perBlock; ++g)
            fn(scales, int(g), b * perBlock + g);
    }
    return {};
}

} // namespace

Status ggmlEffectiveScales(GgmlType type, std::span<const std::byte> blocks, std::span<float> out) {
    return forEachScaleGroup(type, blocks, out.size(), [&](const BlockScales &b, int g, std::size_t i) {
        out[i] = std::fabs(groupMultiplier(b, g));
    });
}

GgmlLevelCodes ggmlLevelCodes(GgmlType type) {
    switch (type) {
    case GgmlType::Q4_0:
        return {-8, 7, 8};
    case GgmlType::Q4_1:
    case GgmlType::Q4_K:
        return {0, 15};
    case GgmlType::Q5_0:
        return {-16, 15, 16};
    case GgmlType::Q5_1:
    case GgmlType::Q5_K:
        return {0, 31};
    case GgmlType::Q8_0:
        return {-128, 127};
    case GgmlType::Q2_K:
        return {0, 3};
    case GgmlType::Q3_K:
        return {-4, 3, 4};
    case GgmlType::Q6_K:
        return {-32, 31, 32};
    default:
        return {};
    }
}

Status ggmlGroupGrids(GgmlType type, std::span<const std::byte> blocks, std::span<GgmlGroupGrid> out) {
    return forEachScaleGroup(type, blocks, out.size(), [&](const BlockScales &b, int g, std::size_t i) {
        out[i] = {groupMultiplier(b, g), groupOffset(b, g)};
    });
}

} // namespace qs
