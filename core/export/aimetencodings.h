#pragma once

#include "export/exporter.h"

namespace qs {

/// AIMET's encodings file, version 1.0.0 (`--to aimet`): "param_encodings" lists one entry per
/// planned tensor, {name, dtype "INT", enc_type PER_TENSOR | PER_CHANNEL | PER_BLOCK, bw, is_sym,
/// scale [...], offset [...], block_size when per block}; "activation_encodings" is empty. The name
/// is the tensor's (AIMET names a parameter by its module path). Scales and offsets come from
/// quantizing each planned tensor, one at a time: per channel along axis 0, per block row-major over
/// [rows, blocks per row]. An offset is AIMET's: the zero point on the unsigned grid [0, 2^b − 1],
/// negated (symmetric b-bit: −2^(b−1); asymmetric: −z). Int only, 4 to 16 bits; everything else is
/// refused by cannotExpress with the reason.
const Exporter &aimetEncodingsExporter();

/// The same in AIMET's older version 0.6.1 (`--to aimet-0.6.1`): "param_encodings" maps each name to
/// a list of {bitwidth, dtype "int", is_symmetric "True" | "False", max, min, offset, scale}, one
/// per channel (one for per tensor), where min = offset · scale and max = (2^b − 1 + offset) · scale.
/// 0.6.1 has no per-block form: groups and blocks are refused.
const Exporter &aimetLegacyEncodingsExporter();

} // namespace qs
