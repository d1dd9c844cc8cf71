#include "methodtable.h"

#include "plots/plotstyle.h"

#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStackedLayout>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace qs::ui {

namespace {

QString percentText(double fraction) {
    const double percent = fraction * 100.0;
    if (!std::isfinite(percent))
        return QStringLiteral("–");
    if (percent == 0.0)
        return QStringLiteral("0");
    return QString::number(percent, 'g', std::abs(percent) >= 10.0 ? 3 : 2);
}

// The number a cell stands for, unformatted, for the clipboard.
QString rawText(const MethodRow &row, int column) {
    switch (column) {
    case MethodTableModel::Method:
        return row.label;
    case MethodTableModel::ClipLo:
        return QString::number(row.clipLo, 'g', 7);
    case MethodTableModel::ClipHi:
        return QString::number(row.clipHi, 'g', 7);
    case MethodTableModel::Mse:
        return QString::number(row.mse, 'g', 7);
    case MethodTableModel::Sqnr:
        return row.sqnrDb ? QString::number(*row.sqnrDb, 'f', 2) : QStringLiteral("inf");
    case MethodTableModel::Clipped:
        return QString::number(row.clippedFraction * 100.0, 'g', 6);
    default:
        return QString();
    }
}

} // namespace

void MethodTableModel::setRows(std::vector<MethodRow> rows) {
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

int MethodTableModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int MethodTableModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MethodTableModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const MethodRow &row = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return displayText(row, index.column());
    case Qt::UserRole:
        return sortValue(row, index.column());
    case Qt::TextAlignmentRole:
        if (index.column() == Method)
            return QVariant::fromValue(Qt::AlignLeft | Qt::AlignVCenter);
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        if (index.column() == Apply)
            return tr("Use %1 for this tensor").arg(row.label);
        return QString(row.label + QStringLiteral(": ") + rawText(row, index.column()));
    default:
        return {};
    }
}

QVariant MethodTableModel::displayText(const MethodRow &row, int column) const {
    switch (column) {
    case Method:
        return row.label;
    case ClipLo:
        return formatNumber(row.clipLo, 4);
    case ClipHi:
        return formatNumber(row.clipHi, 4);
    case Mse:
        return formatNumber(row.mse, 3);
    case Sqnr:
        return row.sqnrDb ? QString::number(*row.sqnrDb, 'f', 1) : QStringLiteral("∞");
    case Clipped:
        return percentText(row.clippedFraction);
    default:
        return QString();
    }
}

QVariant MethodTableModel::sortValue(const MethodRow &row, int column) const {
    switch (column) {
    case Method:
        return row.label;
    case ClipLo:
        return row.clipLo;
    case ClipHi:
        return row.clipHi;
    case Mse:
        return row.mse;
    case Sqnr:
        return row.sqnrDb.value_or(std::numeric_limits<double>::infinity());
    case Clipped:
        return row.clippedFraction;
    default:
        return QVariant();
    }
}

QVariant MethodTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue((section == Method ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case ClipLo:
        case ClipHi:
            return tr("The range the method chose, in the tensor's value units");
        case Mse:
            return tr("Mean squared error of x − Q(x), in value units squared");
        case Sqnr:
            return tr("Signal to quantization noise ratio, 10·log10(Σx² / Σ(x − Q(x))²)");
        case Clipped:
            return tr("Share of the values outside the range, saturated to its ends");
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Method:
        return tr("Method");
    case ClipLo:
        return tr("Clip lo (value)");
    case ClipHi:
        return tr("Clip hi (value)");
    case Mse:
        return tr("MSE (value²)");
    case Sqnr:
        return tr("SQNR (dB)");
    case Clipped:
        return tr("Clipped (%)");
    default:
        return QString();
    }
}

MethodTable::MethodTable(QWidget *parent)
    : QWidget(parent)
    , m_model(new MethodTableModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_view(new QTableView)
    , m_empty(new QLabel) {
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::UserRole);
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(MethodTableModel::Mse, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectItems);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(false);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(MethodTableModel::Method, QHeaderView::Stretch);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->installEventFilter(this);
    m_view->setToolTip(tr("<b>Calibration methods</b> on this tensor: the range each chose and the "
                          "error it leaves. Click a header to sort; Apply (or a double-click) uses "
                          "that method; Ctrl+C copies the selected cells."));
    connect(m_view, &QTableView::doubleClicked, this,
            [this](const QModelIndex &index) { applyViewRow(index.row()); });
    connect(m_view, &QWidget::customContextMenuRequested, this, &MethodTable::showContextMenu);

    setComputing(false);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_stack = new QStackedLayout;
    m_stack->addWidget(m_empty);
    m_stack->addWidget(m_view);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(m_stack);
    clear();
}

