#include "plots/referenceoverlay.h"

#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"

#include <QLabel>

#include <algorithm>

namespace qs::ui {

namespace {

constexpr double kOutlineWidth = 1.4;

QColor outlineColor(const QCustomPlot *plot) {
    return plot->palette().color(QPalette::WindowText);
}

} // namespace

ReferenceOverlay::ReferenceOverlay(QCustomPlot *plot, QObject *parent)
    : QObject(parent)
    , m_plot(plot) {
    m_graph = plot->addGraph();
    m_graph->setObjectName(QStringLiteral("referenceHistogram"));
    m_graph->setName(tr("reference"));
    m_graph->setLineStyle(QCPGraph::lsStepLeft);
    m_graph->setBrush(Qt::NoBrush);
    m_graph->setSelectable(QCP::stNone);
    m_graph->setVisible(false);
    m_legend = new QLabel;
    m_legend->setObjectName(QStringLiteral("referenceLegend"));
    m_legend->setVisible(false);
    restyle();
}

void ReferenceOverlay::setFine(std::optional<qs::Histogram> fine, const QString &description) {
    m_fine = std::move(fine);
    m_legend->setToolTip(tr("Outline: the reference checkpoint's values of this tensor in the same bins") +
                         (description.isEmpty() ? QString() : QStringLiteral("\n") + description));
}

void ReferenceOverlay::update(std::size_t factor, bool log, bool shown) {
    const bool visible = shown && m_fine && factor > 0 && m_fine->bins() % factor == 0;
    m_graph->setVisible(visible);
    m_legend->setVisible(visible);
    if (!visible) {
        m_drawn.reset();
        return;
    }
    m_drawn = mergeBins(*m_fine, factor);
    setHistogramData(m_graph, *m_drawn, log);
}

qs::Histogram ReferenceOverlay::fitWith(const qs::Histogram &display) const {
    if (!m_drawn || m_drawn->bins() != display.bins())
        return display;
    qs::Histogram both = display;
    for (std::size_t i = 0; i < both.bins(); ++i)
        both.counts[i] = std::max(both.counts[i], m_drawn->counts[i]);
    return both;
}

// The theme's text colour: distinct from the blue bars on light and dark themes alike.
void ReferenceOverlay::restyle() {
    const QColor color = outlineColor(m_plot);
    m_graph->setPen(QPen(color, kOutlineWidth));
    m_legend->setText(QStringLiteral("<span style=\"color:%1\">━━</span> %2")
                          .arg(color.name(), tr("reference").toHtmlEscaped()));
}

} // namespace qs::ui
