#include "modeltablemodel.h"

#include "displayformat.h"
#include "plots/plotstyle.h"
#include "quant/granularity.h"
#include "quant/numberformat.h"

#include <QStringList>

#include <cmath>
#include <limits>

namespace qs::ui {

namespace {

// A sweep's keep reason is the plan's text ("ignored: embedding"); the cell has no room for
// the layer's name, the tooltip keeps it.
QString shortKeepReason(const std::string &reason) {
    QString text = QString::fromStdString(reason);
    const QString prefix = QStringLiteral("ignored: ");
    return text.startsWith(prefix) ? text.mid(prefix.size()) : text;
}

// What the tensor weighs after the sweep's scheme: stored bytes when it is not quantized.
double sizeBytes(const qs::TensorSummary &s) {
    if (!s.error)
        return double(s.storedBytes);
    return s.bitsPerWeight * double(s.params) / 8.0;
}

QVariant optionalNumber(const std::optional<double> &value, int digits) {
    return value ? QVariant(formatNumber(*value, digits)) : QVariant(QString());
}

QVariant optionalSort(const std::optional<double> &value) {
    return value ? QVariant(*value) : QVariant();
}

QVariant optionalPercent(const std::optional<double> &value) {
    return value ? QVariant(formatPercent(*value)) : QVariant(QString());
}

// The finite values measured: the moments' count, or every value when they are missing.
std::int64_t finiteCount(const qs::TensorSummary &s) {
    return s.moments ? s.moments->count : s.params;
}

// A cast's underflow as a share of the finite values, as Clipped is its overflow's.
std::optional<double> underflowFraction(const qs::TensorSummary &s) {
    if (!s.cast)
        return std::nullopt;
    return double(s.cast->underflow) / double(std::max<std::int64_t>(finiteCount(s), 1));
}

} // namespace

QString ModelTableModel::schemeText(const qs::QuantSpec &spec) {
    const FormatTraits &traits = formatTraits(spec.format);
    QStringList parts{toQString(traits.name)};
    if (traits.takesBits) {
        parts.first() += QLatin1Char(' ') + QString::number(spec.bits);
        parts << toQString(schemeName(spec.scheme)) + (spec.narrow ? tr(" narrow") : QString());
    }
    if (traits.fixedBlock == 0)
        parts << QString::fromStdString(granularityName(spec.granularity));
    if (traits.fixedBlock == 0 || spec.method != CalibMethod::MinMax)
        parts << QString::fromStdString(methodLabel(spec));
    if (spec.clipRatio != 1.0)
        parts << tr("ratio %1").arg(spec.clipRatio);
    return parts.join(QStringLiteral(" · "));
}

void ModelTableModel::setTensors(const std::vector<qs::TensorInfo> &tensors) {
    beginResetModel();
    m_rows.clear();
    m_rows.reserve(tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const qs::TensorInfo &info = tensors[i];
        Row row;
        row.summary.index = i;
        row.summary.name = info.name;
        row.summary.shape = info.shape;
        row.summary.dtype = info.typeName();
        row.summary.params = info.elementCount();
        row.summary.storedBytes = info.byteSize;
        row.summary.bitsPerWeight = info.bitsPerWeight();
        m_rows.push_back(std::move(row));
    }
    m_summaryCount = 0;
    m_reference.clear(); // the pairing was another file's
    endResetModel();
}

void ModelTableModel::clearResults() {
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (!m_rows[i].measured)
            continue;
        qs::TensorSummary &s = m_rows[i].summary;
        s.kept = false;
        s.keptBecause.clear();
        s.spec.reset();
        s.skipped.reset();
        s.error.reset();
        s.relRmse.reset();
        s.clippedFraction.reset();
        s.cast.reset();
        s.moments.reset();
        s.weightedMse.reset();
        s.bitsPerWeight = s.params > 0 ? double(s.storedBytes) * 8.0 / double(s.params) : 0.0;
        m_rows[i].measured = false;
    }
    m_summaryCount = 0;
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void ModelTableModel::setSummary(const qs::TensorSummary &summary) {
    if (summary.index >= m_rows.size())
        return;
    Row &row = m_rows[summary.index];
    if (!row.measured)
        ++m_summaryCount;
    row.summary = summary;
    row.measured = true;
    const int r = int(summary.index);
    Q_EMIT dataChanged(index(r, 0), index(r, ColumnCount - 1));
}

const qs::TensorSummary *ModelTableModel::summary(int row) const {
    if (row < 0 || std::size_t(row) >= m_rows.size() || !m_rows[std::size_t(row)].measured)
        return nullptr;
    return &m_rows[std::size_t(row)].summary;
}

int ModelTableModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ModelTableModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ModelTableModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return displayText(row, index.column());
    case Qt::UserRole:
        return sortValue(row, index.column());
    case Qt::ToolTipRole:
        return toolTip(row, index.column());
    case Qt::TextAlignmentRole:
        if (index.column() == Name || index.column() == Scheme || index.column() == Stored)
            return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    default:
        return {};
    }
}

