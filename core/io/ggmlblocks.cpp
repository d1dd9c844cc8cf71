#include "io/ggmlblocks.h"

#include "io/dtypedecode.h"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <string>

namespace qs {

namespace {

// Block sizes and byte layouts follow ggml-common.h; "super-blocks" of the K types hold 256 values.
constexpr std::size_t kQK = 32;
constexpr std::size_t kQKK = 256;

std::uint8_t byteAt(const std::byte *p, std::size_t i) {
    return std::uint8_t(p[i]);
}

float halfAt(const std::byte *p) {
    return float(loadLittleEndian<Eigen::half>(p));
}

// Q4_0: d (f16), qs[16]; value j is low nibble of qs[j], value j+16 the high nibble, both minus 8.
void decodeQ4_0(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 18, dst += kQK) {
        const float d = halfAt(src);
        for (std::size_t j = 0; j < 16; ++j) {
            const std::uint8_t q = byteAt(src, 2 + j);
            dst[j] = float((q & 0x0F) - 8) * d;
            dst[j + 16] = float((q >> 4) - 8) * d;
        }
    }
}

// Q4_1: d, m (f16), qs[16]; value = nibble · d + m.
void decodeQ4_1(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 20, dst += kQK) {
        const float d = halfAt(src);
        const float m = halfAt(src + 2);
        for (std::size_t j = 0; j < 16; ++j) {
            const std::uint8_t q = byteAt(src, 4 + j);
            dst[j] = float(q & 0x0F) * d + m;
            dst[j + 16] = float(q >> 4) * d + m;
        }
    }
}

// The fifth bit of value j (j < 32) of a Q5 block, taken from the 32-bit qh, at bit 4.
int fifthBit(std::uint32_t qh, std::size_t j) {
    return int((qh >> j) & 1u) << 4;
}

// Q5_0: d (f16), qh (u32), qs[16]; value = (nibble | fifth bit · 16) - 16, times d.
void decodeQ5_0(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 22, dst += kQK) {
        const float d = halfAt(src);
        const auto qh = loadLittleEndian<std::uint32_t>(src + 2);
        for (std::size_t j = 0; j < 16; ++j) {
            const std::uint8_t q = byteAt(src, 6 + j);
            dst[j] = float(((q & 0x0F) | fifthBit(qh, j)) - 16) * d;
            dst[j + 16] = float(((q >> 4) | fifthBit(qh, j + 16)) - 16) * d;
        }
    }
}

// Q5_1: d, m (f16), qh (u32), qs[16]; value = (nibble | fifth bit · 16) · d + m.
void decodeQ5_1(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 24, dst += kQK) {
        const float d = halfAt(src);
        const float m = halfAt(src + 2);
        const auto qh = loadLittleEndian<std::uint32_t>(src + 4);
        for (std::size_t j = 0; j < 16; ++j) {
            const std::uint8_t q = byteAt(src, 8 + j);
            dst[j] = float((q & 0x0F) | fifthBit(qh, j)) * d + m;
            dst[j + 16] = float((q >> 4) | fifthBit(qh, j + 16)) * d + m;
        }
    }
}

// Q8_0: d (f16), qs[32] (int8); value = q · d.
void decodeQ8_0(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 34, dst += kQK) {
        const float d = halfAt(src);
        for (std::size_t j = 0; j < kQK; ++j)
            dst[j] = float(std::int8_t(byteAt(src, 2 + j))) * d;
    }
}

