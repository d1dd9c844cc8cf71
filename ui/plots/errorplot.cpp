#include "plots/errorplot.h"

#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs::ui {

namespace {

constexpr double kRangePadding = 0.03;
// Room beside ±s/2 so the bulk's edges and their labels stay clear of the frame.
constexpr double kErrorRangePadding = 0.12;
constexpr double kMinMseDecadesRatio = 100.0;
// Narrower than this, the legend's four entries go on two rows.
constexpr int kOneRowLegendPx = 470;
// Markers within this many pixels of the mouse are described in the hover text.
constexpr double kHoverMarkerPx = 10.0;

// A log axis cannot show MSE = 0 (a value exactly representable); it is drawn at the floor.
double loggable(double mse, double floor) {
    return mse > 0 ? mse : floor;
}

double positiveFloor(const ThresholdSweep &sweep) {
    double smallest = std::numeric_limits<double>::infinity();
    for (const ThresholdPoint &point : sweep.points)
        if (point.mse > 0)
            smallest = std::min(smallest, point.mse);
    return std::isfinite(smallest) ? smallest / 10.0 : 1e-12;
}

void setPoint(QCPGraph *graph, double x, double y) {
    graph->data()->set({QCPGraphData(x, y)}, true);
    graph->setVisible(true);
}

// Lays the legend out `columns` wide (0: one row), its entries packed to the left: the last
// column takes the spare width.
void packLegend(QCPLegend *legend, int columns) {
    legend->setWrap(columns);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
    QList<double> stretch(legend->columnCount(), 1.0);
    if (!stretch.isEmpty())
        stretch.back() = 1000.0;
    legend->setColumnStretchFactors(stretch);
}

// The legend as one row above the plot, where it never hides the curve.
void placeLegendAbove(QCustomPlot *plot) {
    QCPLegend *legend = plot->legend;
    legend->setVisible(true);
    plot->axisRect()->insetLayout()->take(legend);
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, legend);
    plot->plotLayout()->setRowStretchFactor(0, 0.001);
    plot->plotLayout()->setRowSpacing(0);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setMargins(QMargins(4, 2, 4, 0));
    legend->setColumnSpacing(12);
    legend->setIconSize(20, 15);
    legend->setMinimumSize(0, 0);
    packLegend(legend, 0);
}

QCPItemStraightLine *makeVerticalLine(QCustomPlot *plot, const QPen &pen) {
    auto *line = new QCPItemStraightLine(plot);
    line->setPen(pen);
    line->setVisible(false);
    return line;
}

void placeVertical(QCPItemStraightLine *line, double x) {
    line->point1->setCoords(x, 1.0);
    line->point2->setCoords(x, 2.0);
    line->setVisible(true);
}

} // namespace

ErrorPlot::ErrorPlot(QWidget *parent)
    : QWidget(parent)
    , m_histogram(new QCustomPlot(this))
    , m_curve(new QCustomPlot(this)) {
    m_logToggle = new QCheckBox(tr("log y"), this);
    m_logToggle->setChecked(m_logScale);
    m_logToggle->setToolTip(tr("Logarithmic count axis for the error histogram: shows the clipping tails"));
    connect(m_logToggle, &QCheckBox::toggled, this, &ErrorPlot::setLogScale);
    QHBoxLayout *header = makePlotHeader(tr("Quantization error"));
    header->addWidget(m_logToggle);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(header);
    // The curve carries a legend row, so it gets a little more height.
    layout->addWidget(m_histogram, 2);
    layout->addWidget(m_curve, 3);
    m_histogram->setMinimumSize(240, 120);
    m_curve->setMinimumSize(240, 120);
    setupHistogram();
    setupCurve();
    applyStyle();
    // The curve plot comes last in the layout, so both plots have the new palette by its event.
    m_curve->installEventFilter(this);
    clear();
}

// Colours that follow the theme: set at start and again whenever the palette changes.
void ErrorPlot::applyStyle() {
    applyPlotStyle(m_histogram);
    applyPlotStyle(m_curve);
    // The legend row sits outside the plot area: no box needed.
    m_curve->legend->setBrush(Qt::NoBrush);
    m_curve->legend->setBorderPen(Qt::NoPen);
    const QColor minMax = colors::zeroPoint();
    m_minMaxMarker->setPen(QPen(minMax, 1.5));
    m_minMaxMarker->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, QPen(minMax, 1.5), minMax, 8));
}

