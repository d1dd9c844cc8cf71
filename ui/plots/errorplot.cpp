#include "plots/errorplot.h"
#include "plots/errorplot_p.h"

#include "plots/errorplotlayout.h"
#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"
#include "quant/quantizer.h"

#include <QApplication>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QSplitter>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs::ui {

using namespace errorplot;

namespace {

constexpr double kRangePadding = 0.03;
// Room beside ±s/2 so the bulk's edges and their labels stay clear of the frame.
constexpr double kErrorRangePadding = 0.12;
constexpr double kMinMseDecadesRatio = 100.0;
// Markers within this many pixels of the mouse are described in the hover text.
constexpr double kHoverMarkerPx = 10.0;
// Each plot keeps at least this height in the splitter: an axis rect of about 60 px.
constexpr int kMinPlotHeightPx = 120;
// The axis label is centred under the axis rect, which the MSE tick labels push right: it
// must be this much narrower than the plot.
constexpr int kLabelMarginPx = 48;
constexpr int kThresholdTickPx = 90;
// The ±s/2 labels' inset from the axis rect's frame.
constexpr double kLabelInsetPx = 3.0;
// Curves and histograms that no longer match the thresholds are drawn this opaque.
constexpr int kStaleAlpha = 80;
constexpr int kEstimateFillAlpha = 45;

double positiveFloor(const QuantAnalysis *analysis) {
    double smallest = std::numeric_limits<double>::infinity();
    if (analysis) {
        const ThresholdSweep &sweep = analysis->sweep;
        for (const auto *points : {&sweep.points, &sweep.heldEnds.lower, &sweep.heldEnds.upper})
            for (const ThresholdPoint &point : *points)
                if (point.mse > 0)
                    smallest = std::min(smallest, point.mse);
    }
    return std::isfinite(smallest) ? smallest / 10.0 : 1e-12;
}

bool sameMapping(const QuantSpec &a, const QuantSpec &b) {
    return a.bits == b.bits && a.scheme == b.scheme && a.narrow == b.narrow;
}

QCPItemStraightLine *makeVerticalLine(QCustomPlot *plot, const QPen &pen) {
    auto *line = new QCPItemStraightLine(plot);
    line->setPen(pen);
    line->setVisible(false);
    return line;
}

QColor withAlpha(QColor color, int alpha) {
    color.setAlpha(alpha);
    return color;
}

// The extent of a histogram's non-empty bins, as the largest |error| they reach.
double occupiedExtent(const Histogram &h) {
    double extent = 0.0;
    for (std::size_t i = 0; i < h.bins(); ++i)
        if (h.counts[i] > 0)
            extent = std::max({extent, std::abs(h.binLow(i)), std::abs(h.binLow(i) + h.binWidth())});
    return extent;
}

} // namespace

ErrorPlot::ErrorPlot(QWidget *parent)
    : QWidget(parent)
    , m_splitter(new QSplitter(Qt::Vertical, this))
    , m_histogram(new QCustomPlot(m_splitter))
    , m_curve(new QCustomPlot(m_splitter)) {
    m_logToggle = new QCheckBox(tr("log y"), this);
    m_logToggle->setChecked(m_logScale);
    m_logToggle->setToolTip(tr("Logarithmic count axis for the error histogram: shows the clipping tails"));
    connect(m_logToggle, &QCheckBox::toggled, this, &ErrorPlot::setLogScale);
    // Emptied rather than hidden: it is the header's stretch that keeps "log y" at the right.
    m_estimateNote = new QLabel(this);
    m_estimateNote->setToolTip(tr("The error histogram is estimated from the fine histogram while the "
                                  "thresholds move; the exact pass replaces it."));
    m_estimateNote->setObjectName(QStringLiteral("estimateNote"));
    QHBoxLayout *header = makePlotHeader(tr("Quantization error"), m_estimateNote);
    header->addWidget(m_logToggle);
    m_splitter->setObjectName(QStringLiteral("errorSplitter"));
    m_splitter->setChildrenCollapsible(false);
    m_splitter->addWidget(m_histogram);
    m_splitter->addWidget(m_curve);
    // Even halves (relative weights): the curve's legend row is about what the histogram's
    // taller bars need.
    m_splitter->setStretchFactor(0, 1);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({1000, 1000});
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(header);
    layout->addWidget(m_splitter, 1);
    m_histogram->setMinimumSize(240, kMinPlotHeightPx);
    m_curve->setMinimumSize(240, kMinPlotHeightPx);
    setupHistogram();
    setupCurve();
    applyStyle();
    // Either plot's palette change restyles both: the other one's own event follows.
    m_histogram->installEventFilter(this);
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
    // The labels sit over the bars: a background of the plot's own colour keeps them readable.
    const QColor base = m_histogram->palette().color(QPalette::Base);
    for (QCPItemText *label : m_halfStepLabel) {
        label->setBrush(withAlpha(base, 210));
        label->setFont(QApplication::font());
    }
    styleErrorBars();
}

