#pragma once

#include "io/dtype.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace qs {

/// What a checkpoint says about one tensor, without its data.
struct TensorInfo {
    std::string name; ///< full dotted name, e.g. "model.layers.0.self_attn.q_proj.weight"
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape; ///< as users know it (row-major, outermost first); {} is a scalar
    std::uint64_t byteOffset = 0;    ///< absolute offset of the first byte in the file
    std::uint64_t byteSize = 0;      ///< bytes of stored data
    /// The stored type when it is not a plain dtype, e.g. ggml's "Q4_K" for a GGUF block type;
    /// empty otherwise. dtype is then the type the values decode to (F32).
    std::string storageType;
    /// Index of the file holding the data, for checkpoints made of several files (shards).
    std::size_t fileIndex = 0;

    /// The type name shown to users and scripts: storageType if set, else dtypeName(dtype).
    std::string typeName() const { return storageType.empty() ? std::string(dtypeName(dtype)) : storageType; }
    /// Stored bits per value (byteSize · 8 / elementCount); 0 for an empty tensor.
    double bitsPerWeight() const {
        const std::int64_t n = elementCount();
        return n > 0 ? double(byteSize) * 8.0 / double(n) : 0.0;
    }

    /// Product of the shape (1 for a scalar). Readers guarantee it does not overflow.
    std::int64_t elementCount() const {
        std::int64_t n = 1;
        for (std::int64_t d : shape)
            n *= d;
        return n;
    }
};

} // namespace qs
