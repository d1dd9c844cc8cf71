#pragma once

#include "quant/schemequant.h"
#include "util/runcontrol.h"

#include <string>
#include <vector>

namespace qs {

/// The schemes the bits-against-error comparison shows for one tensor, one series per family:
/// int per tensor, per channel, in groups of 128 and of 32 at 2 to 8 bits (symmetric, min-max);
/// fp8 e4m3 and e5m2 per tensor; mxfp4, nvfp4, nf4; llama.cpp's block types.
std::vector<QuantSpec> comparisonSchemes();

/// One scheme's outcome on the tensor: its figures, or why it does not apply.
struct ComparisonRow {
    QuantSpec spec;
    double bitsPerWeight = 0.0;
    ValueError error;
    std::string skipped; ///< empty when the scheme applied
};

/// Quantizes values (row-major, shape) with every comparison scheme. Rows run in parallel as
/// control says; each row's figures do not depend on the thread count. Returns the rows in
/// comparisonSchemes() order, or nothing when cancelled. importance as quantizeScheme takes it:
/// the ggml rows that take it quantize with it, the others ignore it.
std::vector<ComparisonRow> compareSchemes(std::span<const float> values,
                                          const std::vector<std::int64_t> &shape,
                                          const RunControl &control = {},
                                          std::span<const float> importance = {});

/// The element bit width a row is listed under: the int bits, 8 for fp8, 4 for the FP4 formats
/// and NF4, the leading digit of a ggml type (q4_k: 4).
int nominalBits(const QuantSpec &spec);

} // namespace qs
