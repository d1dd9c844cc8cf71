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

// The signed multiplier of scale group g of one block (value = multiplier · level - min).
float groupMultiplier(GgmlType type, const std::uint8_t *block, int g) {
    const GgmlBlockLayout &layout = ggmlBlockLayout(type);
    const float d = ggml::loadHalf(block + layout.d);
    if (layout.scales == kNoGgmlField)
        return d; // one scale per block
    const std::uint8_t *sc = block + layout.scales;
    switch (type) {
    case GgmlType::Q2_K:
        return d * float(sc[g] & 0x0F);
    case GgmlType::Q3_K:
        return d * float(ggml::unpackScaleQ3K(sc, g));
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
        return d * float(ggml::unpackScaleMinK4(sc, g).scale);
    default: // Q6_K
        return d * float(std::int8_t(sc[g]));
    }
}

// The offset of scale group g of one block: value = multiplier · level - offset.
float groupOffset(GgmlType type, const std::uint8_t *block, int g) {
    const GgmlBlockLayout &layout = ggmlBlockLayout(type);
    if (layout.dmin == kNoGgmlField)
        return 0.0f;
    const float dmin = ggml::loadHalf(block + layout.dmin);
    switch (type) {
    case GgmlType::Q4_1:
    case GgmlType::Q5_1:
        return -dmin; // value = level · d + m
    case GgmlType::Q2_K:
        return dmin * float(block[layout.scales + std::size_t(g)] >> 4);
    default: // Q4_K, Q5_K
        return dmin * float(ggml::unpackScaleMinK4(block + layout.scales, g).min);
    }
}

// Calls fn(block, group, index) for every scale group of whole blocks, after checking that
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
        for (std::size_t g = 0; g < perBlock; ++g)
            fn(block, int(g), b * perBlock + g);
    }
    return {};
}

} // namespace

Status ggmlEffectiveScales(GgmlType type, std::span<const std::byte> blocks, std::span<float> out) {
    return forEachScaleGroup(type, blocks, out.size(), [&](const std::uint8_t *block, int g, std::size_t i) {
        out[i] = std::fabs(groupMultiplier(type, block, g));
    });
}

GgmlLevelCodes ggmlLevelCodes(GgmlType type) {
    switch (type) {
    case GgmlType::Q4_0:
        return {-8, 7};
    case GgmlType::Q4_1:
    case GgmlType::Q4_K:
        return {0, 15};
    case GgmlType::Q5_0:
        return {-16, 15};
    case GgmlType::Q5_1:
    case GgmlType::Q5_K:
        return {0, 31};
    case GgmlType::Q8_0:
        return {-128, 127};
    case GgmlType::Q2_K:
        return {0, 3};
    case GgmlType::Q3_K:
        return {-4, 3};
    case GgmlType::Q6_K:
        return {-32, 31};
    default:
        return {};
    }
}

Status ggmlGroupGrids(GgmlType type, std::span<const std::byte> blocks, std::span<GgmlGroupGrid> out) {
    return forEachScaleGroup(type, blocks, out.size(), [&](const std::uint8_t *block, int g, std::size_t i) {
        out[i] = {groupMultiplier(type, block, g), groupOffset(type, block, g)};
    });
}

} // namespace qs
