#include "recentfiles.h"

#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace qs::ui {

namespace {

const QString kSettingsKey = QStringLiteral("files/recent");

} // namespace

RecentFiles::RecentFiles(QObject *parent)
    : QObject(parent) {}

QStringList RecentFiles::files() const {
    return QSettings().value(kSettingsKey).toStringList();
}

void RecentFiles::add(const QString &path) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList list = files();
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > kMaxFiles)
        list.removeLast();
    store(list);
}

void RecentFiles::remove(const QString &path) {
    QStringList list = files();
    if (list.removeAll(QFileInfo(path).absoluteFilePath()) > 0)
        store(list);
}

void RecentFiles::clear() {
    store({});
}

void RecentFiles::store(const QStringList &files) {
    QSettings().setValue(kSettingsKey, files);
    rebuildMenu();
    Q_EMIT changed();
}

void RecentFiles::attachMenu(QMenu *menu) {
    m_menu = menu;
    rebuildMenu();
}

void RecentFiles::rebuildMenu() {
    if (!m_menu)
        return;
    m_menu->clear();
    const QStringList list = files();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString &path = list[i];
        // Digits 1-9 and 0 as mnemonics for the first ten.
        const QString text = QStringLiteral("&%1  %2").arg((i + 1) % 10).arg(QFileInfo(path).fileName());
        QAction *action = m_menu->addAction(text, this, [this, path] { Q_EMIT fileTriggered(path); });
        action->setToolTip(QDir::toNativeSeparators(path));
        action->setStatusTip(QDir::toNativeSeparators(path));
    }
    if (!list.isEmpty())
        m_menu->addSeparator();
    QAction *clearAction = m_menu->addAction(tr("&Clear Menu"), this, &RecentFiles::clear);
    clearAction->setEnabled(!list.isEmpty());
    m_menu->setEnabled(true);
    m_menu->setToolTipsVisible(true);
}

} // namespace qs::ui
