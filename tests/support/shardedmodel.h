#pragma once

// A sharded safetensors model (model.safetensors.index.json beside its shards) written tensor by
// tensor straight to disk, so that a model of several GiB costs the writer only a few MiB: either
// sparse (headers and a few pages of values per tensor, the rest holes) or dense with cheap
// weight-like values. Shared by the bounded-memory test and the sweep benchmark.

#include "io/dtype.h"
#include "io/safetensorswriter.h"

#include <QDir>
#include <QFile>
#include <QString>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace qs::testsupport {

struct ModelTensor {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0; ///< data_offsets within the shard's data
    std::uint64_t end = 0;

    std::uint64_t elements() const {
        std::uint64_t n = 1;
        for (const std::int64_t d : shape)
            n *= std::uint64_t(d);
        return n;
    }
    std::uint64_t bytes() const { return elements() * dtypeSize(dtype); }
};

struct ModelShard {
    std::string fileName;
    std::vector<ModelTensor> tensors;
};

// A Llama-like layer: attention and MLP projections and a norm, of the given types.
inline std::vector<ModelTensor> llamaLayer(int layer, std::int64_t hidden, std::int64_t kv, std::int64_t mlp,
                                           DType attention, DType feedForward) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    return {{p + "input_layernorm.weight", DType::F32, {hidden}},
            {p + "self_attn.q_proj.weight", attention, {hidden, hidden}},
            {p + "self_attn.k_proj.weight", attention, {kv, hidden}},
            {p + "self_attn.v_proj.weight", attention, {kv, hidden}},
            {p + "self_attn.o_proj.weight", attention, {hidden, hidden}},
            {p + "mlp.gate_proj.weight", feedForward, {mlp, hidden}},
            {p + "mlp.up_proj.weight", feedForward, {mlp, hidden}},
            {p + "mlp.down_proj.weight", feedForward, {hidden, mlp}}};
}

// Splits tensors, in order, into shards of about equal bytes and sets their data offsets.
inline std::vector<ModelShard> layoutShards(const std::vector<ModelTensor> &tensors, int shardCount) {
    std::uint64_t total = 0;
    for (const ModelTensor &t : tensors)
        total += t.bytes();
    const std::uint64_t perShard = total / std::uint64_t(std::max(shardCount, 1)) + 1;
    std::vector<ModelShard> shards;
    std::uint64_t offset = 0;
    for (const ModelTensor &t : tensors) {
        if (shards.empty() || (offset >= perShard && int(shards.size()) < shardCount)) {
            shards.emplace_back();
            offset = 0;
        }
        ModelTensor placed = t;
        placed.begin = offset;
        offset += t.bytes();
        placed.end = offset;
        shards.back().tensors.push_back(std::move(placed));
    }
    for (std::size_t s = 0; s < shards.size(); ++s) {
        char name[64];
        std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", s + 1, shards.size());
        shards[s].fileName = name;
    }
    return shards;
}

// The 8-byte header length and the JSON header, padded so the data starts 8-byte aligned.
inline std::string shardPrefix(const ModelShard &shard) {
    std::string json = R"({"__metadata__":{"format":"pt"})";
    for (const ModelTensor &t : shard.tensors) {
        std::string shape;
        for (const std::int64_t d : t.shape)
            shape += (shape.empty() ? "" : ",") + std::to_string(d);
        json += ",\"" + t.name + "\":{\"dtype\":\"" + std::string(dtypeName(t.dtype)) + "\",\"shape\":[" +
                shape + "],\"data_offsets\":[" + std::to_string(t.begin) + "," + std::to_string(t.end) + "]}";
    }
    json += "}";
    json.append((8 - json.size() % 8) % 8, ' ');
    std::string prefix(8, '\0');
    for (int i = 0; i < 8; ++i)
        prefix[std::size_t(i)] = char((json.size() >> (8 * i)) & 0xFF);
    return prefix + json;
}

