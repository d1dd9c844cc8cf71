#include "plots/schemeheatmap.h"

#include "plotexport.h"
#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QStackedLayout>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs::ui {

namespace {

// A press and release closer than this is a click; further apart it was a drag of the view.
// The selected cell's outline stays at least this big, so one row of 4096 can still be seen.
constexpr double kMinOutlinePx = 7.0;
// Log colours once the values span this factor (scales and MSEs often span decades).
constexpr double kLogColorRatio = 50.0;

// Perceptually even, dark to light, readable on light and dark themes (viridis' stops).
QCPColorGradient heatGradient() {
    QCPColorGradient gradient;
    gradient.clearColorStops();
    gradient.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
    gradient.setColorStopAt(0.25, QColor(0x3B, 0x52, 0x8B));
    gradient.setColorStopAt(0.5, QColor(0x21, 0x90, 0x8C));
    gradient.setColorStopAt(0.75, QColor(0x5D, 0xC8, 0x63));
    gradient.setColorStopAt(1.0, QColor(0xFD, 0xE7, 0x25));
    gradient.setNanHandling(QCPColorGradient::nhTransparent);
    return gradient;
}

// Rows and groups are whole numbers: ticks on integers only, no sub-ticks between them.
QSharedPointer<QCPAxisTickerFixed> integerTicker() {
    auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    return ticker;
}

struct ValueRange {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    double lowestPositive = std::numeric_limits<double>::infinity();
    bool known() const { return lo <= hi; }
};

template <typename T>
ValueRange rangeOf(const std::vector<T> &values) {
    ValueRange range;
    for (T v : values) {
        if (!std::isfinite(double(v)))
            continue;
        range.lo = std::min(range.lo, double(v));
        range.hi = std::max(range.hi, double(v));
        if (v > 0)
            range.lowestPositive = std::min(range.lowestPositive, double(v));
    }
    return range;
}

} // namespace

SchemeHeatmap::SchemeHeatmap(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot)
    , m_quantityBox(new QComboBox)
    , m_info(new QLabel)
    , m_empty(new QLabel(tr("Choose a grouped scheme to see per-group scales"))) {
    m_quantityBox->addItem(tr("scale"), int(Quantity::Scale));
    m_quantityBox->addItem(tr("error (MSE)"), int(Quantity::Error));
    m_quantityBox->setToolTip(tr("Colour each group by its scale or by its quantization error (MSE)"));
    connect(m_quantityBox, &QComboBox::currentIndexChanged, this,
            [this](int index) { setQuantity(Quantity(m_quantityBox->itemData(index).toInt())); });
    QHBoxLayout *header = makePlotHeader(tr("Groups"), m_info);
    header->addWidget(new QLabel(tr("colour:")));
    header->addWidget(m_quantityBox);

    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_stack = new QStackedLayout;
    m_stack->addWidget(m_empty);
    m_stack->addWidget(m_plot);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(header);
    layout->addLayout(m_stack, 1);

    m_map = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
    m_map->setInterpolate(false);
    m_map->setTightBoundary(false);
    m_scale = new QCPColorScale(m_plot);
    m_scale->setType(QCPAxis::atRight);
    m_scale->setBarWidth(12);
    m_plot->plotLayout()->addElement(0, 1, m_scale);
    m_map->setColorScale(m_scale);
    m_map->setGradient(heatGradient());
    auto *margins = new QCPMarginGroup(m_plot);
    m_plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    // A light halo under the dark outline keeps it visible on every colour of the map.
    for (QCPItemRect **rect : {&m_halo, &m_outline}) {
        *rect = new QCPItemRect(m_plot);
        (*rect)->topLeft->setType(QCPItemPosition::ptAbsolute);
        (*rect)->bottomRight->setType(QCPItemPosition::ptAbsolute);
        (*rect)->setVisible(false);
    }
    m_outline->setObjectName(QStringLiteral("selectedGroup"));

    m_plot->xAxis->setLabel(tr("group within row (index)"));
    m_plot->yAxis->setLabel(tr("row (index)"));
    m_plot->yAxis->setRangeReversed(true); // row 0 at the top, as the matrix is written
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->yAxis}) {
        axis->setTicker(integerTicker());
        axis->setSubTicks(false);
    }
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->installEventFilter(this);
    connect(m_plot, &QCustomPlot::afterLayout, this, [this] { setSelectedGroup(m_selected); });
    installPlotContextMenu(m_plot, tr("Group Heatmap"));
    applyStyle();
    clear();
}

