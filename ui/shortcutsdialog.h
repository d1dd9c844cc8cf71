#pragma once

#include <QDialog>

class QMenuBar;
class QTableWidget;

namespace qs::ui {

// Help ▸ Keyboard Shortcuts: every menu command with a shortcut, read from the menu bar so the
// list cannot drift from what the keys do, then the keys and mouse gestures of the plots and the
// tensor list, which have no menu entry.
class ShortcutsDialog : public QDialog {
    Q_OBJECT
public:
    ShortcutsDialog(const QMenuBar *menuBar, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }
    // The keys listed for a command or gesture (its text without '&'), empty if not listed.
    QString keysFor(const QString &what) const;

private:
    void addRow(const QString &what, const QString &keys);
    void addMenu(const QMenu *menu, const QString &path);

    QTableWidget *m_table = nullptr;
};

} // namespace qs::ui
