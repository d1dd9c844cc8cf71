#pragma once

#include "quant/ggmllayout.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <cstddef>
#include <span>
#include <vector>

namespace qs {

// Encoders for llama.cpp's block types that reproduce, byte for byte, llama.cpp's quantizers
// in ggml-quants.c: quantize_row_<type>_ref (the path llama-quantize takes without an importance
// matrix) and, given importance weights, quantize_row_<type>_impl. Blocks are laid out as
// quant/ggmllayout.h says and decode with dequantizeGgml (io/ggmlblocks.h).
//
// Non-finite input: ggml asserts on it (and llama-quantize rejects the result); here the call
// fails, naming the first NaN or infinite value, and writes zero blocks (which decode to 0).
// Finite input of any size has a defined result; scales that overflow f16 become infinite, as
// in ggml.

/// True for the types with an encoder: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.
bool canQuantizeGgml(GgmlType type);

/// The bytes `elements` values of `type` encode to. Fails for a type without an encoder, or when
/// elements is not a multiple of the block size (32, or 256 for the K types), naming both.
Result<std::size_t> ggmlEncodedBytes(GgmlType type, std::size_t elements);

/// Encodes one row of values into out, block after block, as llama.cpp's quantize_<type> does
/// for one row (ggml's n_per_row = row.size()): without importance, quantize_row_<type>_ref,
/// the path llama-quantize takes without an importance matrix; with it, quantize_row_<type>_impl
/// (Q8_0 ignores it, as ggml does). `importance` is llama.cpp's quant_weights: one non-negative
/// weight per value of the row, e.g. an imatrix column's mean squared activation.
/// out must hold exactly ggmlEncodedBytes(type, row.size()) bytes.
/// Fails on a wrong size, a type without an encoder, or a non-finite value or weight (out is then
/// zeroed when its size is right).
Status quantizeGgmlRow(GgmlType type, std::span<const float> row, std::span<std::byte> out,
                       std::span<const float> importance = {});

/// Encodes a row-major [rows, cols] tensor (rows along the last dimension, as ggml stores them)
/// into rows · ggmlEncodedBytes(type, cols) bytes. Rows are encoded in parallel as `control`
/// says; the bytes do not depend on the thread count. values.size() must be rows · cols.
/// `importance` as for quantizeGgmlRow: one weight per column, the same for every row (as
/// llama-quantize applies an imatrix). Fails like quantizeGgmlRow
/// (naming the row and column of a non-finite value), or with "cancelled".
Result<std::vector<std::byte>> quantizeGgmlTensor(GgmlType type, std::span<const float> values,
                                                  std::size_t rows, std::size_t cols,
                                                  const RunControl &control = {},
                                                  std::span<const float> importance = {});

/// Values that share one scale, for ggmlEffectiveScales: 32 for Q4_0 ... Q8_0, Q4_K and Q5_K;
/// 16 for Q2_K, Q3_K and Q6_K; 0 for a type without an encoder.
std::size_t ggmlScaleGroupElements(GgmlType type);

/// The effective scale of every scale group of whole blocks, for display: the spacing between
/// adjacent levels, |d| for Q4_0 ... Q8_0 and |d · sc| of each sub-block for the K types
/// (sc: Q2_K's 4-bit scale, Q3_K's 6-bit scale less 32, Q4_K / Q5_K's 6-bit scale, Q6_K's int8
/// scale). Mins (Q4_1, Q5_1, Q2_K, Q4_K, Q5_K) are not included. out must hold
/// blocks · blockElements / ggmlScaleGroupElements(type) floats.
Status ggmlEffectiveScales(GgmlType type, std::span<const std::byte> blocks, std::span<float> out);

/// The codes k of a scale group's levels, for ggmlGroupGrids: -8 ... 7 for Q4_0, 0 ... 15 for
/// Q4_1 and Q4_K, -16 ... 15 for Q5_0, 0 ... 31 for Q5_1 and Q5_K, -128 ... 127 for Q8_0,
/// 0 ... 3 for Q2_K, -4 ... 3 for Q3_K, -32 ... 31 for Q6_K; empty (lowest > highest) for a type
/// without an encoder. The block stores k + bias: Q4_0's nibble k + 8, Q5_0's 5 bits k + 16,
/// Q3_K's 3 bits k + 4, Q6_K's 6 bits k + 32, k itself for the others (Q8_0's int8).
struct GgmlLevelCodes {
    int lowest = 0;
    int highest = -1;
    int bias = 0;
};
GgmlLevelCodes ggmlLevelCodes(GgmlType type);

/// One scale group's levels: level(k) = step · float(k) - offset in float, for the codes k of
/// ggmlLevelCodes, which is the expression dequantizeGgml evaluates, so every value it decodes
/// from the group is one of the levels, to the bit. step is signed (Q4_0's and Q5_0's d, and
/// Q3_K's and Q6_K's sub-block scales, may be negative); offset is dmin · m for Q2_K, Q4_K and
/// Q5_K, -m for Q4_1 and Q5_1, 0 for the others.
struct GgmlGroupGrid {
    float step = 0.0f;
    float offset = 0.0f;
};

/// The grid of every scale group of whole blocks, in the order of ggmlEffectiveScales; out must
/// hold as many entries as ggmlEffectiveScales' out.
Status ggmlGroupGrids(GgmlType type, std::span<const std::byte> blocks, std::span<GgmlGroupGrid> out);

} // namespace qs
