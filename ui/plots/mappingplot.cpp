#include "plots/mappingplot.h"

#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"
#include "quant/quantizer.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace qs::ui {

namespace {

constexpr double kFloatPadding = 0.04;
// The integer axis is drawn inset, so the lines fan between two visibly different scales.
constexpr double kIntegerInset = 0.14;
// Key ticks closer than this are dropped (the first listed wins): two-line labels need room.
constexpr double kMinTickSeparationPx = 64.0;
// Integer codes get a tick each while they are at least this many pixels apart.
constexpr double kMinCodeSpacingPx = 4.0;
constexpr std::array kSampleFractions = {0.1, 0.42, 0.78};
constexpr std::array kSampleLabelHeights = {0.36, 0.62, 0.36, 0.62};

struct KeyTick {
    double position;
    QString value;
    QString name;
};

// Places ticks in priority order, dropping those that would crowd one already placed and
// merging the names of those that coincide with one ("qmin = z").
// The axis' width in pixels; from the widget, since the plot's own layout may not have caught up
// with a resize yet (the y axis is hidden, so the margins are small).
double axisWidthPx(const QCustomPlot *plot) {
    return std::max(plot->width() - 20, 40);
}

QMap<double, QString> layoutTicks(const std::vector<KeyTick> &candidates, const QCPAxis *axis) {
    const double widthPx = axisWidthPx(axis->parentPlot());
    const double minSeparation = kMinTickSeparationPx / widthPx * axis->range().size();
    std::vector<KeyTick> placed;
    for (const KeyTick &tick : candidates) {
        auto clash = std::find_if(placed.begin(), placed.end(), [&](const KeyTick &p) {
            return std::abs(p.position - tick.position) < minSeparation;
        });
        if (clash == placed.end())
            placed.push_back(tick);
        else if (clash->position == tick.position && !tick.name.isEmpty())
            clash->name = clash->name.isEmpty() ? tick.name : clash->name + QStringLiteral(" = ") + tick.name;
    }
    QMap<double, QString> ticks;
    for (const KeyTick &tick : placed)
        ticks.insert(tick.position, tick.name.isEmpty() ? tick.value : tick.value + u'\n' + tick.name);
    return ticks;
}

QCPItemLine *makeMappingLine(QCustomPlot *plot, const QString &name, const QPen &pen) {
    auto *line = new QCPItemLine(plot);
    line->setObjectName(name);
    line->setPen(pen);
    line->setClipToAxisRect(false);
    // Starts on the float axis (top), ends on the integer axis (bottom).
    line->start->setAxes(plot->xAxis2, plot->yAxis);
    line->end->setAxes(plot->xAxis, plot->yAxis);
    return line;
}

void setMappingLine(QCPItemLine *line, double floatValue, double code) {
    line->start->setCoords(floatValue, 1.0);
    line->end->setCoords(code, 0.0);
    line->setVisible(true);
}

} // namespace

class MappingPlot::Items {
public:
    explicit Items(QCustomPlot *plot);

    QCustomPlot *m_plot;
    QCPItemLine *m_floatAxis;
    QCPItemLine *m_tensorRange;
    QCPItemLine *m_integerAxis;
    QCPGraph *m_codeTicks;
    QCPItemLine *m_clipLowLine;
    QCPItemLine *m_clipHighLine;
    QCPItemLine *m_zeroLine;
    std::array<QCPCurve *, 2> m_saturated{};
    std::vector<QCPItemLine *> m_sampleLines;
    std::vector<QCPItemText *> m_sampleLabels;
};

