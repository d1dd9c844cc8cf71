#pragma once

#include <QElapsedTimer>
#include <QObject>

class QDockWidget;
class QMainWindow;

namespace qs::ui {

// Keeps the side docks at the widths the user gave them. A window made narrow squeezes its docks
// and QMainWindow gives the space back to the central widget only; this gives it back to the
// docks, as far as a fair share of the window allows. A dock resized while the mouse button is
// down and the window keeps its size is the user dragging a separator: that width is kept.
class DockWidths : public QObject {
    Q_OBJECT
public:
    DockWidths(QMainWindow *window, QDockWidget *left, QDockWidget *right);

    // The preferred widths from the settings (or the defaults).
    void restore();
    void save() const;
    // Called after the window was resized: sets the docks to their preferred widths.
    void apply();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QMainWindow *m_window;
    QDockWidget *m_left;
    QDockWidget *m_right;
    int m_leftWidth = 420;
    int m_rightWidth = 260;
    QElapsedTimer m_lastWindowResize;
};

} // namespace qs::ui
