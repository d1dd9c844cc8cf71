#pragma once

// MappingPlot's internals, shared by mappingplot.cpp (the items, the axes, the mapping lines and
// the levels) and mappingplotlabels.cpp (the text: the rows of key labels and the room they
// take, the titles and formula, the sample values on their lines).

#include "plots/mappingplot.h"

#include "plots/qcustomplotinclude.h"

#include <QPen>
#include <QRectF>
#include <QSizeF>
#include <QString>
#include <QStringList>

#include <array>
#include <optional>
#include <vector>

namespace qs::ui {

namespace mappingplot {

// All of the text stays this many pixels inside the widget.
inline constexpr int kEdgePx = 2;
inline constexpr int kMinPlotHeightPx = 160;

struct KeyCandidate {
    double value;
    QString valueText;
    QString key;  // the stable identifier ("clip_min"), in the label's "keys" property
    QString name; // what the label says under the value; empty for 0, which names itself
};

inline QCPItemText *makeText(QCustomPlot *plot, const QString &name) {
    auto *text = new QCPItemText(plot);
    text->setObjectName(name);
    text->setClipToAxisRect(false);
    text->position->setType(QCPItemPosition::ptAbsolute);
    text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    text->setTextAlignment(Qt::AlignHCenter | Qt::AlignTop);
    text->setPadding(QMargins(3, 1, 3, 1));
    text->setVisible(false);
    return text;
}

inline QCPItemLine *makeMappingLine(QCustomPlot *plot, const QString &name, const QPen &pen) {
    auto *line = new QCPItemLine(plot);
    line->setObjectName(name);
    line->setPen(pen);
    line->setClipToAxisRect(false);
    // Starts on the float axis (top), ends on the integer axis (bottom).
    line->start->setAxes(plot->xAxis2, plot->yAxis);
    line->end->setAxes(plot->xAxis, plot->yAxis);
    return line;
}

inline void setMappingLine(QCPItemLine *line, double floatValue, double code) {
    line->start->setCoords(floatValue, 1.0);
    line->end->setCoords(code, 0.0);
    line->setVisible(true);
}

} // namespace mappingplot

// The key labels of one axis, in rows: row 0 next to the axis, later rows further out.
struct MappingPlot::KeyRows {
    struct Label {
        double value = 0;
        QString valueText;
        QStringList keys;
        QStringList names;
        QString text;
        double anchor = 0; // the value's pixel on its axis
        QSizeF size;
        int row = 0;
        double left = 0;
    };
    std::vector<Label> labels;
    std::vector<double> rowHeights;

    static KeyRows merged(const std::vector<mappingplot::KeyCandidate> &candidates, const QCPAxis *axis,
                          const QCPItemText *prototype);
    void place(double minX, double maxX);
    std::optional<double> fitInRow(const Label &label, const std::vector<QRectF> &row, double minX,
                                   double maxX) const;
    double rowOffset(int row) const;
    double extent() const;
    QRectF box(const Label &label, double axisY, int direction) const;
};

class MappingPlot::Items {
public:
    explicit Items(QCustomPlot *plot);
    std::vector<QCPItemText *> texts() const;

    QCustomPlot *m_plot;
    QCPItemLine *m_floatAxis;
    QCPItemLine *m_tensorRange;
    QCPItemLine *m_integerAxis;
    QCPGraph *m_codeTicks;
    QCPItemLine *m_clipLowLine;
    QCPItemLine *m_clipHighLine;
    QCPItemLine *m_zeroLine;
    std::array<QCPCurve *, 2> m_saturated{};
    // Created before the labels, so the labels' backgrounds cover them where they cross.
    std::vector<QCPItemLine *> m_leaders;
    std::vector<QCPItemText *> m_floatKeys;
    std::vector<QCPItemText *> m_codeKeys;
    std::array<QCPItemText *, 2> m_titles{};
    QCPItemText *m_caption;
    std::vector<QCPItemLine *> m_sampleLines;
    std::vector<QCPItemText *> m_sampleLabels;
    std::vector<QCPItemLine *> m_levelLinks;
};

} // namespace qs::ui