MappingPlot::Items::Items(QCustomPlot *plot)
    : m_plot(plot) {
    const QColor text = colors::zeroPoint();
    m_floatAxis = makeMappingLine(plot, QStringLiteral("floatAxis"), QPen(text, 1.5));
    m_floatAxis->end->setAxes(plot->xAxis2, plot->yAxis);
    m_tensorRange = makeMappingLine(plot, QStringLiteral("tensorRange"), QPen(colors::values(), 5));
    m_tensorRange->end->setAxes(plot->xAxis2, plot->yAxis);
    m_integerAxis = makeMappingLine(plot, QStringLiteral("integerAxis"), QPen(text, 1.5));
    m_integerAxis->start->setAxes(plot->xAxis, plot->yAxis);
    m_codeTicks = plot->addGraph(plot->xAxis, plot->yAxis);
    m_codeTicks->setLineStyle(QCPGraph::lsImpulse);
    m_codeTicks->setPen(QPen(colors::levels(), 1));
    QColor shade = colors::clipped();
    shade.setAlpha(70);
    for (std::size_t i = 0; i < m_saturated.size(); ++i) {
        m_saturated[i] = new QCPCurve(plot->xAxis, plot->yAxis);
        m_saturated[i]->setObjectName(i == 0 ? QStringLiteral("saturatedLow")
                                             : QStringLiteral("saturatedHigh"));
        m_saturated[i]->setPen(Qt::NoPen);
        m_saturated[i]->setBrush(shade);
    }
    m_clipLowLine = makeMappingLine(plot, QStringLiteral("clipMinLine"), QPen(colors::clipped(), 2));
    m_clipHighLine = makeMappingLine(plot, QStringLiteral("clipMaxLine"), QPen(colors::clipped(), 2));
    m_zeroLine = makeMappingLine(plot, QStringLiteral("zeroPointLine"), QPen(text, 3));
}

namespace {

QPen samplePen() {
    QPen pen(colors::values(), 1.3, Qt::DashLine);
    return pen;
}

QString modeText(const QuantSpec &spec) {
    return MappingPlot::tr("%1-bit %2%3, %4")
        .arg(spec.bits)
        .arg(QString::fromUtf8(schemeName(spec.scheme)))
        .arg(spec.narrow && spec.scheme == Scheme::Symmetric ? MappingPlot::tr(" narrow") : QString())
        .arg(QString::fromUtf8(rangeModeName(spec.rangeMode)));
}

} // namespace

MappingPlot::MappingPlot(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this)) {
    auto *info = new QLabel(this);
    info->setObjectName(QStringLiteral("mappingInfo"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(makePlotHeader(tr("Mapping float → integer"), info));
    layout->addWidget(m_plot, 1);
    m_plot->setMinimumSize(240, 160);

    m_plot->xAxis2->setVisible(true);
    m_plot->yAxis->setVisible(false);
    m_plot->yAxis->setRange(0.0, 1.0);
    m_plot->xAxis2->setLabel(tr("float value"));
    m_plot->xAxis->setLabel(tr("integer code  q = clamp(round(x / s) + z, qmin, qmax)"));
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->xAxis2}) {
        axis->grid()->setVisible(false);
        axis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
        axis->setSubTicks(false);
    }
    m_items = std::make_unique<Items>(m_plot);
    applyStyle();
    m_plot->installEventFilter(this);
    clear();
}

// Colours that follow the theme: set at start and again whenever the palette changes.
void MappingPlot::applyStyle() {
    applyPlotStyle(m_plot);
    // The axes are drawn as segments spanning only their ranges, so the frame lines go.
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->xAxis2})
        axis->setBasePen(Qt::NoPen);
    const QColor text = colors::zeroPoint();
    m_items->m_floatAxis->setPen(QPen(text, 1.5));
    m_items->m_integerAxis->setPen(QPen(text, 1.5));
    m_items->m_zeroLine->setPen(QPen(text, 3));
    QColor background = m_plot->palette().color(QPalette::Base);
    background.setAlpha(220);
    for (QCPItemText *label : m_items->m_sampleLabels) {
        label->setColor(text);
        label->setBrush(background);
    }
}

