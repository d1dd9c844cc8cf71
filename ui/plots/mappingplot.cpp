#include "plots/mappingplot.h"
#include "plots/mappingplot_p.h"

#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"
#include "quant/quantizer.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QScopedValueRollback>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <vector>

namespace qs::ui {

using namespace mappingplot;

namespace {

constexpr double kFloatPadding = 0.04;
// The integer axis is drawn inset, so the lines fan between two visibly different scales.
constexpr double kIntegerInset = 0.14;
// Integer codes get a tick each while they are at least this many pixels apart.
constexpr double kMinCodeSpacingPx = 4.0;
constexpr std::size_t kFloatKeyCount = 5;
constexpr std::size_t kCodeKeyCount = 3;

} // namespace

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
    for (std::size_t i = 0; i < kFloatKeyCount + kCodeKeyCount; ++i) {
        auto *leader = new QCPItemLine(plot);
        leader->setObjectName(QStringLiteral("keyLeader"));
        leader->setClipToAxisRect(false);
        leader->start->setType(QCPItemPosition::ptAbsolute);
        leader->end->setType(QCPItemPosition::ptAbsolute);
        m_leaders.push_back(leader);
    }
    for (std::size_t i = 0; i < kFloatKeyCount; ++i)
        m_floatKeys.push_back(makeText(plot, QStringLiteral("floatKeyLabel")));
    for (std::size_t i = 0; i < kCodeKeyCount; ++i)
        m_codeKeys.push_back(makeText(plot, QStringLiteral("codeKeyLabel")));
    m_titles[0] = makeText(plot, QStringLiteral("floatAxisTitle"));
    m_titles[0]->setText(MappingPlot::tr("float"));
    m_titles[1] = makeText(plot, QStringLiteral("integerAxisTitle"));
    m_titles[1]->setText(MappingPlot::tr("int"));
    m_caption = makeText(plot, QStringLiteral("mappingFormula"));
    m_caption->setText(MappingPlot::tr("q = clamp(round(x / s) + z, qmin, qmax)"));
}

std::vector<QCPItemText *> MappingPlot::Items::texts() const {
    std::vector<QCPItemText *> all = m_floatKeys;
    all.insert(all.end(), m_codeKeys.begin(), m_codeKeys.end());
    all.insert(all.end(), m_titles.begin(), m_titles.end());
    all.push_back(m_caption);
    all.insert(all.end(), m_sampleLabels.begin(), m_sampleLabels.end());
    return all;
}

namespace {

QString modeText(const QuantSpec &spec) {
    return MappingPlot::tr("%1-bit %2%3, %4")
        .arg(spec.bits)
        .arg(QString::fromUtf8(schemeName(spec.scheme)))
        .arg(spec.narrow && spec.scheme == Scheme::Symmetric ? MappingPlot::tr(" narrow") : QString())
        .arg(QString::fromUtf8(rangeModeName(spec.rangeMode)));
}

QString mappingToolTip(const QuantParams &params) {
    return MappingPlot::tr(
               "<b>Float → integer mapping</b><br>q = clamp(round(x / s) + z, qmin, qmax)<br>top: float "
               "values, the tensor's range in blue; bottom: integer codes [qmin, qmax] = [%1, %2]<br>orange "
               "lines: clip_min → qmin, clip_max → qmax; thick line: 0 → zero point z = %3 (0 is exactly "
               "representable)<br>shaded: values beyond the clip range, all saturating to qmin / "
               "qmax<br>dashed: sample values and their codes; s = %4")
        .arg(params.qmin)
        .arg(params.qmax)
        .arg(params.zeroPoint)
        .arg(formatNumber(double(params.scale)));
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
    QHBoxLayout *header = makePlotHeader(tr("Mapping float → integer"), info);
    m_title = qobject_cast<QLabel *>(header->itemAt(0)->widget());
    m_title->setObjectName(QStringLiteral("mappingTitle"));
    layout->addLayout(header);
    layout->addWidget(m_plot, 1);
    m_plot->setMinimumSize(240, kMinPlotHeightPx);

    // The key values are text items laid out in rows (see KeyRows); the axes keep only their
    // tick marks, and the margins are set to fit the rows.
    m_plot->axisRect()->setAutoMargins(QCP::msNone);
    m_plot->xAxis2->setVisible(true);
    m_plot->yAxis->setVisible(false);
    m_plot->yAxis->setRange(0.0, 1.0);
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->xAxis2}) {
        axis->grid()->setVisible(false);
        axis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
        axis->setSubTicks(false);
        axis->setTickLabels(false);
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
    QColor faint = text;
    faint.setAlpha(150);
    for (QCPItemLine *leader : m_items->m_leaders)
        leader->setPen(QPen(faint, 1, Qt::DotLine));
    QColor background = m_plot->palette().color(QPalette::Base);
    background.setAlpha(220);
    QFont small = m_plot->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    for (QCPItemText *label : m_items->texts()) {
        label->setColor(text);
        label->setBrush(background);
        label->setFont(m_plot->font());
    }
    m_items->m_caption->setColor(faint);
    for (QCPItemText *label : m_items->m_sampleLabels)
        label->setFont(small);
    m_items->m_caption->setFont(small);
}

