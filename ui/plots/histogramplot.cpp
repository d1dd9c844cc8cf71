#include "plots/histogramplot.h"
#include "plots/histogramplot_p.h"

#include "io/dtype.h"
#include "plots/plotstyle.h"
#include "plots/referenceoverlay.h"
#include "quant/quantizer.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include "plots/qcustomplotinclude.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

namespace qs::ui {

namespace {

// Levels closer than this are drawn as a density band instead of one line each.
constexpr double kMinLevelSpacingPx = 4.0;
// Upper bound on level lines, whatever the screen width (a 4K-wide plot needs < 1000).
constexpr std::int64_t kMaxLevelLines = 2048;
constexpr int kLevelLineAlpha = 120;
constexpr double kBandMinAlpha = 0.25;
constexpr double kBandMaxAlpha = 0.85;
// The band is a strip along the top of the plot, like a rug of ticks too dense to tell apart.
constexpr double kBandHeight = 0.05;
constexpr int kGrabMarkHalfWidthPx = 5;
// Tail labels keep clear of the grab marks and of the plot area's edges.
constexpr double kLabelGapPx = kGrabMarkHalfWidthPx + 3;
constexpr double kLabelMarginPx = 2;
constexpr double kRangePadding = 0.03;
constexpr double kMaxZoomOut = 4.0;
// Drawn bins are merged until at least this wide, so sub-pixel combs do not render as solid ink.
constexpr double kMinDisplayBinPx = 2.0;
constexpr int kShadeAlpha = 55;

const QString kLevelsLayer = QStringLiteral("levels");
const QString kMethodsLayer = QStringLiteral("methods");
const QString kShadingLayer = QStringLiteral("shading");
const QString kHandlesLayer = QStringLiteral("handles");

void makeVertical(QCPItemLine *line) {
    line->start->setTypeY(QCPItemPosition::ptAxisRectRatio);
    line->end->setTypeY(QCPItemPosition::ptAxisRectRatio);
}

void placeVertical(QCPItemLine *line, double x) {
    line->start->setCoords(x, 0.0);
    line->end->setCoords(x, 1.0);
}

// A rectangle spanning the axis rect's full height between two plot x coordinates.
QCPItemRect *makeSpanRect(QCustomPlot *plot, const QString &name) {
    auto *rect = new QCPItemRect(plot);
    rect->setObjectName(name);
    rect->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    rect->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    rect->setPen(Qt::NoPen);
    return rect;
}

void placeSpan(QCPItemRect *rect, double x0, double x1) {
    rect->topLeft->setCoords(x0, 0.0);
    rect->bottomRight->setCoords(x1, 1.0);
    rect->setVisible(x1 > x0);
}

// Anchors a pixel-sized position at an offset from an anchor (follows it when it moves).
void anchorAt(QCPItemPosition *position, QCPItemAnchor *anchor, double dx, double dy) {
    position->setType(QCPItemPosition::ptAbsolute);
    position->setParentAnchor(anchor);
    position->setCoords(dx, dy);
}

// A pixel for a value far outside the view stays finite (coordToPixel can overflow to inf).
double clampedPixel(const QCPAxis *axis, double value) {
    const double px = axis->coordToPixel(value);
    return std::isnan(px) ? 0.0 : std::clamp(px, -1e6, 1e6);
}

// Where the tail labels go in the plot area: each in its own tail beside its handle when it fits
// there (the low one left of loPx, the high one right of hiPx). One that does not fit is pushed
// back into the area, below the grab marks so it hides neither handle; if the two still collide,
// the displaced one (the high one when both or neither are) drops below the other. An empty
// size is a hidden label.
std::array<QRectF, 2> layoutTailLabels(const QRectF &area, const std::array<QSizeF, 2> &sizes, double loPx,
                                       double hiPx) {
    const std::array<double, 2> wanted{loPx - kLabelGapPx - sizes[0].width(), hiPx + kLabelGapPx};
    const double belowMarks = area.top() + kGrabMarkHeightPx + kLabelMarginPx + 1;
    std::array<QRectF, 2> rects;
    std::array<bool, 2> inTail{};
    for (std::size_t i : {0u, 1u}) {
        const double minLeft = area.left() + kLabelMarginPx;
        const double maxLeft = std::max(minLeft, area.right() - kLabelMarginPx - sizes[i].width());
        const double left = std::clamp(wanted[i], minLeft, maxLeft);
        inTail[i] = left == wanted[i];
        rects[i] = QRectF(QPointF(left, inTail[i] ? area.top() + kLabelMarginPx : belowMarks), sizes[i]);
    }
    if (rects[0].intersects(rects[1])) {
        const std::size_t moved = inTail[1] && !inTail[0] ? 0 : 1;
        rects[moved].moveTop(rects[1 - moved].bottom() + kLabelMarginPx);
    }
    return rects;
}

} // namespace

HistogramPlot::Private::Private(HistogramPlot *owner, QCustomPlot *plot)
    : QObject(owner)
    , m_owner(owner)
    , m_plot(plot) {
    setupAxes();
    createLayers();
    createItems();
    applyPlotStyle(m_plot);
    m_plot->setMouseTracking(true);
    m_plot->setFocusPolicy(Qt::StrongFocus);
    m_plot->installEventFilter(this);
    connect(m_plot, &QCustomPlot::afterLayout, this, [this] { updateOverlay(); });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, m_owner, &HistogramPlot::resetZoom);
    connect(m_plot->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            [this](const QCPRange &range) { onUserRange(range); });
}