// The exact histogram solid, an estimate lighter and dashed (so it does not rely on colour).
void ErrorPlot::styleErrorBars() {
    const QColor error = colors::error();
    m_errorBars->setPen(QPen(m_showsEstimate ? withAlpha(error, 170) : error, 1.2,
                             m_showsEstimate ? Qt::DashLine : Qt::SolidLine));
    m_errorBars->setBrush(withAlpha(error, m_showsEstimate ? kEstimateFillAlpha : 90));
}

// A plot's own palette change (it arrives after the widget's, once the plot has the new one).
// The curve's resize re-wraps its legend.
bool ErrorPlot::eventFilter(QObject *watched, QEvent *event) {
    if (watched == m_curve && event->type() == QEvent::Resize)
        updateLegend();
    if ((watched == m_curve || watched == m_histogram) && event->type() == QEvent::PaletteChange) {
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
    for (QCPItemStraightLine *&line : m_halfStep)
        line = makeVerticalLine(m_histogram, QPen(colors::levels(), 1, Qt::DashLine));
    // Made after the lines, so drawn over them.
    for (int i = 0; i < 2; ++i) {
        m_halfStepLabel[i] = new QCPItemText(m_histogram);
        m_halfStepLabel[i]->setObjectName(QStringLiteral("halfStepLabel"));
        m_halfStepLabel[i]->setColor(colors::levels());
        m_halfStepLabel[i]->setText(i == 0 ? QStringLiteral("−s/2") : QStringLiteral("+s/2"));
        // Placed in pixels once the layout is known (layoutHalfStepLabels).
        m_halfStepLabel[i]->position->setType(QCPItemPosition::ptAbsolute);
        m_halfStepLabel[i]->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
        m_halfStepLabel[i]->setPadding(QMargins(3, 1, 3, 1));
        m_halfStepLabel[i]->setClipToAxisRect(false);
    }
    connect(m_histogram, &QCustomPlot::afterLayout, this, &ErrorPlot::layoutHalfStepLabels);
    m_histogram->setMouseTracking(true);
    connect(m_histogram, &QCustomPlot::mouseMove, this, &ErrorPlot::onHistogramHover);
}

QCPGraph *ErrorPlot::addCurve(const QString &name, Qt::PenStyle style) {
    QCPGraph *curve = m_curve->addGraph();
    curve->setObjectName(name);
    curve->setPen(QPen(colors::error(), 2, style));
    return curve;
}

void ErrorPlot::setupCurve() {
    m_curve->yAxis->setLabel(tr("MSE"));
    m_curve->xAxis->setLabel(tr("clip threshold clip_max (value units)"));
    setCountAxisLog(m_curve->yAxis, true);
    m_curve->yAxis->setNumberFormat(QStringLiteral("eb"));
    m_mseCurve = addCurve(QStringLiteral("mseCurve"), Qt::SolidLine);
    m_mseCurve->setName(tr("MSE (estimated)"));
    // Asymmetric: the lower end's curve dashed, so the two differ by more than position.
    m_lowerCurve = addCurve(QStringLiteral("mseLowerCurve"), Qt::DashLine);
    m_lowerCurve->setName(tr("MSE against clip_min"));
    m_upperCurve = addCurve(QStringLiteral("mseUpperCurve"), Qt::SolidLine);
    m_upperCurve->setName(tr("MSE (estimated)"));
    for (int i = 0; i < 2; ++i)
        m_currentLine[i] = makeVerticalLine(m_curve, QPen(colors::clipped(), 1, Qt::DashLine));
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
    m_legendAsymmetric = true; // so that updateLegend builds the symmetric entries
    updateLegend();
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

// One curve entry, then the markers, in as many columns as the width allows. Asymmetric mode
// names its solid curve; the axis label tells the dashed one apart (a fifth entry would cost
// the narrow panel a legend row).
void ErrorPlot::updateLegend() {
    QCPLegend *legend = m_curve->legend;
    const QList<QCPGraph *> entries{m_asymmetric ? m_upperCurve : m_mseCurve, m_minMaxMarker,
                                    m_suggestedMarker, m_currentMarker};
    if (m_legendAsymmetric != m_asymmetric) {
        m_legendAsymmetric = m_asymmetric;
        legend->clearItems();
        for (QCPGraph *graph : entries)
            graph->addToLegend(legend);
        packLegend(legend, 0);
    }
    const int columns = legendColumns(legend, entries, m_curve->width());
    if (legend->wrap() != columns)
        packLegend(legend, columns);
    updateCurveLabel();
}

// The longest axis label that fits the plot's width (a narrow panel drops the units first),
// and as many ticks as have room.
void ErrorPlot::updateCurveLabel() {
    const QStringList labels =
        m_scheme && m_scheme->ratioSweep.empty() &&
                qs::formatTraits(m_scheme->spec.format).family == qs::FormatFamily::Cast
            ? QStringList{tr("no clip ratio: a cast has no scale"), tr("no clip ratio")}
        : m_scheme && m_scheme->ratioSweep.empty()
            ? QStringList{tr("no clip ratio: each block scales to its maximum"), tr("no clip ratio")}
        : m_scheme ? QStringList{tr("clip ratio ρ (each group's range × ρ)"), tr("clip ratio ρ")}
        : m_asymmetric
            ? QStringList{tr("clip_min (dashed) · clip_max (value units)"),
                          tr("clip_min (dashed) · clip_max")}
            : QStringList{tr("clip threshold clip_max (value units)"), tr("clip_max (value units)")};
    const QFontMetrics metrics(m_curve->xAxis->labelFont());
    const int available = m_curve->width() - kLabelMarginPx;
    QString label = labels.back();
    for (const QString &candidate : labels)
        if (metrics.horizontalAdvance(candidate) <= available) {
            label = candidate;
            break;
        }
    m_curve->xAxis->setLabel(label);
    // Threshold labels such as "0.075" need about this much room each.
    m_curve->xAxis->ticker()->setTickCount(std::clamp(m_curve->width() / kThresholdTickPx, 3, 8));
}

void ErrorPlot::clear() {
    m_analysis.reset();
    m_scheme.reset();
    m_current = {};
    m_hasContext = false;
    m_showsEstimate = false;
    m_estimateNote->clear();
    styleErrorBars();
    m_errorBars->data()->clear();
    m_errorDisplay = {};
    for (int i = 0; i < 2; ++i) {
        m_halfStep[i]->setVisible(false);
        m_halfStepLabel[i]->setVisible(false);
        m_currentLine[i]->setVisible(false);
    }
    for (QCPGraph *graph :
         {m_mseCurve, m_lowerCurve, m_upperCurve, m_currentMarker, m_suggestedMarker, m_minMaxMarker})
        graph->data()->clear();
    m_histogram->replot(QCustomPlot::rpQueuedReplot);
    m_curve->replot(QCustomPlot::rpQueuedReplot);
}

// A new tensor or mapping: the axes fit the next data afresh.
void ErrorPlot::startContext(const std::shared_ptr<const TensorAnalysis> &tensor, const QuantSpec &spec) {
    m_tensor = tensor;
    m_tensorKnown = bool(tensor);
    m_mapping = spec;
    m_hasContext = true;
    m_histogramFitted = false;
    m_curveFitted = false;
}

// An exact result arrives without its tensor: it belongs to the context the estimates before
// it set up (the controller always shows an estimate first) unless the plot was cleared.
bool ErrorPlot::sameContext(const std::shared_ptr<const TensorAnalysis> &tensor,
                            const QuantSpec &spec) const {
    if (!m_hasContext || !sameMapping(m_mapping, spec))
        return false;
    if (!tensor || !m_tensorKnown)
        return true;
    return !m_tensor.owner_before(tensor) && !tensor.owner_before(m_tensor);
}

void ErrorPlot::setQuantAnalysis(std::shared_ptr<const qs::QuantAnalysis> analysis) {
    leaveScheme();
    if (!analysis) {
        clear();
        return;
    }
    if (!sameContext(nullptr, analysis->spec))
        startContext(nullptr, analysis->spec);
    m_analysis = std::move(analysis);
    m_asymmetric = m_analysis->spec.scheme == Scheme::Asymmetric;
    const HeldEndCurves &held = m_analysis->sweep.heldEnds;
    const double mse = m_analysis->error.mse;
    m_current = m_asymmetric ? Current{held.clipLo, held.clipHi, mse, true}
                             : Current{m_analysis->params.clipMin, m_analysis->params.clipMax, mse, true};
    m_halfStepValue = double(m_analysis->params.scale) / 2.0;
    showErrorHistogram(m_analysis->error.errorHistogram, false);
    showCurves();
}

void ErrorPlot::setEstimate(const std::shared_ptr<const qs::TensorAnalysis> &tensor,
                            const qs::QuantSpec &spec, const qs::QuantParams &params, double mse,
                            qs::Histogram errorHistogram) {
    if (!tensor)
        return;
    leaveScheme();
    if (!sameContext(tensor, spec)) {
        startContext(tensor, spec);
        m_analysis.reset(); // another tensor or mapping: its curves say nothing here
    } else if (!m_tensorKnown) {
        m_tensor = tensor;
        m_tensorKnown = true;
    }
    m_asymmetric = spec.scheme == Scheme::Asymmetric;
    const auto [lo, hi] = requestedRange(spec, tensor->stats.min, tensor->stats.max);
    m_halfStepValue = double(params.scale) / 2.0;
    // Back at the thresholds of the exact pass: its figures rather than the estimate.
    const bool exact = m_analysis && m_analysis->spec == spec;
    if (exact)
        mse = m_analysis->error.mse;
    m_current =
        m_asymmetric ? Current{lo, hi, mse, true} : Current{params.clipMin, params.clipMax, mse, true};
    if (!exact)
        showErrorHistogram(errorHistogram, true);
    else if (m_showsEstimate)
        showErrorHistogram(m_analysis->error.errorHistogram, false);
    showCurves();
}

void ErrorPlot::showErrorHistogram(const Histogram &fine, bool estimated) {
    m_showsEstimate = estimated;
    m_estimateNote->setText(estimated ? tr("≈ estimated") : QString());
    styleErrorBars();
    const double widthPx = std::max(m_histogram->axisRect()->width(), m_histogram->width() - 80);
    m_errorDisplay = displayHistogram(fine, 2.0 * (fine.hi - fine.lo) / std::max(widthPx, 1.0));
    const Histogram &h = m_errorDisplay;
    setHistogramData(m_errorBars, h, m_logScale);
    fitCountAxis(m_histogram->yAxis, h, m_logScale);
    fitHistogramRange();
    for (int i = 0; i < 2; ++i) {
        placeVertical(m_halfStep[i], i == 0 ? -m_halfStepValue : m_halfStepValue);
        m_halfStepLabel[i]->setVisible(true);
    }
    const QString how = estimated ? tr("<br><i>Estimated</i> from the fine histogram while the thresholds "
                                       "move (each bin's values spread evenly); the exact pass replaces it.")
                                  : QString();
    m_histogram->setToolTip(tr("<b>Error histogram</b> of x − Q(x), Q(x) = (q − z)·s the dequantized value, "
                               "over all %1 values: rounding errors "
                               "fill ±s/2 (dashed), clipped values form the tails beyond.")
                                .arg(h.total()) +
                            how);
    m_histogram->replot(QCustomPlot::rpQueuedReplot);
}

// Fitted once per tensor and mapping, then widened only when the data would fall outside:
// the axis stays put while a handle is dragged and when the exact pass replaces the estimate.
void ErrorPlot::fitHistogramRange() {
    const double extent = std::max(occupiedExtent(m_errorDisplay), m_halfStepValue);
    if (!(extent > 0))
        return;
    const QCPRange shown = m_histogram->xAxis->range();
    const bool inside = shown.lower <= -extent && shown.upper >= extent;
    if (m_histogramFitted && inside)
        return;
    const double padded = extent * (1 + kErrorRangePadding);
    const double half = m_histogramFitted ? std::max(padded, std::max(-shown.lower, shown.upper)) : padded;
    m_histogram->xAxis->setRange(-half, half);
    m_histogramFitted = true;
}

// The labels go in the axis rect under its top edge, beside their lines; see
// placeHalfStepLabels. Runs once the layout has placed the axis rect.
void ErrorPlot::layoutHalfStepLabels() {
    if (!m_halfStep[0]->visible())
        return;
    const QRect rect = m_histogram->axisRect()->rect();
    QSizeF size[2];
    double line[2];
    for (int i = 0; i < 2; ++i) {
        size[i] = textBoxSize(m_halfStepLabel[i]);
        line[i] = m_histogram->xAxis->coordToPixel(i == 0 ? -m_halfStepValue : m_halfStepValue);
    }
    const double left = rect.left() + kLabelInsetPx;
    const double right = rect.right() - kLabelInsetPx;
    const HalfStepPlacement placement = placeHalfStepLabels(line, size, left, right);
    const double top = rect.top() + kLabelInsetPx;
    const double rows = placement.stacked ? 2 : 1;
    // Too short or narrow for the labels: the dashed lines and the tooltip still explain them.
    const bool fits = top + rows * size[0].height() + 1 <= rect.bottom() - kLabelInsetPx &&
                      size[0].width() <= right - left && size[1].width() <= right - left;
    for (int i = 0; i < 2; ++i) {
        const double y = top + (placement.stacked && i == 1 ? size[0].height() + 1 : 0.0);
        m_halfStepLabel[i]->position->setCoords(placement.x[i], y);
        m_halfStepLabel[i]->setVisible(fits);
    }
}

void ErrorPlot::setCurrent(double clipHi, double mse) {
    if (!m_asymmetric)
        m_current.clipLo = -clipHi;
    m_current.clipHi = clipHi;
    m_current.mse = mse;
    m_current.valid = true;
    showCurves();
}

void ErrorPlot::showCurves() {
    updateLegend();
    const double floor = positiveFloor(m_analysis.get());
    m_mseCurve->setVisible(!m_asymmetric);
    m_lowerCurve->setVisible(m_asymmetric);
    m_upperCurve->setVisible(m_asymmetric);
    if (m_asymmetric)
        showHeldEndCurves(floor);
    else
        showJointCurve(floor);
    fitCurveAxes();
    m_curve->replot(QCustomPlot::rpQueuedReplot);
}

// Symmetric: one curve, both ends scaled together.
void ErrorPlot::showJointCurve(double floor) {
    QVector<QCPGraphData> data;
    if (m_analysis) {
        const ThresholdSweep &sweep = m_analysis->sweep;
        data.reserve(int(sweep.points.size()));
        for (const ThresholdPoint &point : sweep.points)
            data.append(QCPGraphData(point.clipHi, loggable(point.mse, floor)));
    }
    m_mseCurve->data()->set(data, true);
    if (data.isEmpty()) {
        m_suggestedMarker->data()->clear();
        m_minMaxMarker->data()->clear();
    } else {
        const ThresholdSweep &sweep = m_analysis->sweep;
        setPoint(m_suggestedMarker, sweep.best.clipHi, loggable(sweep.best.mse, floor));
        setPoint(m_minMaxMarker, sweep.points.back().clipHi, loggable(sweep.points.back().mse, floor));
        m_curve->setToolTip(tr("<b>MSE against the clip threshold</b>, estimated from the fine histogram "
                               "for %1 thresholds; the minimum is the suggested saturating threshold.")
                                .arg(sweep.points.size()));
    }
    m_currentLine[1]->setVisible(false);
    if (!m_current.valid) {
        m_currentMarker->data()->clear();
        m_currentLine[0]->setVisible(false);
        return;
    }
    setPoint(m_currentMarker, m_current.clipHi, loggable(m_current.mse, floor));
    placeVertical(m_currentLine[0], m_current.clipHi);
}

// Asymmetric: MSE against each end with the other at its current threshold. While a handle
// moves, the other end's curve no longer holds (its held end moved): it is dimmed until the
// exact pass brings the new one, and only curves that hold carry a marker.
void ErrorPlot::showHeldEndCurves(double floor) {
    const HeldEndCurves *held = m_analysis ? &m_analysis->sweep.heldEnds : nullptr;
    const bool lowerHolds = held && m_current.valid && held->clipHi == m_current.clipHi;
    const bool upperHolds = held && m_current.valid && held->clipLo == m_current.clipLo;
    static const std::vector<ThresholdPoint> none;
    setEndCurve(m_lowerCurve, held ? held->lower : none, true, lowerHolds, floor);
    setEndCurve(m_upperCurve, held ? held->upper : none, false, upperHolds, floor);
    // Without an exact pass yet there are no curves to be on: the markers show alone.
    const bool lowerShown = m_current.valid && (held ? lowerHolds && !held->lower.empty() : true);
    const bool upperShown = m_current.valid && (held ? upperHolds && !held->upper.empty() : true);
    QVector<QCPGraphData> current;
    QVector<QCPGraphData> minMax;
    QVector<QCPGraphData> suggested;
    if (lowerShown) {
        current.append(QCPGraphData(m_current.clipLo, loggable(m_current.mse, floor)));
        placeVertical(m_currentLine[0], m_current.clipLo);
    }
    if (upperShown) {
        current.append(QCPGraphData(m_current.clipHi, loggable(m_current.mse, floor)));
        placeVertical(m_currentLine[1], m_current.clipHi);
    }
    m_currentLine[0]->setVisible(lowerShown);
    m_currentLine[1]->setVisible(upperShown);
    if (m_analysis && !m_analysis->sweep.points.empty()) {
        const ThresholdSweep &sweep = m_analysis->sweep;
        // The min-max end of each curve: that end at the tensor's min (max).
        const ThresholdPoint &full = sweep.points.back();
        for (const ThresholdPoint &point : held->lower)
            if (lowerShown && point.clipLo == full.clipLo)
                minMax.append(QCPGraphData(point.clipLo, loggable(point.mse, floor)));
        for (const ThresholdPoint &point : held->upper)
            if (upperShown && point.clipHi == full.clipHi)
                minMax.append(QCPGraphData(point.clipHi, loggable(point.mse, floor)));
        // The suggested pair: both ends moved together to it, so its MSE marks each of them.
        if (!held->lower.empty())
            suggested.append(QCPGraphData(sweep.best.clipLo, loggable(sweep.best.mse, floor)));
        if (!held->upper.empty())
            suggested.append(QCPGraphData(sweep.best.clipHi, loggable(sweep.best.mse, floor)));
    }
    m_currentMarker->data()->set(current, false);
    m_minMaxMarker->data()->set(minMax, false);
    m_suggestedMarker->data()->set(suggested, false);
    m_curve->setToolTip(
        tr("<b>MSE against each clip threshold</b>, estimated from the fine histogram: against clip_min "
           "(dashed) with clip_max held at its current value, and against clip_max with clip_min held. "
           "A curve whose held end has moved is dimmed until the exact pass redraws it. The suggested "
           "thresholds minimise the MSE over both ends; their marks sit at that MSE."));
}

// One end's curve. While it holds, the current threshold's estimate joins its samples, so the
// marker sits on the line between them.
void ErrorPlot::setEndCurve(QCPGraph *graph, const std::vector<ThresholdPoint> &points, bool lower,
                            bool holds, double floor) {
    QVector<QCPGraphData> data;
    data.reserve(int(points.size()) + 1);
    const double currentKey = lower ? m_current.clipLo : m_current.clipHi;
    bool hasCurrent = false;
    for (const ThresholdPoint &point : points) {
        const double key = lower ? point.clipLo : point.clipHi;
        hasCurrent = hasCurrent || key == currentKey;
        data.append(QCPGraphData(key, loggable(point.mse, floor)));
    }
    if (holds && !hasCurrent && !points.empty())
        data.append(QCPGraphData(currentKey, loggable(m_current.mse, floor)));
    graph->data()->set(data, false);
    const QColor color = holds ? colors::error() : withAlpha(colors::error(), kStaleAlpha);
    QPen pen = graph->pen();
    pen.setColor(color);
    graph->setPen(pen);
}

// Fitted to the curves once per tensor and mapping, then widened only to keep the data (or a
// marker dragged past the min-max range) in view. The MSE axis follows the data.
void ErrorPlot::fitCurveAxes() {
    QCPRange keys;
    QCPRange values;
    bool any = false;
    bool hasCurves = false;
    for (QCPGraph *graph : m_curve->findChildren<QCPGraph *>()) {
        if (!graph->visible() || graph->data()->isEmpty())
            continue;
        bool found = false;
        const QCPRange k = graph->getKeyRange(found);
        const QCPRange v = graph->getValueRange(found, QCP::sdBoth);
        keys = any ? QCPRange(std::min(keys.lower, k.lower), std::max(keys.upper, k.upper)) : k;
        values = any ? QCPRange(std::min(values.lower, v.lower), std::max(values.upper, v.upper)) : v;
        any = true;
        hasCurves = hasCurves || graph->lineStyle() != QCPGraph::lsNone;
    }
    if (!any)
        return;
    const double pad =
        keys.size() > 0 ? keys.size() * kRangePadding : std::max(std::abs(keys.lower) * 0.1, 1e-3);
    const QCPRange wanted(keys.lower - pad, keys.upper + pad);
    const QCPRange shown = m_curve->xAxis->range();
    if (!m_curveFitted)
        m_curve->xAxis->setRange(wanted);
    else if (keys.lower < shown.lower || keys.upper > shown.upper)
        m_curve->xAxis->setRange(std::min(shown.lower, wanted.lower), std::max(shown.upper, wanted.upper));
    m_curveFitted = m_curveFitted || hasCurves;
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
    if (!m_errorDisplay.counts.empty()) {
        setHistogramData(m_errorBars, m_errorDisplay, on);
        fitCountAxis(m_histogram->yAxis, m_errorDisplay, on);
    }
    m_histogram->replot(QCustomPlot::rpQueuedReplot);
    if (changed)
        Q_EMIT logScaleChanged(on);
}

void ErrorPlot::onHistogramHover(QMouseEvent *event) {
    if (m_errorDisplay.counts.empty() ||
        !m_histogram->axisRect()->rect().contains(event->position().toPoint()))
        return;
    const Histogram &h = m_errorDisplay;
    const double x = m_histogram->xAxis->pixelToCoord(event->position().x());
    if (x < h.lo || x > h.hi) {
        QToolTip::hideText();
        return;
    }
    const std::size_t bin = h.binOf(x);
    const QString count = m_showsEstimate ? tr("about %1 values (estimated)").arg(h.counts[bin])
                                          : tr("%1 values").arg(h.counts[bin]);
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("error in [%1, %2): %3\nhalf a step s/2 = %4")
                           .arg(formatNumber(h.binLow(bin)), formatNumber(h.binLow(bin) + h.binWidth()),
                                count, formatNumber(m_halfStepValue)),
                       m_histogram);
}

void ErrorPlot::onCurveHover(QMouseEvent *event) {
    if (!m_analysis || !m_curve->axisRect()->rect().contains(event->position().toPoint()))
        return;
    const QPointF pos = event->position();
    // The nearest sample drawn: by x on the one symmetric curve, in the plane for two curves.
    const QCPGraph *nearestGraph = nullptr;
    double nearestKey = 0.0;
    double nearestDistance = std::numeric_limits<double>::infinity();
    for (const QCPGraph *graph : {m_mseCurve, m_lowerCurve, m_upperCurve}) {
        if (!graph->visible())
            continue;
        for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
            const double dx = m_curve->xAxis->coordToPixel(it->key) - pos.x();
            const double dy = m_asymmetric ? m_curve->yAxis->coordToPixel(it->value) - pos.y() : 0.0;
            const double distance = std::hypot(dx, dy);
            if (distance < nearestDistance) {
                nearestDistance = distance;
                nearestGraph = graph;
                nearestKey = it->key;
            }
        }
    }
    if (!nearestGraph)
        return;
    QToolTip::showText(event->globalPosition().toPoint(),
                       curvePointText(nearestGraph, nearestKey) + markerTexts(pos.x()), m_curve);
}