// Q2_K: scales[16] (low nibble scale, high nibble min), qs[64] (2-bit), d, dmin (f16).
// Each 128-value half uses 32 qs bytes four times at shifts 0, 2, 4, 6; each pass covers two
// 16-value sub-blocks (qs[l] and qs[l + 16]).
void decodeQ2_K(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 84, dst += kQKK) {
        const float d = halfAt(src + 80);
        const float dmin = halfAt(src + 82);
        float *y = dst;
        for (std::size_t half = 0; half < 2; ++half) {
            const std::byte *q = src + 16 + 32 * half;
            for (std::size_t pass = 0; pass < 8; ++pass, y += 16) {
                const std::uint8_t sc = byteAt(src, 8 * half + pass);
                const float dl = d * float(sc & 0x0F);
                const float ml = dmin * float(sc >> 4);
                const std::size_t shift = 2 * (pass / 2);
                const std::size_t first = 16 * (pass % 2);
                for (std::size_t l = 0; l < 16; ++l)
                    y[l] = dl * float((byteAt(q, first + l) >> shift) & 3) - ml;
            }
        }
    }
}

// The 6-bit scale i (0..15) of a Q3_K block: low 4 bits from a nibble of bytes 0..7, high 2 bits
// from bytes 8..11; stored with an offset of 32.
int q3Scale(const std::byte *scales, std::size_t i) {
    const int low = i < 8 ? byteAt(scales, i) & 0x0F : byteAt(scales, i - 8) >> 4;
    const int high = (byteAt(scales, 8 + i % 4) >> (2 * (i / 4))) & 3;
    return (low | (high << 4)) - 32;
}

// Q3_K: hmask[32] (high bits), qs[64] (low 2 bits), scales[12] (6-bit), d (f16). A value's
// 3-bit quant is its 2 low bits minus 4 when its hmask bit is clear.
void decodeQ3_K(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 110, dst += kQKK) {
        const float d = halfAt(src + 108);
        const std::byte *hmask = src;
        float *y = dst;
        for (std::size_t half = 0; half < 2; ++half) {
            const std::byte *q = src + 32 + 32 * half;
            for (std::size_t pass = 0; pass < 8; ++pass, y += 16) {
                const float dl = d * float(q3Scale(src + 96, 8 * half + pass));
                const std::size_t shift = 2 * (pass / 2);
                const std::size_t first = 16 * (pass % 2);
                const std::uint8_t bit = std::uint8_t(1u << (4 * half + pass / 2));
                for (std::size_t l = 0; l < 16; ++l) {
                    const int low = (byteAt(q, first + l) >> shift) & 3;
                    const int quant = low - ((byteAt(hmask, first + l) & bit) ? 0 : 4);
                    y[l] = dl * float(quant);
                }
            }
        }
    }
}

struct ScaleMin {
    float scale;
    float min;
};

// Scale and min j (0..7) of the 12 packed 6-bit bytes of Q4_K and Q5_K (get_scale_min_k4).
ScaleMin kScaleMin(const std::byte *q, std::size_t j) {
    if (j < 4)
        return {float(byteAt(q, j) & 63), float(byteAt(q, j + 4) & 63)};
    return {float((byteAt(q, j + 4) & 0x0F) | ((byteAt(q, j - 4) >> 6) << 4)),
            float((byteAt(q, j + 4) >> 4) | ((byteAt(q, j) >> 6) << 4))};
}

// Q4_K: d, dmin (f16), scales[12], qs[128]; four 64-value groups, each 32 qs bytes giving the
// low nibbles (sub-block 2g) then the high nibbles (sub-block 2g + 1); value = d·sc·q - dmin·m.
void decodeQ4_K(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 144, dst += kQKK) {
        const float d = halfAt(src);
        const float dmin = halfAt(src + 2);
        for (std::size_t g = 0; g < 4; ++g) {
            const ScaleMin lo = kScaleMin(src + 4, 2 * g);
            const ScaleMin hi = kScaleMin(src + 4, 2 * g + 1);
            const float d1 = d * lo.scale, m1 = dmin * lo.min;
            const float d2 = d * hi.scale, m2 = dmin * hi.min;
            const std::byte *q = src + 16 + 32 * g;
            for (std::size_t l = 0; l < 32; ++l) {
                dst[64 * g + l] = d1 * float(byteAt(q, l) & 0x0F) - m1;
                dst[64 * g + 32 + l] = d2 * float(byteAt(q, l) >> 4) - m2;
            }
        }
    }
}

