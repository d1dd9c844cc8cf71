#pragma once

// Layout helpers of the error plot: its legend row and its "−s/2" / "+s/2" labels.

#include <QList>
#include <QSizeF>

class QCPGraph;
class QCPItemText;
class QCPLegend;
class QCustomPlot;

namespace qs::ui {

// Lays the legend out `columns` wide (0: one row), its entries packed to the left: the last
// column takes the spare width.
void packLegend(QCPLegend *legend, int columns);
// The most columns (0: one row) in which the legend items of `entries`, filled row by row, fit
// `width` pixels.
int legendColumns(QCPLegend *legend, const QList<QCPGraph *> &entries, int width);
// Moves the plot's legend to a row above the axis rect, where it never hides the data.
void placeLegendAbove(QCustomPlot *plot);

// The size QCPItemText draws its box at: the text's bounding rect plus the padding.
QSizeF textBoxSize(const QCPItemText *item);

// Left edges of the "−s/2" and "+s/2" boxes beside their lines at pixel x line[0] < line[1],
// and whether the second goes on a row of its own.
struct HalfStepPlacement {
    double x[2] = {};
    bool stacked = false;
};
// Between the lines when they fit there, else outside them, else outside and stacked; always
// within [left, right].
HalfStepPlacement placeHalfStepLabels(const double line[2], const QSizeF size[2], double left, double right);

} // namespace qs::ui