// What the curve's sample at key stands for.
QString ErrorPlot::curvePointText(const QCPGraph *graph, double key) const {
    const ThresholdSweep &sweep = m_analysis->sweep;
    if (graph == m_mseCurve) {
        for (const ThresholdPoint &point : sweep.points)
            if (point.clipHi == key)
                return tr("clip_max = %1 (%2 of the min-max range)\nestimated MSE = %3")
                    .arg(formatNumber(point.clipHi), formatPercent(point.fraction),
                         formatNumber(point.mse, 3));
    }
    const bool lower = graph == m_lowerCurve;
    for (const ThresholdPoint &point : lower ? sweep.heldEnds.lower : sweep.heldEnds.upper) {
        if ((lower ? point.clipLo : point.clipHi) != key)
            continue;
        if (lower)
            return tr("clip_min = %1 (%2 of min), clip_max held at %3\nestimated MSE = %4")
                .arg(formatNumber(point.clipLo), formatPercent(point.fractionLo), formatNumber(point.clipHi),
                     formatNumber(point.mse, 3));
        return tr("clip_max = %1 (%2 of max), clip_min held at %3\nestimated MSE = %4")
            .arg(formatNumber(point.clipHi), formatPercent(point.fractionHi), formatNumber(point.clipLo),
                 formatNumber(point.mse, 3));
    }
    // The sample added for the thresholds being dragged.
    return tr("%1 = %2\nestimated MSE = %3")
        .arg(lower ? QStringLiteral("clip_min") : QStringLiteral("clip_max"), formatNumber(key),
             formatNumber(m_current.mse, 3));
}