QVariant ModelTableModel::displayText(const Row &row, int column) const {
    const qs::TensorSummary &s = row.summary;
    const bool measured = row.measured && s.error.has_value();
    switch (column) {
    case Name:
        return QString::fromStdString(s.name);
    case Shape:
        return formatShape(s.shape);
    case Stored:
        return QString::fromStdString(s.dtype);
    case Params:
        return formatCompactCount(s.params);
    case Scheme:
        if (!row.measured)
            return QString();
        if (s.kept)
            return tr("kept · %1").arg(shortKeepReason(s.keptBecause));
        if (s.skipped)
            return tr("skipped");
        return s.spec ? schemeText(*s.spec) : QString();
    case BitsPerWeight:
        return row.measured ? QVariant(QString::number(s.bitsPerWeight, 'f', 2)) : QVariant(QString());
    case Size:
        return row.measured ? QVariant(formatBytes(std::uint64_t(std::llround(sizeBytes(s)))))
                            : QVariant(QString());
    case Mse:
        return measured ? QVariant(formatNumber(s.error->mse, 3)) : QVariant(QString());
    case Sqnr:
        if (!measured)
            return QString();
        return s.error->sqnrDb ? QString::number(*s.error->sqnrDb, 'f', 1) : QStringLiteral("∞");
    case RelRmse:
        return optionalNumber(s.relRmse, 3);
    case MaxError:
        return measured ? QVariant(formatNumber(s.error->maxAbsError, 3)) : QVariant(QString());
    case Clipped:
        return optionalPercent(s.clippedFraction);
    case Underflow:
        return optionalPercent(underflowFraction(s));
    case Kurtosis:
        return s.moments ? QVariant(QString::number(s.moments->kurtosis, 'f', 2)) : QVariant(QString());
    case MaxOverStd:
        return s.moments ? optionalNumber(s.moments->maxOverStd(), 3) : QVariant(QString());
    case WeightedMse:
        return optionalNumber(s.weightedMse, 3);
    default:
        return isReferenceColumn(column) ? referenceText(s.index, column) : QVariant(QString());
    }
}

QVariant ModelTableModel::sortValue(const Row &row, int column) const {
    const qs::TensorSummary &s = row.summary;
    const bool measured = row.measured && s.error.has_value();
    switch (column) {
    case Name:
    case Shape:
    case Stored:
    case Scheme:
        return displayText(row, column);
    case Params:
        return qlonglong(s.params);
    case BitsPerWeight:
        return row.measured ? QVariant(s.bitsPerWeight) : QVariant();
    case Size:
        return row.measured ? QVariant(sizeBytes(s)) : QVariant();
    case Mse:
        return measured ? QVariant(s.error->mse) : QVariant();
    case Sqnr: // no error at all is the best ratio
        return measured ? QVariant(s.error->sqnrDb.value_or(std::numeric_limits<double>::infinity()))
                        : QVariant();
    case RelRmse:
        return optionalSort(s.relRmse);
    case MaxError:
        return measured ? QVariant(s.error->maxAbsError) : QVariant();
    case Clipped:
        return optionalSort(s.clippedFraction);
    case Underflow:
        return optionalSort(underflowFraction(s));
    case Kurtosis:
        return s.moments ? QVariant(s.moments->kurtosis) : QVariant();
    case MaxOverStd:
        return s.moments ? optionalSort(s.moments->maxOverStd()) : QVariant();
    case WeightedMse:
        return optionalSort(s.weightedMse);
    default:
        return isReferenceColumn(column) ? referenceSort(s.index, column) : QVariant();
    }
}

