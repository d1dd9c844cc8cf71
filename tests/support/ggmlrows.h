// Rows and blocks of llama.cpp's types for the encoder tests (tst_ggmlencode, tst_ggmlscales):
// the types with an encoder, a row encoded by quantizeGgmlRow and decoded by dequantizeGgml,
// Gaussian rows, and an f16 field written into a block.
#pragma once

#include "io/ggmlblocks.h"
#include "quant/ggmlencode.h"
#include "quant/ggmllayout.h"

#include <QtGlobal>

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace qs::test::ggmlrows {

using Bytes = std::vector<std::uint8_t>;

constexpr GgmlType kEncodable[] = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                                   GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K,
                                   GgmlType::Q5_K, GgmlType::Q6_K};

inline const char *nameOf(GgmlType type) {
    return ggmlBlockLayout(type).name.data();
}

inline Bytes encode(GgmlType type, const std::vector<float> &row, const std::vector<float> &importance = {}) {
    const Result<std::size_t> size = ggmlEncodedBytes(type, row.size());
    if (!size)
        qFatal("%s", size.error().c_str());
    Bytes out(size.value(), 0xAA);
    const Status status = quantizeGgmlRow(type, row, std::as_writable_bytes(std::span(out)), importance);
    if (!status)
        qWarning("%s", status.error().c_str());
    return out;
}

inline std::vector<float> decode(GgmlType type, const Bytes &bytes) {
    const GgmlBlockLayout &layout = ggmlBlockLayout(type);
    std::vector<float> values(bytes.size() / layout.blockBytes * layout.blockElements);
    const Status status = dequantizeGgml(type, std::as_bytes(std::span(bytes)), values);
    if (!status)
        qWarning("%s", status.error().c_str());
    return values;
}

inline void putHalf(Bytes &block, std::size_t at, std::uint16_t bits) {
    block[at] = std::uint8_t(bits & 0xFF);
    block[at + 1] = std::uint8_t(bits >> 8);
}

inline std::vector<float> gaussianRow(std::mt19937 &rng, std::size_t n, float sigma = 1.0f) {
    std::normal_distribution<float> normal(0.0f, sigma);
    std::vector<float> row(n);
    for (float &v : row)
        v = normal(rng);
    return row;
}

} // namespace qs::test::ggmlrows
