#include "modelpanel.h"

#include "displayformat.h"
#include "modeltablemodel.h"
#include "plots/layerchart.h"

#include <QAction>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace qs::ui {

namespace {

const QString kSplitterKey = QStringLiteral("modelPanel/splitter");
// The chart's share of a panel that has not been arranged by the user yet: enough for its
// legend and a readable axis at 1024 px, while the table keeps its first columns.
constexpr int kChartStretch = 2;
constexpr int kTableStretch = 3;
constexpr int kChartMinWidthPx = 280;

} // namespace

ModelPanel::ModelPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new ModelTableModel(this))
    , m_proxy(new ModelSortProxy(this))
    , m_view(new QTableView(this))
    , m_filter(new QLineEdit(this))
    , m_sweep(new QToolButton(this))
    , m_summary(new QLabel(this))
    , m_chart(new LayerChart(this))
    , m_splitter(new QSplitter(Qt::Horizontal, this)) {
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::UserRole);
    m_proxy->setFilterKeyColumn(ModelTableModel::Name);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_view->setObjectName(QStringLiteral("modelTable"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(-1, Qt::AscendingOrder); // file order until a header is clicked
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideMiddle); // a dotted name's ends say the most
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->horizontalHeader()->setStretchLastSection(false);
    sizeColumns();
    m_view->viewport()->installEventFilter(this);
    m_view->setToolTip(
        tr("<b>Every tensor</b> of the checkpoint with what the sweep measured under the "
           "default scheme. Click a header to sort; double-click (or Enter) opens the tensor."));
    connect(m_view, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        const QModelIndex source = m_proxy->mapToSource(index);
        if (source.isValid())
            Q_EMIT tensorActivated(std::size_t(source.row()));
    });

    m_filter->setObjectName(QStringLiteral("modelFilter"));
    m_filter->setPlaceholderText(tr("Filter by name"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_filter, &QLineEdit::textChanged, this, &ModelPanel::updateSummary);
    m_sweep->setObjectName(QStringLiteral("sweepButton"));
    m_sweep->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_summary->setForegroundRole(QPalette::PlaceholderText);

    auto *top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_sweep);
    top->addWidget(m_filter, 1);
    top->addWidget(m_summary, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addWidget(m_splitter, 1);
    setupSplitter();
    updateSummary();
}

// Table and chart side by side: the panel is wide and short wherever it docks, so a split this
// way leaves both their height. The user's arrangement (also a collapsed chart) is kept across
// sessions.
void ModelPanel::setupSplitter() {
    m_splitter->setObjectName(QStringLiteral("modelSplitter"));
    m_splitter->addWidget(m_view);
    m_splitter->addWidget(m_chart);
    m_splitter->setStretchFactor(0, kTableStretch);
    m_splitter->setStretchFactor(1, kChartStretch);
    m_splitter->setCollapsible(0, false);
    m_chart->setMinimumWidth(kChartMinWidthPx);
    m_splitter->restoreState(QSettings().value(kSplitterKey).toByteArray());
    connect(m_splitter, &QSplitter::splitterMoved, this,
            [this] { QSettings().setValue(kSplitterKey, m_splitter->saveState()); });
    connect(m_chart, &LayerChart::tensorActivated, this, &ModelPanel::tensorActivated);
}

// Each column as wide as its title (with room for the sort arrow) or a typical value, whichever
// is wider: the view's content is not there yet when the panel is built, and sizing to the
// content on every arriving row would make the columns jump.
void ModelPanel::sizeColumns() {
    static const char *const typical[ModelTableModel::ColumnCount] = {
        "model.layers.10.self_attn.q_proj.weig",
        "13824 × 5120",
        "BF16",
        "2.10 M",
        "int 8 · symmetric · tensor · minmax",
        "16.00",
        "4.00 MiB",
        "5.39e-08",
        "38.7",
        "0.0123",
        "4.02e-04",
        "0.012 %",
        "0.012 %",
        "-1.20",
        "12.3",
        "5.39e-08",
    };
    const QFontMetrics text = m_view->fontMetrics();
    const QFontMetrics title = m_view->horizontalHeader()->fontMetrics();
    const int arrow = m_view->style()->pixelMetric(QStyle::PM_HeaderMarkSize) + 16;
    for (int column = 0; column < ModelTableModel::ColumnCount; ++column) {
        const QString header = m_model->headerData(column, Qt::Horizontal).toString();
        const int width = std::max(title.horizontalAdvance(header) + arrow,
                                   text.horizontalAdvance(QString::fromUtf8(typical[column])) + 20);
        m_view->horizontalHeader()->resizeSection(column, width);
        m_idealWidths[std::size_t(column)] = width;
    }
}

// Room the columns leave in a wide window goes to the names, down to their typical width.
void ModelPanel::fitNameColumn() {
    int others = 0;
    for (int column = 1; column < ModelTableModel::ColumnCount; ++column)
        others += m_view->horizontalHeader()->sectionSize(column);
    const int name = m_idealWidths[ModelTableModel::Name];
    m_view->horizontalHeader()->resizeSection(ModelTableModel::Name,
                                              std::max(name, m_view->viewport()->width() - others));
}

bool ModelPanel::eventFilter(QObject *watched, QEvent *event) {
    if (watched == m_view->viewport() && event->type() == QEvent::Resize)
        fitNameColumn();
    return QWidget::eventFilter(watched, event);
}

int ModelPanel::heightForRows(int rows) const {
    const int top = m_sweep->sizeHint().height() + 12;
    const int header = m_view->horizontalHeader()->sizeHint().height();
    const int scrollBar = m_view->style()->pixelMetric(QStyle::PM_ScrollBarExtent);
    return top + header + rows * m_view->verticalHeader()->defaultSectionSize() + scrollBar + 4;
}

void ModelPanel::setTensors(const std::vector<qs::TensorInfo> &tensors) {
    m_model->setTensors(tensors);
    m_chart->setTensors(tensors);
    sizeColumns(); // the font is final by now
    fitNameColumn();
    updateSummary();
}

void ModelPanel::clearResults() {
    m_model->clearResults();
    m_chart->clearResults();
    updateSummary();
}

void ModelPanel::addSummary(const qs::TensorSummary &summary) {
    m_model->setSummary(summary);
    m_chart->addSummary(summary);
    updateSummary();
}

void ModelPanel::setSweepAction(QAction *action) {
    m_sweep->setDefaultAction(action);
}

void ModelPanel::setSweeping(bool sweeping) {
    m_sweeping = sweeping;
    updateSummary();
}

void ModelPanel::setFilterText(const QString &text) {
    m_filter->setText(text);
}

void ModelPanel::updateSummary() {
    const int all = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    QString text =
        shown == all ? countOf(all, tr("tensor"), tr("tensors")) : tr("%1 of %2 tensors").arg(shown).arg(all);
    if (all > 0 && m_model->summaryCount() == 0 && !m_sweeping)
        text += tr(" · not swept yet");
    else if (m_model->summaryCount() < all)
        text += tr(" · %1 swept").arg(m_model->summaryCount());
    m_summary->setText(text);
}

} // namespace qs::ui
