#pragma once

// What the commands' JSON output shares: UTF-8 text, and figures that JSON cannot hold (NaN,
// infinity) reported as null.

#include <QJsonValue>
#include <QString>

#include <cmath>
#include <optional>
#include <string_view>

namespace qs::cli {

inline QString qstr(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

inline QJsonValue number(double value) {
    return std::isfinite(value) ? QJsonValue(value) : QJsonValue(QJsonValue::Null);
}

inline QJsonValue number(const std::optional<double> &value) {
    return value ? number(*value) : QJsonValue(QJsonValue::Null);
}

} // namespace qs::cli
