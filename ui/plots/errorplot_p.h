#pragma once

// Small drawing helpers errorplot.cpp (threshold curves) and errorplotscheme.cpp (the clip-ratio
// curve) share.

#include "plots/qcustomplotinclude.h"

namespace qs::ui::errorplot {

// A log axis cannot show MSE = 0 (a value exactly representable); it is drawn at the floor.
inline double loggable(double mse, double floor) {
    return mse > 0 ? mse : floor;
}

// A one-point graph at (x, y), shown.
inline void setPoint(QCPGraph *graph, double x, double y) {
    graph->data()->set({QCPGraphData(x, y)}, true);
    graph->setVisible(true);
}

// A vertical line at x, shown.
inline void placeVertical(QCPItemStraightLine *line, double x) {
    line->point1->setCoords(x, 1.0);
    line->point2->setCoords(x, 2.0);
    line->setVisible(true);
}

} // namespace qs::ui::errorplot
