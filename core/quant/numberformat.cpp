#include "quant/numberformat.h"

#include <array>

namespace qs {

namespace {

using F = NumberFormat;
using Family = FormatFamily;

// Casts store 16 bits per value and nothing else. ggml's bits per weight are its block bytes × 8 / block
// values (ggml-common.h layouts).
constexpr std::array<FormatTraits, 19> kFormats = {{
    {F::Int, "int", Family::Integer, 0, true, true, 0.0},
    {F::F16, "f16", Family::Cast, 0, true, false, 16.0},
    {F::BF16, "bf16", Family::Cast, 0, true, false, 16.0},
    {F::Fp8E4M3, "fp8_e4m3", Family::Minifloat, 0, true, false, 0.0},
    {F::Fp8E5M2, "fp8_e5m2", Family::Minifloat, 0, true, false, 0.0},
    {F::MxFp4, "mxfp4", Family::Microscaling, 32, true, false, 4.25},
    {F::MxFp8, "mxfp8", Family::Microscaling, 32, true, false, 8.25},
    {F::NvFp4, "nvfp4", Family::Microscaling, 16, true, false, 4.5},
    {F::Nf4, "nf4", Family::Codebook, 64, false, false, 4.5},
    {F::Q8_0, "q8_0", Family::GgmlBlock, 32, true, false, 8.5},
    {F::Q4_0, "q4_0", Family::GgmlBlock, 32, true, false, 4.5},
    {F::Q4_1, "q4_1", Family::GgmlBlock, 32, true, false, 5.0},
    {F::Q5_0, "q5_0", Family::GgmlBlock, 32, true, false, 5.5},
    {F::Q5_1, "q5_1", Family::GgmlBlock, 32, true, false, 6.0},
    {F::Q2_K, "q2_k", Family::GgmlBlock, 256, true, false, 2.625},
    {F::Q3_K, "q3_k", Family::GgmlBlock, 256, true, false, 3.4375},
    {F::Q4_K, "q4_k", Family::GgmlBlock, 256, true, false, 4.5},
    {F::Q5_K, "q5_k", Family::GgmlBlock, 256, true, false, 5.5},
    {F::Q6_K, "q6_k", Family::GgmlBlock, 256, true, false, 6.5625},
}};

} // namespace

std::span<const FormatTraits> numberFormats() {
    return kFormats;
}

const FormatTraits &formatTraits(NumberFormat format) {
    for (const FormatTraits &traits : kFormats)
        if (traits.format == format)
            return traits;
    return kFormats.front();
}

std::optional<NumberFormat> formatFromName(std::string_view name) {
    for (const FormatTraits &traits : kFormats)
        if (traits.name == name)
            return traits.format;
    return std::nullopt;
}

} // namespace qs
