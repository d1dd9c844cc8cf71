#include "checkpointpropertiesdialog.h"

#include "displayformat.h"
#include "io/checkpointreader.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

namespace qs::ui {

namespace {

// Tokenizer vocabularies run to megabytes: the tooltip shows the start of a long value.
constexpr qsizetype kToolTipChars = 2000;

QLabel *selectableLabel(const QString &text, const QString &objectName, QWidget *parent) {
    auto *label = new QLabel(text, parent);
    label->setObjectName(objectName);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}

std::uint64_t storedBytes(const qs::CheckpointReader &reader) {
    std::uint64_t total = 0;
    for (const qs::TensorInfo &tensor : reader.tensors())
        total += tensor.byteSize;
    return total;
}

QStandardItem *cell(const QString &text) {
    auto *item = new QStandardItem(text.left(kToolTipChars * 4));
    item->setEditable(false);
    item->setToolTip(text.size() > kToolTipChars ? text.left(kToolTipChars) + QStringLiteral("…") : text);
    return item;
}

} // namespace

CheckpointPropertiesDialog::CheckpointPropertiesDialog(const qs::CheckpointReader &reader, QWidget *parent)
    : QDialog(parent) {
    setObjectName(QStringLiteral("checkpointProperties"));
    setWindowTitle(tr("Properties of %1").arg(QFileInfo(toQString(reader.path())).fileName()));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(createSummary(reader));
    layout->addWidget(createMetadataTable(reader), 1);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(720, 560);
}

QWidget *CheckpointPropertiesDialog::createSummary(const qs::CheckpointReader &reader) {
    auto *summary = new QWidget(this);
    auto *form = new QFormLayout(summary);
    form->setContentsMargins(0, 0, 0, 0);
    const QFileInfo file(toQString(reader.path()));
    form->addRow(tr("Format:"),
                 selectableLabel(toQString(reader.formatName()), QStringLiteral("format"), this));
    form->addRow(tr("Path:"), selectableLabel(QDir::toNativeSeparators(file.absoluteFilePath()),
                                              QStringLiteral("path"), this));
    form->addRow(tr("File size:"),
                 selectableLabel(formatBytes(std::uint64_t(file.size())), QStringLiteral("fileSize"), this));
    form->addRow(tr("Tensors:"),
                 selectableLabel(countOf(qint64(reader.tensors().size()), tr("tensor"), tr("tensors")) +
                                     QStringLiteral(", ") + formatBytes(storedBytes(reader)) + tr(" of data"),
                                 QStringLiteral("tensors"), this));
    return summary;
}

QWidget *CheckpointPropertiesDialog::createMetadataTable(const qs::CheckpointReader &reader) {
    auto *box = new QWidget(this);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 8, 0, 0);

    auto *model = new QStandardItemModel(0, 2, this);
    model->setHorizontalHeaderLabels({tr("Key"), tr("Value")});
    for (const auto &[key, value] : reader.metadata())
        model->appendRow({cell(toQString(key)), cell(toQString(value))});
    m_total = model->rowCount();

    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(model);
    m_proxy->setFilterKeyColumn(-1); // keys and values
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_filter = new QLineEdit(box);
    m_filter->setObjectName(QStringLiteral("metadataFilter"));
    m_filter->setPlaceholderText(tr("Filter keys and values"));
    m_filter->setClearButtonEnabled(true);
    m_shown = new QLabel(box);
    m_shown->setObjectName(QStringLiteral("metadataShown"));
    connect(m_filter, &QLineEdit::textChanged, this, &CheckpointPropertiesDialog::applyFilter);

    m_view = new QTableView(box);
    m_view->setObjectName(QStringLiteral("metadataView"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(0, Qt::AscendingOrder);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideRight);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setColumnWidth(0, 260);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);

    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(new QLabel(tr("Metadata"), box));
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_shown);
    layout->addLayout(filterRow);
    layout->addWidget(m_view, 1);
    applyFilter(QString());
    return box;
}

void CheckpointPropertiesDialog::applyFilter(const QString &text) {
    m_proxy->setFilterFixedString(text);
    m_shown->setText(m_total == 0 ? tr("none in this file")
                                  : tr("%1 of %2").arg(m_proxy->rowCount()).arg(m_total));
}

int CheckpointPropertiesDialog::visibleRows() const {
    return m_proxy->rowCount();
}

} // namespace qs::ui
