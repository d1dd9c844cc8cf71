#pragma once

#include "quant/quantspec.h"

#include <QString>

#include <optional>
#include <vector>

namespace qs::ui {

// A scheme people deploy, by the name they know it by.
struct SchemePreset {
    QString key;  // stable, for settings: "w4a16"
    QString name; // shown: "compressed-tensors W4A16"
    QString description;
    qs::QuantSpec spec;
};

// PyTorch's default, TensorRT INT8, compressed-tensors W4A16 / W8A8 / FP8 / FP8 block,
// bitsandbytes NF4, MXFP4, NVFP4 and llama.cpp's Q4_K, Q6_K and Q8_0, in that order.
const std::vector<SchemePreset> &schemePresets();
// The preset whose spec equals spec's format, granularity, bits, scheme, narrow and method
// (thresholds and clip ratio aside), if any.
std::optional<SchemePreset> presetMatching(const qs::QuantSpec &spec);
std::optional<SchemePreset> presetByKey(const QString &key);

} // namespace qs::ui
