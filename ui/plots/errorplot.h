#pragma once

#include "analysis/analysisresult.h"

#include <QWidget>

#include <memory>

class QCustomPlot;

namespace qs::ui {

/// Top: the histogram of x - x̂ (log-y toggle). Bottom: estimated MSE (log y) against the clip
/// threshold, with the current, the suggested (minimum) and the min-max thresholds marked;
/// hovering shows the values.
class ErrorPlot : public QWidget {
    Q_OBJECT
public:
    explicit ErrorPlot(QWidget *parent = nullptr);

    /// Exact error histogram and threshold sweep; nullptr clears.
    void setQuantAnalysis(std::shared_ptr<const qs::QuantAnalysis> analysis);
    /// Moves the "current" marker while dragging: threshold = clip_max (value units), mse estimated.
    void setCurrent(double clipHi, double mse);
    void setLogScale(bool on);
    void clear();

    QCustomPlot *histogramPlot() const { return m_histogram; }
    QCustomPlot *curvePlot() const { return m_curve; }

private:
    QCustomPlot *m_histogram = nullptr;
    QCustomPlot *m_curve = nullptr;
};

} // namespace qs::ui
