#include "clireport.h"

#include "io/dtype.h"

#include <QJsonArray>
#include <QStringList>

#include <algorithm>
#include <cmath>

namespace qs::cli {

namespace {

QString qstr(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

// JSON has no NaN or infinity; such a figure is reported as null.
QJsonValue number(double value) {
    return std::isfinite(value) ? QJsonValue(value) : QJsonValue(QJsonValue::Null);
}

QJsonValue number(const std::optional<double> &value) {
    return value ? number(*value) : QJsonValue(QJsonValue::Null);
}

QJsonArray shapeJson(const std::vector<std::int64_t> &shape) {
    QJsonArray array;
    for (std::int64_t d : shape)
        array.append(qint64(d));
    return array;
}

QString shapeText(const std::vector<std::int64_t> &shape) {
    QStringList dims;
    for (std::int64_t d : shape)
        dims.append(QString::number(d));
    return QLatin1Char('[') + dims.join(QStringLiteral(", ")) + QLatin1Char(']');
}

QJsonValue count(const std::optional<std::int64_t> &value) {
    return value ? QJsonValue(qint64(*value)) : QJsonValue(QJsonValue::Null);
}

QJsonObject statsJson(const TensorAnalysis &tensor) {
    const TensorStats &stats = tensor.stats;
    QJsonObject o;
    o.insert(QStringLiteral("count"), qint64(stats.count));
    o.insert(QStringLiteral("min"), number(stats.min));
    o.insert(QStringLiteral("max"), number(stats.max));
    o.insert(QStringLiteral("mean"), number(stats.mean));
    o.insert(QStringLiteral("std"), number(stats.std));
    o.insert(QStringLiteral("nan_count"), qint64(stats.nanCount));
    o.insert(QStringLiteral("inf_count"), qint64(stats.infCount));
    o.insert(QStringLiteral("distinct_values"), count(stats.distinctValues));
    o.insert(QStringLiteral("already_quantized"), tensor.alreadyQuantized());
    return o;
}

QString figure(double value) {
    return QString::number(value, 'g', 8);
}

QString line(const QString &label, const QString &value) {
    return label.leftJustified(18) + value + QLatin1Char('\n');
}

QString distinctText(const TensorAnalysis &tensor) {
    const std::optional<std::int64_t> &n = tensor.stats.distinctValues;
    const QString count = n ? QString::number(*n) : QStringLiteral("more than %1").arg(kDistinctValuesCap);
    return tensor.alreadyQuantized() ? count + QStringLiteral(" (already quantized)") : count;
}

} // namespace

QJsonObject tensorListJson(const std::vector<TensorInfo> &tensors) {
    QJsonArray list;
    for (const TensorInfo &t : tensors) {
        QJsonObject o;
        o.insert(QStringLiteral("name"), qstr(t.name));
        o.insert(QStringLiteral("dtype"), QString::fromStdString(t.typeName()));
        o.insert(QStringLiteral("shape"), shapeJson(t.shape));
        list.append(o);
    }
    QJsonObject root;
    root.insert(QStringLiteral("tensors"), list);
    return root;
}

QString tensorListText(const std::vector<TensorInfo> &tensors) {
    QList<QStringList> rows{{QStringLiteral("NAME"), QStringLiteral("DTYPE"), QStringLiteral("SHAPE"),
                             QStringLiteral("ELEMENTS")}};
    for (const TensorInfo &t : tensors)
        rows.append({qstr(t.name), QString::fromStdString(t.typeName()), shapeText(t.shape),
                     QString::number(t.elementCount())});
    QList<qsizetype> widths(4, 0);
    for (const QStringList &row : rows)
        for (qsizetype c = 0; c < row.size(); ++c)
            widths[c] = std::max(widths[c], row[c].size());
    QString text;
    for (const QStringList &row : rows) {
        for (qsizetype c = 0; c < 3; ++c)
            text += row[c].leftJustified(widths[c] + 2);
        text += row[3].rightJustified(widths[3]) + QLatin1Char('\n');
    }
    return text;
}

QJsonObject analysisJson(const TensorAnalysis &tensor, const QuantAnalysis &quant) {
    const QuantSpec &spec = quant.spec;
    const QuantParams &p = quant.params;
    const ErrorStats &e = quant.error;
    QJsonObject o;
    o.insert(QStringLiteral("tensor"), qstr(tensor.info().name));
    o.insert(QStringLiteral("dtype"), QString::fromStdString(tensor.info().typeName()));
    o.insert(QStringLiteral("shape"), shapeJson(tensor.info().shape));
    o.insert(QStringLiteral("bits"), spec.bits);
    o.insert(QStringLiteral("scheme"), qstr(schemeName(spec.scheme)));
    o.insert(QStringLiteral("narrow"), spec.narrow);
    o.insert(QStringLiteral("range_mode"), qstr(rangeModeName(spec.rangeMode)));
    o.insert(QStringLiteral("clip_min"), number(p.clipMin));
    o.insert(QStringLiteral("clip_max"), number(p.clipMax));
    o.insert(QStringLiteral("qmin"), qint64(p.qmin));
    o.insert(QStringLiteral("qmax"), qint64(p.qmax));
    o.insert(QStringLiteral("scale"), number(double(p.scale)));
    o.insert(QStringLiteral("zero_point"), qint64(p.zeroPoint));
    o.insert(QStringLiteral("mse"), number(e.mse));
    o.insert(QStringLiteral("sqnr_db"), number(e.sqnrDb));
    o.insert(QStringLiteral("max_abs_error"), number(e.maxAbsError));
    o.insert(QStringLiteral("clipped_fraction"), number(e.clippedFraction));
    o.insert(QStringLiteral("stats"), statsJson(tensor));
    return o;
}

QString analysisText(const TensorAnalysis &tensor, const QuantAnalysis &quant) {
    const QuantSpec &spec = quant.spec;
    const QuantParams &p = quant.params;
    const ErrorStats &e = quant.error;
    const TensorStats &s = tensor.stats;
    const QString scheme =
        qstr(schemeName(spec.scheme)) + (spec.narrow ? QStringLiteral(", narrow") : QString());
    QString text;
    text += line(QStringLiteral("tensor"), qstr(tensor.info().name));
    text += line(QStringLiteral("dtype, shape"), QString::fromStdString(tensor.info().typeName()) +
                                                     QStringLiteral(", ") + shapeText(tensor.info().shape));
    text += line(
        QStringLiteral("quantization"),
        QStringLiteral("%1 bits, %2, %3").arg(spec.bits).arg(scheme, qstr(rangeModeName(spec.rangeMode))));
    text += line(QStringLiteral("clip range"),
                 QStringLiteral("[%1, %2]").arg(figure(p.clipMin), figure(p.clipMax)));
    text += line(QStringLiteral("integer range"), QStringLiteral("[%1, %2]").arg(p.qmin).arg(p.qmax));
    text += line(QStringLiteral("scale"), figure(p.scale));
    text += line(QStringLiteral("zero point"), QString::number(p.zeroPoint));
    text += line(QStringLiteral("MSE"), figure(e.mse));
    text += line(QStringLiteral("SQNR"), e.sqnrDb ? figure(*e.sqnrDb) + QStringLiteral(" dB")
                                                  : QStringLiteral("no error (infinite)"));
    text += line(QStringLiteral("max abs error"), figure(e.maxAbsError));
    text += line(QStringLiteral("clipped"), figure(100.0 * e.clippedFraction) + QStringLiteral(" %"));
    text += line(QStringLiteral("values"),
                 QStringLiteral("%1 finite, %2 NaN, %3 Inf").arg(s.count).arg(s.nanCount).arg(s.infCount));
    text += line(QStringLiteral("min, max"), figure(s.min) + QStringLiteral(", ") + figure(s.max));
    text += line(QStringLiteral("mean, std"), figure(s.mean) + QStringLiteral(", ") + figure(s.std));
    text += line(QStringLiteral("distinct values"), distinctText(tensor));
    return text;
}

} // namespace qs::cli