void MethodTable::setRows(std::vector<MethodRow> rows) {
    m_model->setRows(std::move(rows));
    m_stack->setCurrentWidget(m_model->rows().empty() ? static_cast<QWidget *>(m_empty) : m_view);
    createButtons();
}

void MethodTable::setComputing(bool computing) {
    m_empty->setText(computing ? tr("Comparing the calibration methods on this tensor…")
                               : tr("Methods appear for per-tensor int schemes"));
}

// A button per row; it stays with its row when the view is sorted (the proxy keeps the index).
void MethodTable::createButtons() {
    for (int row = 0; row < m_model->rowCount(); ++row) {
        auto *button = new QPushButton(tr("Apply"));
        button->setObjectName(QStringLiteral("applyMethod"));
        button->setToolTip(tr("Use %1 for this tensor").arg(m_model->rows()[std::size_t(row)].label));
        connect(button, &QPushButton::clicked, this,
                [this, row] { Q_EMIT applyRequested(m_model->rows()[std::size_t(row)].spec); });
        m_view->setIndexWidget(m_proxy->mapFromSource(m_model->index(row, MethodTableModel::Apply)), button);
    }
}

void MethodTable::applyViewRow(int viewRow) {
    const QModelIndex source = m_proxy->mapToSource(m_proxy->index(viewRow, 0));
    if (source.isValid())
        Q_EMIT applyRequested(m_model->rows()[std::size_t(source.row())].spec);
}

void MethodTable::showContextMenu(const QPoint &pos) {
    const QModelIndex index = m_view->indexAt(pos);
    QMenu menu(this);
    if (index.isValid()) {
        const QModelIndex source = m_proxy->mapToSource(index);
        const QString label = m_model->rows()[std::size_t(source.row())].label;
        menu.addAction(tr("Apply %1").arg(label), this, [this, row = index.row()] { applyViewRow(row); });
    }
    QAction *copy = menu.addAction(tr("Copy"), this, &MethodTable::copySelection);
    copy->setShortcut(QKeySequence::Copy);
    copy->setEnabled(m_view->selectionModel()->hasSelection());
    menu.exec(m_view->viewport()->mapToGlobal(pos));
}

QString MethodTable::selectionAsTsv() const {
    // Rows and columns in the order the view shows them.
    std::map<int, std::map<int, QModelIndex>> cells;
    for (const QModelIndex &index : m_view->selectionModel()->selectedIndexes())
        if (index.column() != MethodTableModel::Apply)
            cells[index.row()][m_view->horizontalHeader()->visualIndex(index.column())] = index;
    if (cells.empty())
        return QString();
    std::map<int, int> columns; // visual → logical
    for (const auto &[row, byColumn] : cells)
        for (const auto &[visual, index] : byColumn)
            columns[visual] = index.column();
    QStringList lines;
    QStringList header;
    for (const auto &[visual, logical] : columns)
        header << m_model->headerData(logical, Qt::Horizontal).toString();
    lines << header.join(QLatin1Char('\t'));
    for (const auto &[row, byColumn] : cells) {
        QStringList fields;
        const MethodRow &method =
            m_model->rows()[std::size_t(m_proxy->mapToSource(m_proxy->index(row, 0)).row())];
        for (const auto &[visual, logical] : columns)
            fields << (byColumn.count(visual) ? rawText(method, logical) : QString());
        lines << fields.join(QLatin1Char('\t'));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

void MethodTable::copySelection() const {
    const QString text = selectionAsTsv();
    if (!text.isEmpty())
        QApplication::clipboard()->setText(text);
}

bool MethodTable::eventFilter(QObject *watched, QEvent *event) {
    // The view would copy only the current cell's text; the whole selection is wanted.
    if (watched == m_view &&
        (event->type() == QEvent::KeyPress || event->type() == QEvent::ShortcutOverride)) {
        auto *key = static_cast<QKeyEvent *>(event);
        if (key->matches(QKeySequence::Copy)) {
            if (event->type() == QEvent::KeyPress)
                copySelection();
            event->accept();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace qs::ui
