#pragma once

#include "io/floattensor.h"
#include "quant/quantspec.h"
#include "quant/schemequant.h"
#include "quant/valueerror.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace qs {

/// A scheme's parameters and its error figures on one tensor.
struct SchemeMeasurement {
    /// The parameters as quantizeScheme gives them; dequantized is left empty (x̂ goes to the
    /// caller's span when one is given).
    SchemeQuantization quantization;
    ValueError error;
    /// clippedFraction(values, shape, spec, quantization) when MeasureExtras asked for it (nullopt
    /// where that is nullopt: block and codebook formats).
    std::optional<double> clippedFraction;
};

/// More work on measureScheme's read of the values, so that a stored tensor is read, and decoded,
/// once (the whole-model sweep).
struct MeasureExtras {
    /// Count the values outside their group's clip range in the same pass.
    bool clippedFraction = false;
    /// Without a caller's span for x̂: keep x̂ in the result's quantization.dequantized, held
    /// once (the chunks write into it; a whole-tensor path hands over its own).
    bool keepDequantized = false;
    /// Called once with the number of chunks, then `chunk` once per chunk, on the chunk's thread,
    /// with its number (in value order) and its values as float32. The chunks are the pass's
    /// own: whole rows, tiles or blocks of about kChunkSize values; where the scheme quantizes
    /// the tensor whole, chunks of kChunkSize of the decoded values. `start` may come again (a
    /// chunk's failure sends the pass down the whole-tensor path): the chunks then start over.
    std::function<void(std::size_t chunks)> start;
    std::function<void(std::size_t chunk, std::span<const float> values)> chunk;
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
                                        std::span<const float> importance = {},
                                        const MeasureExtras &extras = {});
/// The same over a tensor: a stored BF16, F16 or FP8 tensor is decoded a chunk at a time, never
/// into a float32 copy, except where the scheme quantizes the tensor whole (a method other than
/// minmax, channels along an axis other than 0), which decodes it once. Equal to
/// measureScheme(tensor.values(), ...).
Result<SchemeMeasurement> measureScheme(const FloatTensor &tensor, const std::vector<std::int64_t> &shape,
                                        const QuantSpec &spec, const RunControl &control = {},
                                        std::span<float> dequantized = {},
                                        std::span<const float> importance = {},
                                        const MeasureExtras &extras = {});

} // namespace qs
