#pragma once

// The check every reader's chunked load gets: loadChunked gives loadFloat's values, read whole
// and a value at a time, and stays encoded (not float32 in memory) exactly when it should.

#include "io/checkpointreader.h"

#include <QString>

#include <cstring>
#include <vector>

namespace qs::test {

/// Empty when tensor `index` of reader loads chunked as described; otherwise what differs.
inline QString chunkedLoadMismatch(const CheckpointReader &reader, std::size_t index, bool encoded) {
    const auto whole = reader.loadFloat(index);
    const auto chunked = reader.loadChunked(index);
    if (!whole || !chunked)
        return QStringLiteral("load failed");
    if (chunked.value()->isFloat32() == encoded)
        return encoded ? QStringLiteral("decoded at load") : QStringLiteral("left encoded");
    const auto expected = whole.value()->values();
    std::vector<float> scratch(expected.size());
    const float *read = chunked.value()->readValues(0, scratch.size(), scratch.data());
    if (!expected.empty() && std::memcmp(read, expected.data(), expected.size_bytes()) != 0)
        return QStringLiteral("values differ from loadFloat's");
    for (std::size_t i = 0; i < expected.size(); ++i)
        if (std::memcmp(chunked.value()->readValues(i, 1, scratch.data()), &expected[i], sizeof(float)) != 0)
            return QStringLiteral("value %1 read alone differs").arg(i);
    return {};
}

} // namespace qs::test