// Q5_K: as Q4_K plus qh[32]; bit 2g of qh[l] adds 16 to low-nibble value l of group g, bit
// 2g + 1 to its high-nibble value.
void decodeQ5_K(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 176, dst += kQKK) {
        const float d = halfAt(src);
        const float dmin = halfAt(src + 2);
        const std::byte *qh = src + 16;
        for (std::size_t g = 0; g < 4; ++g) {
            const ScaleMin lo = kScaleMin(src + 4, 2 * g);
            const ScaleMin hi = kScaleMin(src + 4, 2 * g + 1);
            const float d1 = d * lo.scale, m1 = dmin * lo.min;
            const float d2 = d * hi.scale, m2 = dmin * hi.min;
            const std::byte *q = src + 48 + 32 * g;
            for (std::size_t l = 0; l < 32; ++l) {
                const int high1 = (byteAt(qh, l) >> (2 * g)) & 1;
                const int high2 = (byteAt(qh, l) >> (2 * g + 1)) & 1;
                dst[64 * g + l] = d1 * float((byteAt(q, l) & 0x0F) + 16 * high1) - m1;
                dst[64 * g + 32 + l] = d2 * float((byteAt(q, l) >> 4) + 16 * high2) - m2;
            }
        }
    }
}

// Q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8), d (f16). Each 128-value
// half uses 64 ql and 32 qh bytes; value = d · scale · (6-bit quant - 32).
void decodeQ6_K(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 210, dst += kQKK) {
        const float d = halfAt(src + 208);
        for (std::size_t half = 0; half < 2; ++half) {
            const std::byte *ql = src + 64 * half;
            const std::byte *qh = src + 128 + 32 * half;
            const std::byte *sc = src + 192 + 8 * half;
            float *y = dst + 128 * half;
            for (std::size_t l = 0; l < 32; ++l) {
                const std::size_t is = l / 16;
                const int h = byteAt(qh, l);
                const int q1 = ((byteAt(ql, l) & 0x0F) | ((h & 3) << 4)) - 32;
                const int q2 = ((byteAt(ql, l + 32) & 0x0F) | (((h >> 2) & 3) << 4)) - 32;
                const int q3 = ((byteAt(ql, l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                const int q4 = ((byteAt(ql, l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                y[l] = d * float(std::int8_t(byteAt(sc, is))) * float(q1);
                y[l + 32] = d * float(std::int8_t(byteAt(sc, is + 2))) * float(q2);
                y[l + 64] = d * float(std::int8_t(byteAt(sc, is + 4))) * float(q3);
                y[l + 96] = d * float(std::int8_t(byteAt(sc, is + 6))) * float(q4);
            }
        }
    }
}

// Q8_K: d (f32), qs[256] (int8), bsums[16] (int16, only used by dot products); value = d · q.
void decodeQ8_K(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += 292, dst += kQKK) {
        const auto d = loadLittleEndian<float>(src);
        for (std::size_t j = 0; j < kQKK; ++j)
            dst[j] = d * float(std::int8_t(byteAt(src, 4 + j)));
    }
}

constexpr std::array<GgmlTypeTraits, 19> kTypes{{
    {GgmlType::F32, "F32", 1, 4, DType::F32, &decodeLittleEndian<float>},
    {GgmlType::F16, "F16", 1, 2, DType::F16, &decodeLittleEndian<Eigen::half>},
    {GgmlType::BF16, "BF16", 1, 2, DType::BF16, &decodeLittleEndian<Eigen::bfloat16>},
    {GgmlType::F64, "F64", 1, 8, DType::F64, &decodeLittleEndian<double>},
    {GgmlType::I8, "I8", 1, 1, DType::I8, &decodeLittleEndian<std::int8_t>},
    {GgmlType::I16, "I16", 1, 2, DType::I16, &decodeLittleEndian<std::int16_t>},
    {GgmlType::I32, "I32", 1, 4, DType::I32, &decodeLittleEndian<std::int32_t>},
    {GgmlType::I64, "I64", 1, 8, DType::I64, &decodeLittleEndian<std::int64_t>},
    {GgmlType::Q4_0, "Q4_0", kQK, 18, std::nullopt, &decodeQ4_0},
    {GgmlType::Q4_1, "Q4_1", kQK, 20, std::nullopt, &decodeQ4_1},
    {GgmlType::Q5_0, "Q5_0", kQK, 22, std::nullopt, &decodeQ5_0},
    {GgmlType::Q5_1, "Q5_1", kQK, 24, std::nullopt, &decodeQ5_1},
    {GgmlType::Q8_0, "Q8_0", kQK, 34, std::nullopt, &decodeQ8_0},
    {GgmlType::Q2_K, "Q2_K", kQKK, 84, std::nullopt, &decodeQ2_K},
    {GgmlType::Q3_K, "Q3_K", kQKK, 110, std::nullopt, &decodeQ3_K},
    {GgmlType::Q4_K, "Q4_K", kQKK, 144, std::nullopt, &decodeQ4_K},
    {GgmlType::Q5_K, "Q5_K", kQKK, 176, std::nullopt, &decodeQ5_K},
    {GgmlType::Q6_K, "Q6_K", kQKK, 210, std::nullopt, &decodeQ6_K},
    {GgmlType::Q8_K, "Q8_K", kQKK, 292, std::nullopt, &decodeQ8_K},
}};

struct KnownName {
    std::uint32_t id;
    std::string_view name;
};

// Types ggml defines that we recognise by name but cannot decode.
constexpr std::array<KnownName, 12> kUnsupported{{
    {9, "Q8_1"},
    {16, "IQ2_XXS"},
    {17, "IQ2_XS"},
    {18, "IQ3_XXS"},
    {19, "IQ1_S"},
    {20, "IQ4_NL"},
    {21, "IQ3_S"},
    {22, "IQ2_S"},
    {23, "IQ4_XS"},
    {29, "IQ1_M"},
    {34, "TQ1_0"},
    {35, "TQ2_0"},
}};

} // namespace

const GgmlTypeTraits *ggmlTypeTraits(std::uint32_t typeId) {
    for (const GgmlTypeTraits &traits : kTypes) {
        if (std::uint32_t(traits.type) == typeId)
            return &traits;
    }
    return nullptr;
}

const GgmlTypeTraits &ggmlTypeTraits(GgmlType type) {
    const GgmlTypeTraits *traits = ggmlTypeTraits(std::uint32_t(type));
    return traits ? *traits : kTypes[0]; // every enumerator has an entry
}

std::string_view ggmlTypeName(std::uint32_t typeId) {
    if (const GgmlTypeTraits *traits = ggmlTypeTraits(typeId))
        return traits->name;
    for (const KnownName &known : kUnsupported) {
        if (known.id == typeId)
            return known.name;
    }
    return {};
}

Status dequantizeGgml(GgmlType type, std::span<const std::byte> src, std::span<float> dst) {
    const GgmlTypeTraits &traits = ggmlTypeTraits(type);
    if (src.size() % traits.blockBytes != 0)
        return Error{std::string(traits.name) + ": " + std::to_string(src.size()) +
                     " bytes are not a whole number of " + std::to_string(traits.blockBytes) +
                     "-byte blocks"};
    const std::size_t blocks = src.size() / traits.blockBytes;
    if (dst.size() != blocks * traits.blockElements)
        return Error{std::string(traits.name) + ": " + std::to_string(blocks) + " blocks decode to " +
                     std::to_string(blocks * traits.blockElements) + " values, not " +
                     std::to_string(dst.size())};
    traits.decode(src.data(), dst.data(), blocks);
    return {};
}

} // namespace qs
