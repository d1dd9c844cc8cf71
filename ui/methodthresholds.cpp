#include "methodthresholds.h"

#include "analysiscontroller.h"
#include "methodcomparer.h"
#include "plots/histogramplot.h"
#include "plots/plotstyle.h"

#include <limits>

namespace qs::ui {

namespace {

// The method's place in the method table (methodCandidates' order), for its marker style.
int styleOf(const qs::QuantSpec &spec) {
    switch (spec.method) {
    case qs::CalibMethod::MinMax:
        return 0;
    case qs::CalibMethod::Mse:
        return 1;
    case qs::CalibMethod::Percentile:
        return spec.percentile < 99.95 ? 2 : 3;
    case qs::CalibMethod::Entropy:
        return 4;
    case qs::CalibMethod::HistogramL2:
        return 5;
    case qs::CalibMethod::Hqq:
        return 6;
    }
    return 0;
}

// "p99.9" rather than "percentile:99.9": seven names share one legend row.
QString shortName(const qs::MethodRow &row) {
    if (row.spec.method == qs::CalibMethod::Percentile)
        return QStringLiteral("p") + QString::number(row.spec.percentile);
    return QString::fromStdString(row.label);
}

// The method sets the range on screen: no ratio, no fixed clip, the same method (and P).
bool isApplied(const qs::QuantSpec &row, const qs::QuantSpec &current) {
    return current.method == row.method && current.rangeMode == qs::RangeMode::NonSaturating &&
           current.clipRatio == 1.0 &&
           (row.method != qs::CalibMethod::Percentile || current.percentile == row.percentile);
}

QString rangeText(double lo, double hi) {
    return QStringLiteral("[%1, %2]").arg(formatNumber(lo), formatNumber(hi));
}

QString figuresText(const qs::MethodRow &row) {
    return MethodThresholds::tr("MSE %1 · SQNR %2 · %3 clipped")
        .arg(formatNumber(row.mse, 3), formatDb(row.sqnrDb.value_or(std::numeric_limits<double>::infinity())),
             formatPercent(row.clippedFraction));
}

MethodMarker markerOf(const qs::MethodRow &row, const qs::QuantSpec &current) {
    MethodMarker marker;
    marker.name = shortName(row);
    marker.style = styleOf(row.spec);
    marker.applied = isApplied(row.spec, current);
    marker.lo = row.clipLo;
    marker.hi = row.clipHi;
    return marker;
}

QString appliedNote(bool applied) {
    return applied ? MethodThresholds::tr(" — <i>in use</i>") : QString();
}

} // namespace

MethodThresholds::MethodThresholds(AnalysisController *controller, MethodComparer *comparer,
                                   HistogramPlot *histogram, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
    , m_comparer(comparer)
    , m_histogram(histogram) {
    connect(m_comparer, &MethodComparer::rowsChanged, this, &MethodThresholds::refresh);
    // Whatever changes the tensor, the scheme, the method in use or the group on screen.
    for (auto signal : {&AnalysisController::tensorConfigured, &AnalysisController::tensorShown,
                        &AnalysisController::exactShown})
        connect(m_controller, signal, this, &MethodThresholds::refresh);
    connect(m_controller, &AnalysisController::schemeAnalysisShown, this, &MethodThresholds::refresh);
    connect(m_controller, &AnalysisController::groupSelected, this, &MethodThresholds::refresh);
    connect(m_controller, &AnalysisController::normalisedViewChanged, this, &MethodThresholds::refresh);
}

void MethodThresholds::setEnabled(bool on) {
    m_enabled = on;
    m_comparer->setWanted(MethodComparer::HistogramMarkers, on);
    refresh();
}

void MethodThresholds::refresh() {
    std::vector<MethodMarker> markers = m_enabled ? currentMarkers() : std::vector<MethodMarker>{};
    if (markers == m_histogram->methodMarkers()->markers())
        return;
    m_histogram->setMethodMarkers(std::move(markers));
    Q_EMIT markersShown();
}

std::vector<MethodMarker> MethodThresholds::currentMarkers() const {
    const auto tensor = m_controller->currentAnalysis();
    const qs::QuantSpec &spec = m_controller->currentSpec();
    if (!tensor || !m_comparer->holds(tensor.get(), spec))
        return {};
    if (qs::isPerTensorInt(spec))
        return markersFor(*m_comparer->rows(), spec, nullptr, 0, false);
    // The histogram draws the exact analysis of this scheme: without one its group is unknown.
    const auto scheme = m_controller->currentScheme();
    if (!scheme || MethodComparer::baseSpec(scheme->spec) != MethodComparer::baseSpec(spec))
        return {};
    return markersFor(*m_comparer->rows(), spec, scheme.get(), m_controller->currentGroup(),
                      m_controller->normalisedView());
}

std::vector<MethodMarker> MethodThresholds::markersFor(const std::vector<qs::MethodRow> &rows,
                                                       const qs::QuantSpec &current,
                                                       const qs::SchemeAnalysis *scheme, std::int64_t group,
                                                       bool normalised) {
    std::vector<MethodMarker> markers;
    if (!scheme) {
        for (const qs::MethodRow &row : rows) {
            if (!row.groupClipLo.empty())
                continue; // not a per-tensor int row
            MethodMarker marker = markerOf(row, current);
            marker.toolTip = tr("<b>%1</b>%2: %3<br>%4")
                                 .arg(QString::fromStdString(row.label), appliedNote(marker.applied),
                                      rangeText(row.clipLo, row.clipHi), figuresText(row));
            markers.push_back(std::move(marker));
        }
        return markers;
    }
    const std::int64_t groups = scheme->grid.groupCount();
    const double scale = normalised ? qs::normalisingScale(*scheme, group) : 1.0;
    if (group < 0 || group >= groups || !(scale > 0.0))
        return {};
    const auto g = std::size_t(group);
    for (const qs::MethodRow &row : rows) {
        if (row.groupClipLo.size() != std::size_t(groups) || row.groupClipHi.size() != std::size_t(groups))
            continue; // no range per group (block formats), or another grid
        MethodMarker marker = markerOf(row, current);
        marker.lo = row.groupClipLo[g] / scale;
        marker.hi = row.groupClipHi[g] / scale;
        QString range = rangeText(row.groupClipLo[g], row.groupClipHi[g]);
        if (normalised)
            range += tr(", %1 in units of its scale").arg(rangeText(marker.lo, marker.hi));
        marker.toolTip = tr("<b>%1</b>%2: group %3's range %4<br>whole tensor: %5")
                             .arg(QString::fromStdString(row.label), appliedNote(marker.applied))
                             .arg(group)
                             .arg(range, figuresText(row));
        markers.push_back(std::move(marker));
    }
    return markers;
}

} // namespace qs::ui
