#pragma once

#include "io/tensorinfo.h"

#include <QAbstractItemModel>
#include <QFontMetrics>
#include <QString>

#include <optional>
#include <vector>

namespace qs::ui {

// The tensors of a checkpoint as a tree of their dotted name prefixes: "a.b.c", "a.b.d", "a.e"
// become a ▸ b ▸ {c, d}, e. A group with a single child is merged with it ("q_proj.weight"),
// siblings are in natural order (layers 2 before 10). Built in one O(n log n) pass; display
// texts are made on demand, so 10,000 tensors stay smooth.
class TensorTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, ShapeColumn, DTypeColumn, ElementsColumn, ColumnCount };
    enum Role {
        TensorIndexRole = Qt::UserRole + 1, // qulonglong index in the reader's list; invalid for groups
        PathRole,                           // full dotted name of the tensor or group
        ConfiguredRole,                     // bool: the tensor is part of the exported configuration
    };

    explicit TensorTreeModel(QObject *parent = nullptr);

    void setTensors(const std::vector<qs::TensorInfo> &tensors);
    void clear();
    std::size_t tensorCount() const { return m_tensors.size(); }

    QModelIndex indexForTensor(std::size_t tensor, int column = NameColumn) const;
    std::optional<std::size_t> tensorAt(const QModelIndex &index) const;
    void setConfigured(std::size_t tensor, bool configured);
    // The browser's filter: a group's Elements and tooltip count only the tensors whose full
    // name contains `text` (any case), the ones the filtered tree shows.
    void setFilterText(const QString &text);
    QString filterText() const { return m_filter; }

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// The width the Name column needs to show every label whole in a view that indents each
    /// level by indentation pixels (the top level once, for its expand arrow): the widest of
    /// depth · indentation + the label's advance in metrics.
    int widestLabel(const QFontMetrics &metrics, int indentation) const;

private:
    struct Node {
        QString label;
        QString path;
        int parent = -1;
        int row = 0;
        std::vector<int> children;
        qint64 tensor = -1; // -1 for groups
        qint64 elements = 0;
        int tensorCount = 0;
        qint64 matchingElements = 0; // of the tensors matching the filter
        int matchingTensors = 0;
    };

    void buildTrie();
    void collapseChains(int node);
    void finish(int node, const QString &parentPath);
    void countMatches();
    void emitGroupsChanged(int node);
    int nodeId(const QModelIndex &index) const;
    QVariant displayData(const Node &node, int column) const;
    QVariant toolTip(const Node &node) const;

    std::vector<qs::TensorInfo> m_tensors;
    std::vector<Node> m_nodes; // m_nodes[0] is the invisible root
    std::vector<int> m_tensorNode;
    std::vector<bool> m_configured;
    QString m_filter;
};

} // namespace qs::ui