// A plot's own palette change (it arrives after the widget's, once the plot has the new one).
bool ErrorPlot::eventFilter(QObject *watched, QEvent *event) {
    if (watched == m_curve && event->type() == QEvent::Resize) {
        // Two rows of two entries when one row would be cut short.
        const int columns = m_curve->width() < kOneRowLegendPx ? 2 : 0;
        if (m_curve->legend->wrap() != columns)
            packLegend(m_curve->legend, columns);
    }
    if (watched == m_curve && event->type() == QEvent::PaletteChange) {
        applyStyle();
        m_histogram->replot(QCustomPlot::rpQueuedReplot);
        m_curve->replot(QCustomPlot::rpQueuedReplot);
    }
    return QWidget::eventFilter(watched, event);
}

void ErrorPlot::setupHistogram() {
    m_histogram->xAxis->setLabel(tr("error x − Q(x) (value units)"));
    // Error labels are long ("-0.0003"): fewer ticks keep them apart in a narrow panel.
    m_histogram->xAxis->ticker()->setTickCount(3);
    m_histogram->yAxis->setLabel(tr("count"));
    setCountAxisLog(m_histogram->yAxis, m_logScale);
    m_errorBars = m_histogram->addGraph();
    m_errorBars->setObjectName(QStringLiteral("errorHistogram"));
    m_errorBars->setLineStyle(QCPGraph::lsStepLeft);
    m_errorBars->setPen(QPen(colors::error(), 1.2));
    QColor fill = colors::error();
    fill.setAlpha(90);
    m_errorBars->setBrush(fill);
    for (int i = 0; i < 2; ++i) {
        m_halfStep[i] = makeVerticalLine(m_histogram, QPen(colors::levels(), 1, Qt::DashLine));
        m_halfStepLabel[i] = new QCPItemText(m_histogram);
        m_halfStepLabel[i]->setColor(colors::levels());
        m_halfStepLabel[i]->setText(i == 0 ? QStringLiteral("−s/2") : QStringLiteral("+s/2"));
        m_halfStepLabel[i]->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        m_halfStepLabel[i]->setPadding(QMargins(3, 2, 3, 2));
        m_halfStepLabel[i]->setPositionAlignment(Qt::AlignTop | (i == 0 ? Qt::AlignLeft : Qt::AlignRight));
    }
    m_histogram->setMouseTracking(true);
    connect(m_histogram, &QCustomPlot::mouseMove, this, &ErrorPlot::onHistogramHover);
}

void ErrorPlot::setupCurve() {
    m_curve->xAxis->setLabel(tr("clip threshold clip_max (value units)"));
    m_curve->yAxis->setLabel(tr("MSE"));
    setCountAxisLog(m_curve->yAxis, true);
    m_curve->yAxis->setNumberFormat(QStringLiteral("eb"));
    m_mseCurve = m_curve->addGraph();
    m_mseCurve->setObjectName(QStringLiteral("mseCurve"));
    m_mseCurve->setName(tr("MSE (estimated)"));
    m_mseCurve->setPen(QPen(colors::error(), 2));
    m_currentLine = makeVerticalLine(m_curve, QPen(colors::clipped(), 1, Qt::DashLine));
    m_minMaxMarker = addMarker(QStringLiteral("minMaxMarker"), tr("min-max"), colors::zeroPoint(),
                               QCPScatterStyle::ssSquare, 8);
    m_suggestedMarker = addMarker(QStringLiteral("suggestedMarker"), tr("suggested"), colors::suggested(),
                                  QCPScatterStyle::ssTriangle, 11);
    m_currentMarker = addMarker(QStringLiteral("currentMarker"), tr("current"), colors::clipped(),
                                QCPScatterStyle::ssDiamond, 13);
    // Hollow, so a suggested marker at the same threshold still shows through.
    m_currentMarker->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(colors::clipped(), 2.5), Qt::NoBrush, 13));
    placeLegendAbove(m_curve);
    m_curve->setMouseTracking(true);
    connect(m_curve, &QCustomPlot::mouseMove, this, &ErrorPlot::onCurveHover);
}

QCPGraph *ErrorPlot::addMarker(const QString &name, const QString &legendName, const QColor &color, int shape,
                               double size) {
    QCPGraph *marker = m_curve->addGraph();
    marker->setObjectName(name);
    marker->setName(legendName);
    marker->setLineStyle(QCPGraph::lsNone);
    marker->setPen(QPen(color.darker(130), 1.5));
    marker->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ScatterShape(shape), QPen(color.darker(130), 1.5), color, size));
    return marker;
}

