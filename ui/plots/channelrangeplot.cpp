#include "plots/channelrangeplot.h"

#include "plotexport.h"
#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"

#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs::ui {

namespace {

// Bars while each channel has at least this many pixels; a band of the envelope below.
constexpr double kMinBarSpacingPx = 3.0;
// The Scheme dock may be squeezed this far on a small screen rather than push the window
// past it; the user drags it taller.
constexpr int kMinPlotHeightPx = 50;
// Room above the tensor's max and below its min, so the reference lines stand clear of the frame.
constexpr double kRangePadding = 0.08;
constexpr int kBandAlpha = 110;

QCPItemStraightLine *makeReferenceLine(QCustomPlot *plot) {
    auto *line = new QCPItemStraightLine(plot);
    line->setObjectName(QStringLiteral("tensorRangeLine"));
    line->setPen(QPen(colors::clipped(), 1.5, Qt::DashLine));
    line->setVisible(false);
    return line;
}

} // namespace

ChannelRangePlot::ChannelRangePlot(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
    , m_info(new QLabel(this)) {
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(makePlotHeader(tr("Range per output channel"), m_info));
    layout->addWidget(m_plot, 1);
    m_plot->setMinimumHeight(kMinPlotHeightPx);

    m_min = m_plot->addGraph();
    m_max = m_plot->addGraph();
    m_mid = m_plot->addGraph();
    m_mid->setLineStyle(QCPGraph::lsNone);
    m_mid->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssNone));
    m_bars = new QCPErrorBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setDataPlottable(m_mid);
    m_bars->setErrorType(QCPErrorBars::etValueError);
    m_tensorMinLine = makeReferenceLine(m_plot);
    m_tensorMaxLine = makeReferenceLine(m_plot);
    // The right axis names the reference lines, outside the data, where nothing clips them.
    m_references = QSharedPointer<QCPAxisTickerText>::create();
    m_plot->yAxis2->setVisible(true);
    m_plot->yAxis2->setTicker(m_references);
    m_plot->yAxis2->setSubTicks(false);
    connect(m_plot->yAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), m_plot->yAxis2,
            qOverload<const QCPRange &>(&QCPAxis::setRange));

    m_plot->xAxis->setLabel(tr("output channel (index, axis 0)"));
    m_plot->yAxis->setLabel(tr("range (value)"));
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->setToolTip(
        tr("<b>Range per output channel</b>: the smallest and largest finite value of each "
           "channel (row of the weight matrix). Dashed lines (named on the right): the whole tensor's range, "
           "which one per-tensor scale must cover. Channels far inside it lose resolution "
           "under per-tensor quantization; per-channel scales fit each bar."));
    installPlotContextMenu(m_plot, tr("Range per Channel"));
    connect(m_plot, &QCustomPlot::afterLayout, this, &ChannelRangePlot::updateDensity);
    applyStyle();
    clear();
}

void ChannelRangePlot::applyStyle() {
    applyPlotStyle(m_plot);
    const QColor values = colors::values();
    QColor band = values;
    band.setAlpha(kBandAlpha);
    for (QCPGraph *graph : {m_min, m_max}) {
        graph->setPen(QPen(values, 1));
        graph->setAdaptiveSampling(true);
    }
    m_max->setBrush(band);
    m_max->setChannelFillGraph(m_min);
    m_bars->setPen(QPen(values, 1.5));
    m_bars->setWhiskerWidth(4);
}

void ChannelRangePlot::clear() {
    setRanges({}, {});
}

void ChannelRangePlot::setRanges(std::vector<float> mins, std::vector<float> maxs) {
    const std::size_t channels = std::min(mins.size(), maxs.size());
    m_channels = channels;
    const qsizetype n = qsizetype(channels);
    QVector<double> keys(n), lows(n), highs(n), mids(n), half(n);
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (std::size_t i = 0; i < channels; ++i) {
        keys[qsizetype(i)] = double(i);
        lows[qsizetype(i)] = mins[i];
        highs[qsizetype(i)] = maxs[i];
        mids[qsizetype(i)] = (double(mins[i]) + double(maxs[i])) / 2.0;
        half[qsizetype(i)] = (double(maxs[i]) - double(mins[i])) / 2.0;
        if (std::isfinite(mins[i]) && std::isfinite(maxs[i])) {
            lo = std::min(lo, double(mins[i]));
            hi = std::max(hi, double(maxs[i]));
        }
    }
    m_min->setData(keys, lows, true);
    m_max->setData(keys, highs, true);
    m_mid->setData(keys, mids, true);
    m_bars->setData(half);
    const bool known = lo <= hi;
    m_info->setText(channels == 0 ? tr("select a tensor")
                    : known       ? tr("%n channels", nullptr, int(channels))
                                  : tr("no finite values"));
    const double span = known ? std::max(hi - lo, std::max(std::abs(hi), 1e-6) * 0.1) : 1.0;
    m_plot->xAxis->setRange(-0.5, std::max(0.5, double(channels) - 0.5));
    m_plot->yAxis->setRange(known ? lo - kRangePadding * span : -1.0,
                            known ? hi + kRangePadding * span : 1.0);
    m_references->clear();
    placeReference(m_tensorMinLine, known ? lo : NAN, tr("min %1"));
    placeReference(m_tensorMaxLine, known ? hi : NAN, tr("max %1"));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ChannelRangePlot::placeReference(QCPItemStraightLine *line, double value, const QString &text) {
    const bool shown = std::isfinite(value);
    line->setVisible(shown);
    if (!shown)
        return;
    line->point1->setCoords(0.0, value);
    line->point2->setCoords(1.0, value);
    m_references->addTick(value, text.arg(formatNumber(value, 3)));
}

bool ChannelRangePlot::drawsBars() const {
    const double visible = std::max(1.0, m_plot->xAxis->range().size());
    return m_plot->axisRect()->width() / visible >= kMinBarSpacingPx;
}

// Called after every layout, so resizing and zooming switch between bars and band.
void ChannelRangePlot::updateDensity() {
    const bool bars = drawsBars();
    m_bars->setVisible(bars);
    m_min->setVisible(!bars);
    m_max->setVisible(!bars);
}

} // namespace qs::ui
