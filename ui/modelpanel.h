#pragma once

#include "analysis/modelscan.h"
#include "io/tensorinfo.h"
#include "modeltablemodel.h"

#include <QWidget>

#include <array>

#include <vector>

class QLabel;
class QLineEdit;
class QSplitter;
class QTableView;
class QToolButton;

namespace qs::ui {

class LayerChart;

// The Model panel: every tensor of the checkpoint in one sortable table with what the latest
// sweep measured, a name filter, and the Sweep button, with the layer chart beside the table.
// Activating a row (double-click, Enter) or clicking a point emits tensorActivated to open it in
// the tensor view.
class ModelPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelPanel(QWidget *parent = nullptr);

    void setTensors(const std::vector<qs::TensorInfo> &tensors);
    // The figures of a sweep under another scheme are about to arrive.
    void clearResults();
    void addSummary(const qs::TensorSummary &summary);
    // The button runs this action (the window's Sweep Model).
    void setSweepAction(QAction *action);
    void setSweeping(bool sweeping);
    void setFilterText(const QString &text);
    // The panel's height that shows this many rows of the table.
    int heightForRows(int rows) const;

    QTableView *view() const { return m_view; }
    ModelTableModel *model() const { return m_model; }
    ModelSortProxy *proxy() const { return m_proxy; }
    QLineEdit *filterEdit() const { return m_filter; }
    QToolButton *sweepButton() const { return m_sweep; }
    QLabel *summaryLabel() const { return m_summary; }
    LayerChart *layerChart() const { return m_chart; }
    QSplitter *splitter() const { return m_splitter; }

Q_SIGNALS:
    void tensorActivated(std::size_t index);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void sizeColumns();
    void fitNameColumn();
    void updateSummary();
    void setupSplitter();

    ModelTableModel *m_model = nullptr;
    ModelSortProxy *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QLineEdit *m_filter = nullptr;
    QToolButton *m_sweep = nullptr;
    QLabel *m_summary = nullptr;
    LayerChart *m_chart = nullptr;
    QSplitter *m_splitter = nullptr;
    bool m_sweeping = false;
    std::array<int, ModelTableModel::ColumnCount> m_idealWidths{}; // by column: title or typical value
};

} // namespace qs::ui
