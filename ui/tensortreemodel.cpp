#include "tensortreemodel.h"

#include "displayformat.h"

#include <QFont>
#include <QHash>

#include <algorithm>

namespace qs::ui {

namespace {

constexpr int kRoot = 0;

bool isDigit(QChar c) {
    return c >= QLatin1Char('0') && c <= QLatin1Char('9');
}

// Compares runs of digits by value so that "layers.2" sorts before "layers.10".
bool naturalLess(QStringView a, QStringView b) {
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < a.size() && j < b.size()) {
        if (isDigit(a[i]) && isDigit(b[j])) {
            qsizetype ie = i;
            qsizetype je = j;
            while (ie < a.size() && isDigit(a[ie]))
                ++ie;
            while (je < b.size() && isDigit(b[je]))
                ++je;
            QStringView da = a.mid(i, ie - i);
            QStringView db = b.mid(j, je - j);
            while (da.size() > 1 && da.front() == QLatin1Char('0'))
                da = da.mid(1);
            while (db.size() > 1 && db.front() == QLatin1Char('0'))
                db = db.mid(1);
            if (da.size() != db.size())
                return da.size() < db.size();
            if (const int c = da.compare(db); c != 0)
                return c < 0;
            i = ie;
            j = je;
            continue;
        }
        if (a[i] != b[j])
            return a[i] < b[j];
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j;
}

// Block types (GGUF's Q4_K, ...) store a fractional number of bits per value: show it beside
// the type, which alone does not say how much the format shrank the tensor. One decimal
// ("Q6_K · 6.6 bpw" for 6.5625) keeps the column narrow; the tooltip has more digits.
QString typeText(const qs::TensorInfo &info) {
    const QString name = QString::fromStdString(info.typeName());
    if (info.storageType.empty() || info.elementCount() <= 0)
        return name;
    return name + QStringLiteral(" \u00B7 ") + QString::number(info.bitsPerWeight(), 'f', 1) +
           QStringLiteral(" bpw");
}

} // namespace

TensorTreeModel::TensorTreeModel(QObject *parent)
    : QAbstractItemModel(parent) {
    m_nodes.emplace_back();
}

void TensorTreeModel::setTensors(const std::vector<qs::TensorInfo> &tensors) {
    beginResetModel();
    m_tensors = tensors;
    m_configured.assign(m_tensors.size(), false);
    buildTrie();
    collapseChains(kRoot);
    finish(kRoot, QString());
    countMatches();
    endResetModel();
}

void TensorTreeModel::clear() {
    setTensors({});
}

void TensorTreeModel::buildTrie() {
    m_nodes.clear();
    m_nodes.emplace_back();
    m_tensorNode.assign(m_tensors.size(), -1);
    QHash<QPair<int, QString>, int> groups;
    for (std::size_t t = 0; t < m_tensors.size(); ++t) {
        const QStringList parts = QString::fromStdString(m_tensors[t].name).split(QLatin1Char('.'));
        int parent = kRoot;
        for (qsizetype p = 0; p + 1 < parts.size(); ++p) {
            const QPair<int, QString> key(parent, parts[p]);
            auto it = groups.constFind(key);
            if (it == groups.constEnd()) {
                Node group;
                group.label = parts[p];
                group.parent = parent;
                m_nodes.push_back(group);
                const int id = int(m_nodes.size()) - 1;
                m_nodes[parent].children.push_back(id);
                it = groups.insert(key, id);
            }
            parent = *it;
        }
        // A leaf is always its own node, so "a.b" and "a.b.c" may both be tensors.
        Node leaf;
        leaf.label = parts.back();
        leaf.parent = parent;
        leaf.tensor = qint64(t);
        m_nodes.push_back(leaf);
        m_tensorNode[t] = int(m_nodes.size()) - 1;
        m_nodes[parent].children.push_back(m_tensorNode[t]);
    }
}

void TensorTreeModel::collapseChains(int node) {
    for (int &child : m_nodes[node].children) {
        // A group with one child adds a click and no information: show "q_proj.weight" instead.
        while (m_nodes[child].tensor < 0 && m_nodes[child].children.size() == 1) {
            const int only = m_nodes[child].children.front();
            m_nodes[only].label = m_nodes[child].label + QLatin1Char('.') + m_nodes[only].label;
            m_nodes[only].parent = node;
            m_nodes[child].children.clear();
            child = only;
        }
        collapseChains(child);
    }
}

void TensorTreeModel::finish(int node, const QString &parentPath) {
    Node &n = m_nodes[node];
    if (node != kRoot)
        n.path = parentPath.isEmpty() ? n.label : parentPath + QLatin1Char('.') + n.label;
    std::stable_sort(n.children.begin(), n.children.end(),
                     [this](int a, int b) { return naturalLess(m_nodes[a].label, m_nodes[b].label); });
    if (n.tensor >= 0) {
        n.elements = m_tensors[std::size_t(n.tensor)].elementCount();
        n.tensorCount = 1;
    }
    for (std::size_t r = 0; r < n.children.size(); ++r) {
        const int child = m_nodes[node].children[r];
        m_nodes[child].row = int(r);
        finish(child, m_nodes[node].path);
        m_nodes[node].elements += m_nodes[child].elements;
        m_nodes[node].tensorCount += m_nodes[child].tensorCount;
    }
}

// Parents come before their children in m_nodes (a group is made before what it holds, and
// merging single children only moves a node under an older ancestor), so one backward pass
// sums every group.
void TensorTreeModel::countMatches() {
    for (Node &node : m_nodes) {
        const bool match = node.tensor >= 0 && node.path.contains(m_filter, Qt::CaseInsensitive);
        node.matchingElements = match ? node.elements : 0;
        node.matchingTensors = match ? 1 : 0;
    }
    for (std::size_t id = m_nodes.size() - 1; id > 0; --id) {
        Node &parent = m_nodes[std::size_t(m_nodes[id].parent)];
        parent.matchingElements += m_nodes[id].matchingElements;
        parent.matchingTensors += m_nodes[id].matchingTensors;
    }
}

void TensorTreeModel::setFilterText(const QString &text) {
    if (text == m_filter)
        return;
    m_filter = text;
    countMatches();
    emitGroupsChanged(kRoot);
}

void TensorTreeModel::emitGroupsChanged(int node) {
    for (int child : m_nodes[node].children) {
        if (m_nodes[child].tensor >= 0)
            continue;
        const int row = m_nodes[child].row;
        Q_EMIT dataChanged(createIndex(row, 0, quintptr(child)),
                           createIndex(row, ColumnCount - 1, quintptr(child)),
                           {Qt::DisplayRole, Qt::ToolTipRole});
        emitGroupsChanged(child);
    }
}

QModelIndex TensorTreeModel::indexForTensor(std::size_t tensor, int column) const {
    if (tensor >= m_tensorNode.size())
        return {};
    const int id = m_tensorNode[tensor];
    return createIndex(m_nodes[id].row, column, quintptr(id));
}

std::optional<std::size_t> TensorTreeModel::tensorAt(const QModelIndex &index) const {
    if (!index.isValid() || index.model() != this)
        return std::nullopt;
    const qint64 tensor = m_nodes[nodeId(index)].tensor;
    if (tensor < 0)
        return std::nullopt;
    return std::size_t(tensor);
}

void TensorTreeModel::setConfigured(std::size_t tensor, bool configured) {
    if (tensor >= m_configured.size() || m_configured[tensor] == configured)
        return;
    m_configured[tensor] = configured;
    Q_EMIT dataChanged(indexForTensor(tensor, NameColumn), indexForTensor(tensor, ColumnCount - 1));
}

int TensorTreeModel::nodeId(const QModelIndex &index) const {
    return index.isValid() ? int(index.internalId()) : kRoot;
}

QModelIndex TensorTreeModel::index(int row, int column, const QModelIndex &parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount || (parent.isValid() && parent.column() != 0))
        return {};
    const Node &p = m_nodes[nodeId(parent)];
    if (std::size_t(row) >= p.children.size())
        return {};
    return createIndex(row, column, quintptr(p.children[std::size_t(row)]));
}

