#pragma once

#include <QEvent>
#include <QMouseEvent>
#include <QPoint>

#include <optional>

namespace qs::ui {

// Tells a click from a drag on a plot that pans when dragged: a left press and release no more
// than a few pixels apart.
class PlotClick {
public:
    // Feeds any event of the plot; returns the release position when it completes a click.
    std::optional<QPoint> feed(const QEvent *event) {
        if (event->type() == QEvent::MouseButtonPress) {
            const auto *mouse = static_cast<const QMouseEvent *>(event);
            if (mouse->button() == Qt::LeftButton)
                m_press = mouse->position().toPoint();
        } else if (event->type() == QEvent::MouseButtonRelease) {
            const auto *mouse = static_cast<const QMouseEvent *>(event);
            const QPoint pos = mouse->position().toPoint();
            const bool click = m_press && (pos - *m_press).manhattanLength() <= kSlopPx;
            m_press.reset();
            if (mouse->button() == Qt::LeftButton && click)
                return pos;
        }
        return std::nullopt;
    }

private:
    static constexpr int kSlopPx = 4;
    std::optional<QPoint> m_press;
};

} // namespace qs::ui