void HistogramPlot::Private::setupAxes() {
    m_plot->xAxis->setLabel(tr("weight value"));
    m_plot->yAxis->setLabel(tr("count"));
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoomFactor(0.8);
    setCountAxisLog(m_plot->yAxis, true);
}

void HistogramPlot::Private::createLayers() {
    m_plot->addLayer(kShadingLayer, m_plot->layer(QStringLiteral("main")), QCustomPlot::limBelow);
    m_plot->addLayer(kLevelsLayer, m_plot->layer(QStringLiteral("main")), QCustomPlot::limAbove);
    m_plot->addLayer(kHandlesLayer, m_plot->layer(kLevelsLayer), QCustomPlot::limAbove);
    // Method markers over the levels, under the handles that one of them coincides with.
    m_plot->addLayer(kMethodsLayer, m_plot->layer(kLevelsLayer), QCustomPlot::limAbove);
}

void HistogramPlot::Private::createItems() {
    m_bars = m_plot->addGraph();
    m_bars->setObjectName(QStringLiteral("histogram"));
    m_bars->setLineStyle(QCPGraph::lsStepLeft);
    m_bars->setPen(QPen(colors::values(), 1.2));
    QColor fill = colors::values();
    fill.setAlpha(90);
    m_bars->setBrush(fill);

    m_band = makeSpanRect(m_plot, QStringLiteral("levelBand"));
    m_band->setLayer(kLevelsLayer);
    m_band->setVisible(false);

    for (int i : {Lower, Upper})
        createHandle(Handle(i));
    styleGrabMarks();
    m_markers = new MethodMarkers(m_plot, kMethodsLayer);
    m_reference = new ReferenceOverlay(m_plot, this);
    m_plot->setCurrentLayer(QStringLiteral("main"));
}

