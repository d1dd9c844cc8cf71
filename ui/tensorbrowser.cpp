#include "tensorbrowser.h"

#include "elidingdelegate.h"
#include "tensortreemodel.h"

#include <QHeaderView>
#include <QKeyEvent>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QStyle>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace qs::ui {

namespace {

constexpr int kFilterDelayMs = 150;
// In a narrow dock the name keeps this share of the width (percent), and at least this many px.
constexpr int kNameShare = 40;
constexpr int kMinNameWidth = 80;
constexpr int kMinColumnWidth = 28;
// Up to this many tensors the whole tree starts expanded; beyond, only the top level.
constexpr std::size_t kExpandAllLimit = 400;

} // namespace

TensorBrowser::TensorBrowser(QWidget *parent)
    : QWidget(parent) {
    m_model = new TensorTreeModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterRole(TensorTreeModel::PathRole);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setRecursiveFilteringEnabled(true);

    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter tensors (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(tr("Shows the tensors whose full dotted name contains this text, e.g. "
                            "\"layers.0.\" or \"q_proj\"; a group's Elements then counts the matches.\n"
                            "Enter selects the first match, Down moves to the list, Escape clears."));
    m_filter->installEventFilter(this);

    m_view = new QTreeView(this);
    m_view->setModel(m_proxy);
    m_view->setUniformRowHeights(true); // keeps 10,000 rows smooth
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setAllColumnsShowFocus(true);
    m_view->setIndentation(12);
    // Siblings differ at the start ("q_proj.weight", "k_proj.weight"): keep it, elide the end.
    m_view->setTextElideMode(Qt::ElideRight);
    // A shape cut at the right loses its last dimensions mid-number; drop inner ones instead.
    m_view->setItemDelegateForColumn(TensorTreeModel::ShapeColumn,
                                     new ElidingDelegate(ElideStyle::Shape, m_view));
    sizeColumns();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 0, 4);
    layout->setSpacing(4);
    layout->addWidget(m_filter);
    layout->addWidget(m_view, 1);

    m_filterTimer.setSingleShot(true);
    m_filterTimer.setInterval(kFilterDelayMs);
    connect(&m_filterTimer, &QTimer::timeout, this, &TensorBrowser::applyFilter);
    connect(m_filter, &QLineEdit::textChanged, &m_filterTimer, qOverload<>(&QTimer::start));
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) { onCurrentChanged(current); });
}

int TensorBrowser::columnWidth(const QStringList &typical, int column) const {
    // Fixed widths from the font: measuring 10,000 rows to fit contents would stall.
    const QFontMetrics metrics(m_view->font());
    const int pad = metrics.horizontalAdvance(QLatin1Char('M'));
    const QString title = m_model->headerData(column, Qt::Horizontal).toString();
    int widest = metrics.horizontalAdvance(title) + pad;
    for (const QString &text : typical)
        widest = std::max(widest, metrics.horizontalAdvance(text));
    return widest + pad;
}

// The narrowest a column gets: its title whole ("hape" read like a typo), or kMinColumnWidth.
int TensorBrowser::headerMinimum(int column) const {
    const QHeaderView *header = m_view->header();
    const QString title = m_model->headerData(column, Qt::Horizontal).toString();
    const int margins = 2 * header->style()->pixelMetric(QStyle::PM_HeaderMargin, nullptr, header) + 4;
    return std::max(kMinColumnWidth, header->fontMetrics().horizontalAdvance(title) + margins);
}

