#include "plots/histogramplot.h"
#include "plots/histogramplot_p.h"

#include "plots/plotstyle.h"
#include "quant/quantizer.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace qs::ui {

namespace {

// Handles are grabbed this close (logical px at 96 dpi, scaled up on denser screens).
constexpr int kMinGrabRadiusPx = 10;
constexpr double kReferenceDpi = 96.0;
constexpr int kNudgeStepsWithShift = 10;
// The smallest clip ratio a handle sets, and the ratio one arrow key press moves it by.
constexpr double kMinRatio = 0.05;
constexpr double kRatioNudge = 0.01;

QString helpText() {
    return HistogramPlot::tr(
        "Drag an orange handle to set the clip threshold; click the plot, then ←/→ move the "
        "selected handle by one step s (Shift: ten), ↑/↓ select the upper/lower handle. Wheel "
        "zooms, dragging the background pans, double-click shows the whole range.");
}

} // namespace

HistogramPlot::Private::Handle HistogramPlot::Private::handleAt(const QPoint &pos) const {
    if (!hasHandles())
        return None;
    const QRect rect = m_plot->axisRect()->rect();
    if (pos.y() < rect.top() || pos.y() > rect.bottom())
        return None;
    const double dLo = std::abs(pos.x() - m_plot->xAxis->coordToPixel(m_clipLo));
    const double dHi = std::abs(pos.x() - m_plot->xAxis->coordToPixel(m_clipHi));
    const int radius = m_owner->grabRadiusPx();
    // The upper handle wins ties so that two coinciding handles can still be pulled apart.
    if (dHi <= radius && dHi <= dLo)
        return Upper;
    if (dLo <= radius)
        return Lower;
    return None;
}

double HistogramPlot::Private::minGap() const {
    const double span = m_tensor ? std::abs(m_tensor->stats.max - m_tensor->stats.min) : 0.0;
    return std::max(span * 1e-6, 1e-12);
}

