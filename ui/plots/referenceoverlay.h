#pragma once

#include "stats/histogram.h"

#include <QObject>
#include <QString>

#include <optional>

class QCPGraph;
class QCustomPlot;
class QLabel;

namespace qs::ui {

// A reference checkpoint's histogram of the shown tensor, drawn over the weight histogram as an
// outline (the theme's text colour, no fill) in the same display bins as the bars, with a
// legend entry "reference" for the plot's title row. It never takes the mouse.
class ReferenceOverlay : public QObject {
    Q_OBJECT
public:
    ReferenceOverlay(QCustomPlot *plot, QObject *parent = nullptr);

    // Counts in the same fine bins as the tensor's histogram; nullopt removes the overlay.
    // description goes into the legend's tooltip (the partner's name, values outside the bins).
    void setFine(std::optional<qs::Histogram> fine, const QString &description = {});
    bool hasData() const { return m_fine.has_value(); }
    const std::optional<qs::Histogram> &fine() const { return m_fine; }
    // Redraws the outline merged by factor, as the bars are; hidden when shown is false (a
    // scheme's view draws other data) or there are no counts. O(bins).
    void update(std::size_t factor, bool log, bool shown);
    // display with each bin's count raised to the outline's, for fitting the count axis.
    qs::Histogram fitWith(const qs::Histogram &display) const;
    void restyle();

    QCPGraph *graph() const { return m_graph; }
    // The legend entry, for the plot's title row; visible while the outline is.
    QLabel *legend() const { return m_legend; }

private:
    QCustomPlot *m_plot;
    QCPGraph *m_graph = nullptr;
    QLabel *m_legend = nullptr;
    std::optional<qs::Histogram> m_fine;
    std::optional<qs::Histogram> m_drawn; // what the graph shows while visible
};

} // namespace qs::ui
