#pragma once

#include "analysis/analysisresult.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QMouseEvent;

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
    bool logScale() const { return m_logScale; }
    void clear();

    QCustomPlot *histogramPlot() const { return m_histogram; }
    QCustomPlot *curvePlot() const { return m_curve; }

Q_SIGNALS:
    /// The error histogram's count axis switched (e.g. by the plot's own "log y" toggle).
    void logScaleChanged(bool on);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void applyStyle();
    void setupHistogram();
    void setupCurve();
    QCPGraph *addMarker(const QString &name, const QString &legendName, const QColor &color, int shape,
                        double size);
    void showErrorHistogram();
    void showSweep();
    void fitCurveAxes();
    void onHistogramHover(QMouseEvent *event);
    void onCurveHover(QMouseEvent *event);

    QCustomPlot *m_histogram = nullptr;
    QCustomPlot *m_curve = nullptr;
    QCheckBox *m_logToggle = nullptr;
    QCPGraph *m_errorBars = nullptr;
    QCPItemStraightLine *m_halfStep[2] = {};
    QCPItemText *m_halfStepLabel[2] = {};
    QCPGraph *m_mseCurve = nullptr;
    QCPGraph *m_currentMarker = nullptr;
    QCPGraph *m_suggestedMarker = nullptr;
    QCPGraph *m_minMaxMarker = nullptr;
    QCPItemStraightLine *m_currentLine = nullptr;
    std::shared_ptr<const qs::QuantAnalysis> m_analysis;
    qs::Histogram m_errorDisplay; ///< the error histogram as drawn (merged for small tensors)
    bool m_logScale = true;
    double m_currentClipHi = 0.0;
    double m_currentMse = 0.0;
    bool m_hasCurrent = false;
};

} // namespace qs::ui
