#pragma once

#include <QObject>
#include <QPointer>
#include <QStringList>

class QMenu;

namespace qs::ui {

// The most recently opened files, newest first, kept in QSettings, shown in a menu with a
// "Clear" entry.
class RecentFiles : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxFiles = 10;

    explicit RecentFiles(QObject *parent = nullptr);

    QStringList files() const;
    void add(const QString &path);
    void remove(const QString &path);
    void clear();
    // Keeps menu filled with the list from now on.
    void attachMenu(QMenu *menu);

Q_SIGNALS:
    void fileTriggered(const QString &path);
    void changed();

private:
    void store(const QStringList &files);
    void rebuildMenu();

    QPointer<QMenu> m_menu;
};

} // namespace qs::ui