void ErrorPlot::clear() {
    m_analysis.reset();
    m_hasCurrent = false;
    m_errorBars->data()->clear();
    for (int i = 0; i < 2; ++i) {
        m_halfStep[i]->setVisible(false);
        m_halfStepLabel[i]->setVisible(false);
    }
    for (QCPGraph *graph : {m_mseCurve, m_currentMarker, m_suggestedMarker, m_minMaxMarker})
        graph->data()->clear();
    m_currentLine->setVisible(false);
    m_histogram->replot(QCustomPlot::rpQueuedReplot);
    m_curve->replot(QCustomPlot::rpQueuedReplot);
}

void ErrorPlot::setQuantAnalysis(std::shared_ptr<const qs::QuantAnalysis> analysis) {
    if (!analysis) {
        clear();
        return;
    }
    m_analysis = std::move(analysis);
    showErrorHistogram();
    showSweep();
    setCurrent(m_analysis->params.clipMax, m_analysis->error.mse);
}

void ErrorPlot::showErrorHistogram() {
    const Histogram &fine = m_analysis->error.errorHistogram;
    const double widthPx = std::max(m_histogram->axisRect()->width(), m_histogram->width() - 80);
    m_errorDisplay = displayHistogram(fine, 2.0 * (fine.hi - fine.lo) / std::max(widthPx, 1.0));
    const Histogram &h = m_errorDisplay;
    setHistogramData(m_errorBars, h, m_logScale);
    fitCountAxis(m_histogram->yAxis, h, m_logScale);
    const double halfStep = double(m_analysis->params.scale) / 2.0;
    double extent = std::max({std::abs(h.lo), std::abs(h.hi), halfStep});
    m_histogram->xAxis->setRange(-extent * (1 + kErrorRangePadding), extent * (1 + kErrorRangePadding));
    // Labels sit inside the ±s/2 lines while the bulk fills the plot, outside them when clipping
    // tails squeeze the bulk so narrow that the two labels would overlap.
    const bool outward = halfStep < 0.25 * extent;
    for (int i = 0; i < 2; ++i) {
        placeVertical(m_halfStep[i], i == 0 ? -halfStep : halfStep);
        m_halfStepLabel[i]->position->setCoords(i == 0 ? -halfStep : halfStep, 0.0);
        const bool leftOfLine = (i == 0) == outward;
        m_halfStepLabel[i]->setPositionAlignment(Qt::AlignTop |
                                                 (leftOfLine ? Qt::AlignRight : Qt::AlignLeft));
        m_halfStepLabel[i]->setVisible(true);
    }
    m_histogram->setToolTip(tr("<b>Error histogram</b> of x − Q(x), Q(x) = (q − z)·s the dequantized value, "
                               "over all %1 values: rounding errors "
                               "fill ±s/2 (dashed), clipped values form the tails beyond.")
                                .arg(h.total()));
    m_histogram->replot(QCustomPlot::rpQueuedReplot);
}

void ErrorPlot::showSweep() {
    const ThresholdSweep &sweep = m_analysis->sweep;
    const double floor = positiveFloor(sweep);
    QVector<QCPGraphData> data;
    data.reserve(int(sweep.points.size()));
    for (const ThresholdPoint &point : sweep.points)
        data.append(QCPGraphData(point.clipHi, loggable(point.mse, floor)));
    m_mseCurve->data()->set(data, true);
    if (sweep.points.empty()) {
        m_suggestedMarker->data()->clear();
        m_minMaxMarker->data()->clear();
        return;
    }
    setPoint(m_suggestedMarker, sweep.best.clipHi, loggable(sweep.best.mse, floor));
    const ThresholdPoint &full = sweep.points.back();
    setPoint(m_minMaxMarker, full.clipHi, loggable(full.mse, floor));
    m_curve->setToolTip(tr("<b>MSE against the clip threshold</b>, estimated from the fine histogram "
                           "for %1 thresholds; the minimum is the suggested saturating threshold.")
                            .arg(sweep.points.size()));
}

void ErrorPlot::setCurrent(double clipHi, double mse) {
    m_currentClipHi = clipHi;
    m_currentMse = mse;
    m_hasCurrent = true;
    const double floor = m_analysis ? positiveFloor(m_analysis->sweep) : 1e-12;
    setPoint(m_currentMarker, clipHi, loggable(mse, floor));
    placeVertical(m_currentLine, clipHi);
    fitCurveAxes();
    m_curve->replot(QCustomPlot::rpQueuedReplot);
}

