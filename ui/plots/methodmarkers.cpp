#include "plots/methodmarkers.h"

#include "plots/errorplotlayout.h"
#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"

#include <QApplication>

#include <algorithm>
#include <cmath>
#include <utility>

namespace qs::ui {

namespace {

constexpr double kMarkerWidth = 1.5;
// Wider than the clip handle (2 px) it lies under: its colour shows on both sides.
constexpr double kAppliedWidth = 4.5;
constexpr int kLegendIconWidth = 24;
constexpr int kLegendIconHeight = 12;
constexpr int kLegendColumnSpacing = 10;

void placeVerticalLine(QCPItemLine *line, double x) {
    line->start->setCoords(x, 0.0);
    line->end->setCoords(x, 1.0);
    line->setVisible(std::isfinite(x));
}

// A pen of `width` whose dashes are as long as the thin markers' (Qt measures them in widths).
QPen markerPen(int style, double width) {
    QPen pen = methodPen(style, width);
    QList<qreal> dashes = pen.dashPattern();
    for (qreal &dash : dashes)
        dash *= kMarkerWidth / width;
    pen.setDashPattern(dashes);
    return pen;
}

} // namespace

MethodMarkers::MethodMarkers(QCustomPlot *plot, const QString &layer)
    : QObject(plot)
    , m_plot(plot)
    , m_layer(layer)
    , m_legend(new QCPLegend) {
    // Adopted by the layout once, so that it knows its plot and layer; while taken out of the
    // layout it stays the plot's child.
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, m_legend);
    m_legend->setObjectName(QStringLiteral("methodLegend"));
    m_legend->setLayer(QStringLiteral("legend"));
    m_legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    m_legend->setMargins(QMargins(4, 2, 4, 0));
    m_legend->setColumnSpacing(kLegendColumnSpacing);
    m_legend->setRowSpacing(0);
    m_legend->setIconSize(kLegendIconWidth, kLegendIconHeight);
    m_legend->setMinimumSize(0, 0);
    // The row sits outside the plot area: no box needed.
    m_legend->setBrush(Qt::NoBrush);
    m_legend->setBorderPen(Qt::NoPen);
    m_legend->setIconBorderPen(Qt::NoPen);
    showLegend(false);
    restyle();
}

void MethodMarkers::setMarkers(std::vector<MethodMarker> markers) {
    m_markers = std::move(markers);
    ensureItems(m_markers.size());
    m_legend->clearItems();
    for (std::size_t i = 0; i < m_markers.size(); ++i) {
        m_entries[i]->addToLegend(m_legend);
        styleMarker(i);
        placeVerticalLine(m_lines[2 * i], m_markers[i].lo);
        placeVerticalLine(m_lines[2 * i + 1], m_markers[i].hi);
    }
    for (std::size_t i = 2 * m_markers.size(); i < m_lines.size(); ++i)
        m_lines[i]->setVisible(false);
    showLegend(!m_markers.empty());
    fitLegend(true);
}

std::vector<QCPItemLine *> MethodMarkers::shownLines() const {
    return {m_lines.begin(), m_lines.begin() + std::ptrdiff_t(2 * m_markers.size())};
}

void MethodMarkers::ensureItems(std::size_t count) {
    while (m_entries.size() < count) {
        QCPGraph *entry = m_plot->addGraph();
        entry->setObjectName(QStringLiteral("methodLegendEntry"));
        m_entries.push_back(entry);
        for (bool upper : {false, true}) {
            auto *line = new QCPItemLine(m_plot);
            line->setObjectName(upper ? QStringLiteral("methodMarkerHigh")
                                      : QStringLiteral("methodMarkerLow"));
            line->setLayer(m_layer);
            line->start->setTypeY(QCPItemPosition::ptAxisRectRatio);
            line->end->setTypeY(QCPItemPosition::ptAxisRectRatio);
            line->setSelectable(false);
            m_lines.push_back(line);
        }
    }
}

void MethodMarkers::styleMarker(std::size_t i) {
    const MethodMarker &marker = m_markers[i];
    const QPen pen = markerPen(marker.style, marker.applied ? kAppliedWidth : kMarkerWidth);
    m_lines[2 * i]->setPen(pen);
    m_lines[2 * i + 1]->setPen(pen);
    // The legend's sample at the markers' own width, so that its dashes read the same.
    m_entries[i]->setPen(markerPen(marker.style, marker.applied ? kMarkerWidth * 2 : kMarkerWidth));
    m_entries[i]->setName(marker.applied ? marker.name + QStringLiteral(" ✓") : marker.name);
    if (QCPAbstractLegendItem *item = m_legend->itemWithPlottable(m_entries[i])) {
        QFont font = QApplication::font();
        font.setBold(marker.applied);
        item->setFont(font);
        item->setTextColor(m_plot->palette().color(QPalette::Text));
    }
}

void MethodMarkers::showLegend(bool shown) {
    QCPLayoutGrid *layout = m_plot->plotLayout();
    const bool inLayout = m_legend->layout() != nullptr;
    if (shown == inLayout)
        return;
    if (shown) {
        layout->insertRow(0);
        layout->addElement(0, 0, m_legend);
        layout->setRowStretchFactor(0, 0.001);
        layout->setRowSpacing(0);
    } else {
        layout->take(m_legend);
        layout->simplify();
    }
    m_legend->setVisible(shown);
}

void MethodMarkers::fitLegend(bool repack) {
    if (m_markers.empty())
        return;
    const QList<QCPGraph *> entries(m_entries.begin(), m_entries.begin() + qsizetype(m_markers.size()));
    const int columns = legendColumns(m_legend, entries, m_plot->width());
    if (repack || m_legend->wrap() != columns)
        packLegend(m_legend, columns);
}

void MethodMarkers::restyle() {
    m_legend->setFont(QApplication::font());
    m_legend->setTextColor(m_plot->palette().color(QPalette::Text));
    for (std::size_t i = 0; i < m_markers.size(); ++i)
        styleMarker(i);
}

std::vector<std::size_t> MethodMarkers::markersAt(const QPoint &pos, int radiusPx) const {
    std::vector<std::pair<double, std::size_t>> near;
    const bool inArea = m_plot->axisRect()->rect().contains(pos);
    for (std::size_t i = 0; i < m_markers.size(); ++i) {
        double distance = radiusPx + 1.0;
        if (inArea) {
            for (double x : {m_markers[i].lo, m_markers[i].hi})
                distance = std::min(distance, std::abs(m_plot->xAxis->coordToPixel(x) - pos.x()));
        }
        const QCPAbstractLegendItem *item = m_legend->itemWithPlottable(m_entries[i]);
        if (item && m_legend->layout() && item->outerRect().contains(pos))
            distance = 0.0;
        if (distance <= radiusPx)
            near.emplace_back(distance, i);
    }
    std::stable_sort(near.begin(), near.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    std::vector<std::size_t> indices;
    for (const auto &[distance, i] : near)
        indices.push_back(i);
    return indices;
}

QString MethodMarkers::toolTipAt(const QPoint &pos, int radiusPx) const {
    QStringList paragraphs;
    for (std::size_t i : markersAt(pos, radiusPx))
        paragraphs << m_markers[i].toolTip;
    return paragraphs.join(QStringLiteral("<br>"));
}

} // namespace qs::ui