QModelIndex TensorTreeModel::parent(const QModelIndex &child) const {
    if (!child.isValid())
        return {};
    const int parent = m_nodes[nodeId(child)].parent;
    if (parent <= kRoot)
        return {};
    return createIndex(m_nodes[parent].row, 0, quintptr(parent));
}

int TensorTreeModel::rowCount(const QModelIndex &parent) const {
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(m_nodes[nodeId(parent)].children.size());
}

int TensorTreeModel::columnCount(const QModelIndex &) const {
    return ColumnCount;
}

int TensorTreeModel::widestLabel(const QFontMetrics &metrics, int indentation) const {
    // Labels repeat across layers ("q_proj.weight" once a layer): each is measured once.
    QHash<QString, int> advances;
    int widest = 0;
    for (std::size_t id = 1; id < m_nodes.size(); ++id) {
        int depth = 0;
        for (int node = int(id); node > 0; node = m_nodes[std::size_t(node)].parent)
            ++depth;
        const QString &label = m_nodes[id].label;
        auto advance = advances.constFind(label);
        if (advance == advances.constEnd())
            advance = advances.insert(label, metrics.horizontalAdvance(label));
        widest = std::max(widest, depth * indentation + *advance);
    }
    return widest;
}

QVariant TensorTreeModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node &node = m_nodes[nodeId(index)];
    const bool leaf = node.tensor >= 0;
    switch (role) {
    case Qt::DisplayRole:
        return displayData(node, index.column());
    case Qt::ToolTipRole:
        return toolTip(node);
    case Qt::TextAlignmentRole:
        return index.column() == NameColumn ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    case Qt::FontRole:
        if (leaf && m_configured[std::size_t(node.tensor)]) {
            QFont font;
            font.setBold(true);
            return font;
        }
        return {};
    case TensorIndexRole:
        return leaf ? QVariant(qulonglong(node.tensor)) : QVariant();
    case PathRole:
        return node.path;
    case ConfiguredRole:
        return leaf && m_configured[std::size_t(node.tensor)];
    default:
        return {};
    }
}

