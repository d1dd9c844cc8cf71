#include "displayformat.h"

#include <QLocale>

#include <array>

namespace qs::ui {

QString formatShape(const std::vector<std::int64_t> &shape) {
    if (shape.empty())
        return QStringLiteral("scalar");
    QString text;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0)
            text += QStringLiteral(" × ");
        text += QString::number(shape[i]);
    }
    return text;
}

QString formatCount(std::int64_t count) {
    // The C locale would print no separators; English grouping reads well in every UI language.
    return QLocale(QLocale::English).toString(qlonglong(count));
}

QString countOf(std::int64_t count, const QString &singular, const QString &plural) {
    return formatCount(count) + QLatin1Char(' ') + (count == 1 ? singular : plural);
}

QString formatCompactCount(std::int64_t count) {
    if (count < 10'000)
        return QString::number(count);
    static constexpr std::array<const char *, 4> kSuffixes = {"k", "M", "G", "T"};
    double value = double(count);
    std::size_t unit = 0;
    value /= 1000.0;
    while (value >= 1000.0 && unit + 1 < kSuffixes.size()) {
        value /= 1000.0;
        ++unit;
    }
    const int decimals = value < 10.0 ? 2 : value < 100.0 ? 1 : 0;
    return QString::number(value, 'f', decimals) + QLatin1Char(' ') + QLatin1String(kSuffixes[unit]);
}

QString formatBytes(std::uint64_t bytes) {
    static constexpr std::array<const char *, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = double(bytes);
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < kUnits.size()) {
        value /= 1024.0;
        ++unit;
    }
    const int decimals = unit == 0 ? 0 : 1;
    return QString::number(value, 'f', decimals) + QLatin1Char(' ') + QLatin1String(kUnits[unit]);
}

} // namespace qs::ui
