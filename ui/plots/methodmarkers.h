#pragma once

#include <QObject>
#include <QString>

#include <cstddef>
#include <vector>

class QCPGraph;
class QCPItemLine;
class QCPLegend;
class QCustomPlot;
class QPoint;

namespace qs::ui {

/// One calibration method's range, drawn as a pair of vertical lines.
struct MethodMarker {
    QString name;         ///< the legend's text, e.g. "mse", "p99.9"
    double lo = 0.0;      ///< in the plot's x units
    double hi = 0.0;      ///< in the plot's x units
    int style = 0;        ///< methodPen's style: the method's place in the method table
    bool applied = false; ///< the method in use, whose range the clip handles show
    QString toolTip;      ///< rich text: the method, its range and its figures

    friend bool operator==(const MethodMarker &, const MethodMarker &) = default;
};

/// Draws one thin marker pair per method over a plot's axis rect, each in its methodPen style,
/// and a legend row above the axis rect (only while there are markers, packed into as many
/// columns as the width allows), so that no name ever covers the data or another text. The
/// applied method's pair is drawn wide and its legend name is bold and ticked.
class MethodMarkers : public QObject {
    Q_OBJECT
public:
    /// The lines go on plot's layer `layer`; the legend entries are graphs without data.
    MethodMarkers(QCustomPlot *plot, const QString &layer);

    /// Replaces the markers; an empty list removes them and the legend row.
    void setMarkers(std::vector<MethodMarker> markers);
    const std::vector<MethodMarker> &markers() const { return m_markers; }
    /// The lines of the markers shown: method i's lower line at 2i, upper at 2i + 1 (objectNames
    /// "methodMarkerLow" and "methodMarkerHigh"); extra lines are hidden.
    std::vector<QCPItemLine *> shownLines() const;
    /// The legend (outside the plot's layout while there are no markers).
    QCPLegend *legend() const { return m_legend; }
    /// The methods whose line is within radiusPx of pos (nearest first), or whose legend entry
    /// is under pos; pos in the plot's coordinates.
    std::vector<std::size_t> markersAt(const QPoint &pos, int radiusPx) const;
    /// The tooltips of markersAt(pos, radiusPx), one paragraph each; empty if there are none.
    QString toolTipAt(const QPoint &pos, int radiusPx) const;
    /// After a palette change: the theme's text colour for min-max and the legend.
    void restyle();
    /// After a resize: as many legend columns as fit the plot's width (repack: lay the entries
    /// out again even if that number has not changed).
    void fitLegend(bool repack = false);

private:
    void ensureItems(std::size_t count);
    void showLegend(bool shown);
    void styleMarker(std::size_t i);

    QCustomPlot *m_plot;
    QString m_layer;
    QCPLegend *m_legend = nullptr;
    std::vector<MethodMarker> m_markers;
    std::vector<QCPItemLine *> m_lines; // 2 per marker, reused
    std::vector<QCPGraph *> m_entries;  // 1 per marker, reused
};

} // namespace qs::ui
