#include "io/ggmlblocks.h"

#include "io/dtypedecode.h"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <bit>
#include <string>

namespace qs {

namespace {

// Sizes and field offsets come from the layout table the encoders share (ggml-common.h's
// structs); "super-blocks" of the K types hold 256 values.
constexpr const GgmlBlockLayout &kQ4_0 = ggmlBlockLayout(GgmlType::Q4_0);
constexpr const GgmlBlockLayout &kQ4_1 = ggmlBlockLayout(GgmlType::Q4_1);
constexpr const GgmlBlockLayout &kQ5_0 = ggmlBlockLayout(GgmlType::Q5_0);
constexpr const GgmlBlockLayout &kQ5_1 = ggmlBlockLayout(GgmlType::Q5_1);
constexpr const GgmlBlockLayout &kQ8_0 = ggmlBlockLayout(GgmlType::Q8_0);
constexpr const GgmlBlockLayout &kQ2_K = ggmlBlockLayout(GgmlType::Q2_K);
constexpr const GgmlBlockLayout &kQ3_K = ggmlBlockLayout(GgmlType::Q3_K);
constexpr const GgmlBlockLayout &kQ4_K = ggmlBlockLayout(GgmlType::Q4_K);
constexpr const GgmlBlockLayout &kQ5_K = ggmlBlockLayout(GgmlType::Q5_K);
constexpr const GgmlBlockLayout &kQ6_K = ggmlBlockLayout(GgmlType::Q6_K);
constexpr const GgmlBlockLayout &kQ8_K = ggmlBlockLayout(GgmlType::Q8_K);
constexpr const GgmlBlockLayout &kIQ4_NL = ggmlBlockLayout(GgmlType::IQ4_NL);
constexpr const GgmlBlockLayout &kIQ4_XS = ggmlBlockLayout(GgmlType::IQ4_XS);
constexpr const GgmlBlockLayout &kTQ1_0 = ggmlBlockLayout(GgmlType::TQ1_0);
constexpr const GgmlBlockLayout &kTQ2_0 = ggmlBlockLayout(GgmlType::TQ2_0);
constexpr const GgmlBlockLayout &kMXFP4 = ggmlBlockLayout(GgmlType::MXFP4);

// The 16 levels of IQ4_NL and IQ4_XS (ggml-common.h's kvalues_iq4nl): a non-uniform grid
// denser near zero, as int8 so that each value is d · level like ggml computes it.
constexpr std::array<std::int8_t, 16> kIq4Levels{-127, -104, -83, -65, -49, -35, -22, -10,
                                                 1,    13,   25,  38,  53,  69,  89,  113};

// MXFP4's E2M1 values doubled to integers (ggml's kvalues_mxfp4): bit 3 is the sign, the low
// three bits index 0, 0.5, 1, 1.5, 2, 3, 4, 6. The block scale is halved to compensate.
constexpr std::array<std::int8_t, 16> kMxfp4Levels{0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

std::uint8_t byteAt(const std::byte *p, std::size_t i) {
    return std::uint8_t(p[i]);
}

float halfAt(const std::byte *p) {
    return float(loadLittleEndian<Eigen::half>(p));
}

// Q4_0: d (f16), qs[16]; value j is low nibble of qs[j], value j+16 the high nibble, both minus 8.
void decodeQ4_0(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += kQ4_0.blockBytes, dst += kQ4_0.blockElements) {
        const float d = halfAt(src + kQ4_0.d);
        for (std::size_t j = 0; j < 16; ++j) {
            const std::uint8_t q = byteAt(src, kQ4_0.qs + j);
            dst[j] = float((q & 0x0F) - 8) * d;
            dst[j + 16] = float((q >> 4) - 8) * d;
        }
    }
}

// Q4_1: d, m (f16), qs[16]; value = nibble · d + m.
void decodeQ4_1(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += kQ4_1.blockBytes, dst += kQ4_1.blockElements) {
        const float d = halfAt(src + kQ4_1.d);
        const float m = halfAt(src + kQ4_1.dmin);
        for (std::size_t j = 0; j < 16; ++j) {
            const std::uint8_t q = byteAt(src, kQ4_1.qs + j);
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
    for (std::size_t b = 0; b < blocks; ++b, src += kQ5_0.blockBytes, dst += kQ5_0.blockElements) {
        const float d = halfAt(src + kQ5_0.d);
        const auto qh = loadLittleEndian<std::uint32_t>(src + kQ5_0.qh);
        for (std::size_t j = 0; j < 16; ++j) {
            const std::uint8_t q = byteAt(src, kQ5_0.qs + j);
            dst[j] = float(((q & 0x0F) | fifthBit(qh, j)) - 16) * d;
            dst[j + 16] = float(((q >> 4) | fifthBit(qh, j + 16)) - 16) * d;
        }
    }
}

// Q5_1: d, m (f16), qh (u32), qs[16]; value = (nibble | fifth bit · 16) · d + m.
void decodeQ5_1(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += kQ5_1.blockBytes, dst += kQ5_1.blockElements) {
        const float d = halfAt(src + kQ5_1.d);
        const float m = halfAt(src + kQ5_1.dmin);
        const auto qh = loadLittleEndian<std::uint32_t>(src + kQ5_1.qh);
        for (std::size_t j = 0; j < 16; ++j) {
            const std::uint8_t q = byteAt(src, kQ5_1.qs + j);
            dst[j] = float((q & 0x0F) | fifthBit(qh, j)) * d + m;
            dst[j + 16] = float((q >> 4) | fifthBit(qh, j + 16)) * d + m;
        }
    }
}

// Q8_0: d (f16), qs[32] (int8); value = q · d.
void decodeQ8_0(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += kQ8_0.blockBytes, dst += kQ8_0.blockElements) {
        const float d = halfAt(src + kQ8_0.d);
        for (std::size_t j = 0; j < kQ8_0.blockElements; ++j)
            dst[j] = float(std::int8_t(byteAt(src, kQ8_0.qs + j))) * d;
    }
}

// Q2_K: scales[16] (low nibble scale, high nibble min), qs[64] (2-bit), d, dmin (f16).
// Each 128-value half uses 32 qs bytes four times at shifts 0, 2, 4, 6; each pass covers two
// 16-value sub-blocks (qs[l] and qs[l + 16]).
void decodeQ2_K(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += kQ2_K.blockBytes, dst += kQ2_K.blockElements) {
        const float d = halfAt(src + kQ2_K.d);
        const float dmin = halfAt(src + kQ2_K.dmin);
        float *y = dst;
        for (std::size_t half = 0; half < 2; ++half) {
            const std::byte *q = src + kQ2_K.qs + 32 * half;
            for (std::size_t pass = 0; pass < 8; ++pass, y += 16) {
                const std::uint8_t sc = byteAt(src, kQ2_K.scales + 8 * half + pass);
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
    for (std::size_t b = 0; b < blocks; ++b, src += kQ3_K.blockBytes, dst += kQ3_K.blockElements) {
        const float d = halfAt(src + kQ3_K.d);
        const std::byte *hmask = src + kQ3_K.qh;
        float *y = dst;
        for (std::size_t half = 0; half < 2; ++half) {
            const std::byte *q = src + kQ3_K.qs + 32 * half;
            for (std::size_t pass = 0; pass < 8; ++pass, y += 16) {
                const float dl = d * float(q3Scale(src + kQ3_K.scales, 8 * half + pass));
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
    for (std::size_t b = 0; b < blocks; ++b, src += kQ4_K.blockBytes, dst += kQ4_K.blockElements) {
        const float d = halfAt(src + kQ4_K.d);
        const float dmin = halfAt(src + kQ4_K.dmin);
        for (std::size_t g = 0; g < 4; ++g) {
            const ScaleMin lo = kScaleMin(src + kQ4_K.scales, 2 * g);
            const ScaleMin hi = kScaleMin(src + kQ4_K.scales, 2 * g + 1);
            const float d1 = d * lo.scale, m1 = dmin * lo.min;
            const float d2 = d * hi.scale, m2 = dmin * hi.min;
            const std::byte *q = src + kQ4_K.qs + 32 * g;
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
    for (std::size_t b = 0; b < blocks; ++b, src += kQ5_K.blockBytes, dst += kQ5_K.blockElements) {
        const float d = halfAt(src + kQ5_K.d);
        const float dmin = halfAt(src + kQ5_K.dmin);
        const std::byte *qh = src + kQ5_K.qh;
        for (std::size_t g = 0; g < 4; ++g) {
            const ScaleMin lo = kScaleMin(src + kQ5_K.scales, 2 * g);
            const ScaleMin hi = kScaleMin(src + kQ5_K.scales, 2 * g + 1);
            const float d1 = d * lo.scale, m1 = dmin * lo.min;
            const float d2 = d * hi.scale, m2 = dmin * hi.min;
            const std::byte *q = src + kQ5_K.qs + 32 * g;
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
    for (std::size_t b = 0; b < blocks; ++b, src += kQ6_K.blockBytes, dst += kQ6_K.blockElements) {
        const float d = halfAt(src + kQ6_K.d);
        for (std::size_t half = 0; half < 2; ++half) {
            const std::byte *ql = src + kQ6_K.qs + 64 * half;
            const std::byte *qh = src + kQ6_K.qh + 32 * half;
            const std::byte *sc = src + kQ6_K.scales + 8 * half;
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
    for (std::size_t b = 0; b < blocks; ++b, src += kQ8_K.blockBytes, dst += kQ8_K.blockElements) {
        const auto d = loadLittleEndian<float>(src + kQ8_K.d);
        for (std::size_t j = 0; j < kQ8_K.blockElements; ++j)
            dst[j] = d * float(std::int8_t(byteAt(src, kQ8_K.qs + j)));
    }
}

// IQ4_NL: d (f16), qs[16]; as Q4_0's nibble order, value = d · kIq4Levels[nibble].
void decodeIQ4_NL(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += kIQ4_NL.blockBytes, dst += kIQ4_NL.blockElements) {
        const float d = halfAt(src + kIQ4_NL.d);
        for (std::size_t j = 0; j < 16; ++j) {
            const std::uint8_t q = byteAt(src, kIQ4_NL.qs + j);
            dst[j] = d * float(kIq4Levels[q & 0x0F]);
            dst[j + 16] = d * float(kIq4Levels[q >> 4]);
        }
    }
}

// The 6-bit scale of sub-block ib (0..7) of an IQ4_XS block: its low 4 bits are a nibble of
// scales_l[ib / 2], its high 2 bits bits 2·ib of the u16 scales_h; stored with an offset of 32.
int iq4xsScale(const std::byte *scales, std::size_t ib) {
    const auto high = loadLittleEndian<std::uint16_t>(scales);
    const int low = (byteAt(scales, 2 + ib / 2) >> (4 * (ib % 2))) & 0x0F;
    return (low | (((high >> (2 * ib)) & 3) << 4)) - 32;
}

// IQ4_XS: d (f16), scales_h (u16), scales_l[4], qs[128]; eight 32-value sub-blocks, each 16 qs
// bytes in Q4_0's nibble order; value = (d · scale) · kIq4Levels[nibble].
void decodeIQ4_XS(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += kIQ4_XS.blockBytes, dst += kIQ4_XS.blockElements) {
        const float d = halfAt(src + kIQ4_XS.d);
        for (std::size_t ib = 0; ib < 8; ++ib) {
            const float dl = d * float(iq4xsScale(src + kIQ4_XS.scales, ib));
            const std::byte *q = src + kIQ4_XS.qs + 16 * ib;
            float *y = dst + 32 * ib;
            for (std::size_t j = 0; j < 16; ++j) {
                y[j] = dl * float(kIq4Levels[byteAt(q, j) & 0x0F]);
                y[j + 16] = dl * float(kIq4Levels[byteAt(q, j) >> 4]);
            }
        }
    }
}

// Trit n (0 = most significant) of a byte holding up to five base-3 digits as a fixed-point
// fraction of 256 (what TQ1_0 stores): multiplying by 3^n (mod 256) shifts trit n to the top,
// and the top trit of q is (q · 3) >> 8. Returns -1, 0 or 1.
int tritAt(std::uint8_t packed, int n) {
    static constexpr std::array<std::uint8_t, 5> kPow3{1, 3, 9, 27, 81};
    const auto q = std::uint8_t(packed * kPow3[std::size_t(n)]);
    return ((int(q) * 3) >> 8) - 1;
}

// TQ1_0: qs[48] (5 trits a byte), qh[4] (4 trits a byte), d (f16); value = trit · d. The first
// 32 qs bytes give 5 runs of 32 values (trit n of every byte, n = 0..4), the next 16 bytes 5 runs
// of 16, and qh 4 runs of 4: 160 + 80 + 16 = 256.
void decodeTQ1_0(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += kTQ1_0.blockBytes, dst += kTQ1_0.blockElements) {
        const float d = halfAt(src + kTQ1_0.d);
        float *y = dst;
        const auto runs = [&](const std::byte *bytes, std::size_t count, int trits) {
            for (int n = 0; n < trits; ++n) {
                for (std::size_t m = 0; m < count; ++m)
                    *y++ = float(tritAt(byteAt(bytes, m), n)) * d;
            }
        };
        runs(src + kTQ1_0.qs, 32, 5);
        runs(src + kTQ1_0.qs + 32, 16, 5);
        runs(src + kTQ1_0.qh, 4, 4);
    }
}

// TQ2_0: qs[64] (2-bit trits stored as 0, 1, 2), d (f16); each 32-byte half gives 4 runs of 32
// values at shifts 0, 2, 4, 6; value = (q - 1) · d.
void decodeTQ2_0(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += kTQ2_0.blockBytes, dst += kTQ2_0.blockElements) {
        const float d = halfAt(src + kTQ2_0.d);
        float *y = dst;
        for (std::size_t half = 0; half < 2; ++half) {
            const std::byte *q = src + kTQ2_0.qs + 32 * half;
            for (std::size_t shift = 0; shift < 8; shift += 2) {
                for (std::size_t m = 0; m < 32; ++m)
                    *y++ = float(((byteAt(q, m) >> shift) & 3) - 1) * d;
            }
        }
    }
}

// Half the value of an E8M0 scale byte e, 2^(e - 128), built from its float32 bits as ggml's
// GGML_E8M0_TO_FP32_HALF does: e = 0 and 1 are the subnormals 2^-128 and 2^-127, every other e
// the normal with exponent field e - 1. e = 255 gives 2^127, not NaN.
float e8m0Half(std::uint8_t e) {
    const std::uint32_t bits = e < 2 ? std::uint32_t(0x00200000u) << e : std::uint32_t(e - 1) << 23;
    return std::bit_cast<float>(bits);
}

// MXFP4: e (E8M0), qs[16]; Q4_0's nibble order, value = kMxfp4Levels[nibble] · 2^(e - 128).
void decodeMXFP4(const std::byte *src, float *dst, std::size_t blocks) {
    for (std::size_t b = 0; b < blocks; ++b, src += kMXFP4.blockBytes, dst += kMXFP4.blockElements) {
        const float d = e8m0Half(byteAt(src, kMXFP4.d));
        for (std::size_t j = 0; j < 16; ++j) {
            const std::uint8_t q = byteAt(src, kMXFP4.qs + j);
            dst[j] = float(kMxfp4Levels[q & 0x0F]) * d;
            dst[j + 16] = float(kMxfp4Levels[q >> 4]) * d;
        }
    }
}

// Name and sizes from the layout table; the decoder and, for plain types, the dtype here.
constexpr GgmlTypeTraits traitsOf(GgmlType type, std::optional<DType> plainType, GgmlBlockDecoder decode) {
    const GgmlBlockLayout &layout = ggmlBlockLayout(type);
    return {type, layout.name, layout.blockElements, layout.blockBytes, plainType, decode};
}

constexpr std::array<GgmlTypeTraits, 24> kTypes{{
    traitsOf(GgmlType::F32, DType::F32, &decodeLittleEndian<float>),
    traitsOf(GgmlType::F16, DType::F16, &decodeLittleEndian<Eigen::half>),
    traitsOf(GgmlType::BF16, DType::BF16, &decodeLittleEndian<Eigen::bfloat16>),
    traitsOf(GgmlType::F64, DType::F64, &decodeLittleEndian<double>),
    traitsOf(GgmlType::I8, DType::I8, &decodeLittleEndian<std::int8_t>),
    traitsOf(GgmlType::I16, DType::I16, &decodeLittleEndian<std::int16_t>),
    traitsOf(GgmlType::I32, DType::I32, &decodeLittleEndian<std::int32_t>),
    traitsOf(GgmlType::I64, DType::I64, &decodeLittleEndian<std::int64_t>),
    traitsOf(GgmlType::Q4_0, std::nullopt, &decodeQ4_0),
    traitsOf(GgmlType::Q4_1, std::nullopt, &decodeQ4_1),
    traitsOf(GgmlType::Q5_0, std::nullopt, &decodeQ5_0),
    traitsOf(GgmlType::Q5_1, std::nullopt, &decodeQ5_1),
    traitsOf(GgmlType::Q8_0, std::nullopt, &decodeQ8_0),
    traitsOf(GgmlType::Q2_K, std::nullopt, &decodeQ2_K),
    traitsOf(GgmlType::Q3_K, std::nullopt, &decodeQ3_K),
    traitsOf(GgmlType::Q4_K, std::nullopt, &decodeQ4_K),
    traitsOf(GgmlType::Q5_K, std::nullopt, &decodeQ5_K),
    traitsOf(GgmlType::Q6_K, std::nullopt, &decodeQ6_K),
    traitsOf(GgmlType::Q8_K, std::nullopt, &decodeQ8_K),
    traitsOf(GgmlType::IQ4_NL, std::nullopt, &decodeIQ4_NL),
    traitsOf(GgmlType::IQ4_XS, std::nullopt, &decodeIQ4_XS),
    traitsOf(GgmlType::TQ1_0, std::nullopt, &decodeTQ1_0),
    traitsOf(GgmlType::TQ2_0, std::nullopt, &decodeTQ2_0),
    traitsOf(GgmlType::MXFP4, std::nullopt, &decodeMXFP4),
}};

struct KnownName {
    std::uint32_t id;
    std::string_view name;
};

// Types ggml defines that we recognise by name but cannot decode.
constexpr std::array<KnownName, 8> kUnsupported{{
    {9, "Q8_1"},
    {16, "IQ2_XXS"},
    {17, "IQ2_XS"},
    {18, "IQ3_XXS"},
    {19, "IQ1_S"},
    {21, "IQ3_S"},
    {22, "IQ2_S"},
    {29, "IQ1_M"},
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
