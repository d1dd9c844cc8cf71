#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace qs {

/// The number formats a tensor can be quantized to, as `--format` names them.
enum class NumberFormat {
    Int,
    Fp8E4M3,
    Fp8E5M2,
    MxFp4,
    MxFp8,
    NvFp4,
    Nf4,
    Q8_0,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
    F16,
    BF16,
};

/// What kind of grid a format has, which decides how its parameters are found.
enum class FormatFamily {
    Integer,      ///< uniform integer levels, scale and zero point (PyTorch's observers)
    Minifloat,    ///< FP8 elements under a scale per tensor, channel or group
    Microscaling, ///< a shared scale per fixed block along each row (MX, NVFP4)
    Codebook,     ///< a lookup table of levels per fixed block (NF4)
    GgmlBlock,    ///< llama.cpp's block types, encoded as its reference quantizer does
    Cast,         ///< a cast to a 16-bit float type (F16, BF16): no scale, round to nearest even
};

/// The fixed facts of one format.
struct FormatTraits {
    NumberFormat format;
    std::string_view name; ///< as --format takes it, e.g. "q4_k"
    FormatFamily family;
    /// Values per block for formats that carry their own grouping (32 for MX and ggml's small
    /// types, 16 for NVFP4, 64 for NF4, 256 for ggml's K types); 0 when the granularity is free.
    std::int64_t fixedBlock;
    /// True if the block runs along each row (a row length must be a multiple of it); false
    /// for NF4, whose blocks run over the flattened tensor.
    bool blockAlongRows;
    /// True if the bit width and symmetric / asymmetric apply (int only).
    bool takesBits;
    /// Bits per weight including the parameters, for formats where it is fixed (0 for int and
    /// FP8, whose overhead depends on the granularity).
    double fixedBitsPerWeight;
};

/// True if granularity and a clip ratio do not apply: the format carries its own blocks, or it is
/// a cast, which has no scale at all.
inline bool ownsGrouping(const FormatTraits &traits) {
    return traits.fixedBlock > 0 || traits.family == FormatFamily::Cast;
}

/// Every format, in the order the CLI and GUI list them.
std::span<const FormatTraits> numberFormats();
const FormatTraits &formatTraits(NumberFormat format);
/// The format --format names (exactly, lower case), or nullopt.
std::optional<NumberFormat> formatFromName(std::string_view name);

} // namespace qs
