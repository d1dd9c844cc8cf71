#include "clireport.h"

#include "analysis/schemecomparison.h"
#include "clijson.h"
#include "io/dtype.h"
#include "quant/quantizer.h"
#include "quant/scaledtype.h"

#include <QJsonArray>
#include <QStringList>

#include <algorithm>
#include <cmath>

namespace qs::cli {

namespace {

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

bool isInt(const QuantSpec &spec) {
    return spec.format == NumberFormat::Int;
}

QString formatName(const QuantSpec &spec) {
    return qstr(formatTraits(spec.format).name);
}

// A single scale exists for int and fp8 per tensor; every other scheme has a grid of them.
std::optional<double> singleScale(const AnalyzeReport &r) {
    const bool perTensor = r.spec.granularity.kind == Granularity::Kind::Tensor;
    if (!perTensor || formatTraits(r.spec.format).fixedBlock > 0 || r.scales.size() != 1)
        return std::nullopt;
    return double(r.scales.front());
}

QJsonValue intOnly(const QuantSpec &spec, const QJsonValue &value) {
    return isInt(spec) ? value : QJsonValue(QJsonValue::Null);
}

void insertScheme(QJsonObject &o, const AnalyzeReport &r) {
    const QuantSpec &spec = r.spec;
    o.insert(QStringLiteral("format"), formatName(spec));
    o.insert(QStringLiteral("bits"), nominalBits(spec));
    o.insert(QStringLiteral("scheme"), intOnly(spec, qstr(schemeName(spec.scheme))));
    o.insert(QStringLiteral("narrow"), intOnly(spec, spec.narrow));
    o.insert(QStringLiteral("granularity"), QString::fromStdString(granularityName(spec.granularity)));
    o.insert(QStringLiteral("method"), QString::fromStdString(methodLabel(spec)));
    o.insert(QStringLiteral("clip_ratio"), spec.clipRatio);
    o.insert(QStringLiteral("range_mode"), intOnly(spec, qstr(rangeModeName(spec.rangeMode))));
    o.insert(QStringLiteral("scale_dtype"), scaleDtypeApplies(spec.format)
                                                ? QJsonValue(qstr(scaleDtypeName(spec.scaleDtype)))
                                                : QJsonValue(QJsonValue::Null));
    o.insert(QStringLiteral("bits_per_weight"), number(r.bitsPerWeight));
}

void insertMapping(QJsonObject &o, const AnalyzeReport &r) {
    const std::optional<QuantParams> &p = r.perTensor;
    const auto [qmin, qmax] = integerRange(r.spec);
    o.insert(QStringLiteral("clip_min"), p ? number(p->clipMin) : QJsonValue(QJsonValue::Null));
    o.insert(QStringLiteral("clip_max"), p ? number(p->clipMax) : QJsonValue(QJsonValue::Null));
    o.insert(QStringLiteral("qmin"), intOnly(r.spec, qint64(qmin)));
    o.insert(QStringLiteral("qmax"), intOnly(r.spec, qint64(qmax)));
    o.insert(QStringLiteral("scale"), number(singleScale(r)));
    o.insert(QStringLiteral("zero_point"),
             p ? QJsonValue(qint64(p->zeroPoint)) : QJsonValue(QJsonValue::Null));
}

void insertParams(QJsonObject &o, const AnalyzeReport &r) {
    QJsonArray scales;
    for (float s : r.scales)
        scales.append(number(double(s)));
    o.insert(QStringLiteral("param_shape"), shapeJson(r.paramShape));
    o.insert(QStringLiteral("scales"), scales);
    if (!isInt(r.spec)) {
        o.insert(QStringLiteral("zero_points"), QJsonValue(QJsonValue::Null));
        return;
    }
    QJsonArray zeroPoints;
    for (std::int64_t z : r.zeroPoints)
        zeroPoints.append(qint64(z));
    for (float z : r.zeroPointsFloat) // hqq keeps its zero points unrounded
        zeroPoints.append(number(double(z)));
    o.insert(QStringLiteral("zero_points"), zeroPoints);
}

// At most this many of a grid's values go into the text report; --json has them all.
constexpr std::size_t kTextParams = 16;

template <typename T>
QString listText(const std::vector<T> &values) {
    QStringList items;
    for (std::size_t i = 0; i < values.size() && i < kTextParams; ++i)
        items.append(figure(double(values[i])));
    QString text = items.join(QStringLiteral(", "));
    if (values.size() > kTextParams)
        text += QStringLiteral(", ... (%1 more; --json lists all)").arg(values.size() - kTextParams);
    return text;
}

QString schemeText(const QuantSpec &spec) {
    if (!isInt(spec))
        return formatName(spec);
    const QString scheme =
        qstr(schemeName(spec.scheme)) + (spec.narrow ? QStringLiteral(", narrow") : QString());
    return QStringLiteral("int, %1 bits, %2, %3")
        .arg(spec.bits)
        .arg(scheme, qstr(rangeModeName(spec.rangeMode)));
}

QString methodText(const QuantSpec &spec) {
    QString text = QString::fromStdString(methodLabel(spec));
    if (spec.clipRatio != 1.0)
        text += QStringLiteral(", clip ratio %1").arg(figure(spec.clipRatio));
    return text;
}

QString mappingText(const AnalyzeReport &r) {
    QString text;
    if (const auto &p = r.perTensor) {
        text += line(QStringLiteral("clip range"),
                     QStringLiteral("[%1, %2]").arg(figure(p->clipMin), figure(p->clipMax)));
        text += line(QStringLiteral("integer range"), QStringLiteral("[%1, %2]").arg(p->qmin).arg(p->qmax));
        text += line(QStringLiteral("scale"), figure(p->scale));
        text += line(QStringLiteral("zero point"), QString::number(p->zeroPoint));
        return text;
    }
    if (isInt(r.spec)) {
        const auto [qmin, qmax] = integerRange(r.spec);
        text += line(QStringLiteral("integer range"), QStringLiteral("[%1, %2]").arg(qmin).arg(qmax));
    }
    if (const auto scale = singleScale(r))
        text += line(QStringLiteral("scale"), figure(*scale));
    return text;
}

QString errorText(const AnalyzeReport &r) {
    QString text;
    text += line(QStringLiteral("MSE"), figure(r.mse));
    text += line(QStringLiteral("SQNR"), r.sqnrDb ? figure(*r.sqnrDb) + QStringLiteral(" dB")
                                                  : QStringLiteral("no error (infinite)"));
    text += line(QStringLiteral("max abs error"), figure(r.maxAbsError));
    text += line(QStringLiteral("cosine"), figure(r.cosine));
    if (r.clippedFraction)
        text += line(QStringLiteral("clipped"), figure(100.0 * *r.clippedFraction) + QStringLiteral(" %"));
    if (r.cast) {
        text += line(QStringLiteral("overflow"),
                     QString::number(r.cast->overflow) +
                         QStringLiteral(" values (a real cast gives ±inf; counted at ± the largest finite)"));
        text +=
            line(QStringLiteral("underflow"), QString::number(r.cast->underflow) +
                                                  QStringLiteral(" non-zero values become subnormal or 0"));
    }
    if (r.weightedMse)
        text +=
            line(QStringLiteral("weighted MSE"), figure(*r.weightedMse) + QStringLiteral(" (importance of ") +
                                                     qstr(r.importanceEntry) + QStringLiteral(")"));
    return text;
}

QString paramsText(const AnalyzeReport &r) {
    QString text = line(QStringLiteral("parameter grid"), shapeText(r.paramShape));
    text += line(QStringLiteral("scales"), listText(r.scales));
    if (isInt(r.spec) && r.zeroPointsFloat.empty())
        text += line(QStringLiteral("zero points"), listText(r.zeroPoints));
    else if (isInt(r.spec))
        text += line(QStringLiteral("zero points"), listText(r.zeroPointsFloat));
    return text;
}

QString statsText(const TensorAnalysis &tensor) {
    const TensorStats &s = tensor.stats;
    QString text;
    text += line(QStringLiteral("values"),
                 QStringLiteral("%1 finite, %2 NaN, %3 Inf").arg(s.count).arg(s.nanCount).arg(s.infCount));
    text += line(QStringLiteral("min, max"), figure(s.min) + QStringLiteral(", ") + figure(s.max));
    text += line(QStringLiteral("mean, std"), figure(s.mean) + QStringLiteral(", ") + figure(s.std));
    text += line(QStringLiteral("distinct values"), distinctText(tensor));
    return text;
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

QJsonObject analysisJson(const TensorAnalysis &tensor, const AnalyzeReport &report) {
    QJsonObject o;
    o.insert(QStringLiteral("tensor"), qstr(tensor.info().name));
    o.insert(QStringLiteral("dtype"), QString::fromStdString(tensor.info().typeName()));
    o.insert(QStringLiteral("shape"), shapeJson(tensor.info().shape));
    insertScheme(o, report);
    insertMapping(o, report);
    o.insert(QStringLiteral("mse"), number(report.mse));
    o.insert(QStringLiteral("sqnr_db"), number(report.sqnrDb));
    o.insert(QStringLiteral("max_abs_error"), number(report.maxAbsError));
    o.insert(QStringLiteral("cosine"), number(report.cosine));
    o.insert(QStringLiteral("clipped_fraction"), number(report.clippedFraction));
    if (report.cast) { // casts only, so other reports keep their keys
        o.insert(QStringLiteral("overflow_count"), qint64(report.cast->overflow));
        o.insert(QStringLiteral("underflow_count"), qint64(report.cast->underflow));
    }
    if (report.weightedMse) { // only with --imatrix, so other reports keep their keys
        o.insert(QStringLiteral("weighted_mse"), number(report.weightedMse));
        o.insert(QStringLiteral("importance_entry"), qstr(report.importanceEntry));
    }
    if (report.withParams)
        insertParams(o, report);
    o.insert(QStringLiteral("stats"), statsJson(tensor));
    return o;
}

QString analysisText(const TensorAnalysis &tensor, const AnalyzeReport &report) {
    QString text;
    text += line(QStringLiteral("tensor"), qstr(tensor.info().name));
    text += line(QStringLiteral("dtype, shape"), QString::fromStdString(tensor.info().typeName()) +
                                                     QStringLiteral(", ") + shapeText(tensor.info().shape));
    text += line(QStringLiteral("quantization"), schemeText(report.spec));
    text +=
        line(QStringLiteral("granularity"), QString::fromStdString(granularityName(report.spec.granularity)));
    text += line(QStringLiteral("method"), methodText(report.spec));
    if (scaleDtypeApplies(report.spec.format))
        text += line(QStringLiteral("scales stored as"), qstr(scaleDtypeName(report.spec.scaleDtype)));
    text += line(QStringLiteral("bits per weight"), figure(report.bitsPerWeight));
    text += mappingText(report);
    text += errorText(report);
    if (report.withParams)
        text += paramsText(report);
    return text + statsText(tensor);
}

} // namespace qs::cli
