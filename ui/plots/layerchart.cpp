#include "plots/layerchart.h"

#include "labelelider.h"
#include "plotexport.h"
#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"

#include <QApplication>
#include <QComboBox>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QScopedValueRollback>
#include <QSettings>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>

namespace qs::ui {

namespace {

const QString kMeasureKey = QStringLiteral("modelPanel/layerChartMeasure");
constexpr int kMinPlotHeightPx = 80;
constexpr double kPickRadiusPx = 7.0;
constexpr double kMarkerSizePx = 6.0;
// Ten roles spread over ±0.36 of a layer: apart enough to tell, well clear of the next layer.
constexpr double kRoleSpread = 0.08;
constexpr double kDbPaddingMin = 1.0;
constexpr double kLogPadding = 1.6;
// The legend's border and a little air below it.
constexpr int kLegendChromePx = 6;

// Whole layer numbers only, and none over the file-order region right of the separator.
class LayerTicker : public QCPAxisTicker {
public:
    void setLastTick(std::optional<double> last) { m_last = last; }

protected:
    double getTickStep(const QCPRange &range) override {
        return std::max(1.0, std::floor(QCPAxisTicker::getTickStep(range)));
    }
    QVector<double> createTickVector(double tickStep, const QCPRange &range) override {
        QVector<double> ticks = QCPAxisTicker::createTickVector(tickStep, range);
        ticks.erase(std::remove_if(ticks.begin(), ticks.end(),
                                   [this](double t) { return t < 0.0 || (m_last && t > *m_last + 1e-9); }),
                    ticks.end());
        return ticks;
    }

private:
    std::optional<double> m_last;
};

QCPScatterStyle::ScatterShape roleShape(TensorRole role) {
    static constexpr std::array<QCPScatterStyle::ScatterShape, kTensorRoleCount> kShapes{
        QCPScatterStyle::ssCircle,  QCPScatterStyle::ssSquare,           QCPScatterStyle::ssTriangle,
        QCPScatterStyle::ssDiamond, QCPScatterStyle::ssTriangleInverted, QCPScatterStyle::ssCrossSquare,
        QCPScatterStyle::ssStar,    QCPScatterStyle::ssPlusCircle,       QCPScatterStyle::ssCrossCircle,
        QCPScatterStyle::ssPlus};
    return kShapes[std::size_t(role)];
}

bool darkTheme() {
    return QApplication::palette().color(QPalette::Base).lightness() < 128;
}

QString roleLabel(TensorRole role) {
    const std::string_view name = tensorRoleName(role);
    return QString::fromLatin1(name.data(), qsizetype(name.size()));
}

} // namespace

QColor LayerChart::roleColor(TensorRole role) {
    // Attention cool, MLP warm, the rest apart: indigo, cyan, teal, green, sand, olive, rose,
    // wine, purple, grey.
    static constexpr std::array<QRgb, kTensorRoleCount> kColors{
        0x332288, 0x88CCEE, 0x44AA99, 0x117733, 0xDDCC77, 0x999933, 0xCC6677, 0x882255, 0xAA4499, 0x999999};
    const QColor color = QColor::fromRgb(kColors[std::size_t(role)]);
    // The two darkest would vanish on a dark background.
    return darkTheme() && color.lightness() < 100 ? color.lighter(190) : color;
}

double LayerChart::roleOffset(TensorRole role) {
    return (int(role) - (kTensorRoleCount - 1) / 2.0) * kRoleSpread;
}

LayerChart::LayerChart(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot)
    , m_measureBox(new QComboBox)
    , m_info(new QLabel)
    , m_footnote(new QLabel) {
    QHBoxLayout *header = makePlotHeader(tr("Error by layer"), m_info);
    m_measureBox->setObjectName(QStringLiteral("layerChartMeasure"));
    m_measureBox->addItem(tr("SQNR (dB)"));
    m_measureBox->addItem(tr("Relative RMSE"));
    m_measureBox->setToolTip(tr("What the chart's y axis shows: SQNR = 10·log10(Σx² / Σ(x − x̂)²), higher "
                                "is better; relative RMSE = RMS error / RMS value, lower is better"));
    connect(m_measureBox, &QComboBox::currentIndexChanged, this,
            [this](int index) { setMeasure(index == 1 ? Measure::RelRmse : Measure::Sqnr); });
    header->addWidget(m_measureBox);
    makePlotFootnote(m_footnote, QStringLiteral("layerChartNote"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(header);
    layout->addWidget(m_plot, 1);
    layout->addWidget(m_footnote);
    m_plot->setMinimumHeight(kMinPlotHeightPx);
    m_plot->setObjectName(QStringLiteral("layerChartPlot"));

    createGraphs();
    createLegend();
    // The wheel zooms the layers and a drag pans them, as in the other plots; a double-click shows
    // them all again. The values keep fitting what is drawn.
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoomFactor(0.8);
    connect(m_plot->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            [this](const QCPRange &range) { onLayerRangeChanged(range); });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] { showAllLayers(); });
    m_plot->installEventFilter(this);
    installPlotContextMenu(m_plot, tr("Error by Layer"));
    if (QSettings().value(kMeasureKey).toString() == QStringLiteral("rel_rmse"))
        setMeasure(Measure::RelRmse); // rebuilds
    else
        rebuild();
}

void LayerChart::createGraphs() {
    applyPlotStyle(m_plot);
    for (int i = 0; i < kTensorRoleCount; ++i) {
        const auto role = TensorRole(i);
        const QColor color = roleColor(role);
        QColor fill = color;
        fill.setAlpha(110);
        QCPGraph *graph = m_plot->addGraph();
        graph->setName(roleLabel(role));
        graph->setPen(QPen(color, 1.5));
        graph->setLineStyle(QCPGraph::lsNone);
        graph->setScatterStyle(QCPScatterStyle(roleShape(role), QPen(color, 1.5), fill, kMarkerSizePx));
        m_graphs.push_back(graph);
    }
    m_plot->xAxis->setTicker(QSharedPointer<LayerTicker>::create());
    m_plot->xAxis->setSubTicks(false);
    m_separator = new QCPItemStraightLine(m_plot);
    m_separator->setObjectName(QStringLiteral("noLayerSeparator"));
    QColor line = palette().color(QPalette::Text);
    line.setAlpha(130);
    m_separator->setPen(QPen(line, 1, Qt::DashLine));
    m_separator->setSelectable(false);
}

// Beside the axis rect, so it never hides a point: one column at the top right.
void LayerChart::createLegend() {
    auto *side = new QCPLayoutGrid;
    m_plot->plotLayout()->addElement(0, 1, side);
    m_plot->plotLayout()->setColumnStretchFactor(1, 0.001);
    side->addElement(0, 0, m_plot->legend);
    side->addElement(1, 0, new QCPLayoutElement(m_plot));
    side->setRowStretchFactor(0, 0.001);
    m_plot->legend->setVisible(true);
    m_plot->legend->setFillOrder(QCPLayoutGrid::foRowsFirst);
    // As tall as a line of text and a little more: an entry is clipped to its box, which at
    // the text's own height cuts the descender of "gate" on some fonts.
    m_plot->legend->setIconSize(12, QFontMetrics(m_plot->legend->font()).height() + 2);
    m_plot->legend->setRowSpacing(0);
    m_plot->legend->setMargins(QMargins(4, 2, 4, 2));
    m_plot->setToolTip(QString()); // the event filter explains the points
}

// Only the roles with points, always in role order.
void LayerChart::updateLegend() {
    m_plot->legend->clearItems();
    for (QCPGraph *graph : m_graphs)
        if (!graph->data()->isEmpty())
            graph->addToLegend();
    fitLegend();
}

// As many entries a column as the plot's height holds, then another column: a short dock at
// the bottom of a wide window must not cut the legend off.
void LayerChart::fitLegend() {
    QCPLegend *legend = m_plot->legend;
    if (legend->itemCount() == 0)
        return;
    const int entry = legend->item(0)->minimumOuterSizeHint().height() + legend->rowSpacing();
    const int room =
        m_plot->height() - legend->margins().top() - legend->margins().bottom() - kLegendChromePx;
    const int rows = std::max(1, room / std::max(1, entry));
    if (rows == legend->wrap())
        return;
    legend->setWrap(rows);
    legend->setFillOrder(QCPLayoutGrid::foRowsFirst, true);
}

void LayerChart::setTensors(const std::vector<TensorInfo> &tensors) {
    m_entries.clear();
    m_entries.reserve(tensors.size());
    m_minLayer.reset();
    m_maxLayer.reset();
    m_unindexedCount = 0;
    for (const TensorInfo &info : tensors) {
        Entry entry;
        entry.name = QString::fromStdString(info.name);
        entry.layer = layerIndexOf(info.name);
        entry.role = tensorRoleOf(info.name);
        if (entry.layer) {
            m_minLayer = std::min(m_minLayer.value_or(*entry.layer), *entry.layer);
            m_maxLayer = std::max(m_maxLayer.value_or(*entry.layer), *entry.layer);
        } else {
            entry.fileRank = m_unindexedCount++;
        }
        m_entries.push_back(std::move(entry));
    }
    m_layersZoomed = false; // another checkpoint: all its layers
    rebuild();
}

void LayerChart::clearResults() {
    for (Entry &entry : m_entries)
        entry.measured = false;
    rebuild();
}

void LayerChart::addSummary(const TensorSummary &summary) {
    if (summary.index >= m_entries.size())
        return;
    Entry &entry = m_entries[summary.index];
    const bool again = entry.measured;
    entry.measured = true;
    entry.kept = summary.kept;
    entry.skipped = summary.skipped.has_value();
    entry.sqnrDb = summary.error ? summary.error->sqnrDb : std::nullopt;
    entry.relRmse = summary.relRmse;
    if (again) { // the same tensor again: rare, so simply count and draw everything anew
        rebuild();
        return;
    }
    plotEntry(summary.index);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LayerChart::setMeasure(Measure measure) {
    if (measure == m_measure)
        return;
    m_measure = measure;
    QSettings().setValue(kMeasureKey,
                         measure == Measure::RelRmse ? QStringLiteral("rel_rmse") : QStringLiteral("sqnr"));
    const QSignalBlocker blocker(m_measureBox);
    m_measureBox->setCurrentIndex(measure == Measure::RelRmse ? 1 : 0);
    rebuild();
}

std::optional<double> LayerChart::valueOf(const Entry &entry) const {
    if (!entry.measured || entry.kept || entry.skipped)
        return std::nullopt;
    if (m_measure == Measure::Sqnr)
        return entry.sqnrDb && std::isfinite(*entry.sqnrDb) ? entry.sqnrDb : std::nullopt;
    // A log axis: no error has no place on it.
    return entry.relRmse && std::isfinite(*entry.relRmse) && *entry.relRmse > 0.0 ? entry.relRmse
                                                                                  : std::nullopt;
}

double LayerChart::keyOf(const Entry &entry) const {
    if (!m_maxLayer)
        return entry.fileRank;
    if (entry.layer)
        return *entry.layer + roleOffset(entry.role);
    return *m_maxLayer + 2.0 + entry.fileRank; // right of the separator at maxLayer + 1
}

std::optional<QPointF> LayerChart::pointOf(std::size_t index) const {
    if (index >= m_entries.size())
        return std::nullopt;
    const Entry &entry = m_entries[index];
    const auto value = valueOf(entry);
    if (!value)
        return std::nullopt;
    return QPointF(keyOf(entry), *value);
}

// Counts the tensor among the drawn or the missing ones; its point, if it has one.
std::optional<QPointF> LayerChart::countEntry(std::size_t index) {
    const Entry &entry = m_entries[index];
    m_kept += entry.kept ? 1 : 0;
    m_skipped += !entry.kept && entry.skipped ? 1 : 0;
    const auto point = pointOf(index);
    if (!point) {
        m_noValue += !entry.kept && !entry.skipped ? 1 : 0;
        return std::nullopt;
    }
    m_drawn.push_back(index);
    m_unindexedDrawn += entry.layer ? 0 : 1;
    m_minValue = std::min(m_minValue.value_or(point->y()), point->y());
    m_maxValue = std::max(m_maxValue.value_or(point->y()), point->y());
    return point;
}

// One sorted insert into the role's series, and the axes and notes updated in O(1).
void LayerChart::plotEntry(std::size_t index) {
    if (const auto point = countEntry(index)) {
        QCPGraph *graph = m_graphs[std::size_t(m_entries[index].role)];
        const bool newRole = graph->data()->isEmpty();
        graph->addData(point->x(), point->y());
        if (newRole)
            updateLegend();
        fitAxes();
    }
    updateFootnote();
    updateInfo();
}

// Every series filled at once (each sorted once), as after a new measure or a cleared sweep.
void LayerChart::rebuild() {
    m_drawn.clear();
    m_minValue.reset();
    m_maxValue.reset();
    m_unindexedDrawn = m_kept = m_skipped = m_noValue = 0;
    std::array<QVector<QCPGraphData>, kTensorRoleCount> points;
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        if (m_entries[i].measured)
            if (const auto point = countEntry(i))
                points[std::size_t(m_entries[i].role)].append(QCPGraphData(point->x(), point->y()));
    for (std::size_t role = 0; role < points.size(); ++role)
        m_graphs[role]->data()->set(points[role]);
    setValueAxisScale();
    updateLegend();
    updateAxisLabels();
    fitAxes();
    updateFootnote();
    updateInfo();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LayerChart::setValueAxisScale() {
    const bool log = m_measure == Measure::RelRmse;
    m_plot->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log)
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    m_plot->yAxis->setNumberFormat(QStringLiteral("g")); // 0.1, 0.02: reads as a ratio
    m_plot->yAxis->setNumberPrecision(log ? 2 : 6);
}

void LayerChart::updateInfo() {
    m_info->setText(m_drawn.empty() ? QString() : tr("%n tensors", nullptr, int(m_drawn.size())));
}

// The layer axis spans every layer the names have, whatever is measured so far, so points do
// not shift as the sweep goes on; the value axis follows the points.
void LayerChart::fitAxes() {
    const double separator = m_maxLayer ? *m_maxLayer + 1.0 : 0.0;
    auto *ticker = static_cast<LayerTicker *>(m_plot->xAxis->ticker().data());
    ticker->setLastTick(m_unindexedDrawn > 0 && m_maxLayer ? std::optional<double>(*m_maxLayer)
                                                           : std::nullopt);
    m_separator->setVisible(m_unindexedDrawn > 0 && m_maxLayer);
    m_separator->point1->setCoords(separator, 1.0); // y > 0: the value axis may be log
    m_separator->point2->setCoords(separator, 2.0);
    if (!m_layersZoomed) {
        const QScopedValueRollback fitting(m_fittingLayers, true);
        m_plot->xAxis->setRange(allLayers());
    }
    const bool log = m_measure == Measure::RelRmse;
    if (!m_minValue) {
        m_plot->yAxis->setRange(log ? QCPRange(1e-3, 1.0) : QCPRange(0.0, 50.0));
    } else if (log) {
        m_plot->yAxis->setRange(*m_minValue / kLogPadding, *m_maxValue * kLogPadding);
    } else {
        const double pad = std::max(kDbPaddingMin, 0.06 * (*m_maxValue - *m_minValue));
        m_plot->yAxis->setRange(*m_minValue - pad, *m_maxValue + pad);
    }
}

QCPRange LayerChart::allLayers() const {
    const double separator = m_maxLayer ? *m_maxLayer + 1.0 : 0.0;
    if (!m_maxLayer)
        return QCPRange(-0.5, std::max(m_unindexedCount, 1) - 0.5);
    if (m_unindexedDrawn > 0)
        return QCPRange(*m_minLayer - 0.5, separator + m_unindexedCount + 0.5);
    return QCPRange(*m_minLayer - 0.5, *m_maxLayer + 0.5);
}

// A zoom or pan by the user stays while points arrive; it never goes past the layers there are
// (zooming out that far shows them all, and the chart follows new points again).
void LayerChart::onLayerRangeChanged(const QCPRange &range) {
    if (m_fittingLayers)
        return;
    const QCPRange all = allLayers();
    const QScopedValueRollback fitting(m_fittingLayers, true);
    if (range.size() >= all.size()) {
        m_layersZoomed = false;
        m_plot->xAxis->setRange(all);
        return;
    }
    m_layersZoomed = true;
    double shift = 0.0;
    if (range.lower < all.lower)
        shift = all.lower - range.lower;
    else if (range.upper > all.upper)
        shift = all.upper - range.upper;
    if (shift != 0.0)
        m_plot->xAxis->setRange(range.lower + shift, range.upper + shift);
}

void LayerChart::showAllLayers() {
    m_layersZoomed = false;
    fitAxes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LayerChart::updateAxisLabels() {
    m_plot->xAxis->setLabel(m_maxLayer || m_entries.empty() ? tr("Layer") : tr("Tensor (file order)"));
    m_plot->yAxis->setLabel(m_measure == Measure::Sqnr ? tr("SQNR (dB)") : tr("Relative RMSE"));
}

// What is not drawn, and where the tensors without a layer are; short, the details in the tooltip.
void LayerChart::updateFootnote() {
    QStringList parts;
    QStringList details;
    if (m_unindexedDrawn > 0 && m_maxLayer) {
        parts << tr("right of the dashed line: no layer in the name, file order");
        details << tr("Tensors whose names carry no layer index (embeddings, the head, …) are drawn right "
                      "of the dashed line, in the order of the file.");
    }
    if (m_kept + m_skipped + m_noValue > 0) {
        QStringList missing;
        if (m_kept > 0)
            missing << tr("%1 kept").arg(m_kept);
        if (m_skipped > 0)
            missing << tr("%1 skipped").arg(m_skipped);
        if (m_noValue > 0)
            missing << tr("%1 without error").arg(m_noValue);
        parts << tr("not drawn: %1").arg(missing.join(QStringLiteral(", ")));
        details << tr("Kept tensors stay in their stored type and skipped ones could not take the scheme, so "
                      "neither has an error to draw; a tensor without any error has no place on the axis.");
    }
    QString text = parts.join(QStringLiteral(" · "));
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    m_footnote->setText(text);
    m_footnote->setVisible(!text.isEmpty());
    if (auto *elider = LabelElider::of(m_footnote))
        elider->setDescription(details.join(QLatin1Char('\n')));
}

std::optional<std::size_t> LayerChart::tensorAt(QPointF pos) const {
    std::optional<std::size_t> nearest;
    double best = kPickRadiusPx;
    for (const std::size_t index : m_drawn) {
        const QPointF point = *pointOf(index);
        const double distance = std::hypot(m_plot->xAxis->coordToPixel(point.x()) - pos.x(),
                                           m_plot->yAxis->coordToPixel(point.y()) - pos.y());
        if (distance <= best) {
            best = distance;
            nearest = index;
        }
    }
    return nearest;
}

QString LayerChart::describe(std::size_t index) const {
    const Entry &entry = m_entries[index];
    const QString where = entry.layer ? tr("layer %1").arg(*entry.layer) : tr("no layer index");
    // Whole on one line: a wrap at a dot would split the name where it reads as two.
    QString text = QStringLiteral("<nobr><b>") + entry.name.toHtmlEscaped() +
                   QStringLiteral("</b></nobr><br>") + tr("%1 · role %2").arg(where, roleLabel(entry.role)) +
                   QStringLiteral("<br>");
    text += tr("SQNR %1").arg(entry.sqnrDb ? formatDb(*entry.sqnrDb) : tr("∞ dB"));
    if (entry.relRmse)
        text += tr(", relative RMSE %1").arg(formatNumber(*entry.relRmse, 3));
    return text + QStringLiteral("<br>") + tr("Click to open it in the tensor view");
}

bool LayerChart::eventFilter(QObject *watched, QEvent *event) {
    if (watched != m_plot)
        return QWidget::eventFilter(watched, event);
    if (event->type() == QEvent::Resize) {
        fitLegend();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
    if (const auto click = m_click.feed(event)) {
        if (const auto index = tensorAt(*click))
            Q_EMIT tensorActivated(*index);
    } else if (event->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(event);
        const auto index = tensorAt(help->pos());
        const QString text =
            index ? describe(*index)
                  : tr("<b>Error by layer</b>: each measured tensor's %1 against its layer, one colour and "
                       "marker per role (q, k, v, o, gate, up, down, embedding, head, other); within a layer "
                       "the roles sit side by side. Hover a point for its tensor, click it to open it. The "
                       "wheel zooms the layers, dragging pans them, a double-click shows them all.")
                        .arg(m_measure == Measure::Sqnr ? tr("SQNR (higher is better)")
                                                        : tr("relative RMSE (lower is better)"));
        QToolTip::showText(help->globalPos(), text, m_plot);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace qs::ui
