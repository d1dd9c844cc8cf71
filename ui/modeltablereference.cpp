// The Model table's reference columns: what the A/B comparison with a reference checkpoint
// measured for each tensor, or why a tensor has no partner.
#include "modeltablemodel.h"

#include "plots/plotstyle.h"

#include <limits>

namespace qs::ui {

namespace {

// Cosine similarity of a good quantization is 0.9999…: six decimals tell the pairs apart.
constexpr int kCosineDecimals = 6;

} // namespace

void ModelTableModel::setReferencePairings(const std::vector<qs::ReferencePairing> &pairings) {
    m_reference.clear();
    if (!pairings.empty())
        m_reference.resize(m_rows.size());
    for (const qs::ReferencePairing &p : pairings) {
        if (p.index >= m_reference.size())
            continue;
        ReferenceCell &cell = m_reference[p.index];
        cell.partner = p.partner ? QString::fromStdString(p.partnerName) : QString();
        cell.unpaired = QString::fromStdString(p.unpaired.value_or(std::string()));
    }
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, RefMse), index(rowCount() - 1, ColumnCount - 1));
}

void ModelTableModel::setReferenceDifference(std::size_t index, const qs::ReferenceDifference &difference) {
    if (index >= m_reference.size())
        return;
    m_reference[index].difference = difference;
    m_reference[index].error.clear();
    emitReferenceChanged(index);
}

void ModelTableModel::setReferenceError(std::size_t index, const QString &error) {
    if (index >= m_reference.size())
        return;
    m_reference[index].difference.reset();
    m_reference[index].error = error;
    emitReferenceChanged(index);
}

void ModelTableModel::emitReferenceChanged(std::size_t row) {
    Q_EMIT dataChanged(index(int(row), RefMse), index(int(row), ColumnCount - 1));
}

QVariant ModelTableModel::referenceText(std::size_t row, int column) const {
    if (row >= m_reference.size())
        return QString();
    const ReferenceCell &cell = m_reference[row];
    if (cell.partner.isEmpty())
        return tr("no partner");
    if (!cell.error.isEmpty())
        return tr("failed");
    if (!cell.difference || cell.difference->compared == 0)
        return QString();
    const qs::ValueError &e = cell.difference->error;
    switch (column) {
    case RefMse:
        return formatNumber(e.mse, 3);
    case RefSqnr:
        return e.sqnrDb ? QString::number(*e.sqnrDb, 'f', 1) : QStringLiteral("∞");
    case RefCosine:
        return QString::number(e.cosine, 'f', kCosineDecimals);
    case RefMaxDiff:
        return formatNumber(e.maxAbsError, 3);
    default:
        return QString();
    }
}

// Unpaired and failed rows sort after every number, as empty cells do.
QVariant ModelTableModel::referenceSort(std::size_t row, int column) const {
    if (row >= m_reference.size() || !m_reference[row].difference ||
        m_reference[row].difference->compared == 0)
        return {};
    const qs::ValueError &e = m_reference[row].difference->error;
    switch (column) {
    case RefMse:
        return e.mse;
    case RefSqnr: // an identical pair is the best ratio
        return e.sqnrDb.value_or(std::numeric_limits<double>::infinity());
    case RefCosine:
        return e.cosine;
    case RefMaxDiff:
        return e.maxAbsError;
    default:
        return {};
    }
}

QString ModelTableModel::referenceToolTip(std::size_t row, int column) const {
    if (row >= m_reference.size() || row >= m_rows.size())
        return {};
    const ReferenceCell &cell = m_reference[row];
    const QString name = QString::fromStdString(m_rows[row].summary.name);
    if (cell.partner.isEmpty())
        return tr("%1 has no partner in the reference: %2").arg(name, cell.unpaired);
    if (!cell.error.isEmpty())
        return tr("%1 against %2 could not be compared: %3").arg(name, cell.partner, cell.error);
    if (!cell.difference)
        return tr("%1 against %2: not measured yet").arg(name, cell.partner);
    QString text = tr("%1 against the reference's %2: %3")
                       .arg(name, cell.partner, referenceText(row, column).toString());
    if (cell.difference->nonFiniteMismatches > 0)
        text += tr("\n%1 values are finite on one side only; the figures leave them out")
                    .arg(cell.difference->nonFiniteMismatches);
    return text;
}

QString ModelTableModel::referenceHeaderToolTip(int section) const {
    switch (section) {
    case RefMse:
        return tr("Reference checkpoint: mean squared difference of x − r, r the partner's values");
    case RefSqnr:
        return tr("Reference checkpoint: 10·log10(Σx² / Σ(x − r)²) in dB");
    case RefCosine:
        return tr("Reference checkpoint: cosine similarity Σx·r / (‖x‖·‖r‖)");
    case RefMaxDiff:
        return tr("Reference checkpoint: largest |x − r|");
    default:
        return {};
    }
}

} // namespace qs::ui
