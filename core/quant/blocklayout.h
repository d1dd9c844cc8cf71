#pragma once

#include "util/result.h"

#include <cstddef>
#include <span>
#include <string_view>

namespace qs {

/// Largest |x| over the finite values of x (NaN and ±Inf are skipped); 0 if there are none.
/// Block-scaled formats take their scales from this, so a stray Inf never turns a whole block
/// into NaN.
float finiteAbsMax(std::span<const float> x);

/// Checks that `in` holds a row-major [rows, cols] tensor, that `out` has the same size, and that
/// each row splits into whole blocks of blockSize values. blockKind names the blocks in the error
/// ("block", "group"), e.g. "row length 100 is not a multiple of the block size 32"; the caller
/// adds the tensor's name. A tensor without values (rows or cols 0) always passes.
Status checkRowBlocks(std::size_t inSize, std::size_t outSize, std::size_t rows, std::size_t cols,
                      std::size_t blockSize, std::string_view blockKind);

/// What a block whose scale is 0 dequantizes to: out[i] = NaN where in[i] is NaN, else 0.
/// in and out must have the same size.
void fillZeroKeepingNan(std::span<const float> in, std::span<float> out);

} // namespace qs
