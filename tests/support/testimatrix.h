// Writes llama.cpp importance matrices in both forms, from the layouts the issue gives, for tests
// that load them through the CLI or the window. The weights are chosen by the caller and stored so
// that they load back exactly (scaled by powers of two).
#pragma once

#include "testgguf.h"

#include <QByteArray>
#include <QList>

#include <cstdint>
#include <vector>

namespace qs::test {

// One entry: its name and `rows` rows of weights (the experts' rows back to back).
struct ImatrixEntry {
    QByteArray name;
    std::vector<float> weights;
    int rows = 1;
};

// imatrix.dat: int32 entry count; per entry int32 name length, name, int32 ncall, int32 nval and
// nval float32 values (each weight · ncall, which llama-quantize divides by ncall again); then the
// trailer: int32 chunk count, int32 length, dataset name.
inline QByteArray imatrixDat(const QList<ImatrixEntry> &entries, int chunks = 10,
                             const QByteArray &dataset = "wiki.train.raw") {
    constexpr qint32 kNcall = 4;
    QByteArray out = GgufBuilder::le32(quint32(entries.size()));
    for (const ImatrixEntry &entry : entries) {
        std::vector<float> values;
        for (float w : entry.weights)
            values.push_back(w * float(kNcall));
        out += GgufBuilder::le32(quint32(entry.name.size())) + entry.name + GgufBuilder::le32(kNcall) +
               GgufBuilder::le32(quint32(values.size())) + GgufBuilder::floats(values);
    }
    return out + GgufBuilder::le32(quint32(chunks)) + GgufBuilder::le32(quint32(dataset.size())) + dataset;
}

// The GGUF form as llama-imatrix writes it: general.type = imatrix, and per entry
// <name>.in_sum2 (ne {columns, rows}: each weight · count) and <name>.counts (one per row).
inline QByteArray imatrixGgufFile(const QList<ImatrixEntry> &entries, int chunks = 10,
                                  const QByteArray &dataset = "wiki.train.raw") {
    constexpr float kCount = 8.0f;
    GgufBuilder builder;
    builder.string("general.type", "imatrix")
        .strings("imatrix.datasets", {dataset})
        .u32("imatrix.chunk_count", quint32(chunks))
        .u32("imatrix.chunk_size", 512);
    for (const ImatrixEntry &entry : entries) {
        std::vector<float> sums;
        for (float w : entry.weights)
            sums.push_back(w * kCount);
        const auto columns = quint64(entry.weights.size() / std::size_t(entry.rows));
        const std::vector<quint64> dims = entry.rows == 1
                                              ? std::vector<quint64>{columns}
                                              : std::vector<quint64>{columns, quint64(entry.rows)};
        builder.f32(entry.name + ".in_sum2", dims, sums)
            .f32(entry.name + ".counts",
                 entry.rows == 1 ? std::vector<quint64>{1} : std::vector<quint64>{1, quint64(entry.rows)},
                 std::vector<float>(std::size_t(entry.rows), kCount));
    }
    return builder.build();
}

} // namespace qs::test