QVariant TensorTreeModel::displayData(const Node &node, int column) const {
    if (node.tensor < 0) {
        if (column == NameColumn)
            return node.label;
        return column == ElementsColumn ? QVariant(formatCompactCount(node.matchingElements)) : QVariant();
    }
    const qs::TensorInfo &info = m_tensors[std::size_t(node.tensor)];
    switch (column) {
    case NameColumn:
        return node.label.isEmpty() ? tr("(unnamed)") : node.label;
    case ShapeColumn:
        return formatShape(info.shape);
    case DTypeColumn:
        return typeText(info);
    case ElementsColumn:
        return formatCompactCount(node.elements);
    default:
        return {};
    }
}

QVariant TensorTreeModel::toolTip(const Node &node) const {
    if (node.tensor < 0) {
        QString text = node.path + QLatin1Char('\n') +
                       tr("%1, %2 values")
                           .arg(countOf(node.matchingTensors, tr("tensor"), tr("tensors")),
                                formatCount(node.matchingElements));
        if (!m_filter.isEmpty())
            text += QLatin1Char('\n') +
                    tr("matching \"%1\", of %2 in the group")
                        .arg(m_filter, countOf(node.tensorCount, tr("tensor"), tr("tensors")));
        return text;
    }
    const qs::TensorInfo &info = m_tensors[std::size_t(node.tensor)];
    QString text = tr("%1\n%2, %3 (%4 values, %5)")
                       .arg(node.path, QString::fromStdString(info.typeName()), formatShape(info.shape),
                            formatCount(node.elements), formatBytes(info.byteSize));
    if (!info.storageType.empty())
        text +=
            QLatin1Char('\n') + tr("Stored as %1 blocks: %2 bits per weight (bpw), block scales included; "
                                   "decoded to float32 for viewing")
                                    .arg(QString::fromStdString(info.storageType))
                                    .arg(info.bitsPerWeight(), 0, 'g', 4);
    if (m_configured[std::size_t(node.tensor)])
        text += QLatin1Char('\n') + tr("Configured: included in the exported configuration");
    return text;
}

QVariant TensorTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Name");
        case ShapeColumn:
            return tr("Shape");
        case DTypeColumn:
            return tr("Type");
        case ElementsColumn:
            return tr("Elements");
        default:
            return {};
        }
    }
    if (role == Qt::TextAlignmentRole && section != NameColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

} // namespace qs::ui