// The plot's own palette change (it arrives after the widget's, once the plot has the new one).
bool MappingPlot::eventFilter(QObject *watched, QEvent *event) {
    if (watched == m_plot && event->type() == QEvent::PaletteChange) {
        applyStyle();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
    return QWidget::eventFilter(watched, event);
}

MappingPlot::~MappingPlot() = default;

// Tick spacing and the per-code ticks depend on the width in pixels.
void MappingPlot::resizeEvent(QResizeEvent *event) {
    QWidget::resizeEvent(event);
    if (m_shown) {
        const Shown shown = *m_shown;
        setMapping(shown.tensorMin, shown.tensorMax, shown.spec, shown.params);
    }
}

void MappingPlot::clear() {
    m_shown.reset();
    for (QCPAbstractItem *item : m_plot->findChildren<QCPAbstractItem *>())
        item->setVisible(false);
    for (QCPCurve *curve : m_items->m_saturated)
        curve->data()->clear();
    m_items->m_codeTicks->data()->clear();
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->xAxis2})
        axis->ticker().staticCast<QCPAxisTickerText>()->clear();
    findChild<QLabel *>(QStringLiteral("mappingInfo"))->clear();
    m_plot->setToolTip(tr("The float → integer mapping of the selected tensor."));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MappingPlot::setMapping(double tensorMin, double tensorMax, const qs::QuantSpec &spec,
                             const qs::QuantParams &params) {
    clear();
    m_shown = Shown{tensorMin, tensorMax, spec, params};
    setAxisRanges(tensorMin, tensorMax, params);
    drawAxes(tensorMin, tensorMax, spec, params);
    drawMappingLines(params);
    drawSaturation(tensorMin, tensorMax, params);
    drawSamples(tensorMin, tensorMax, params);
    findChild<QLabel *>(QStringLiteral("mappingInfo"))
        ->setText(tr("s = %1, z = %2 · %3")
                      .arg(formatNumber(double(params.scale), 3))
                      .arg(params.zeroPoint)
                      .arg(modeText(spec)));
    m_plot->setToolTip(tr("<b>Float → integer mapping</b><br>top: float values, the tensor's range in "
                          "blue; bottom: integer codes [qmin, qmax] = [%1, %2]<br>orange lines: clip_min → "
                          "qmin, clip_max → qmax; thick line: 0 → zero point z = %3 (0 is exactly "
                          "representable)<br>shaded: values beyond the clip range, all saturating to "
                          "qmin / qmax<br>dashed: sample values and their codes; s = %4")
                           .arg(params.qmin)
                           .arg(params.qmax)
                           .arg(params.zeroPoint)
                           .arg(formatNumber(double(params.scale))));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MappingPlot::setAxisRanges(double tensorMin, double tensorMax, const qs::QuantParams &params) {
    const double lo = std::min(tensorMin, params.clipMin);
    const double hi = std::max(tensorMax, params.clipMax);
    double pad = (hi - lo) * kFloatPadding;
    if (!(pad > 0))
        pad = std::max(std::abs(lo) * 0.1, 1e-3);
    m_plot->xAxis2->setRange(lo - pad, hi + pad);
    const double span = double(params.qmax - params.qmin);
    const double inset = std::max(span, 1.0) * kIntegerInset / (1.0 - 2.0 * kIntegerInset);
    m_plot->xAxis->setRange(double(params.qmin) - inset, double(params.qmax) + inset);
}

double MappingPlot::toIntegerAxis(double floatValue) const {
    const QCPRange f = m_plot->xAxis2->range();
    const QCPRange i = m_plot->xAxis->range();
    return i.lower + (floatValue - f.lower) / f.size() * i.size();
}

void MappingPlot::drawAxes(double tensorMin, double tensorMax, const qs::QuantSpec &spec,
                           const qs::QuantParams &params) {
    const double lo = std::min(tensorMin, params.clipMin);
    const double hi = std::max(tensorMax, params.clipMax);
    m_items->m_floatAxis->start->setCoords(lo, 1.0);
    m_items->m_floatAxis->end->setCoords(hi, 1.0);
    m_items->m_floatAxis->setVisible(true);
    m_items->m_tensorRange->start->setCoords(tensorMin, 1.0);
    m_items->m_tensorRange->end->setCoords(tensorMax, 1.0);
    m_items->m_tensorRange->setVisible(true);
    m_items->m_integerAxis->start->setCoords(double(params.qmin), 0.0);
    m_items->m_integerAxis->end->setCoords(double(params.qmax), 0.0);
    m_items->m_integerAxis->setVisible(true);
    drawCodeTicks(params);

    std::vector<KeyTick> floatTicks = {{0.0, QStringLiteral("0"), QString()},
                                       {params.clipMin, formatNumber(params.clipMin, 3), tr("clip_min")},
                                       {params.clipMax, formatNumber(params.clipMax, 3), tr("clip_max")}};
    if (spec.rangeMode == RangeMode::Saturating) {
        floatTicks.push_back({tensorMin, formatNumber(tensorMin, 3), tr("min")});
        floatTicks.push_back({tensorMax, formatNumber(tensorMax, 3), tr("max")});
    }
    m_plot->xAxis2->ticker().staticCast<QCPAxisTickerText>()->setTicks(
        layoutTicks(floatTicks, m_plot->xAxis2));
    const std::vector<KeyTick> codeTicks = {
        {double(params.zeroPoint), QString::number(params.zeroPoint), tr("z")},
        {double(params.qmin), QString::number(params.qmin), tr("qmin")},
        {double(params.qmax), QString::number(params.qmax), tr("qmax")}};
    m_plot->xAxis->ticker().staticCast<QCPAxisTickerText>()->setTicks(layoutTicks(codeTicks, m_plot->xAxis));
}

// A short tick per integer code while they are far enough apart to tell (low bit widths).
void MappingPlot::drawCodeTicks(const qs::QuantParams &params) {
    const double spacingPx = axisWidthPx(m_plot) / m_plot->xAxis->range().size();
    if (spacingPx < kMinCodeSpacingPx)
        return;
    QVector<QCPGraphData> data;
    for (std::int64_t q = params.qmin; q <= params.qmax; ++q)
        data.append(QCPGraphData(double(q), 0.06));
    m_items->m_codeTicks->data()->set(data, true);
}

void MappingPlot::drawMappingLines(const qs::QuantParams &params) {
    setMappingLine(m_items->m_clipLowLine, params.clipMin, double(params.qmin));
    setMappingLine(m_items->m_clipHighLine, params.clipMax, double(params.qmax));
    setMappingLine(m_items->m_zeroLine, 0.0, double(params.zeroPoint));
}

// Every value beyond a clip threshold lands on qmin / qmax: a wedge from that stretch of the
// float axis to one integer.
void MappingPlot::drawSaturation(double tensorMin, double tensorMax, const qs::QuantParams &params) {
    const auto wedge = [this](QCPCurve *curve, double from, double to, double code) {
        curve->data()->clear();
        if (!(to > from))
            return;
        curve->addData({toIntegerAxis(from), toIntegerAxis(to), code, toIntegerAxis(from)},
                       {1.0, 1.0, 0.0, 1.0});
    };
    wedge(m_items->m_saturated[0], tensorMin, params.clipMin, double(params.qmin));
    wedge(m_items->m_saturated[1], params.clipMax, tensorMax, double(params.qmax));
}

std::vector<double> MappingPlot::sampleValues(double tensorMin, double tensorMax,
                                              const qs::QuantParams &params) {
    const double lo = std::max(tensorMin, params.clipMin);
    const double hi = std::min(tensorMax, params.clipMax);
    std::vector<double> samples;
    for (double f : kSampleFractions)
        samples.push_back(lo + f * (hi - lo));
    if (tensorMax > params.clipMax)
        samples.push_back((params.clipMax + tensorMax) / 2);
    else if (tensorMin < params.clipMin)
        samples.push_back((tensorMin + params.clipMin) / 2);
    return samples;
}

void MappingPlot::drawSamples(double tensorMin, double tensorMax, const qs::QuantParams &params) {
    if (!(tensorMax > tensorMin))
        return;
    const std::vector<double> samples = sampleValues(tensorMin, tensorMax, params);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const double x = samples[i];
        const std::int64_t q = quantizeValue(float(x), params);
        setMappingLine(sampleLine(i), x, double(q));
        // The label sits on the line, at alternating heights so neighbours do not collide.
        const double t = kSampleLabelHeights[i % kSampleLabelHeights.size()];
        QCPItemText *label = sampleLabel(i);
        label->position->setCoords(toIntegerAxis(x) * t + double(q) * (1.0 - t), t);
        label->setText(tr("%1 → %2").arg(formatNumber(x, 3)).arg(q));
        label->setVisible(true);
    }
}

QCPItemLine *MappingPlot::sampleLine(std::size_t i) {
    while (m_items->m_sampleLines.size() <= i)
        m_items->m_sampleLines.push_back(makeMappingLine(m_plot, QStringLiteral("sampleLine"), samplePen()));
    return m_items->m_sampleLines[i];
}

QCPItemText *MappingPlot::sampleLabel(std::size_t i) {
    while (m_items->m_sampleLabels.size() <= i) {
        auto *label = new QCPItemText(m_plot);
        label->setObjectName(QStringLiteral("sampleLabel"));
        label->setPen(QPen(colors::values(), 1));
        label->setPadding(QMargins(3, 1, 3, 1));
        QFont font = m_plot->font();
        font.setPointSizeF(font.pointSizeF() * 0.9);
        label->setFont(font);
        m_items->m_sampleLabels.push_back(label);
        applyStyle();
    }
    return m_items->m_sampleLabels[i];
}

} // namespace qs::ui
