#pragma once

#include "io/dtype.h"
#include "quant/ggmllayout.h"
#include "util/result.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace qs {

/// Decodes `blocks` whole blocks starting at src (little-endian, unaligned) into
/// blocks · blockElements floats at dst.
using GgmlBlockDecoder = void (*)(const std::byte *src, float *dst, std::size_t blocks);

/// How one supported ggml type is stored and decoded. Name and sizes come from the shared
/// layout table (quant/ggmllayout.h), which the encoders use too.
struct GgmlTypeTraits {
    GgmlType type;
    std::string_view name;     ///< ggml's name, e.g. "Q4_K"
    std::size_t blockElements; ///< values per block (1 for plain types, 32 or 256 for block types)
    std::size_t blockBytes;    ///< bytes per block
    /// The plain dtype for non-block types (F32, F16, BF16, F64, I8 ... I64); empty for block types.
    std::optional<DType> plainType;
    GgmlBlockDecoder decode;
};

/// Traits of a ggml type id, or nullptr if the id is unknown or not supported.
const GgmlTypeTraits *ggmlTypeTraits(std::uint32_t typeId);
/// Traits of a supported type.
const GgmlTypeTraits &ggmlTypeTraits(GgmlType type);
/// ggml's name for a type id, including known but unsupported ones (e.g. "IQ2_XXS"); empty if
/// the id is unknown.
std::string_view ggmlTypeName(std::uint32_t typeId);

/// Dequantizes whole blocks of `type` from src into dst, following ggml's dequantize_row_*.
/// Fails (naming the type) unless src holds whole blocks and dst exactly the values they encode.
Status dequantizeGgml(GgmlType type, std::span<const std::byte> src, std::span<float> dst);

} // namespace qs
