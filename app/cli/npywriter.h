#pragma once

#include <QString>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace qs::cli {

/// Writes values as a NumPy .npy array (format 1.0, little-endian float32 '<f4', C order) of
/// the given shape, atomically with QSaveFile: a failed write leaves any existing file as it was.
/// values.size() must equal the product of shape. Returns the problem, or nullopt on success.
std::optional<QString> writeNpyFloat32(const QString &path, std::span<const float> values,
                                       const std::vector<std::int64_t> &shape);

} // namespace qs::cli
