#include "schemesettings.h"

#include "schemepresets.h"

#include <QSettings>

namespace qs::ui {

namespace {

const QString kPresetKey = QStringLiteral("scheme/preset");
const QString kFormatKey = QStringLiteral("scheme/format");
const QString kBitsKey = QStringLiteral("scheme/bits");
const QString kSchemeKey = QStringLiteral("scheme/scheme");
const QString kNarrowKey = QStringLiteral("scheme/narrow");
const QString kGranularityKey = QStringLiteral("scheme/granularity");
const QString kMethodKey = QStringLiteral("scheme/method");
const QString kPercentileKey = QStringLiteral("scheme/percentile");

QString text(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

std::string value(const QSettings &settings, const QString &key) {
    return settings.value(key).toString().toStdString();
}

// A custom scheme, field by field.
void restoreCustom(const QSettings &settings, qs::QuantSpec &spec) {
    if (const auto format = qs::formatFromName(value(settings, kFormatKey)))
        spec.format = *format;
    bool ok = false;
    const int bits = settings.value(kBitsKey).toInt(&ok);
    if (ok && bits >= qs::kMinBits && bits <= qs::kMaxBits)
        spec.bits = bits;
    if (const auto scheme = qs::schemeFromName(value(settings, kSchemeKey)))
        spec.scheme = *scheme;
    spec.narrow = spec.scheme == qs::Scheme::Symmetric && settings.value(kNarrowKey, spec.narrow).toBool();
    if (const auto granularity = qs::parseGranularity(value(settings, kGranularityKey)))
        spec.granularity = granularity.value();
    if (qs::ownsGrouping(qs::formatTraits(spec.format)))
        spec.granularity = {}; // the format carries its own blocks, or is a cast
    if (const auto method = qs::parseMethod(value(settings, kMethodKey)))
        spec.method = method.value().method;
    if (qs::formatTraits(spec.format).family == qs::FormatFamily::Cast)
        spec.method = qs::CalibMethod::MinMax; // a cast has no range to calibrate
}

} // namespace

void saveScheme(QSettings &settings, const qs::QuantSpec &spec) {
    const auto preset = presetMatching(spec);
    settings.setValue(kPresetKey, preset ? preset->key : QString());
    settings.setValue(kFormatKey, text(qs::formatTraits(spec.format).name));
    settings.setValue(kBitsKey, spec.bits);
    settings.setValue(kSchemeKey, text(qs::schemeName(spec.scheme)));
    settings.setValue(kNarrowKey, spec.narrow);
    settings.setValue(kGranularityKey, QString::fromStdString(qs::granularityName(spec.granularity)));
    settings.setValue(kMethodKey, text(qs::methodName(spec.method)));
    settings.setValue(kPercentileKey, spec.percentile);
}

qs::QuantSpec restoredScheme(const QSettings &settings, const qs::QuantSpec &fallback) {
    qs::QuantSpec spec = fallback;
    if (const auto preset = presetByKey(settings.value(kPresetKey).toString()))
        spec = preset->spec;
    else
        restoreCustom(settings, spec);
    bool ok = false;
    const double percentile = settings.value(kPercentileKey).toDouble(&ok);
    if (ok && percentile > 0.0 && percentile <= 100.0)
        spec.percentile = percentile;
    return spec;
}

} // namespace qs::ui
