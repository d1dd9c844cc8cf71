#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace qs {

/// ggml tensor type ids as stored in GGUF tensor infos (the values of ggml.h's ggml_type).
enum class GgmlType : std::uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ4_NL = 20,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
};

/// Marks a field a block type does not have.
inline constexpr std::size_t kNoGgmlField = std::size_t(-1);

/// How one ggml type lays out a block, as ggml-common.h's block structs do (little-endian,
/// packed, no padding). Plain types (F32, F16, I8, ...) are one-value "blocks" with no fields.
/// Offsets are bytes from the start of the block; kNoGgmlField where the type lacks the field.
/// IQ4_XS's 6 scale bytes are the u16 scales_h then scales_l[4]; TQ1_0's qh[4] holds its last
/// 16 trits, four a byte.
struct GgmlBlockLayout {
    GgmlType type;
    std::string_view name;     ///< ggml's name, e.g. "Q4_K"
    std::size_t blockElements; ///< values per block: 1, 32 or 256 (the K, IQ4_XS and TQ super-blocks)
    std::size_t blockBytes;    ///< bytes per block
    std::size_t d;             ///< the block scale: f16; f32 for Q8_K; an E8M0 byte for MXFP4
    std::size_t dmin;          ///< f16 min: m of Q4_1/Q5_1, dmin of Q2_K/Q4_K/Q5_K
    std::size_t scales;        ///< packed sub-block scales: Q2_K/Q6_K 16, Q3_K/Q4_K/Q5_K 12, IQ4_XS 6
    std::size_t qh;            ///< high bits: u32 of Q5_0/Q5_1, qh[32] Q5_K, qh[64] Q6_K, hmask[32] Q3_K
    std::size_t qs;            ///< low bits (ql of Q6_K), int8 values of Q8_0/Q8_K, codes of the others
    std::size_t bsums;         ///< Q8_K's int16 sums of 16 values (dot products only)
};

namespace ggmldetail {

constexpr std::size_t kNo = kNoGgmlField;

constexpr GgmlBlockLayout plain(GgmlType type, std::string_view name, std::size_t bytes) {
    return {type, name, 1, bytes, kNo, kNo, kNo, kNo, kNo, kNo};
}

// clang-format off
inline constexpr std::array<GgmlBlockLayout, 24> kLayouts{{
    plain(GgmlType::F32, "F32", 4),
    plain(GgmlType::F16, "F16", 2),
    plain(GgmlType::BF16, "BF16", 2),
    plain(GgmlType::F64, "F64", 8),
    plain(GgmlType::I8, "I8", 1),
    plain(GgmlType::I16, "I16", 2),
    plain(GgmlType::I32, "I32", 4),
    plain(GgmlType::I64, "I64", 8),
    // type          name     elems bytes d    dmin scales qh   qs   bsums
    {GgmlType::Q4_0, "Q4_0",  32,  18,    0,   kNo, kNo,   kNo, 2,   kNo},
    {GgmlType::Q4_1, "Q4_1",  32,  20,    0,   2,   kNo,   kNo, 4,   kNo},
    {GgmlType::Q5_0, "Q5_0",  32,  22,    0,   kNo, kNo,   2,   6,   kNo},
    {GgmlType::Q5_1, "Q5_1",  32,  24,    0,   2,   kNo,   4,   8,   kNo},
    {GgmlType::Q8_0, "Q8_0",  32,  34,    0,   kNo, kNo,   kNo, 2,   kNo},
    {GgmlType::Q2_K, "Q2_K",  256, 84,    80,  82,  0,     kNo, 16,  kNo},
    {GgmlType::Q3_K, "Q3_K",  256, 110,   108, kNo, 96,    0,   32,  kNo},
    {GgmlType::Q4_K, "Q4_K",  256, 144,   0,   2,   4,     kNo, 16,  kNo},
    {GgmlType::Q5_K, "Q5_K",  256, 176,   0,   2,   4,     16,  48,  kNo},
    {GgmlType::Q6_K, "Q6_K",  256, 210,   208, kNo, 192,   128, 0,   kNo},
    {GgmlType::Q8_K, "Q8_K",  256, 292,   0,   kNo, kNo,   kNo, 4,   260},
    {GgmlType::IQ4_NL, "IQ4_NL", 32, 18,  0,   kNo, kNo,   kNo, 2,   kNo},
    {GgmlType::IQ4_XS, "IQ4_XS", 256, 136, 0,  kNo, 2,     kNo, 8,   kNo},
    {GgmlType::TQ1_0, "TQ1_0", 256, 54,   52,  kNo, kNo,   48,  0,   kNo},
    {GgmlType::TQ2_0, "TQ2_0", 256, 66,   64,  kNo, kNo,   kNo, 0,   kNo},
    {GgmlType::MXFP4, "MXFP4", 32,  17,   0,   kNo, kNo,   kNo, 1,   kNo},
}};
// clang-format on

} // namespace ggmldetail