bool MappingPlot::eventFilter(QObject *watched, QEvent *event) {
    // The plot's own palette change (it arrives after the widget's, once the plot has the new
    // one); a resize changes where every label fits.
    if (watched == m_plot && event->type() == QEvent::PaletteChange) {
        applyStyle();
        redraw();
    } else if (watched == m_plot && event->type() == QEvent::Resize && !m_drawing) {
        redraw();
    }
    return QWidget::eventFilter(watched, event);
}

MappingPlot::~MappingPlot() = default;

void MappingPlot::redraw() {
    if (m_levelsShown) {
        const LevelsShown shown = *m_levelsShown;
        const std::vector<double> levels = m_levels;
        setLevels(levels, shown.dataMin, shown.dataMax, shown.description, shown.codes);
    } else if (m_shown) {
        const Shown shown = *m_shown;
        setMapping(shown.tensorMin, shown.tensorMax, shown.spec, shown.params);
    } else {
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

void MappingPlot::clear() {
    m_shown.reset();
    m_levelsShown.reset();
    m_levels.clear();
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
    m_title->setText(tr("Mapping float → integer"));
    if (!std::isfinite(params.clipMin) || !std::isfinite(params.clipMax))
        return;
    // A tensor without finite values still shows the mapping of its clip range.
    if (!std::isfinite(tensorMin) || !std::isfinite(tensorMax)) {
        tensorMin = params.clipMin;
        tensorMax = params.clipMax;
    }
    m_shown = Shown{tensorMin, tensorMax, spec, params};
    const QScopedValueRollback drawing(m_drawing, true);
    m_items->m_caption->setText(tr("q = clamp(round(x / s) + z, qmin, qmax)"));
    m_items->m_titles[1]->setText(tr("int"));
    setAxisRanges(tensorMin, tensorMax, params);
    applyMargins(0, 0); // the rows depend on the horizontal layout alone
    const KeyRows floatRows = floatKeyRows(tensorMin, tensorMax, spec, params);
    const KeyRows codeRows = codeKeyRows(params);
    const bool showCaption = layOutAxisRect(floatRows, codeRows);
    drawAxes(tensorMin, tensorMax, params, floatRows, codeRows);
    drawMappingLines(params);
    drawSaturation(tensorMin, tensorMax, params);
    std::vector<QRectF> taken = drawLabels(floatRows, codeRows, showCaption);
    drawSamples(tensorMin, tensorMax, params, taken);
    findChild<QLabel *>(QStringLiteral("mappingInfo"))
        ->setText(tr("s = %1, z = %2 · %3")
                      .arg(formatNumber(double(params.scale), 3))
                      .arg(params.zeroPoint)
                      .arg(modeText(spec)));
    m_plot->setToolTip(mappingToolTip(params));
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

void MappingPlot::drawAxes(double tensorMin, double tensorMax, const qs::QuantParams &params,
                           const KeyRows &floatRows, const KeyRows &codeRows) {
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
    // A tick mark at each labelled value; the labels themselves are text items.
    for (const auto &[axis, rows] :
         {std::pair{m_plot->xAxis2, &floatRows}, std::pair{m_plot->xAxis, &codeRows}}) {
        QMap<double, QString> ticks;
        for (const KeyRows::Label &label : rows->labels)
            ticks.insert(label.value, QString());
        axis->ticker().staticCast<QCPAxisTickerText>()->setTicks(ticks);
    }
}

// A short tick per integer code while they are far enough apart to tell (low bit widths).
void MappingPlot::drawCodeTicks(const qs::QuantParams &params) {
    const double spacingPx = m_plot->axisRect()->width() / m_plot->xAxis->range().size();
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

} // namespace qs::ui

namespace qs::ui {

namespace {
// More level links than this make a solid fan; every k-th is drawn instead.
constexpr std::size_t kMaxLevelLinks = 64;
} // namespace

void MappingPlot::setLevels(const std::vector<double> &levels, double dataMin, double dataMax,
                            const QString &description, const std::optional<EndCodes> &codes) {
    clear();
    if (levels.empty())
        return;
    if (!std::isfinite(dataMin) || !std::isfinite(dataMax)) {
        dataMin = levels.front();
        dataMax = levels.back();
    }
    m_levels = levels;
    const bool stored = codes.has_value();
    m_title->setText(stored && codes->bitPatterns ? tr("Mapping float → code")
                                                  : tr("Mapping float → integer"));
    m_levelsShown = LevelsShown{dataMin, dataMax, description, codes};
    const QScopedValueRollback drawing(m_drawing, true);
    const double lo = std::min(dataMin, levels.front());
    const double hi = std::max(dataMax, levels.back());
    double pad = (hi - lo) * kFloatPadding;
    if (!(pad > 0))
        pad = std::max(std::abs(lo) * 0.1, 1e-3);
    m_plot->xAxis2->setRange(lo - pad, hi + pad);
    const double last = double(levels.size() - 1);
    const double inset = std::max(last, 1.0) * kIntegerInset / (1.0 - 2.0 * kIntegerInset);
    m_plot->xAxis->setRange(-inset, last + inset);
    m_items->m_caption->setText(stored ? tr("x → the nearest level, stored as its code")
                                       : tr("x → the nearest level; code = its index"));
    m_items->m_titles[1]->setText(tr("code"));
    applyMargins(0, 0);

    const auto floatCandidate = [](double value, const QString &key, const QString &name) {
        return KeyCandidate{value, formatNumber(value, 3), key, name};
    };
    std::vector<KeyCandidate> floats = {
        floatCandidate(levels.front(), QStringLiteral("lowest"), tr("lowest")),
        floatCandidate(levels.back(), QStringLiteral("highest"), tr("highest"))};
    if (levels.front() < 0 && levels.back() > 0)
        floats.insert(floats.begin(), floatCandidate(0.0, QStringLiteral("0"), QString()));
    KeyRows floatRows = KeyRows::merged(floats, m_plot->xAxis2, m_items->m_floatKeys.front());
    floatRows.place(m_plot->axisRect()->left(), m_plot->width() - kEdgePx);
    const std::vector<KeyCandidate> codeKeys = {
        KeyCandidate{0.0, stored ? codes->lowest : QStringLiteral("0"), QStringLiteral("first"), QString()},
        KeyCandidate{last, stored ? codes->highest : QString::number(levels.size() - 1),
                     QStringLiteral("last"), QString()}};
    KeyRows codeRows = KeyRows::merged(codeKeys, m_plot->xAxis, m_items->m_codeKeys.front());
    codeRows.place(m_plot->axisRect()->left(), m_plot->width() - kEdgePx);
    const bool showCaption = layOutAxisRect(floatRows, codeRows);

    m_items->m_floatAxis->start->setCoords(lo, 1.0);
    m_items->m_floatAxis->end->setCoords(hi, 1.0);
    m_items->m_floatAxis->setVisible(true);
    m_items->m_tensorRange->start->setCoords(dataMin, 1.0);
    m_items->m_tensorRange->end->setCoords(dataMax, 1.0);
    m_items->m_tensorRange->setVisible(true);
    m_items->m_integerAxis->start->setCoords(0.0, 0.0);
    m_items->m_integerAxis->end->setCoords(last, 0.0);
    m_items->m_integerAxis->setVisible(true);
    for (const auto &[axis, rows] :
         {std::pair{m_plot->xAxis2, &floatRows}, std::pair{m_plot->xAxis, &codeRows}}) {
        QMap<double, QString> ticks;
        for (const KeyRows::Label &label : rows->labels)
            ticks.insert(label.value, QString());
        axis->ticker().staticCast<QCPAxisTickerText>()->setTicks(ticks);
    }
    drawLevelLinks(levels);
    drawLabels(floatRows, codeRows, showCaption);
    QLabel *info = findChild<QLabel *>(QStringLiteral("mappingInfo"));
    info->setText(tr("%1 levels · %2").arg(levels.size()).arg(description));
    const QString count = QString::number(levels.size());
    if (stored)
        m_plot->setToolTip(
            tr("<b>Float → code</b> for %1: each of the %2 levels (top, value units) above its "
               "place among them (bottom), whose ends name the code that stores the lowest "
               "level (%3) and the highest (%4). Uneven spacing on top is a non-uniform grid; "
               "x goes to the nearest level.")
                .arg(description.toHtmlEscaped(), count, codes->lowest.toHtmlEscaped(),
                     codes->highest.toHtmlEscaped()));
    else
        m_plot->setToolTip(
            tr("<b>Float → code</b> for %1: each of the %2 levels (top, value units) and the "
               "code that stores it (bottom, its index). Uneven spacing on top is a non-uniform "
               "grid; x goes to the nearest level.")
                .arg(description.toHtmlEscaped(), count));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MappingPlot::drawLevelLinks(const std::vector<double> &levels) {
    const std::size_t stride = (levels.size() + kMaxLevelLinks - 1) / kMaxLevelLinks;
    std::size_t used = 0;
    for (std::size_t k = 0; k < levels.size(); k += stride)
        setMappingLine(levelLink(used++), levels[k], double(k));
    if ((levels.size() - 1) % stride != 0)
        setMappingLine(levelLink(used++), levels.back(), double(levels.size() - 1));
    const double spacingPx = m_plot->axisRect()->width() / m_plot->xAxis->range().size();
    if (spacingPx < kMinCodeSpacingPx)
        return;
    QVector<QCPGraphData> data;
    for (std::size_t k = 0; k < levels.size(); ++k)
        data.append(QCPGraphData(double(k), 0.06));
    m_items->m_codeTicks->data()->set(data, true);
}

QCPItemLine *MappingPlot::levelLink(std::size_t i) {
    while (m_items->m_levelLinks.size() <= i) {
        QColor color = colors::levels();
        color.setAlpha(170);
        m_items->m_levelLinks.push_back(makeMappingLine(m_plot, QStringLiteral("levelLink"), QPen(color, 1)));
    }
    return m_items->m_levelLinks[i];
}

} // namespace qs::ui