void TensorBrowser::sizeColumns() {
    QHeaderView *header = m_view->header();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(TensorTreeModel::NameColumn, QHeaderView::Stretch);
    for (int column :
         {TensorTreeModel::ShapeColumn, TensorTreeModel::DTypeColumn, TensorTreeModel::ElementsColumn})
        header->setSectionResizeMode(column, QHeaderView::Interactive);
    // A large 2-D weight and a 4-D convolution kernel; longer shapes drop inner dimensions.
    m_idealWidths[TensorTreeModel::ShapeColumn] = columnWidth(
        {QStringLiteral("32000 × 4096"), QStringLiteral("64 × 64 × 3 × 3")}, TensorTreeModel::ShapeColumn);
    m_idealWidths[TensorTreeModel::ElementsColumn] =
        columnWidth({QStringLiteral("705 k")}, TensorTreeModel::ElementsColumn);
    // A typical whole first dimension, tight, as the eliding delegate shows it in its margins.
    const int cell = m_view->fontMetrics().horizontalAdvance(QStringLiteral("M")) * 20;
    m_shapeFloor = m_view->fontMetrics().horizontalAdvance(QStringLiteral("4096×…")) + cell -
                   ElidingDelegate::textWidth(cell, m_view);
    sizeTypeColumn(false);
}

// The name is what people read: in a narrow dock it keeps nearly half the width (or what the
// names need, when that is less), and the other columns give way: the shape first, down to a
// whole first dimension ("4096×…"; it drops inner dimensions gracefully), then the element
// count, then the type, each to its title, and last the shape to its title (where a shape
// shows cut: "409…").
void TensorBrowser::fitColumns() {
    // Before the dock is shown its width means nothing: every column gets its ideal width.
    const int available =
        m_view->isVisible() ? m_view->viewport()->width() : std::numeric_limits<int>::max() / 4;
    const int share = std::max(available * kNameShare / 100, kMinNameWidth);
    const int name = m_nameWidth > 0
                         ? std::min(share, std::max(m_nameWidth, headerMinimum(TensorTreeModel::NameColumn)))
                         : share;
    const int room = available - name;
    std::array<int, 4> widths = m_idealWidths;
    int deficit = -room;
    for (int column :
         {TensorTreeModel::ShapeColumn, TensorTreeModel::DTypeColumn, TensorTreeModel::ElementsColumn})
        deficit += widths[std::size_t(column)];
    auto giveWay = [&](int column, int floor) {
        int &width = widths[std::size_t(column)];
        const int narrower = std::max(std::min(width, floor), width - std::max(deficit, 0));
        deficit -= width - narrower;
        width = narrower;
    };
    const int shape = TensorTreeModel::ShapeColumn;
    giveWay(shape, std::max(headerMinimum(shape), m_shapeFloor));
    giveWay(TensorTreeModel::ElementsColumn, headerMinimum(TensorTreeModel::ElementsColumn));
    giveWay(TensorTreeModel::DTypeColumn, headerMinimum(TensorTreeModel::DTypeColumn));
    giveWay(shape, headerMinimum(shape));
    for (int column :
         {TensorTreeModel::ShapeColumn, TensorTreeModel::DTypeColumn, TensorTreeModel::ElementsColumn})
        m_view->header()->resizeSection(column, widths[std::size_t(column)]);
}

void TensorBrowser::resizeEvent(QResizeEvent *event) {
    QWidget::resizeEvent(event);
    fitColumns();
}

// Block types show their bits per weight beside the name ("Q6_K · 6.6 bpw"): a wider column.
void TensorBrowser::sizeTypeColumn(bool blockTypes) {
    m_idealWidths[TensorTreeModel::DTypeColumn] =
        columnWidth({blockTypes ? QStringLiteral("Q6_K · 6.6 bpw") : QStringLiteral("BF16")},
                    TensorTreeModel::DTypeColumn);
    fitColumns();
}

void TensorBrowser::setTensors(const std::vector<qs::TensorInfo> &tensors) {
    const QSignalBlocker blocker(m_view->selectionModel());
    m_selected.reset();
    m_model->setTensors(tensors);
    const QFontMetrics metrics(m_view->font());
    m_nameWidth = tensors.empty() ? 0
                                  : m_model->widestLabel(metrics, m_view->indentation()) +
                                        2 * metrics.horizontalAdvance(QLatin1Char('M'));
    sizeTypeColumn(std::any_of(tensors.begin(), tensors.end(),
                               [](const qs::TensorInfo &t) { return !t.storageType.empty(); }));
    if (tensors.size() <= kExpandAllLimit)
        m_view->expandAll();
    else
        m_view->expandToDepth(0);
}

