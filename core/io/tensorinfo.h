#pragma once

#include "io/dtype.h"

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

    /// Product of the shape (1 for a scalar). Readers guarantee it does not overflow.
    std::int64_t elementCount() const {
        std::int64_t n = 1;
        for (std::int64_t d : shape)
            n *= d;
        return n;
    }
};

} // namespace qs