// Weight-like values without a slow generator: the sum of four 16-bit uniforms (close to normal)
// scaled to a std of about 0.02, with an outlier every few thousand values.
class CheapWeights {
public:
    explicit CheapWeights(std::uint64_t seed)
        : m_state(seed * 0x9E3779B97F4A7C15ull + 1) {}
    void fill(std::span<float> out) {
        for (float &v : out) {
            m_state ^= m_state << 13;
            m_state ^= m_state >> 7;
            m_state ^= m_state << 17;
            const std::uint64_t s = m_state;
            const int sum =
                int(s & 0xFFFF) + int((s >> 16) & 0xFFFF) + int((s >> 32) & 0xFFFF) + int(s >> 48);
            v = float(sum - 2 * 65535) * (0.02f / 37837.0f); // std of the sum is 65536 / sqrt(3)
            if ((s >> 52) == 0)                              // about 1 in 4096
                v *= 12.0f;
        }
    }

private:
    std::uint64_t m_state;
};

enum class Fill {
    Sparse, ///< a page of values at each tensor's start, middle and end; holes elsewhere
    Dense,  ///< every value
};

inline bool writeAt(QFile &file, std::uint64_t offset, const std::vector<std::byte> &bytes) {
    return file.seek(qint64(offset)) && file.write(reinterpret_cast<const char *>(bytes.data()),
                                                   qint64(bytes.size())) == qint64(bytes.size());
}

// Writes values of t from element first on, in pieces of at most 1 Mi values (4 MiB of floats).
inline bool writeValues(QFile &file, std::uint64_t dataStart, const ModelTensor &t, std::uint64_t first,
                        std::uint64_t count, CheapWeights &rng) {
    std::vector<float> values;
    for (std::uint64_t done = 0; done < count;) {
        values.resize(std::size_t(std::min<std::uint64_t>(count - done, std::uint64_t(1) << 20)));
        rng.fill(values);
        const std::uint64_t at = dataStart + t.begin + (first + done) * dtypeSize(t.dtype);
        if (!writeAt(file, at, encodeFloats(values, t.dtype)))
            return false;
        done += values.size();
    }
    return true;
}

inline bool writeTensor(QFile &file, std::uint64_t dataStart, const ModelTensor &t, Fill fill,
                        CheapWeights &rng) {
    const std::uint64_t n = t.elements();
    if (fill == Fill::Dense)
        return writeValues(file, dataStart, t, 0, n, rng);
    const std::uint64_t page = std::min<std::uint64_t>(n, 4096 / dtypeSize(t.dtype));
    for (const std::uint64_t first : {std::uint64_t(0), (n - page) / 2, n - page})
        if (!writeValues(file, dataStart, t, first, page, rng))
            return false;
    return true;
}

// Writes the shards and the index into directory; the error says which file failed.
inline std::string writeShardedModel(const QDir &directory, const std::vector<ModelShard> &shards, Fill fill,
                                     std::uint64_t seed = 1) {
    CheapWeights rng(seed);
    std::string weightMap;
    std::uint64_t totalSize = 0;
    for (const ModelShard &shard : shards) {
        QFile file(directory.filePath(QString::fromStdString(shard.fileName)));
        const std::string prefix = shardPrefix(shard);
        if (!file.open(QIODevice::WriteOnly) ||
            file.write(prefix.data(), qint64(prefix.size())) != qint64(prefix.size()))
            return "cannot write " + shard.fileName;
        for (const ModelTensor &t : shard.tensors) {
            if (!writeTensor(file, prefix.size(), t, fill, rng))
                return "cannot write " + shard.fileName + ": " + file.errorString().toStdString();
            weightMap +=
                std::string(weightMap.empty() ? "" : ",") + "\"" + t.name + "\":\"" + shard.fileName + "\"";
        }
        const std::uint64_t size = prefix.size() + shard.tensors.back().end;
        if (!file.resize(qint64(size))) // the rest of a sparse shard stays a hole
            return "cannot size " + shard.fileName;
        totalSize += size;
    }
    QFile index(directory.filePath(QStringLiteral("model.safetensors.index.json")));
    const std::string text = R"({"metadata":{"total_size":)" + std::to_string(totalSize) +
                             R"(},"weight_map":{)" + weightMap + "}}";
    if (!index.open(QIODevice::WriteOnly) ||
        index.write(text.data(), qint64(text.size())) != qint64(text.size()))
        return "cannot write the index";
    return {};
}

} // namespace qs::testsupport
