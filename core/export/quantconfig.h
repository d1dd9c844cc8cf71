#pragma once

#include "quant/quantspec.h"
#include "util/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qs {

/// Schema identifier and version of exported configurations (see README "Export schema").
inline constexpr const char *kConfigFormat = "quantscope-config";
inline constexpr int kConfigVersion = 1;

/// One configured tensor as exported.
struct TensorConfig {
    std::string name;
    std::vector<std::int64_t> shape;
    std::string dtype;  ///< safetensors dtype name
    QuantSpec spec;     ///< bits, scheme, narrow, range mode, thresholds
    QuantParams params; ///< qmin, qmax, scale, zero point, clip_min, clip_max
    double mse = 0.0;
    std::optional<double> sqnrDb; ///< null in JSON when there is no error
};

struct QuantConfig {
    std::string checkpoint; ///< file name of the checkpoint it was made on
    std::vector<TensorConfig> tensors;
};

/// The JSON text of a configuration (UTF-8, indented).
std::string configToJson(const QuantConfig &config);
/// Parses and validates JSON text; errors say what is wrong (source names the file for messages).
Result<QuantConfig> configFromJson(const std::string &json, const std::string &source);

/// Writes atomically with QSaveFile: a failed save leaves any existing file untouched.
Status saveConfig(const std::string &path, const QuantConfig &config);
/// Reads a file written by saveConfig (bounded size). Errors name the file.
Result<QuantConfig> loadConfig(const std::string &path);

} // namespace qs