QModelIndex TensorBrowser::viewIndex(std::size_t tensor) const {
    return m_proxy->mapFromSource(m_model->indexForTensor(tensor));
}

void TensorBrowser::selectTensor(std::size_t index) {
    QModelIndex target = viewIndex(index);
    if (!target.isValid() && !m_filter->text().isEmpty()) {
        setFilterText(QString()); // the tensor was filtered out: show everything again
        target = viewIndex(index);
    }
    if (!target.isValid())
        return;
    m_view->scrollTo(target);
    m_view->selectionModel()->setCurrentIndex(target, QItemSelectionModel::ClearAndSelect |
                                                          QItemSelectionModel::Rows);
}

std::optional<std::size_t> TensorBrowser::currentTensor() const {
    return m_model->tensorAt(m_proxy->mapToSource(m_view->currentIndex()));
}

void TensorBrowser::setConfigured(std::size_t index, bool configured) {
    m_model->setConfigured(index, configured);
}

void TensorBrowser::setFilterText(const QString &text) {
    {
        const QSignalBlocker blocker(m_filter);
        m_filter->setText(text);
    }
    applyFilter();
}

void TensorBrowser::focusFilter() {
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

void TensorBrowser::applyFilter() {
    m_filterTimer.stop();
    const QString text = m_filter->text().trimmed();
    {
        // Filtering removes rows, and the selection would wander to a neighbour and load it.
        const QSignalBlocker blocker(m_view->selectionModel());
        m_model->setFilterText(text);
        m_proxy->setFilterFixedString(text);
        if (!text.isEmpty() || m_model->tensorCount() <= kExpandAllLimit)
            m_view->expandAll();
        const QModelIndex kept = m_selected ? viewIndex(*m_selected) : QModelIndex();
        if (kept.isValid())
            m_view->selectionModel()->setCurrentIndex(kept, QItemSelectionModel::ClearAndSelect |
                                                                QItemSelectionModel::Rows);
        else
            m_view->selectionModel()->clear();
    }
    m_view->viewport()->update();
    if (m_view->currentIndex().isValid())
        m_view->scrollTo(m_view->currentIndex());
}

void TensorBrowser::onCurrentChanged(const QModelIndex &current) {
    if (const auto tensor = m_model->tensorAt(m_proxy->mapToSource(current))) {
        m_selected = tensor;
        Q_EMIT tensorSelected(*tensor);
    }
}

void TensorBrowser::selectFirstVisibleTensor() {
    QModelIndex index = m_proxy->index(0, 0);
    while (index.isValid() && m_proxy->hasChildren(index))
        index = m_proxy->index(0, 0, index);
    if (index.isValid()) {
        m_view->setFocus();
        m_view->scrollTo(index);
        m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect |
                                                             QItemSelectionModel::Rows);
    }
}

bool TensorBrowser::eventFilter(QObject *watched, QEvent *event) {
    // Escape clears a filter (and shows every tensor again) before any window shortcut sees it.
    const bool escape = (event->type() == QEvent::KeyPress || event->type() == QEvent::ShortcutOverride) &&
                        static_cast<QKeyEvent *>(event)->key() == Qt::Key_Escape;
    if (watched == m_filter && escape && !m_filter->text().isEmpty()) {
        if (event->type() == QEvent::ShortcutOverride)
            event->accept();
        else
            setFilterText(QString());
        return true;
    }
    if (watched == m_filter && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent *>(event)->key();
        if (key == Qt::Key_Return || key == Qt::Key_Enter) {
            applyFilter();
            selectFirstVisibleTensor();
            return true;
        }
        if (key == Qt::Key_Down) {
            m_view->setFocus();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace qs::ui