/// The layout of a ggml type id, or nullptr if the id is unknown or not supported.
constexpr const GgmlBlockLayout *ggmlBlockLayout(std::uint32_t typeId) {
    for (const GgmlBlockLayout &layout : ggmldetail::kLayouts) {
        if (std::uint32_t(layout.type) == typeId)
            return &layout;
    }
    return nullptr;
}

/// The layout of a type; every GgmlType enumerator has one.
constexpr const GgmlBlockLayout &ggmlBlockLayout(GgmlType type) {
    return *ggmlBlockLayout(std::uint32_t(type));
}

/// Bits per weight of a type, scales and mins included: 8·blockBytes / blockElements. These
/// are ggml's own figures, e.g. Q8_0 8.5, Q4_0 4.5, Q2_K 2.625, Q3_K 3.4375, Q6_K 6.5625.
constexpr double ggmlBitsPerWeight(GgmlType type) {
    const GgmlBlockLayout &layout = ggmlBlockLayout(type);
    return 8.0 * double(layout.blockBytes) / double(layout.blockElements);
}

/// True for the types whose blocks hold more than one value (Q4_0 ... Q8_K, IQ4_NL, IQ4_XS,
/// TQ1_0, TQ2_0, MXFP4).
constexpr bool isGgmlBlockType(GgmlType type) {
    return ggmlBlockLayout(type).blockElements > 1;
}

// Each block type's last field ends the block (ggml-common.h's static_asserts on sizeof).
static_assert(ggmlBlockLayout(GgmlType::Q4_0).qs + 16 == ggmlBlockLayout(GgmlType::Q4_0).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::Q4_1).qs + 16 == ggmlBlockLayout(GgmlType::Q4_1).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::Q5_0).qs + 16 == ggmlBlockLayout(GgmlType::Q5_0).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::Q5_1).qs + 16 == ggmlBlockLayout(GgmlType::Q5_1).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::Q8_0).qs + 32 == ggmlBlockLayout(GgmlType::Q8_0).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::Q2_K).dmin + 2 == ggmlBlockLayout(GgmlType::Q2_K).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::Q3_K).d + 2 == ggmlBlockLayout(GgmlType::Q3_K).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::Q4_K).qs + 128 == ggmlBlockLayout(GgmlType::Q4_K).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::Q5_K).qs + 128 == ggmlBlockLayout(GgmlType::Q5_K).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::Q6_K).d + 2 == ggmlBlockLayout(GgmlType::Q6_K).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::Q8_K).bsums + 32 == ggmlBlockLayout(GgmlType::Q8_K).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::IQ4_NL).qs + 16 == ggmlBlockLayout(GgmlType::IQ4_NL).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::IQ4_XS).qs + 128 == ggmlBlockLayout(GgmlType::IQ4_XS).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::TQ1_0).d + 2 == ggmlBlockLayout(GgmlType::TQ1_0).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::TQ2_0).d + 2 == ggmlBlockLayout(GgmlType::TQ2_0).blockBytes);
static_assert(ggmlBlockLayout(GgmlType::MXFP4).qs + 16 == ggmlBlockLayout(GgmlType::MXFP4).blockBytes);

} // namespace qs
