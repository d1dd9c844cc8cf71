#pragma once

#include <QString>

#include <cstdint>
#include <string_view>
#include <vector>

namespace qs::ui {

/// "4096 × 4096"; "scalar" for an empty shape.
QString formatShape(const std::vector<std::int64_t> &shape);
/// Grouped digits, e.g. "4,194,304".
QString formatCount(std::int64_t count);
/// Three significant digits with a k / M / G suffix, e.g. "4.19 M"; plain below 10,000.
QString formatCompactCount(std::int64_t count);
/// A byte count with a binary unit, e.g. "32.0 MiB".
QString formatBytes(std::uint64_t bytes);

/// "1 tensor", "39 tensors": a count with the noun in the right number.
QString countOf(std::int64_t count, const QString &singular, const QString &plural);

inline QString toQString(std::string_view text) {
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

} // namespace qs::ui
