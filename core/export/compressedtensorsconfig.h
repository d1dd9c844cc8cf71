#pragma once

#include "io/checkpointreader.h"
#include "plan/quantplan.h"
#include "quant/quantspec.h"
#include "util/result.h"

#include <QJsonObject>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace qs {

/// Why compressed-tensors has no form for spec on a tensor of this shape, or nullopt when it has:
/// int of 2 to 8 bits (full range, symmetric or asymmetric) per tensor, per output channel, per
/// group or per block; FP8 E4M3 per tensor, channel, group or block; NVFP4; MXFP4; each with the
/// minmax or mse observer, on a 2-D weight.
std::optional<std::string> compressedTensorsCannotExpress(const QuantSpec &spec,
                                                          const std::vector<std::int64_t> &shape);

/// compressed-tensors' QuantizationArgs for a spec it can express, every key written: num_bits,
/// type, symmetric, strategy, group_size, block_structure, dynamic, actorder, observer,
/// observer_kwargs.
QJsonObject compressedTensorsWeightsArgs(const QuantSpec &spec);

/// The compression format that stores spec's weights: "pack-quantized" (int),
/// "float-quantized" (FP8 E4M3), "nvfp4-pack-quantized" or "mxfp4-pack-quantized".
std::string compressedTensorsFormat(const QuantSpec &spec);

/// The `quantization_config` llm-compressor writes into config.json for plan over tensors: one
/// config_groups entry per distinct weight scheme ("group_0", ... in order of first use) whose
/// targets are the exact module names (tensor name without ".weight"), `ignore` with the modules
/// whose weight the plan keeps or skips, the top-level format (or "mixed-precision" with a
/// per-group format), and the fixed keys (quant_method, quantization_status, kv_cache_scheme,
/// sparsity_config, transform_config). Fails, naming the tensor, when a quantized tensor is not
/// a module's ".weight", its scheme has no compressed-tensors form, or nothing is quantized.
Result<QJsonObject> compressedTensorsQuantizationConfig(const QuantPlan &plan,
                                                        std::span<const TensorInfo> tensors);

/// The config.json beside a checkpoint (in the folder of its path; for a sharded checkpoint the
/// index's folder), or an empty string when there is none.
std::string configJsonBeside(const CheckpointReader &reader);

/// config (a parsed config.json, or an empty object) with `quantization_config` set to
/// quantizationConfig, replacing any existing one and keeping every other key.
QJsonObject mergeQuantizationConfig(QJsonObject config, const QJsonObject &quantizationConfig);

/// A plan that does what a compressed-tensors `quantization_config` does to weights:
/// - exact module targets become overrides of "<module>.weight" (exact names win there too);
/// - `re:` targets become rules "re:(?:X).*\.weight", or "re:(?:X)\.weight" when X ends in `$`,
///   which is what Python's start-anchored re.match selects;
/// - the class target "Linear" becomes the last rule "*.weight" with the default ignore list on
///   (norms and biases are 1-D, embeddings are not Linear), plus an override for lm_head.weight
///   unless `ignore` names lm_head;
/// - every untargeted tensor is kept: the ignore list ends with "*" (or, with rules, a pattern
///   matching every name no rule matches), after the `ignore` entries themselves.
/// Activation quantization, kv_cache_scheme, sparsity_config, observer_kwargs and actorder
/// "weight" leave the stored weights' grid as it is and are ignored; everything that would change
/// it (dynamic weights, actorder "group", transforms, unknown observers, module classes other
/// than Linear) is refused with an error naming the group and key. Errors start with source.
Result<QuantPlan> planFromCompressedTensors(const QJsonObject &quantizationConfig, const std::string &source);

} // namespace qs