void SchemeHeatmap::applyStyle() {
    applyPlotStyle(m_plot);
    const QColor text = palette().color(QPalette::Text);
    m_outline->setPen(QPen(text, 2));
    m_outline->setBrush(Qt::NoBrush);
    m_halo->setPen(QPen(palette().color(QPalette::Base), 5));
    m_halo->setBrush(Qt::NoBrush);
    QCPAxis *axis = m_scale->axis();
    axis->setBasePen(QPen(text, 1));
    axis->setTickPen(QPen(text, 1));
    axis->setSubTickPen(QPen(text, 1));
    axis->setTickLabelColor(text);
    axis->setLabelColor(text);
    axis->setLabelPadding(4);
}

void SchemeHeatmap::clear() {
    setGrid(0, 0, {}, {});
}

void SchemeHeatmap::setGrid(qint64 rows, qint64 groupsPerRow, std::vector<float> scales,
                            std::vector<double> errors) {
    m_rows = std::max<qint64>(0, rows);
    m_groupsPerRow = std::max<qint64>(0, groupsPerRow);
    m_scales = std::move(scales);
    m_errors = std::move(errors);
    m_selected.reset();
    m_stack->setCurrentWidget(isEmpty() ? static_cast<QWidget *>(m_empty) : m_plot);
    m_quantityBox->setEnabled(!isEmpty());
    fillMap();
}

void SchemeHeatmap::setQuantity(Quantity quantity) {
    m_quantity = quantity;
    const int index = m_quantityBox->findData(int(quantity));
    if (index != m_quantityBox->currentIndex()) {
        m_quantityBox->setCurrentIndex(index); // comes back here through the box's signal
        return;
    }
    fillMap();
}

