#include "io/dtypedecode.h"

#include <Eigen/Core>

#include <cstdint>

namespace qs {

namespace {

void decodeBool(const std::byte *src, float *dst, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
        dst[i] = src[i] != std::byte{0} ? 1.0f : 0.0f;
}

template <float (*decodeByte)(std::uint8_t)>
void decodeFloat8(const std::byte *src, float *dst, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
        dst[i] = decodeByte(std::uint8_t(src[i]));
}

} // namespace

DecodeFn littleEndianDecoder(DType dtype) {
    switch (dtype) {
    case DType::F64:
        return &decodeLittleEndian<double>;
    case DType::F32:
        return &decodeLittleEndian<float>;
    case DType::F16:
        return &decodeLittleEndian<Eigen::half>;
    case DType::BF16:
        return &decodeLittleEndian<Eigen::bfloat16>;
    case DType::F8_E4M3:
        return &decodeFloat8<&decodeFloat8E4M3>;
    case DType::F8_E5M2:
        return &decodeFloat8<&decodeFloat8E5M2>;
    case DType::I64:
        return &decodeLittleEndian<std::int64_t>;
    case DType::I32:
        return &decodeLittleEndian<std::int32_t>;
    case DType::I16:
        return &decodeLittleEndian<std::int16_t>;
    case DType::I8:
        return &decodeLittleEndian<std::int8_t>;
    case DType::U64:
        return &decodeLittleEndian<std::uint64_t>;
    case DType::U32:
        return &decodeLittleEndian<std::uint32_t>;
    case DType::U16:
        return &decodeLittleEndian<std::uint16_t>;
    case DType::U8:
        return &decodeLittleEndian<std::uint8_t>;
    case DType::BOOL:
        return &decodeBool;
    }
    return &decodeBool;
}

} // namespace qs
