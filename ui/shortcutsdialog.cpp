#include "shortcutsdialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QTableWidget>
#include <QVBoxLayout>

namespace qs::ui {

namespace {

QString plainText(QString text) {
    text.remove(QLatin1Char('&'));
    if (text.endsWith(QStringLiteral("…")))
        text.chop(1);
    return text;
}

} // namespace

ShortcutsDialog::ShortcutsDialog(const QMenuBar *menuBar, QWidget *parent)
    : QDialog(parent) {
    setWindowTitle(tr("Keyboard Shortcuts"));
    m_table = new QTableWidget(0, 2, this);
    m_table->setHorizontalHeaderLabels({tr("Command"), tr("Keys")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);

    for (const QAction *action : menuBar->actions())
        if (action->menu())
            addMenu(action->menu(), plainText(action->text()));
    const QString histogram = tr("Weight histogram");
    addRow(histogram + tr(": nudge the selected clip handle by one step"), tr("Left, Right"));
    addRow(histogram + tr(": nudge it by ten steps"), tr("Shift+Left, Shift+Right"));
    addRow(histogram + tr(": select a handle"), tr("click it"));
    addRow(tr("Any plot: zoom, pan, show everything"), tr("wheel, drag, double-click"));
    addRow(tr("Any plot: save as PNG, SVG or PDF"), tr("right-click"));
    addRow(tr("Tensor filter: clear it"), tr("Escape"));
    addRow(tr("Tensor filter: select the first match"), tr("Return"));

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_table);
    layout->addWidget(buttons);
    resize(560, 600);
}

void ShortcutsDialog::addMenu(const QMenu *menu, const QString &path) {
    for (const QAction *action : menu->actions()) {
        const QString name = path + QStringLiteral(" ▸ ") + plainText(action->text());
        if (action->menu())
            addMenu(action->menu(), name);
        else if (!action->shortcut().isEmpty())
            addRow(name, action->shortcut().toString(QKeySequence::NativeText));
    }
}

void ShortcutsDialog::addRow(const QString &what, const QString &keys) {
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    m_table->setItem(row, 0, new QTableWidgetItem(what));
    m_table->setItem(row, 1, new QTableWidgetItem(keys));
}

QString ShortcutsDialog::keysFor(const QString &what) const {
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const QString command = m_table->item(row, 0)->text();
        if (command == what || command.endsWith(QStringLiteral(" ▸ ") + what))
            return m_table->item(row, 1)->text();
    }
    return QString();
}

} // namespace qs::ui