QString ModelTableModel::toolTip(const Row &row, int column) const {
    const qs::TensorSummary &s = row.summary;
    if (isReferenceColumn(column))
        return referenceToolTip(s.index, column);
    const QString name = QString::fromStdString(s.name);
    if (column == Scheme && row.measured) {
        if (s.kept)
            return tr("%1 stays in its stored type (%2): %3")
                .arg(name, QString::fromStdString(s.dtype), QString::fromStdString(s.keptBecause));
        if (s.skipped)
            return tr("%1 was not measured: %2").arg(name, QString::fromStdString(*s.skipped));
    }
    if (column == Size && row.measured && !s.error)
        return tr("%1: stored size, %2").arg(name, formatBytes(s.storedBytes));
    if (column == Params)
        return tr("%1: %2 values").arg(name, formatCount(s.params));
    if (column == Underflow && s.cast && s.spec)
        return tr("%1: %2 of %3 finite values become subnormal or zero in %4")
            .arg(name, formatCount(s.cast->underflow), formatCount(finiteCount(s)),
                 QString::fromUtf8(qs::formatTraits(s.spec->format).name.data()));
    const QString text = displayText(row, column).toString();
    return text.isEmpty() ? name : name + QStringLiteral(": ") + text;
}

QVariant ModelTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole)
        return headerToolTip(section);
    if (role != Qt::DisplayRole)
        return {};
    static const char *const titles[ColumnCount] = {
        QT_TR_NOOP("Tensor"),     QT_TR_NOOP("Shape"),
        QT_TR_NOOP("Stored"),     QT_TR_NOOP("Params"),
        QT_TR_NOOP("Scheme"),     QT_TR_NOOP("Bits/w"),
        QT_TR_NOOP("Size"),       QT_TR_NOOP("MSE"),
        QT_TR_NOOP("SQNR (dB)"),  QT_TR_NOOP("Rel. RMSE"),
        QT_TR_NOOP("Max |err|"),  QT_TR_NOOP("Clipped"),
        QT_TR_NOOP("Underflow"),  QT_TR_NOOP("Kurtosis"),
        QT_TR_NOOP("Max/std"),    QT_TR_NOOP("Weighted MSE"),
        QT_TR_NOOP("Ref MSE"),    QT_TR_NOOP("Ref SQNR"),
        QT_TR_NOOP("Ref cosine"), QT_TR_NOOP("Ref max |diff|"),
    };
    return section >= 0 && section < ColumnCount ? tr(titles[section]) : QString();
}

QString ModelTableModel::headerToolTip(int section) const {
    switch (section) {
    case Stored:
        return tr("The type the checkpoint stores the tensor in");
    case Scheme:
        return tr(
            "The scheme the sweep measured (the window's default), or why the tensor is kept or skipped");
    case BitsPerWeight:
        return tr("Bits per weight under the scheme, scales included; the stored type's when kept");
    case Size:
        return tr("Bytes after the sweep's scheme; the stored size when kept or skipped");
    case Mse:
        return tr("Mean squared error of x − Q(x), in value units squared");
    case Sqnr:
        return tr("Signal to quantization noise ratio, 10·log10(Σx² / Σ(x − Q(x))²)");
    case RelRmse:
        return tr("RMS of the error over RMS of the values");
    case MaxError:
        return tr("Largest |x − Q(x)|");
    case Clipped:
        return tr("Share of the finite values outside their group's range; for a cast (f16, bf16), the "
                  "values it makes ±infinity");
    case Underflow:
        return tr("Casts (f16, bf16) only: share of the finite values that are not zero but that the cast "
                  "makes subnormal or zero");
    case Kurtosis:
        return tr("Excess kurtosis of the values (0 for a normal distribution): high means outliers");
    case MaxOverStd:
        return tr("Largest |x| over the standard deviation: how far the worst outlier reaches");
    case WeightedMse:
        return tr("MSE with each column weighted by the loaded importance matrix (File ▸ Load Importance "
                  "Matrix): Σ w·e² / (rows · Σ w); empty for tensors it has no entry for");
    default:
        return referenceHeaderToolTip(section);
    }
}

bool ModelSortProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const {
    const QVariant a = left.data(sortRole());
    const QVariant b = right.data(sortRole());
    if (!a.isValid() || !b.isValid())
        return a.isValid() && !b.isValid(); // numbers before empty cells
    if (a.typeId() == QMetaType::QString)
        return QString::compare(a.toString(), b.toString(), Qt::CaseInsensitive) < 0;
    return a.toDouble() < b.toDouble();
}

} // namespace qs::ui
