#pragma once

#include "io/dtype.h"
#include "util/result.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace qs {

/// One tensor to write: its raw little-endian bytes in the given dtype.
struct TensorBlob {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::vector<std::byte> bytes; ///< must be elementCount * dtypeSize(dtype) bytes
};

/// Encodes float values as dtype (F32, F16, BF16 or F64; rounding to nearest even).
std::vector<std::byte> encodeFloats(std::span<const float> values, DType dtype);

/// Writes a safetensors file atomically (QSaveFile: the old file survives a failed write).
/// The header is padded with spaces to a multiple of 8 bytes so that data is aligned.
Status writeSafetensors(const std::string &path, const std::vector<TensorBlob> &tensors,
                        const std::map<std::string, std::string> &metadata = {});

} // namespace qs