// One clip threshold: its line, grab mark, tail shading and tail label.
void HistogramPlot::Private::createHandle(Handle i) {
    QColor shade = colors::clipped();
    shade.setAlpha(kShadeAlpha);
    m_shades[i] =
        makeSpanRect(m_plot, i == Lower ? QStringLiteral("clipShadeLow") : QStringLiteral("clipShadeHigh"));
    m_shades[i]->setLayer(kShadingLayer);
    m_shades[i]->setBrush(shade);
    m_shades[i]->setVisible(false);

    m_handles[i] = new QCPItemLine(m_plot);
    m_handles[i]->setObjectName(i == Lower ? QStringLiteral("handleLow") : QStringLiteral("handleHigh"));
    m_handles[i]->setLayer(kHandlesLayer);
    m_handles[i]->setPen(QPen(colors::clipped(), 2));
    makeVertical(m_handles[i]);

    m_grabMarks[i] = new QCPItemRect(m_plot);
    m_grabMarks[i]->setObjectName(i == Lower ? QStringLiteral("grabMarkLow")
                                             : QStringLiteral("grabMarkHigh"));
    m_grabMarks[i]->setLayer(kHandlesLayer);
    m_grabMarks[i]->setBrush(colors::clipped());
    anchorAt(m_grabMarks[i]->topLeft, m_handles[i]->start, -kGrabMarkHalfWidthPx, 0);
    anchorAt(m_grabMarks[i]->bottomRight, m_handles[i]->start, kGrabMarkHalfWidthPx, kGrabMarkHeightPx);

    QFont labelFont = m_plot->font();
    labelFont.setPointSizeF(labelFont.pointSizeF() * 0.9);
    m_tailLabels[i] = new QCPItemText(m_plot);
    m_tailLabels[i]->setObjectName(i == Lower ? QStringLiteral("tailLabelLow")
                                              : QStringLiteral("tailLabelHigh"));
    m_tailLabels[i]->setLayer(kHandlesLayer);
    m_tailLabels[i]->setFont(labelFont);
    m_tailLabels[i]->setPadding(QMargins(3, 1, 3, 1));
    // Placed in pixels after each layout (placeTailLabels).
    m_tailLabels[i]->position->setType(QCPItemPosition::ptAbsolute);
    m_tailLabels[i]->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
}

QCPItemLine *HistogramPlot::Private::levelLine(std::size_t i) {
    while (m_levelLines.size() <= i) {
        auto *line = new QCPItemLine(m_plot);
        line->setObjectName(QStringLiteral("levelLine"));
        line->setLayer(kLevelsLayer);
        QColor color = colors::levels();
        color.setAlpha(kLevelLineAlpha);
        line->setPen(QPen(color, 1));
        makeVertical(line);
        m_levelLines.push_back(line);
    }
    return m_levelLines[i];
}

// Runs after every layout, so levels, band and shading follow zoom, pan and resizes.
void HistogramPlot::Private::updateOverlay() {
    const bool shown = hasHandles();
    for (int i : {Lower, Upper}) {
        m_handles[i]->setVisible(shown);
        m_grabMarks[i]->setVisible(shown);
    }
    updateBars();
    updateLevels();
    updateShading();
    placeTailLabels();
}

