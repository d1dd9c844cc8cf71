#pragma once

#include "export/exporter.h"
#include "io/safetensorsstream.h"

#include <QJsonObject>

#include <cstdint>

namespace qs {

/// `--to compressed-tensors` (quantize): a folder with model.safetensors, in the tensor layout
/// compressed-tensors' compressors write, and config.json carrying the quantization_config (the
/// checkpoint's own config.json, when one lies beside it, with the block merged in).
/// - int (2 to 8 bits; per tensor symmetric, per channel or in groups along the rows) is
///   pack-quantized: `<module>.weight_packed` I32 [rows, ⌈cols / ⌊32 / b⌋⌉], element k of a word
///   in bits [k·b, (k+1)·b) holding the code offset to unsigned (q + 2^(b−1) symmetric, the
///   unsigned code q asymmetric, which compressed-tensors stores as q − 2^(b−1) before the same
///   offset); `<module>.weight_scale` [rows, groups] or [rows, 1] ([1] per tensor);
///   `<module>.weight_shape` I64 [2]; asymmetric `<module>.weight_zero_point` I32 packed the
///   same way along dimension 0.
/// - fp8_e4m3 (per tensor, channel, group or block) is float-quantized: `<module>.weight`
///   F8_E4M3 and `<module>.weight_scale` over the parameter grid.
/// - nvfp4 is nvfp4-pack-quantized: `<module>.weight_packed` U8 [rows, cols / 2] (even element
///   in the low nibble), `<module>.weight_scale` F8_E4M3 [rows, cols / 16] and
///   `<module>.weight_global_scale` F32 [1], the divisor g: x̂ = e2m1 · scale / g.
/// int and fp8 scales are stored in the weight's dtype (BF16, F16, else F32) and the tensor is
/// quantized with that rounded scale (QuantSpec::scaleDtype), so codes × stored scale give x̂.
const Exporter &compressedTensorsWeightsExporter();

/// What the exporter's write(job) does, with the shard limit as a parameter.
Result<ExportOutcome> writeCompressedTensors(const ExportJob &job,
                                             std::uint64_t shardBytes = kDefaultShardBytes);

} // namespace qs