// One data cell per group: the map's image is the grid, however many groups there are.
void SchemeHeatmap::fillMap() {
    const int keys = int(std::max<qint64>(1, m_groupsPerRow));
    const int values = int(std::max<qint64>(1, m_rows));
    QCPColorMapData *data = m_map->data();
    data->setSize(keys, values);
    // A single cell spans the whole range; more cells have their centres at the range's ends.
    data->setKeyRange(keys == 1 ? QCPRange(-0.5, 0.5) : QCPRange(0, keys - 1));
    data->setValueRange(values == 1 ? QCPRange(-0.5, 0.5) : QCPRange(0, values - 1));
    const bool scale = m_quantity == Quantity::Scale;
    const std::size_t count = std::size_t(m_rows * m_groupsPerRow);
    const ValueRange range = scale ? rangeOf(m_scales) : rangeOf(m_errors);
    const bool log = range.known() && range.lo > 0 && range.hi / range.lo >= kLogColorRatio;
    for (std::size_t g = 0; g < count; ++g) {
        double v = scale ? (g < m_scales.size() ? double(m_scales[g]) : NAN)
                         : (g < m_errors.size() ? m_errors[g] : NAN);
        data->setCell(int(g % std::size_t(keys)), int(g / std::size_t(keys)), v);
    }
    if (count == 0)
        data->fill(NAN);
    m_scale->setDataScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    setCountAxisLog(m_scale->axis(), log);
    if (!log)
        m_scale->axis()->setNumberFormat(QStringLiteral("g"));
    // Equal values get a span around them, so the scale's ticks stay distinct.
    const double spread =
        range.known() && range.hi <= range.lo ? std::max(std::abs(range.lo) * 0.05, 1e-12) : 0.0;
    const QCPRange colours = range.known() ? QCPRange(range.lo - spread, range.hi + spread) : QCPRange(0, 1);
    m_map->setDataRange(colours);
    m_scale->axis()->setLabel(scale ? tr("scale s (value units)") : tr("MSE (value units²)"));
    m_plot->xAxis->setRange(-0.5, double(keys) - 0.5);
    m_plot->yAxis->setRange(-0.5, double(values) - 0.5);
    updateInfo();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void SchemeHeatmap::updateInfo() {
    if (isEmpty()) {
        m_info->clear();
        return;
    }
    QString text = tr("%1 rows × %2 groups").arg(m_rows).arg(m_groupsPerRow);
    if (m_selected) {
        const qint64 g = *m_selected;
        text += QStringLiteral("  ·  ") +
                tr("group %1 (row %2, #%3)").arg(g).arg(g / m_groupsPerRow).arg(g % m_groupsPerRow);
        if (std::size_t(g) < m_scales.size())
            text += QStringLiteral(", s = ") + formatNumber(m_scales[std::size_t(g)], 3);
        if (std::size_t(g) < m_errors.size())
            text += QStringLiteral(", MSE = ") + formatNumber(m_errors[std::size_t(g)], 3);
    }
    m_info->setText(text);
}

void SchemeHeatmap::setSelectedGroup(std::optional<qint64> group) {
    if (group && (*group < 0 || *group >= m_rows * m_groupsPerRow))
        group.reset();
    const bool changed = group != m_selected;
    m_selected = group;
    m_outline->setVisible(bool(group));
    m_halo->setVisible(bool(group));
    if (group) {
        const double c = double(*group % m_groupsPerRow);
        const double r = double(*group / m_groupsPerRow);
        QRectF cell(QPointF(m_plot->xAxis->coordToPixel(c - 0.5), m_plot->yAxis->coordToPixel(r - 0.5)),
                    QPointF(m_plot->xAxis->coordToPixel(c + 0.5), m_plot->yAxis->coordToPixel(r + 0.5)));
        cell = cell.normalized();
        const double grow = std::max(0.0, (kMinOutlinePx - cell.height()) / 2.0);
        const double widen = std::max(0.0, (kMinOutlinePx - cell.width()) / 2.0);
        cell.adjust(-widen, -grow, widen, grow);
        for (QCPItemRect *rect : {m_halo, m_outline}) {
            rect->topLeft->setCoords(cell.topLeft());
            rect->bottomRight->setCoords(cell.bottomRight());
        }
    }
    if (changed) {
        updateInfo();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

std::optional<qint64> SchemeHeatmap::groupAt(QPointF pos) const {
    if (isEmpty())
        return std::nullopt;
    // Cell c spans [c − 0.5, c + 0.5]; the far edge of the last cell still belongs to it.
    const auto cellOf = [](double coord, qint64 count) -> std::optional<qint64> {
        if (!(coord >= -0.5 && coord <= double(count) - 0.5))
            return std::nullopt;
        return std::clamp<qint64>(qint64(std::floor(coord + 0.5)), 0, count - 1);
    };
    const auto c = cellOf(m_plot->xAxis->pixelToCoord(pos.x()), m_groupsPerRow);
    const auto r = cellOf(m_plot->yAxis->pixelToCoord(pos.y()), m_rows);
    if (!c || !r)
        return std::nullopt;
    return *r * m_groupsPerRow + *c;
}

bool SchemeHeatmap::eventFilter(QObject *watched, QEvent *event) {
    if (watched != m_plot)
        return QWidget::eventFilter(watched, event);
    if (const auto click = m_click.feed(event)) {
        if (const auto group = groupAt(*click)) {
            setSelectedGroup(group);
            Q_EMIT groupClicked(*group);
        }
    } else if (event->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(event);
        QString text = tr("<b>Groups</b>: each cell is one group of the scheme (rows down, the groups "
                          "of a row across), coloured by its scale or its MSE. Click a cell to select "
                          "its group; drag and wheel to pan and zoom.");
        if (const auto group = groupAt(help->pos())) {
            const std::size_t g = std::size_t(*group);
            text = tr("group %1: row %2, #%3")
                       .arg(*group)
                       .arg(*group / m_groupsPerRow)
                       .arg(*group % m_groupsPerRow);
            if (g < m_scales.size())
                text += QStringLiteral("<br>") + tr("scale %1").arg(formatNumber(m_scales[g], 4));
            if (g < m_errors.size())
                text += QStringLiteral("<br>") + tr("MSE %1").arg(formatNumber(m_errors[g], 4));
        }
        QToolTip::showText(help->globalPos(), text, m_plot);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace qs::ui
