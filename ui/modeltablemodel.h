#pragma once

#include "analysis/modelscan.h"
#include "analysis/referencecompare.h"
#include "io/tensorinfo.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

#include <vector>

namespace qs::ui {

// One row per tensor of the open checkpoint, in file order (row == tensor index), with the
// figures of the latest sweep once its summary arrives. Qt::DisplayRole is formatted text;
// Qt::UserRole the number a column sorts by, invalid for an empty (n/a) cell.
class ModelTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        Shape,
        Stored,
        Params,
        Scheme,
        BitsPerWeight,
        Size,
        Mse,
        Sqnr,
        RelRmse,
        MaxError,
        Clipped,
        Underflow, // casts only
        Kurtosis,
        MaxOverStd,
        WeightedMse, // with an importance matrix loaded
        RefMse,
        RefSqnr,
        RefCosine,
        RefMaxDiff,
        ColumnCount
    };

    using QAbstractTableModel::QAbstractTableModel;

    void setTensors(const std::vector<qs::TensorInfo> &tensors);
    // Forgets every row's figures (a sweep under another scheme starts).
    void clearResults();
    void setSummary(const qs::TensorSummary &summary);
    // The summary shown in row, or null while the row has none.
    const qs::TensorSummary *summary(int row) const;
    int summaryCount() const { return m_summaryCount; }

    // The reference comparison (modeltablereference.cpp): which tensors have a partner (empty:
    // no reference, the Ref columns stay empty), then each pair's figures or why it has none.
    void setReferencePairings(const std::vector<qs::ReferencePairing> &pairings);
    void setReferenceDifference(std::size_t index, const qs::ReferenceDifference &difference);
    void setReferenceError(std::size_t index, const QString &error);
    bool hasReference() const { return !m_reference.empty(); }
    static bool isReferenceColumn(int column) { return column >= RefMse && column < ColumnCount; }

    // A scheme as the CLI's options spell it: "int · 8 bits · channel · minmax", "q4_k".
    static QString schemeText(const qs::QuantSpec &spec);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row {
        qs::TensorSummary summary; // name, shape, type and size only until a sweep fills it
        bool measured = false;
    };
    QVariant displayText(const Row &row, int column) const;
    QVariant sortValue(const Row &row, int column) const;
    QString toolTip(const Row &row, int column) const;
    QString headerToolTip(int section) const;

    struct ReferenceCell {
        QString partner; // empty: no partner
        QString unpaired;
        std::optional<qs::ReferenceDifference> difference;
        QString error;
    };
    QVariant referenceText(std::size_t row, int column) const;
    QVariant referenceSort(std::size_t row, int column) const;
    QString referenceToolTip(std::size_t row, int column) const;
    QString referenceHeaderToolTip(int section) const;
    void emitReferenceChanged(std::size_t row);

    std::vector<Row> m_rows;
    std::vector<ReferenceCell> m_reference; // by row; empty without a reference
    int m_summaryCount = 0;
};

// Sorts by Qt::UserRole with the empty cells after every number (in ascending order), and
// filters on the name column.
class ModelSortProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

protected:
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;
};

} // namespace qs::ui
