#include "plots/errorplotlayout.h"

#include "plots/qcustomplotinclude.h"

#include <algorithm>

namespace qs::ui {

namespace {

// Between a label and its dashed line.
constexpr double kLabelGapPx = 3.0;

} // namespace

void packLegend(QCPLegend *legend, int columns) {
    legend->setWrap(columns);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
    QList<double> stretch(legend->columnCount(), 1.0);
    if (!stretch.isEmpty())
        stretch.back() = 1000.0;
    legend->setColumnStretchFactors(stretch);
}

int legendColumns(QCPLegend *legend, const QList<QCPGraph *> &entries, int width) {
    QList<int> widths;
    for (QCPGraph *graph : entries)
        if (QCPLayoutElement *item = legend->itemWithPlottable(graph))
            widths.append(item->minimumOuterSizeHint().width());
    const int spacing = legend->columnSpacing();
    const int available = width - legend->margins().left() - legend->margins().right();
    for (int columns = int(widths.size()); columns > 1; --columns) {
        QList<int> column(columns, 0);
        for (int i = 0; i < widths.size(); ++i)
            column[i % columns] = std::max(column[i % columns], widths[i]);
        int total = (columns - 1) * spacing;
        for (int w : column)
            total += w;
        if (total <= available)
            return columns == widths.size() ? 0 : columns;
    }
    return 1;
}

void placeLegendAbove(QCustomPlot *plot) {
    QCPLegend *legend = plot->legend;
    legend->setVisible(true);
    plot->axisRect()->insetLayout()->take(legend);
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, legend);
    plot->plotLayout()->setRowStretchFactor(0, 0.001);
    plot->plotLayout()->setRowSpacing(0);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setMargins(QMargins(4, 2, 4, 0));
    legend->setColumnSpacing(12);
    legend->setIconSize(20, 15);
    legend->setMinimumSize(0, 0);
    packLegend(legend, 0);
}

QSizeF textBoxSize(const QCPItemText *item) {
    const QRect text = QFontMetrics(item->font())
                           .boundingRect(0, 0, 0, 0, Qt::TextDontClip | item->textAlignment(), item->text());
    const QMargins pad = item->padding();
    return QSizeF(text.width() + pad.left() + pad.right(), text.height() + pad.top() + pad.bottom());
}

HalfStepPlacement placeHalfStepLabels(const double line[2], const QSizeF size[2], double left, double right) {
    const double g = kLabelGapPx;
    const auto inside = [&](double x, int i) { return x >= left && x + size[i].width() <= right; };
    HalfStepPlacement p;
    p.x[0] = line[0] + g;
    p.x[1] = line[1] - g - size[1].width();
    if (inside(p.x[0], 0) && inside(p.x[1], 1) && p.x[0] + size[0].width() + g <= p.x[1])
        return p;
    HalfStepPlacement out;
    out.x[0] = line[0] - g - size[0].width();
    out.x[1] = line[1] + g;
    if (inside(out.x[0], 0) && inside(out.x[1], 1))
        return out;
    // Too narrow for both on one row: outside their lines as far as the frame allows, one row each.
    out.stacked = true;
    for (int i = 0; i < 2; ++i)
        out.x[i] = std::clamp(out.x[i], left, std::max(left, right - size[i].width()));
    return out;
}

} // namespace qs::ui