// Re-bins the drawn histogram when zoom or size change how many fine bins share a pixel. Not
// during a drag: handles move, the view does not.
void HistogramPlot::Private::updateBars() {
    if (!m_tensor || m_drag != None)
        return;
    const double widthPx = std::max(m_plot->axisRect()->width(), 1);
    const double minBinWidth = kMinDisplayBinPx * m_plot->xAxis->range().size() / widthPx;
    const std::size_t factor = displayFactor(source(), minBinWidth);
    if (factor == m_displayFactor)
        return;
    m_displayFactor = factor;
    m_display = mergeBins(source(), factor);
    drawBars();
    // The axis ticks were laid out for the old count range.
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

// The bars and the reference outline in the same display bins; the count axis fits both.
void HistogramPlot::Private::drawBars() {
    const bool log = m_owner->logScale();
    setHistogramData(m_bars, m_display, log);
    m_reference->update(m_displayFactor, log, !m_view);
    fitCountAxis(m_plot->yAxis, m_reference->fitWith(m_display), log);
}

const Histogram &HistogramPlot::Private::source() const {
    return m_view ? m_view->data : m_tensor->stats.histogram;
}

// Handles show for an int mapping, and for a scheme whose clip ratio they set.
bool HistogramPlot::Private::hasHandles() const {
    if (!m_tensor)
        return false;
    return m_view ? m_view->ratioBase.has_value() : m_params.has_value();
}

void HistogramPlot::Private::setRatioHandles(double ratio) {
    if (!m_view || !m_view->ratioBase)
        return;
    m_view->ratio = ratio;
    m_clipLo = ratio * m_view->ratioBase->first;
    m_clipHi = ratio * m_view->ratioBase->second;
}

// A scheme's levels, uniform or not: a line each while the visible ones are a few pixels apart
// on average, a band over their span otherwise.
void HistogramPlot::Private::updateViewLevels() {
    m_band->setVisible(false);
    const std::vector<double> &levels = m_view->levels;
    const QCPRange view = m_plot->xAxis->range();
    std::vector<double> visible;
    for (double level : levels)
        if (level >= view.lower && level <= view.upper)
            visible.push_back(level);
    std::size_t used = 0;
    const double widthPx = m_plot->axisRect()->width();
    if (!visible.empty() && widthPx > 0) {
        const double span = visible.size() > 1 ? visible.back() - visible.front() : view.size();
        const double spacingPx =
            span / view.size() * widthPx / double(std::max<std::size_t>(visible.size() - 1, 1));
        if (spacingPx >= kMinLevelSpacingPx && std::int64_t(visible.size()) <= kMaxLevelLines) {
            showViewLevelLines(visible);
            used = visible.size();
        } else {
            showBand(visible.front(), visible.back(), spacingPx);
        }
    }
    for (std::size_t i = used; i < m_levelLines.size(); ++i)
        m_levelLines[i]->setVisible(false);
}

void HistogramPlot::Private::showViewLevelLines(const std::vector<double> &visible) {
    for (std::size_t i = 0; i < visible.size(); ++i) {
        QCPItemLine *line = levelLine(i);
        placeVertical(line, visible[i]);
        line->setVisible(true);
    }
    setLevelInfo(tr("each level drawn"));
}

void HistogramPlot::Private::updateLevels() {
    if (m_view) {
        updateViewLevels();
        return;
    }
    m_band->setVisible(false);
    std::size_t used = 0;
    if (m_tensor && m_params && m_plot->axisRect()->width() > 0) {
        const QuantParams &p = *m_params;
        const QCPRange view = m_plot->xAxis->range();
        const double s = double(p.scale);
        const double spacingPx = s / view.size() * m_plot->axisRect()->width();
        // The codes whose levels (q - z)·s fall inside the view; clamped in double first so that
        // a far zoom-out cannot overflow the integer conversion.
        const double z = double(p.zeroPoint);
        const auto qa =
            std::int64_t(std::clamp(std::ceil(view.lower / s + z), double(p.qmin), double(p.qmax)));
        const auto qb =
            std::int64_t(std::clamp(std::floor(view.upper / s + z), double(p.qmin), double(p.qmax)));
        const bool anyVisible = view.lower <= (p.qmax - z) * s && view.upper >= (p.qmin - z) * s && qb >= qa;
        if (anyVisible && spacingPx >= kMinLevelSpacingPx && qb - qa < kMaxLevelLines) {
            showLevelLines(qa, qb);
            used = std::size_t(qb - qa + 1);
        } else if (anyVisible) {
            showBand(std::max(view.lower, (p.qmin - z) * s), std::min(view.upper, (p.qmax - z) * s),
                     spacingPx);
        }
    }
    for (std::size_t i = used; i < m_levelLines.size(); ++i)
        m_levelLines[i]->setVisible(false);
}

void HistogramPlot::Private::showLevelLines(std::int64_t qa, std::int64_t qb) {
    for (std::int64_t q = qa; q <= qb; ++q) {
        QCPItemLine *line = levelLine(std::size_t(q - qa));
        placeVertical(line, double(dequantizeValue(q, *m_params)));
        line->setVisible(true);
    }
    setLevelInfo(tr("each level drawn"));
}

void HistogramPlot::Private::showBand(double x0, double x1, double spacingPx) {
    // Darker where levels are denser: from kBandMinAlpha at the line threshold (4 px apart) up to
    // kBandMaxAlpha at many levels per pixel, on a log scale of the density.
    const double density = std::log2(kMinLevelSpacingPx / std::max(spacingPx, 1e-9));
    const double alpha = std::clamp(kBandMinAlpha + 0.08 * density, kBandMinAlpha, kBandMaxAlpha);
    QColor color = colors::levels();
    color.setAlphaF(float(alpha));
    m_band->setBrush(color);
    placeSpan(m_band, x0, x1);
    m_band->bottomRight->setCoords(x1, kBandHeight);
    setLevelInfo(tr("levels shown as a band, zoom in to see each"));
}

void HistogramPlot::Private::setLevelInfo(const QString &mode) {
    if (m_view) {
        const QString text =
            tr("%1 levels · %2 · %3").arg(m_view->levels.size()).arg(m_view->description, mode);
        if (m_info->text() != text)
            m_info->setText(text);
        return;
    }
    const QuantParams &p = *m_params;
    const QString text =
        tr("%1 levels, s = %2 · %3").arg(p.qmax - p.qmin + 1).arg(formatNumber(double(p.scale), 3), mode);
    if (m_info->text() != text)
        m_info->setText(text);
}

void HistogramPlot::Private::updateShading() {
    const bool shown = hasHandles();
    const QCPRange view = m_plot->xAxis->range();
    placeSpan(m_shades[Lower], view.lower, std::min(m_clipLo, view.upper));
    placeSpan(m_shades[Upper], std::max(m_clipHi, view.lower), view.upper);
    for (int i : {Lower, Upper})
        m_shades[i]->setVisible(shown && m_shades[i]->visible());
}

// Each label in its own tail, clear of the other label and inside the plot area (even when its
// handle is out of view), so both stay readable whenever both tails clip something.
void HistogramPlot::Private::placeTailLabels() {
    const bool shown = hasHandles();
    std::array<QSizeF, 2> sizes;
    for (int i : {Lower, Upper}) {
        QCPItemText *label = m_tailLabels[i];
        label->setVisible(shown && !label->text().isEmpty());
        const QPointF extent = label->bottomRight->pixelPosition() - label->topLeft->pixelPosition();
        if (label->visible())
            sizes[i] = QSizeF(extent.x(), extent.y());
    }
    const auto rects =
        layoutTailLabels(QRectF(m_plot->axisRect()->rect()), sizes, clampedPixel(m_plot->xAxis, m_clipLo),
                         clampedPixel(m_plot->xAxis, m_clipHi));
    for (int i : {Lower, Upper})
        m_tailLabels[i]->position->setCoords(rects[i].topLeft());
}

// Splits the clipped fraction between the tails in proportion to the histogram counts beyond
// each threshold, so the two labels add up to the exact figure.
void HistogramPlot::Private::updateTailLabels() {
    double below = 0.0;
    double above = 0.0;
    if (m_tensor) {
        const Histogram &h = source();
        for (std::size_t i = 0; i < h.bins(); ++i) {
            const double centre = h.binCenter(i);
            below += centre < m_clipLo ? double(h.counts[i]) : 0.0;
            above += centre > m_clipHi ? double(h.counts[i]) : 0.0;
        }
    }
    if (m_view) {
        // The figure is the whole tensor's; the bars may show one group only.
        m_tailLabels[Lower]->setText(QString());
        m_tailLabels[Upper]->setText(
            m_clippedFraction > 0 ? tr("%1 clipped (all groups) ▶").arg(formatPercent(m_clippedFraction))
                                  : QString());
        below = above = 0.0;
    }
    const double total = below + above;
    const double lowShare = total > 0 ? m_clippedFraction * below / total : m_clippedFraction / 2;
    const double highShare = m_clippedFraction - lowShare;
    const auto text = [](double share, bool low) -> QString {
        if (!(share > 0))
            return QString();
        const QString figure = tr("%1 clipped").arg(formatPercent(share));
        return low ? QStringLiteral("◀ ") + figure : figure + QStringLiteral(" ▶");
    };
    if (!m_view) {
        m_tailLabels[Lower]->setText(text(lowShare, true));
        m_tailLabels[Upper]->setText(text(highShare, false));
    }
    const QPalette palette = m_plot->palette();
    QColor background = palette.color(QPalette::Base);
    background.setAlpha(210);
    for (QCPItemText *label : m_tailLabels) {
        label->setColor(palette.color(QPalette::Text));
        label->setBrush(background);
    }
}

void HistogramPlot::Private::placeHandles() {
    placeVertical(m_handles[Lower], m_clipLo);
    placeVertical(m_handles[Upper], m_clipHi);
}

// The selected handle's grab mark is outlined while the plot has focus: where the keys act.
void HistogramPlot::Private::styleGrabMarks() {
    for (int i : {Lower, Upper}) {
        const bool marked = i == m_selected && m_plot->hasFocus();
        m_grabMarks[i]->setPen(marked ? QPen(m_plot->palette().color(QPalette::Text), 2)
                                      : QPen(colors::clipped().darker(150), 1));
    }
}

void HistogramPlot::Private::setViewRange(const QCPRange &range) {
    m_settingRange = true;
    m_plot->xAxis->setRange(range);
    m_settingRange = false;
}

// The tensor's range joined with the clip range and the levels, so all of them are in view.
void HistogramPlot::Private::fitRange() {
    if (m_tensor)
        setViewRange(fullRange());
}

QCPRange HistogramPlot::Private::fullRange() const {
    const Histogram &h = source();
    double lo = h.counts.empty() ? m_tensor->stats.min : h.lo;
    double hi = h.counts.empty() ? m_tensor->stats.max : h.hi;
    if (m_view) {
        if (!m_view->levels.empty()) {
            lo = std::min(lo, m_view->levels.front());
            hi = std::max(hi, m_view->levels.back());
        }
        if (m_view->ratioBase) {
            // The handles may sit past the outermost levels (symmetric int: at ±amax).
            lo = std::min(lo, m_view->ratio * m_view->ratioBase->first);
            hi = std::max(hi, m_view->ratio * m_view->ratioBase->second);
        }
    } else if (m_params) {
        // The outermost levels can lie just past the clip range (symmetric: qmin·s < clip_min).
        lo = std::min({lo, m_params->clipMin, double(dequantizeValue(m_params->qmin, *m_params))});
        hi = std::max({hi, m_params->clipMax, double(dequantizeValue(m_params->qmax, *m_params))});
    }
    double pad = (hi - lo) * kRangePadding;
    if (!(pad > 0))
        pad = std::max(std::abs(lo) * 0.1, 1e-3);
    return QCPRange(lo - pad, hi + pad);
}

// Zooming out far past the data only loses it; the wheel stops at a few times the full range.
void HistogramPlot::Private::onUserRange(const QCPRange &range) {
    if (m_settingRange)
        return;
    m_autoRange = false;
    const double maxSpan = kMaxZoomOut * fullRange().size();
    if (m_tensor && range.size() > maxSpan)
        setViewRange(QCPRange(range.center() - maxSpan / 2, range.center() + maxSpan / 2));
}

// The plot's palette has changed (a theme switch): recolour what follows the theme.
void HistogramPlot::Private::restyle() {
    applyPlotStyle(m_plot);
    updateTailLabels();
    styleGrabMarks();
    m_markers->restyle();
    m_reference->restyle();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

HistogramPlot::HistogramPlot(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
    , d(std::make_unique<Private>(this, m_plot)) {
    d->m_info = new QLabel(this);
    d->m_logToggle = new QCheckBox(tr("log y"), this);
    d->m_logToggle->setChecked(m_logScale);
    d->m_logToggle->setToolTip(tr("Logarithmic count axis: shows the sparse tails next to the bulk"));
    connect(d->m_logToggle, &QCheckBox::toggled, this, &HistogramPlot::setLogScale);
    QHBoxLayout *header = makePlotHeader(tr("Weights and quantization levels"), d->m_info);
    header->addWidget(d->m_reference->legend());
    header->addWidget(d->m_logToggle);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(header);
    layout->addWidget(m_plot, 1);
    m_plot->setMinimumSize(240, 160);
    // Tab and clicks focus the plot itself, which takes the arrow keys.
    setFocusProxy(m_plot);
}

HistogramPlot::~HistogramPlot() = default;

void HistogramPlot::setTensor(std::shared_ptr<const qs::TensorAnalysis> tensor) {
    if (tensor != d->m_tensor) {
        d->m_markers->setMarkers({});
        d->m_reference->setFine(std::nullopt);
    }
    d->m_tensor = std::move(tensor);
    d->m_view.reset();
    if (!d->m_tensor) {
        d->m_bars->data()->clear();
        d->m_reference->update(0, false, false);
        d->m_params.reset();
        d->m_info->clear();
        m_plot->xAxis->setLabel(tr("weight value"));
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    d->m_displayFactor = 0;
    d->m_committed.reset();
    const QString dtype = QString::fromStdString(d->m_tensor->info().typeName());
    m_plot->xAxis->setLabel(tr("weight value (%1)").arg(dtype));
    d->m_displayFactor = 0;
    d->updateBars();
    d->updateTailLabels();
    resetZoom();
}

void HistogramPlot::setQuantization(const qs::QuantSpec &spec, const qs::QuantParams &params,
                                    double clippedFraction) {
    if (d->m_view) {
        // Back from a scheme's view: the tensor's own histogram and axis again.
        d->m_view.reset();
        d->m_displayFactor = 0;
        d->m_committed.reset();
        if (d->m_tensor)
            m_plot->xAxis->setLabel(
                tr("weight value (%1)").arg(QString::fromStdString(d->m_tensor->info().typeName())));
        d->updateBars();
    }
    d->m_spec = spec;
    d->m_params = params;
    d->m_clippedFraction = clippedFraction;
    const bool held = d->holdsViewFor(spec);
    if (d->m_drag == Private::None) {
        d->m_clipLo = params.clipMin;
        d->m_clipHi = params.clipMax;
        if (d->m_autoRange && !held)
            d->fitRange();
    }
    d->placeHandles();
    d->updateTailLabels();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramPlot::setLevelView(const LevelView &view) {
    if (!d->m_tensor)
        return;
    const bool newData = !d->m_view || d->m_view->data.lo != view.data.lo ||
                         d->m_view->data.hi != view.data.hi || d->m_view->data.counts != view.data.counts;
    d->m_view = view;
    d->m_clippedFraction = view.clippedFraction;
    m_plot->xAxis->setLabel(view.axisLabel);
    if (newData) {
        d->m_displayFactor = 0;
        d->updateBars();
    }
    if (d->m_drag == Private::None) {
        d->setRatioHandles(view.ratio);
        if (newData && d->m_autoRange)
            d->fitRange();
    }
    d->placeHandles();
    d->updateTailLabels();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void HistogramPlot::setViewRatio(double ratio, std::vector<double> levels, double clippedFraction) {
    if (!d->m_view)
        return;
    d->m_view->levels = std::move(levels);
    d->m_view->clippedFraction = clippedFraction;
    d->m_clippedFraction = clippedFraction;
    if (d->m_drag == Private::None)
        d->setRatioHandles(ratio);
    d->m_view->ratio = ratio;
    d->placeHandles();
    d->updateTailLabels();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

bool HistogramPlot::showsLevelView() const {
    return d->m_view.has_value();
}

std::vector<double> HistogramPlot::viewLevels() const {
    return d->m_view ? d->m_view->levels : std::vector<double>{};
}

void HistogramPlot::setMethodMarkers(std::vector<MethodMarker> markers) {
    d->m_markers->setMarkers(std::move(markers));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

MethodMarkers *HistogramPlot::methodMarkers() const {
    return d->m_markers;
}

void HistogramPlot::setReferenceHistogram(std::optional<qs::Histogram> counts, const QString &description) {
    const bool fits = counts && d->m_tensor && counts->lo == d->m_tensor->stats.histogram.lo &&
                      counts->hi == d->m_tensor->stats.histogram.hi &&
                      counts->bins() == d->m_tensor->stats.histogram.bins();
    d->m_reference->setFine(fits ? std::move(counts) : std::nullopt, description);
    if (d->m_tensor && d->m_drag == Private::None && !d->m_display.counts.empty())
        d->drawBars();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

ReferenceOverlay *HistogramPlot::referenceOverlay() const {
    return d->m_reference;
}

void HistogramPlot::setLogScale(bool on) {
    const bool changed = on != m_logScale;
    m_logScale = on;
    setCountAxisLog(m_plot->yAxis, on);
    if (d->m_tensor)
        d->drawBars();
    const QSignalBlocker blocker(d->m_logToggle);
    d->m_logToggle->setChecked(on);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    if (changed)
        Q_EMIT logScaleChanged(on);
}

void HistogramPlot::resetZoom() {
    d->m_autoRange = true;
    d->m_committed.reset();
    d->fitRange();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QPoint HistogramPlot::handlePosition(bool upper) const {
    const double x = m_plot->xAxis->coordToPixel(upper ? d->m_clipHi : d->m_clipLo);
    return QPoint(int(std::lround(x)), m_plot->axisRect()->top() + kGrabMarkHeightPx / 2);
}

} // namespace qs::ui
