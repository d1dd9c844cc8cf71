// ErrorPlot for schemes other than per-tensor int: MSE against the clip ratio, from the
// scheme's analysis, in place of the threshold curves.

#include "plots/errorplot.h"
#include "plots/errorplot_p.h"
#include "plots/plotstyle.h"

#include "analysis/schemeanalysis.h"

#include <algorithm>
#include <cmath>

namespace qs::ui {

using namespace errorplot;

// Back to an int mapping: its axes fit afresh and the ±s/2 lines return.
void ErrorPlot::leaveScheme() {
    if (!m_scheme)
        return;
    m_scheme.reset();
    m_hasContext = false;
    m_histogramFitted = false;
    m_curveFitted = false;
    m_curve->legend->setVisible(true);
}

void ErrorPlot::setSchemeAnalysis(std::shared_ptr<const qs::SchemeAnalysis> analysis, double ratio,
                                  double mse, bool estimated) {
    if (!analysis) {
        clear();
        return;
    }
    if (analysis != m_scheme) {
        QuantSpec before = m_scheme ? m_scheme->spec : QuantSpec{};
        QuantSpec after = analysis->spec;
        before.clipRatio = after.clipRatio = 1.0;
        // Another tensor or scheme, not just another ratio: the axes fit afresh.
        if (!m_scheme || before != after || m_scheme->shape != analysis->shape) {
            m_histogramFitted = false;
            m_curveFitted = false;
        }
        m_analysis.reset();
        m_hasContext = false;
        m_asymmetric = false;
        m_scheme = std::move(analysis);
        m_halfStepValue = 0.0;
        showErrorHistogram(m_scheme->errorHistogram, false);
        for (int i = 0; i < 2; ++i) {
            m_halfStep[i]->setVisible(false);
            m_halfStepLabel[i]->setVisible(false);
        }
        m_histogram->setToolTip(tr("<b>Error histogram</b> of x − x̂ over all %1 values, x̂ what the scheme "
                                   "dequantizes to; each group has its own step, so there is no single ±s/2.")
                                    .arg(m_errorDisplay.total()));
        m_histogram->replot(QCustomPlot::rpQueuedReplot);
    }
    m_estimateNote->setText(estimated ? tr("≈ estimated") : QString());
    showRatioCurve(ratio, mse);
}

void ErrorPlot::showRatioCurve(double ratio, double mse) {
    updateLegend();
    m_mseCurve->setVisible(true);
    m_lowerCurve->setVisible(false);
    m_upperCurve->setVisible(false);
    m_currentLine[1]->setVisible(false);
    const std::vector<RatioPoint> &sweep = m_scheme->ratioSweep;
    QVector<QCPGraphData> data;
    double floor = std::numeric_limits<double>::infinity();
    for (const RatioPoint &point : sweep)
        if (point.mse > 0)
            floor = std::min(floor, point.mse / 10.0);
    floor = std::isfinite(floor) ? floor : 1e-12;
    for (const RatioPoint &point : sweep)
        data.append(QCPGraphData(point.ratio, loggable(point.mse, floor)));
    m_mseCurve->data()->set(data, true);
    m_curve->legend->setVisible(!sweep.empty());
    if (sweep.empty()) {
        for (QCPGraph *graph : {m_currentMarker, m_suggestedMarker, m_minMaxMarker})
            graph->data()->clear();
        m_currentLine[0]->setVisible(false);
        m_curve->xAxis->setRange(0.0, 1.0);
        m_curve->setToolTip(tr("This format scales each block to its own maximum: there is no clip ratio "
                               "to choose."));
        m_curve->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    m_current = Current{-ratio, ratio, mse, true};
    setPoint(m_currentMarker, ratio, loggable(mse, floor));
    placeVertical(m_currentLine[0], ratio);
    setPoint(m_suggestedMarker, m_scheme->bestRatio.ratio, loggable(m_scheme->bestRatio.mse, floor));
    setPoint(m_minMaxMarker, sweep.back().ratio, loggable(sweep.back().mse, floor));
    m_curve->setToolTip(tr("<b>MSE against the clip ratio ρ</b>: every group's min-max range scaled by ρ, "
                           "estimated in O(bins) from histograms of x / s₁ (s₁ each group's scale at ρ = 1) "
                           "weighted by s₁², for %1 ratios. Suggested: ρ = %2 (MSE %3); current: ρ = %4 "
                           "(MSE %5).")
                            .arg(sweep.size())
                            .arg(formatNumber(m_scheme->bestRatio.ratio, 3),
                                 formatNumber(m_scheme->bestRatio.mse, 3), formatNumber(ratio, 3),
                                 formatNumber(mse, 3)));
    fitCurveAxes();
    m_curve->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace qs::ui