// Symmetric mappings mirror the other handle around 0; neither handle passes the other. A
// scheme's clip ratio scales both ends together: each handle sets the ratio.
void HistogramPlot::Private::moveHandle(Handle handle, double x) {
    if (m_view) {
        const double base = handle == Upper ? m_view->ratioBase->second : m_view->ratioBase->first;
        const double ratio = base != 0.0 ? x / base : 1.0;
        setRatioHandles(std::clamp(ratio, kMinRatio, 1.0));
    } else if (m_spec.scheme == Scheme::Symmetric) {
        const double amax = std::max(handle == Upper ? x : -x, minGap());
        m_clipLo = -amax;
        m_clipHi = amax;
    } else if (handle == Upper) {
        m_clipHi = std::max(x, m_clipLo + minGap());
    } else {
        m_clipLo = std::min(x, m_clipHi - minGap());
    }
    placeHandles();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramPlot::Private::dragTo(double x) {
    if (m_view) {
        moveHandle(m_drag, x);
        m_dragMoved = true;
        Q_EMIT m_owner->ratioDragged(m_view->ratio);
        return;
    }
    // A symmetric handle dragged across 0 keeps mirroring the mouse.
    if (m_spec.scheme == Scheme::Symmetric)
        x = m_drag == Upper ? std::abs(x) : -std::abs(x);
    moveHandle(m_drag, x);
    m_dragMoved = true;
    Q_EMIT m_owner->thresholdsDragged(m_clipLo, m_clipHi);
}

// One step s of the current mapping per key press, so each press moves the levels by one code.
void HistogramPlot::Private::nudge(int steps) {
    if (m_view) {
        setRatioHandles(std::clamp(m_view->ratio + steps * kRatioNudge, kMinRatio, 1.0));
        placeHandles();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        commitThresholds();
        return;
    }
    const double x = m_selected == Upper ? m_clipHi : m_clipLo;
    moveHandle(m_selected, x + steps * double(m_params->scale));
    commitThresholds();
}

void HistogramPlot::Private::select(Handle handle) {
    m_selected = handle;
    styleGrabMarks();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramPlot::Private::commitThresholds() {
    if (m_view) {
        Q_EMIT m_owner->ratioDragFinished(m_view->ratio);
        return;
    }
    // The spec the controller makes of these thresholds (saturating, the rest unchanged).
    QuantSpec committed = m_spec;
    committed.rangeMode = RangeMode::Saturating;
    committed.clipLo = std::min(m_clipLo, m_clipHi);
    committed.clipHi = std::max(m_clipLo, m_clipHi);
    m_committed = committed;
    Q_EMIT m_owner->thresholdsDragFinished(m_clipLo, m_clipHi);
}

// True for the quantization a drag or nudge committed: the view then stays put. Any other spec
// ends the hold, so a new bit width or mode is fitted again (unless the user zoomed or panned).
bool HistogramPlot::Private::holdsViewFor(const QuantSpec &spec) {
    if (m_committed && *m_committed == spec)
        return true;
    m_committed.reset();
    return false;
}

bool HistogramPlot::Private::eventFilter(QObject *, QEvent *event) {
    switch (event->type()) {
    case QEvent::MouseButtonPress:
        return onPress(static_cast<QMouseEvent *>(event));
    case QEvent::MouseMove:
        return onMove(static_cast<QMouseEvent *>(event));
    case QEvent::MouseButtonRelease:
        return onRelease(static_cast<QMouseEvent *>(event));
    case QEvent::KeyPress:
        return onKey(static_cast<QKeyEvent *>(event));
    case QEvent::FocusIn:
    case QEvent::FocusOut:
        styleGrabMarks();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return false;
    case QEvent::ToolTip:
        return onToolTip(static_cast<QHelpEvent *>(event));
    case QEvent::PaletteChange:
        restyle();
        return false;
    case QEvent::Resize:
        m_markers->fitLegend();
        return false;
    default:
        return false;
    }
}

// A press near a handle starts a threshold drag and is kept from the plot, which would pan.
bool HistogramPlot::Private::onPress(QMouseEvent *event) {
    if (event->button() != Qt::LeftButton)
        return false;
    m_drag = handleAt(event->position().toPoint());
    if (m_drag == None) {
        m_click.feed(event); // maybe a click that picks a value
        return false;
    }
    m_dragMoved = false;
    select(m_drag);
    m_plot->setCursor(Qt::SizeHorCursor);
    return true;
}

bool HistogramPlot::Private::onMove(QMouseEvent *event) {
    if (m_drag == None) {
        if (event->buttons() == Qt::NoButton && handleAt(event->position().toPoint()) != None)
            m_plot->setCursor(Qt::SizeHorCursor);
        else if (event->buttons() == Qt::NoButton)
            m_plot->unsetCursor();
        if (event->buttons() == Qt::NoButton)
            if (const auto x = valueAt(event->position().toPoint()))
                Q_EMIT m_owner->valueHovered(*x);
        return false;
    }
    dragTo(m_plot->xAxis->pixelToCoord(event->position().x()));
    return true;
}

bool HistogramPlot::Private::onRelease(QMouseEvent *event) {
    if (m_drag == None) {
        if (const auto pos = m_click.feed(event))
            if (const auto x = valueAt(*pos))
                Q_EMIT m_owner->valuePicked(*x);
        return false;
    }
    if (event->button() != Qt::LeftButton)
        return false;
    m_drag = None;
    if (m_dragMoved)
        commitThresholds();
    return true;
}

bool HistogramPlot::Private::onKey(QKeyEvent *event) {
    if (!hasHandles() || m_drag != None)
        return false;
    switch (event->key()) {
    case Qt::Key_Left:
    case Qt::Key_Right: {
        const int steps = event->modifiers().testFlag(Qt::ShiftModifier) ? kNudgeStepsWithShift : 1;
        nudge(event->key() == Qt::Key_Right ? steps : -steps);
        return true;
    }
    case Qt::Key_Up:
    case Qt::Key_Down:
        select(event->key() == Qt::Key_Up ? Upper : Lower);
        return true;
    default:
        return false;
    }
}

// Method markers near the pointer (or their legend entry under it) come first.
bool HistogramPlot::Private::onToolTip(QHelpEvent *event) {
    QString text = tr("<b>Weight histogram</b>: how many values fall in each of the fine bins.");
    if (m_tensor && m_plot->axisRect()->rect().contains(event->pos()))
        text = describeAt(m_plot->xAxis->pixelToCoord(event->pos().x()));
    const QString markers = m_markers->toolTipAt(event->pos(), m_owner->grabRadiusPx() / 2);
    if (!markers.isEmpty())
        text = markers + QStringLiteral("<hr>") + text;
    QToolTip::showText(event->globalPos(), text + QStringLiteral("<br>") + helpText(), m_plot);
    return true;
}

QString HistogramPlot::Private::describeAt(double x) const {
    const Histogram &h = m_display;
    QString text =
        tr("<b>Weight histogram</b>, %1 bins of width %2").arg(h.bins()).arg(formatNumber(h.binWidth(), 3));
    if (!h.counts.empty() && x >= h.lo && x <= h.hi) {
        const std::size_t bin = h.binOf(x);
        text += tr("<br>[%1, %2): %3 values")
                    .arg(formatNumber(h.binLow(bin)), formatNumber(h.binLow(bin) + h.binWidth()))
                    .arg(h.counts[bin]);
    }
    if (m_view && !m_view->levels.empty()) {
        const auto it = std::lower_bound(m_view->levels.begin(), m_view->levels.end(), x);
        double nearest = it == m_view->levels.end() ? m_view->levels.back() : *it;
        if (it != m_view->levels.begin() && (it == m_view->levels.end() || x - *(it - 1) < *it - x))
            nearest = *(it - 1);
        text += tr("<br>x = %1 → nearest level %2").arg(formatNumber(x), formatNumber(nearest));
        text += tr("<br><span style='color:%1'>Vertical lines</span>: the levels of %2.")
                    .arg(colors::levels().name(), m_view->description.toHtmlEscaped());
    } else if (m_params) {
        const std::int64_t q = quantizeValue(float(x), *m_params);
        text += tr("<br>x = %1 → q = %2 → (q − z)·s = %3")
                    .arg(formatNumber(x))
                    .arg(q)
                    .arg(formatNumber(double(dequantizeValue(q, *m_params))));
        text += tr("<br><span style='color:%1'>Vertical lines</span>: the quantization levels; "
                   "<span style='color:%2'>shaded</span>: values clipped to qmin / qmax.")
                    .arg(colors::levels().name(), colors::clipped().name());
    }
    return text;
}

std::optional<double> HistogramPlot::Private::valueAt(const QPoint &pos) const {
    if (!m_tensor || !m_plot->axisRect()->rect().contains(pos))
        return std::nullopt;
    return m_plot->xAxis->pixelToCoord(pos.x());
}

int HistogramPlot::grabRadiusPx() const {
    const double scaled = kMinGrabRadiusPx * m_plot->logicalDpiX() / kReferenceDpi;
    return std::max(kMinGrabRadiusPx, int(std::lround(scaled)));
}

} // namespace qs::ui
