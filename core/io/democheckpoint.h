#pragma once

#include "util/result.h"

#include <cstdint>
#include <string>

namespace qs {

/// Writes the demo checkpoint: a small transformer-like model (token embedding, a few decoder
/// layers with attention and MLP projections carrying a few outlier channels, RMS-norm weights
/// near 1, a final norm) in a mix of F32, BF16 and F16, deterministic for a given seed.
/// Written atomically as safetensors.
Status writeDemoCheckpoint(const std::string &path, std::uint32_t seed = 20261126);

} // namespace qs
