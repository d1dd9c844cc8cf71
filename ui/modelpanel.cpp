#include "modelpanel.h"

#include "displayformat.h"
#include "modeltablemodel.h"

#include <QAction>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace qs::ui {

ModelPanel::ModelPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new ModelTableModel(this))
    , m_proxy(new ModelSortProxy(this))
    , m_view(new QTableView(this))
    , m_filter(new QLineEdit(this))
    , m_sweep(new QToolButton(this))
    , m_summary(new QLabel(this)) {
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
    QHeaderView *header = m_view->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(false);
    header->setDefaultSectionSize(m_view->fontMetrics().horizontalAdvance(QStringLiteral("0.000e-00  ")));
    header->resizeSection(ModelTableModel::Name, m_view->fontMetrics().averageCharWidth() * 34);
    header->resizeSection(ModelTableModel::Scheme, m_view->fontMetrics().averageCharWidth() * 30);
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
    layout->addWidget(m_view, 1);
    updateSummary();
}

void ModelPanel::setTensors(const std::vector<qs::TensorInfo> &tensors) {
    m_model->setTensors(tensors);
    updateSummary();
}

void ModelPanel::clearResults() {
    m_model->clearResults();
    updateSummary();
}

void ModelPanel::addSummary(const qs::TensorSummary &summary) {
    m_model->setSummary(summary);
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
