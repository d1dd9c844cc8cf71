#pragma once

#include "analysis/methodcomparison.h"
#include "analysis/schemeanalysis.h"
#include "plots/methodmarkers.h"

#include <QObject>

#include <memory>
#include <vector>

namespace qs::ui {

class AnalysisController;
class HistogramPlot;
class MethodComparer;

// View ▸ Method Thresholds: every applicable calibration method's range on the histogram. Per
// tensor, each method's [clipLo, clipHi]; for a grouped scheme, each method's range for the group
// the histogram shows (divided by the group's scale in the normalised view). The rows come from
// the comparer the Methods tab uses (computed once, off the GUI thread); markers are drawn only
// while the rows belong to the tensor and scheme on screen, so none is ever stale.
class MethodThresholds : public QObject {
    Q_OBJECT
public:
    MethodThresholds(AnalysisController *controller, MethodComparer *comparer, HistogramPlot *histogram,
                     QObject *parent = nullptr);

    // On: the comparer computes the rows for the histogram, whatever else shows them.
    void setEnabled(bool on);
    bool isEnabled() const { return m_enabled; }

    // The markers for rows on the tensor and scheme shown: per tensor when scheme is null, else
    // group `group` of scheme (normalised: in units of its scale). Rows without a range for
    // that view are left out. current marks the method in use.
    static std::vector<MethodMarker> markersFor(const std::vector<qs::MethodRow> &rows,
                                                const qs::QuantSpec &current,
                                                const qs::SchemeAnalysis *scheme, std::int64_t group,
                                                bool normalised);

Q_SIGNALS:
    // The histogram's markers changed (tests wait for this).
    void markersShown();

private:
    void refresh();
    std::vector<MethodMarker> currentMarkers() const;

    AnalysisController *m_controller;
    MethodComparer *m_comparer;
    HistogramPlot *m_histogram;
    bool m_enabled = false;
};

} // namespace qs::ui
