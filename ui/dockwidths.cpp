#include "dockwidths.h"

#include <QDockWidget>
#include <QGuiApplication>
#include <QMainWindow>
#include <QResizeEvent>
#include <QSettings>

#include <algorithm>

namespace qs::ui {

namespace {

const QString kDockWidthsKey = QStringLiteral("window/dockWidths");
// A dock's share of the window width at most when it gets its width back.
constexpr double kMaxDockShare = 0.3;
// Dock resizes this soon after a window resize are the window's doing, not the user's.
constexpr qint64 kWindowResizeSettleMs = 300;
constexpr int kMinLeftWidth = 120;
constexpr int kMinRightWidth = 160;

} // namespace

DockWidths::DockWidths(QMainWindow *window, QDockWidget *left, QDockWidget *right)
    : QObject(window)
    , m_window(window)
    , m_left(left)
    , m_right(right) {
    m_left->installEventFilter(this);
    m_right->installEventFilter(this);
}

void DockWidths::restore() {
    const QVariantList widths = QSettings().value(kDockWidthsKey).toList();
    if (widths.size() == 2) {
        m_leftWidth = std::max(widths[0].toInt(), kMinLeftWidth);
        m_rightWidth = std::max(widths[1].toInt(), kMinRightWidth);
    }
}

void DockWidths::save() const {
    QSettings().setValue(kDockWidthsKey, QVariantList{m_leftWidth, m_rightWidth});
}

void DockWidths::apply() {
    m_lastWindowResize.start();
    const int share = int(m_window->width() * kMaxDockShare);
    m_window->resizeDocks({m_left, m_right}, {std::min(m_leftWidth, share), std::min(m_rightWidth, share)},
                          Qt::Horizontal);
}

bool DockWidths::eventFilter(QObject *watched, QEvent *event) {
    const bool byUser = event->type() == QEvent::Resize &&
                        (QGuiApplication::mouseButtons() & Qt::LeftButton) && m_lastWindowResize.isValid() &&
                        m_lastWindowResize.elapsed() > kWindowResizeSettleMs;
    if (byUser) {
        auto *dock = static_cast<QDockWidget *>(watched);
        const int width = static_cast<QResizeEvent *>(event)->size().width();
        if (dock->isVisible() && !dock->isFloating())
            (dock == m_left ? m_leftWidth : m_rightWidth) = width;
    }
    return QObject::eventFilter(watched, event);
}

} // namespace qs::ui
