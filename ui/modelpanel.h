#pragma once

#include "analysis/modelscan.h"
#include "io/tensorinfo.h"

#include <QWidget>

#include <vector>

class QLabel;
class QLineEdit;
class QTableView;
class QToolButton;

namespace qs::ui {

class ModelSortProxy;
class ModelTableModel;

// The Model panel: every tensor of the checkpoint in one sortable table with what the latest
// sweep measured, a name filter, and the Sweep button. Activating a row (double-click, Enter)
// emits tensorActivated to open it in the tensor view.
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

    QTableView *view() const { return m_view; }
    ModelTableModel *model() const { return m_model; }
    ModelSortProxy *proxy() const { return m_proxy; }
    QLineEdit *filterEdit() const { return m_filter; }
    QToolButton *sweepButton() const { return m_sweep; }
    QLabel *summaryLabel() const { return m_summary; }

Q_SIGNALS:
    void tensorActivated(std::size_t index);

private:
    void updateSummary();

    ModelTableModel *m_model = nullptr;
    ModelSortProxy *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QLineEdit *m_filter = nullptr;
    QToolButton *m_sweep = nullptr;
    QLabel *m_summary = nullptr;
    bool m_sweeping = false;
};

} // namespace qs::ui
