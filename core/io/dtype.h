#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace qs {

/// Element types of stored tensors. Names follow safetensors ("F32", "BF16", ...) for every
/// format, so that scripts see one vocabulary.
enum class DType { F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, I16, I8, U64, U32, U16, U8, BOOL };

/// The safetensors name of a dtype, e.g. "BF16".
std::string_view dtypeName(DType type);
/// Parses a safetensors dtype name; nullopt for names we do not know.
std::optional<DType> dtypeFromName(std::string_view name);
/// Bytes per element.
std::size_t dtypeSize(DType type);
/// True for the floating-point types (F64 ... F8_E5M2).
bool isFloatingPoint(DType type);

/// Decodes an OCP FP8 E4M3 ("fn") byte: bias 7, no infinities, 0x7F and 0xFF are NaN,
/// largest finite value 448.
float decodeFloat8E4M3(std::uint8_t bits);
/// Decodes an OCP FP8 E5M2 byte: bias 15, IEEE-like with infinities and NaNs, largest finite
/// value 57344.
float decodeFloat8E5M2(std::uint8_t bits);

} // namespace qs