// The sweep's extent joined with the current marker, so a threshold dragged past the min-max
// range still shows.
void ErrorPlot::fitCurveAxes() {
    bool found = false;
    QCPRange keys = m_mseCurve->getKeyRange(found);
    QCPRange values = m_mseCurve->getValueRange(found, QCP::sdBoth);
    if (!found) {
        keys = QCPRange(m_currentClipHi, m_currentClipHi);
        values = QCPRange(m_currentMse, m_currentMse);
    }
    if (m_hasCurrent) {
        keys.expand(m_currentClipHi);
        if (m_currentMse > 0)
            values.expand(m_currentMse);
    }
    const double pad =
        keys.size() > 0 ? keys.size() * kRangePadding : std::max(std::abs(keys.lower) * 0.1, 1e-3);
    m_curve->xAxis->setRange(keys.lower - pad, keys.upper + pad);
    const double lower = values.lower > 0 ? values.lower : 1e-12;
    // At least two decades, so the log ticks stay powers of ten.
    const double upper = std::max(values.upper, lower) * 2.0;
    const double widen = std::sqrt(std::max(1.0, kMinMseDecadesRatio / (upper / (lower / 2.0))));
    m_curve->yAxis->setRange(lower / 2.0 / widen, upper * widen);
}

void ErrorPlot::setLogScale(bool on) {
    const bool changed = on != m_logScale;
    m_logScale = on;
    setCountAxisLog(m_histogram->yAxis, on);
    const QSignalBlocker blocker(m_logToggle);
    m_logToggle->setChecked(on);
    if (m_analysis) {
        setHistogramData(m_errorBars, m_errorDisplay, on);
        fitCountAxis(m_histogram->yAxis, m_errorDisplay, on);
    }
    m_histogram->replot(QCustomPlot::rpQueuedReplot);
    if (changed)
        Q_EMIT logScaleChanged(on);
}

void ErrorPlot::onHistogramHover(QMouseEvent *event) {
    if (!m_analysis || !m_histogram->axisRect()->rect().contains(event->position().toPoint()))
        return;
    const Histogram &h = m_errorDisplay;
    const double x = m_histogram->xAxis->pixelToCoord(event->position().x());
    if (h.counts.empty() || x < h.lo || x > h.hi) {
        QToolTip::hideText();
        return;
    }
    const std::size_t bin = h.binOf(x);
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("error in [%1, %2): %3 values\nhalf a step s/2 = %4")
                           .arg(formatNumber(h.binLow(bin)), formatNumber(h.binLow(bin) + h.binWidth()))
                           .arg(h.counts[bin])
                           .arg(formatNumber(double(m_analysis->params.scale) / 2.0)),
                       m_histogram);
}

void ErrorPlot::onCurveHover(QMouseEvent *event) {
    if (!m_analysis || m_analysis->sweep.points.empty() ||
        !m_curve->axisRect()->rect().contains(event->position().toPoint()))
        return;
    const double x = m_curve->xAxis->pixelToCoord(event->position().x());
    const auto &points = m_analysis->sweep.points;
    const auto nearest = std::min_element(points.begin(), points.end(), [x](const auto &a, const auto &b) {
        return std::abs(a.clipHi - x) < std::abs(b.clipHi - x);
    });
    QString text = tr("clip_max = %1 (%2 of the min-max range)\nestimated MSE = %3")
                       .arg(formatNumber(nearest->clipHi), formatPercent(nearest->fraction),
                            formatNumber(nearest->mse, 3));
    const double px = event->position().x();
    const auto near = [&](double clipHi) {
        return std::abs(m_curve->xAxis->coordToPixel(clipHi) - px) <= kHoverMarkerPx;
    };
    if (m_hasCurrent && near(m_currentClipHi))
        text += tr("\ncurrent: clip_max = %1, MSE = %2")
                    .arg(formatNumber(m_currentClipHi), formatNumber(m_currentMse, 3));
    if (near(m_analysis->sweep.best.clipHi))
        text += tr("\nsuggested: clip_max = %1, MSE = %2")
                    .arg(formatNumber(m_analysis->sweep.best.clipHi),
                         formatNumber(m_analysis->sweep.best.mse, 3));
    QToolTip::showText(event->globalPosition().toPoint(), text, m_curve);
}

} // namespace qs::ui
