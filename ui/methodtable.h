#pragma once

#include "quant/quantspec.h"

#include <QAbstractTableModel>
#include <QString>
#include <QWidget>

#include <optional>
#include <vector>

class QLabel;
class QSortFilterProxyModel;
class QStackedLayout;
class QTableView;

namespace qs::ui {

// One calibration method's outcome on the current tensor, as a comparison of methods feeds the
// table (same content as the core's rows, in GUI types).
struct MethodRow {
    qs::QuantSpec spec;
    QString label;
    double clipLo = 0.0;
    double clipHi = 0.0;
    double mse = 0.0;
    std::optional<double> sqnrDb; // nullopt when there is no error
    double clippedFraction = 0.0; // of the values, in [0, 1]
};

// The rows, one per method. Qt::DisplayRole is formatted text; Qt::UserRole the number a column
// sorts by (SQNR ∞ sorts above every finite value).
class MethodTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Method, ClipLo, ClipHi, Mse, Sqnr, Clipped, Apply, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    void setRows(std::vector<MethodRow> rows);
    const std::vector<MethodRow> &rows() const { return m_rows; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant displayText(const MethodRow &row, int column) const;
    QVariant sortValue(const MethodRow &row, int column) const;

    std::vector<MethodRow> m_rows;
};

// The calibration methods side by side: sortable, numbers right-aligned with their units in the
// headers. Each row's "Apply" button (or a double-click, or its context menu) emits
// applyRequested with the row's spec; Ctrl+C copies the selected cells as tab-separated text.
class MethodTable : public QWidget {
    Q_OBJECT
public:
    explicit MethodTable(QWidget *parent = nullptr);

    void setRows(std::vector<MethodRow> rows);
    void clear() { setRows({}); }
    // While the rows are being computed, the empty table says so.
    void setComputing(bool computing);

    QTableView *view() const { return m_view; }
    MethodTableModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    QLabel *emptyLabel() const { return m_empty; }
    // The selected cells in view order as TSV, headed by their columns' titles.
    QString selectionAsTsv() const;
    void copySelection() const;

Q_SIGNALS:
    void applyRequested(const qs::QuantSpec &spec);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void createButtons();
    void applyViewRow(int viewRow);
    void showContextMenu(const QPoint &pos);

    MethodTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_empty = nullptr;
    QStackedLayout *m_stack = nullptr;
};

} // namespace qs::ui
