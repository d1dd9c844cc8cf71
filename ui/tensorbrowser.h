#pragma once

#include "io/tensorinfo.h"

#include <QTimer>
#include <QWidget>

#include <array>
#include <optional>
#include <vector>

class QLineEdit;
class QModelIndex;
class QSortFilterProxyModel;
class QTreeView;

namespace qs::ui {

class TensorTreeModel;

// The checkpoint's tensors as a tree of dotted name prefixes with a filter box (Ctrl+F in the
// window). Selecting a tensor emits tensorSelected.
class TensorBrowser : public QWidget {
    Q_OBJECT
public:
    explicit TensorBrowser(QWidget *parent = nullptr);

    void setTensors(const std::vector<qs::TensorInfo> &tensors);
    void selectTensor(std::size_t index);
    std::optional<std::size_t> currentTensor() const;
    void setConfigured(std::size_t index, bool configured);
    // Applies a filter at once (typing applies it after a short pause).
    void setFilterText(const QString &text);
    void focusFilter();

    QTreeView *view() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filter; }
    TensorTreeModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    // The view's index of a tensor (invalid when filtered out).
    QModelIndex viewIndex(std::size_t tensor) const;

Q_SIGNALS:
    void tensorSelected(std::size_t index);

protected:
    void resizeEvent(QResizeEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void applyFilter();
    void onCurrentChanged(const QModelIndex &current);
    void selectFirstVisibleTensor();
    void sizeColumns();
    void fitColumns();
    void sizeTypeColumn(bool blockTypes);
    int headerMinimum(int column) const;
    int columnWidth(const QStringList &typical, int column) const;

    QLineEdit *m_filter = nullptr;
    QTreeView *m_view = nullptr;
    TensorTreeModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTimer m_filterTimer;
    int m_nameWidth = 0;                   // what the tensors' names need, 0 before any are shown
    int m_shapeFloor = 0;                  // the shape column's width for "4096×…"
    std::array<int, 4> m_idealWidths{};    // by column, from the font; the name column stretches
    std::optional<std::size_t> m_selected; // the tensor last selected, kept while filtered out
};

} // namespace qs::ui