// The markers within reach of the mouse.
QString ErrorPlot::markerTexts(double px) const {
    const auto near = [&](double x) {
        return std::abs(m_curve->xAxis->coordToPixel(x) - px) <= kHoverMarkerPx;
    };
    const auto visibleAt = [&](const QCPGraph *marker, double x) {
        const auto it = marker->data()->findBegin(x, false);
        return it != marker->data()->constEnd() && it->key == x;
    };
    const ThresholdPoint &best = m_analysis->sweep.best;
    QString text;
    const QString currentRange =
        m_asymmetric ? tr("[%1, %2]").arg(formatNumber(m_current.clipLo), formatNumber(m_current.clipHi))
                     : tr("clip_max = %1").arg(formatNumber(m_current.clipHi));
    for (double x : {m_current.clipLo, m_current.clipHi})
        if (m_current.valid && near(x) && visibleAt(m_currentMarker, x)) {
            text += tr("\ncurrent: %1, MSE = %2").arg(currentRange, formatNumber(m_current.mse, 3));
            break;
        }
    for (double x : {best.clipLo, best.clipHi})
        if (near(x) && visibleAt(m_suggestedMarker, x)) {
            text += m_asymmetric ? tr("\nsuggested: [%1, %2] (both ends searched), MSE = %3")
                                       .arg(formatNumber(best.clipLo), formatNumber(best.clipHi),
                                            formatNumber(best.mse, 3))
                                 : tr("\nsuggested: clip_max = %1, MSE = %2")
                                       .arg(formatNumber(best.clipHi), formatNumber(best.mse, 3));
            break;
        }
    return text;
}

} // namespace qs::ui
