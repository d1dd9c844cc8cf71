#pragma once

#include "analysis/analysisresult.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QLabel;
class QMouseEvent;
class QSplitter;

namespace qs::ui {

/// Top: the histogram of x - x̂ (log-y toggle). Bottom: estimated MSE (log y) against the clip
/// threshold, with the current, the suggested (minimum) and the min-max thresholds marked;
/// hovering shows the values. Asymmetric mode draws one curve per end, the other end held at
/// its current threshold. The two plots share a vertical splitter.
class ErrorPlot : public QWidget {
    Q_OBJECT
public:
    explicit ErrorPlot(QWidget *parent = nullptr);

    /// Exact error histogram and threshold sweep; nullptr clears.
    void setQuantAnalysis(std::shared_ptr<const qs::QuantAnalysis> analysis);
    /// The estimate for spec on tensor while dragging (or until the exact pass lands): its
    /// estimated MSE and error histogram (qs::estimateErrorHistogram), drawn as an estimate.
    /// Curves of the last exact pass stay while they still hold; x ranges only widen until the
    /// tensor, bits, scheme or narrow change.
    void setEstimate(const std::shared_ptr<const qs::TensorAnalysis> &tensor, const qs::QuantSpec &spec,
                     const qs::QuantParams &params, double mse, qs::Histogram errorHistogram);
    /// A scheme other than per-tensor int: its exact error histogram (without ±s/2, the step
    /// differs by group) and its estimated MSE against the clip ratio with the current ratio
    /// (mse estimated while dragging), the suggested and the min-max ratio marked. Formats
    /// without a clip ratio show no curve.
    void setSchemeAnalysis(std::shared_ptr<const qs::SchemeAnalysis> analysis, double ratio, double mse,
                           bool estimated);
    /// True while a scheme's figures are drawn.
    bool showsScheme() const { return bool(m_scheme); }
    /// Moves the "current" marker to threshold clipHi (value units; symmetric: ±clipHi) with
    /// MSE mse.
    void setCurrent(double clipHi, double mse);
    void setLogScale(bool on);
    bool logScale() const { return m_logScale; }
    /// True while the error histogram drawn is an estimate rather than the exact pass's.
    bool showsEstimate() const { return m_showsEstimate; }
    void clear();

    QCustomPlot *histogramPlot() const { return m_histogram; }
    QCustomPlot *curvePlot() const { return m_curve; }
    /// The vertical splitter between the two plots (objectName "errorSplitter"), whose state
    /// the main window saves.
    QSplitter *splitter() const { return m_splitter; }

Q_SIGNALS:
    /// The error histogram's count axis switched (e.g. by the plot's own "log y" toggle).
    void logScaleChanged(bool on);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Current {
        double clipLo = 0.0; // value units: the thresholds the curves are drawn against
        double clipHi = 0.0;
        double mse = 0.0;
        bool valid = false;
    };

    void applyStyle();
    void styleErrorBars();
    void setupHistogram();
    void setupCurve();
    QCPGraph *addCurve(const QString &name, Qt::PenStyle style);
    QCPGraph *addMarker(const QString &name, const QString &legendName, const QColor &color, int shape,
                        double size);
    void startContext(const std::shared_ptr<const qs::TensorAnalysis> &tensor, const qs::QuantSpec &spec);
    bool sameContext(const std::shared_ptr<const qs::TensorAnalysis> &tensor,
                     const qs::QuantSpec &spec) const;
    void showErrorHistogram(const qs::Histogram &fine, bool estimated);
    void fitHistogramRange();
    void leaveScheme();
    void showRatioCurve(double ratio, double mse);
    void layoutHalfStepLabels();
    void showCurves();
    void showJointCurve(double floor);
    void showHeldEndCurves(double floor);
    void setEndCurve(QCPGraph *graph, const std::vector<qs::ThresholdPoint> &points, bool lower, bool holds,
                     double floor);
    void updateLegend();
    void updateCurveLabel();
    void fitCurveAxes();
    void onHistogramHover(QMouseEvent *event);
    void onCurveHover(QMouseEvent *event);
    QString curvePointText(const QCPGraph *graph, double key) const;
    QString markerTexts(double px) const;

    QSplitter *m_splitter = nullptr;
    QCustomPlot *m_histogram = nullptr;
    QCustomPlot *m_curve = nullptr;
    QCheckBox *m_logToggle = nullptr;
    QLabel *m_estimateNote = nullptr;
    QCPGraph *m_errorBars = nullptr;
    QCPItemStraightLine *m_halfStep[2] = {};
    QCPItemText *m_halfStepLabel[2] = {};
    QCPGraph *m_mseCurve = nullptr;
    QCPGraph *m_lowerCurve = nullptr;
    QCPGraph *m_upperCurve = nullptr;
    QCPGraph *m_currentMarker = nullptr;
    QCPGraph *m_suggestedMarker = nullptr;
    QCPGraph *m_minMaxMarker = nullptr;
    QCPItemStraightLine *m_currentLine[2] = {};
    std::shared_ptr<const qs::QuantAnalysis> m_analysis;
    std::shared_ptr<const qs::SchemeAnalysis> m_scheme; ///< set while a scheme is drawn
    qs::Histogram m_errorDisplay; ///< the error histogram as drawn (merged for small tensors)
    double m_halfStepValue = 0.0; ///< s/2 of what the histogram shows
    bool m_showsEstimate = false;
    bool m_logScale = true;
    bool m_asymmetric = false;
    bool m_legendAsymmetric = false;
    Current m_current;
    // The tensor and mapping the x ranges were fitted for; within them the ranges only widen.
    std::weak_ptr<const qs::TensorAnalysis> m_tensor;
    bool m_tensorKnown = false;
    qs::QuantSpec m_mapping;
    bool m_hasContext = false;
    bool m_histogramFitted = false;
    bool m_curveFitted = false;
};

} // namespace qs::ui
