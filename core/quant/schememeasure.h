#pragma once

#include "io/floattensor.h"
#include "quant/quantspec.h"
#include "quant/schemequant.h"
#include "quant/valueerror.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <span>
#include <vector>

namespace qs {

/// A scheme's parameters and its error figures on one tensor.
struct SchemeMeasurement {
    /// The parameters as quantizeScheme gives them; dequantized is left empty (x̂ goes to the
    /// caller's span when one is given).
    SchemeQuantization quantization;
    ValueError error;
};

/// Quantizes values (row-major, shape) with spec and measures x̂ against x, chunk by chunk on
/// control's threads, without holding a whole x̂: whole rows at a time (whole tiles for 2-D
/// blocks, whole 64-value blocks for NF4), each chunk's x̂ in a small buffer. The parameters and
/// x̂ are quantizeScheme's, bit for bit; the figures are compareValues' sums taken per chunk and
/// added in chunk order, so they do not depend on the thread count. If dequantized holds
/// values.size() floats, x̂ is also written there. importance as quantizeScheme takes it: the
/// parameters and x̂ are then quantizeScheme's with the same weights. Fails as quantizeScheme
/// does, or with "cancelled".
Result<SchemeMeasurement> measureScheme(std::span<const float> values, const std::vector<std::int64_t> &shape,
                                        const QuantSpec &spec, const RunControl &control = {},
                                        std::span<float> dequantized = {},
                                        std::span<const float> importance = {});
/// The same over a tensor: a stored BF16, F16 or FP8 tensor is decoded a chunk at a time, never
/// into a float32 copy, except where the scheme quantizes the tensor whole (a method other than
/// minmax, channels along an axis other than 0), which decodes it once. Equal to
/// measureScheme(tensor.values(), ...).
Result<SchemeMeasurement> measureScheme(const FloatTensor &tensor, const std::vector<std::int64_t> &shape,
                                        const QuantSpec &spec, const RunControl &control = {},
                                        std::span<float> dequantized = {},
                                        std::span<const float> importance = {});

} // namespace qs
