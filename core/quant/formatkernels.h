#pragma once

// Which element kernel a NumberFormat runs: shared by the whole-tensor and the chunked scheme
// passes.

#include "quant/ggmllayout.h"
#include "quant/halffloat.h"
#include "quant/minifloat.h"
#include "quant/numberformat.h"

#include <cmath>

namespace qs {

/// The FP8 element format of fp8_e4m3 / fp8_e5m2 (E4M3 for anything else).
inline MiniFloat miniFloatOf(NumberFormat format) {
    return format == NumberFormat::Fp8E5M2 ? MiniFloat::E5M2 : MiniFloat::E4M3;
}

/// The 16-bit type of the casts f16 / bf16 (BF16 for anything else).
inline HalfFormat halfFormatOf(NumberFormat format) {
    return format == NumberFormat::F16 ? HalfFormat::F16 : HalfFormat::BF16;
}

/// A cast's clip range: ± the largest float32 below its overflow threshold, so that the values
/// outside it are exactly those a real cast makes ±infinity (F16: |x| ≥ 65520).
inline double castClipLimit(NumberFormat format) {
    return double(std::nextafter(halfFormatInfo(halfFormatOf(format)).overflowThreshold, 0.0f));
}

/// The ggml block type of q8_0 … q6_k (Q6_K for anything else).
inline GgmlType ggmlTypeOf(NumberFormat format) {
    switch (format) {
    case NumberFormat::Q8_0:
        return GgmlType::Q8_0;
    case NumberFormat::Q4_0:
        return GgmlType::Q4_0;
    case NumberFormat::Q4_1:
        return GgmlType::Q4_1;
    case NumberFormat::Q5_0:
        return GgmlType::Q5_0;
    case NumberFormat::Q5_1:
        return GgmlType::Q5_1;
    case NumberFormat::Q2_K:
        return GgmlType::Q2_K;
    case NumberFormat::Q3_K:
        return GgmlType::Q3_K;
    case NumberFormat::Q4_K:
        return GgmlType::Q4_K;
    case NumberFormat::Q5_K:
        return GgmlType::Q5_K;
    default:
        return GgmlType::Q6_K;
    }
}

} // namespace qs
