#include "analysiscontroller.h"

#include "groupbar.h"
#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "plots/mappingplot.h"
#include "quant/quantizer.h"
#include "quantcontrols.h"
#include "schemecontrols.h"
#include "statspanel.h"

#include <algorithm>
#include <cmath>

namespace qs::ui {

namespace {

constexpr int kClearDelayMs = 250;

// Values inside the clip range are off by at most s/2; clipped ones by their distance to the
// outermost level. O(1), for the figure shown while dragging.
double estimateMaxAbsError(const qs::TensorStats &stats, const qs::QuantParams &params) {
    if (stats.count == 0)
        return 0.0;
    const double lowest = double(qs::dequantizeValue(params.qmin, params));
    const double highest = double(qs::dequantizeValue(params.qmax, params));
    return std::max({double(params.scale) / 2.0, lowest - stats.min, stats.max - highest});
}

bool sameMapping(const qs::QuantSpec &a, const qs::QuantSpec &b) {
    return a.bits == b.bits && a.scheme == b.scheme && a.narrow == b.narrow;
}

// True if analysis is spec's: analyzeQuant returns a range-picking method's spec resolved to
// the clip it found (saturating at that range, the method kept).
bool answers(const qs::QuantAnalysis &analysis, const qs::QuantSpec &spec) {
    if (analysis.spec == spec)
        return true;
    qs::QuantSpec resolved = spec;
    resolved.rangeMode = qs::RangeMode::Saturating;
    resolved.clipLo = analysis.spec.clipLo;
    resolved.clipHi = analysis.spec.clipHi;
    return spec.method != qs::CalibMethod::MinMax && spec.rangeMode == qs::RangeMode::NonSaturating &&
           analysis.spec == resolved;
}

} // namespace

AnalysisController::AnalysisController(const AnalysisViews &views, QObject *parent)
    : QObject(parent)
    , m_views(views) {
    m_clearTimer.setSingleShot(true);
    m_clearTimer.setInterval(kClearDelayMs);
    connect(&m_clearTimer, &QTimer::timeout, this, [this] {
        if (!m_tensor)
            clearViews();
    });
    connect(&m_service, &qs::AnalysisService::tensorReady, this, &AnalysisController::onTensorReady);
    connect(&m_service, &qs::AnalysisService::quantReady, this, &AnalysisController::onQuantReady);
    connect(&m_service, &qs::AnalysisService::failed, this, &AnalysisController::onFailed);
    connect(m_views.controls, &QuantControls::specEdited, this, &AnalysisController::onSpecEdited);
    connect(m_views.controls, &QuantControls::suggestRequested, this,
            &AnalysisController::onSuggestRequested);
    connect(m_views.histogram, &HistogramPlot::thresholdsDragged, this,
            &AnalysisController::onThresholdsDragged);
    connect(m_views.histogram, &HistogramPlot::thresholdsDragFinished, this,
            &AnalysisController::onThresholdsDragFinished);
    connect(m_views.histogram, &HistogramPlot::ratioDragged, this, &AnalysisController::onRatioDragged);
    connect(m_views.histogram, &HistogramPlot::ratioDragFinished, this,
            &AnalysisController::onRatioDragFinished);
    connect(m_views.scheme, &SchemeControls::schemeEdited, this, &AnalysisController::onSchemeEdited);
    connect(m_views.scheme, &SchemeControls::presetChosen, this,
            [this](const qs::QuantSpec &spec) { onPresetChosen(spec); });
    connect(m_views.groups, &GroupBar::groupChosen, this, &AnalysisController::selectGroup);
    connect(m_views.groups, &GroupBar::normalisedToggled, this, &AnalysisController::setNormalisedView);
    m_views.controls->setEnabled(false);
    m_views.groups->hide();
}

void AnalysisController::setReader(std::shared_ptr<const qs::CheckpointReader> reader,
                                   const QString &checkpointName) {
    m_service.setReader(reader);
    m_session.reset(reader ? reader->tensors() : std::vector<qs::TensorInfo>{}, checkpointName.toStdString());
    m_current.reset();
    m_tensor.reset();
    m_exact.reset();
    m_suggestPending = false;
    m_specBeforeDrag.reset();
    m_spec = m_session.defaultSpec();
    m_views.controls->setSpec(m_spec);
    m_views.scheme->setSpec(m_spec);
    m_views.controls->setEnabled(false);
    clearViews();
    m_views.stats->clear();
}

void AnalysisController::clearViews() {
    leaveScheme();
    m_views.histogram->setTensor(nullptr);
    m_views.mapping->clear();
    m_views.error->clear();
}

void AnalysisController::selectTensor(std::size_t index) {
    const auto reader = m_service.reader();
    if (!reader || index >= reader->tensors().size() || (m_current == index && m_tensor))
        return;
    m_current = index;
    m_tensor.reset();
    m_exact.reset();
    m_suggestPending = false;
    m_specBeforeDrag.reset();
    m_session.visit(index);
    m_spec = m_session.spec(index);
    leaveScheme();
    m_views.controls->setSpec(m_spec);
    m_views.scheme->setSpec(m_spec);
    m_views.controls->setEnabled(true);
    m_views.stats->setNotice(QString::fromStdString(reader->tensors()[index].name), tr("Loading…"));
    m_clearTimer.start();
    m_tensorGeneration = m_service.requestTensor(index);
    Q_EMIT tensorConfigured(index);
}

void AnalysisController::reloadCurrentSpec() {
    if (!m_current)
        return;
    m_suggestPending = false;
    applySpec(withValidThresholds(m_session.spec(*m_current)), true);
}

void AnalysisController::setTensorSpec(std::size_t index, const qs::QuantSpec &spec) {
    if (index >= m_session.tensors().size())
        return;
    if (m_current == index) {
        m_suggestPending = false;
        applySpec(spec, true);
        return;
    }
    m_session.setSpec(index, spec);
    Q_EMIT tensorConfigured(index);
}

void AnalysisController::cancel() {
    m_service.cancelAll();
    m_suggestPending = false;
    if (m_current && !m_tensor) {
        const auto reader = m_service.reader();
        m_views.stats->setNotice(QString::fromStdString(reader->tensors()[*m_current].name),
                                 tr("Loading cancelled: select the tensor again to load it."));
        m_current.reset(); // so that selecting it again loads it
    }
}

void AnalysisController::onTensorReady(quint64 generation, std::shared_ptr<const qs::TensorAnalysis> tensor) {
    if (generation != m_tensorGeneration || !m_current || !tensor || tensor->index != *m_current)
        return;
    m_clearTimer.stop();
    m_tensor = std::move(tensor);
    m_views.histogram->setTensor(m_tensor);
    m_views.stats->setTensor(*m_tensor);
    m_spec = withValidThresholds(m_spec);
    if (const qs::Status ok = qs::checkScheme(m_spec, m_tensor->info().shape); !ok) {
        // The scheme chosen elsewhere does not fit this tensor: per-tensor int instead, and why.
        Q_EMIT statusMessage(
            tr("%1: %2; showing per-tensor int instead")
                .arg(QString::fromStdString(m_tensor->info().name), QString::fromStdString(ok.error())));
        m_spec = qs::intSpec(m_spec.bits, m_spec.scheme, m_spec.narrow);
    }
    m_session.setSpec(*m_current, m_spec);
    m_views.controls->setSpec(m_spec);
    m_views.scheme->setSpec(m_spec);
    showEstimate();
    if (auto known = m_session.exact(*m_current)) {
        showExact(std::move(known));
    } else {
        m_views.error->clear();
        requestExact();
    }
    Q_EMIT tensorShown(*m_current);
}

void AnalysisController::onQuantReady(quint64 generation, std::shared_ptr<const qs::QuantAnalysis> analysis) {
    if (generation != m_quantGeneration || !m_tensor || !analysis)
        return;
    if (m_suggestPending && trySuggestFrom(*analysis))
        return;
    if (!answers(*analysis, m_spec))
        return; // the user moved on (a drag or an edit); a newer request follows
    m_session.setExact(*m_current, analysis);
    showExact(std::move(analysis));
}

void AnalysisController::onFailed(quint64 generation, const QString &message) {
    if (generation == m_tensorGeneration && m_current && !m_tensor) {
        m_clearTimer.stop();
        clearViews();
        const auto reader = m_service.reader();
        m_views.stats->setNotice(QString::fromStdString(reader->tensors()[*m_current].name),
                                 tr("Could not be loaded."));
        m_current.reset();
    }
    if (generation == m_tensorGeneration)
        Q_EMIT errorOccurred(message);
    else if (generation == m_quantGeneration)
        Q_EMIT statusMessage(message); // the previous view stays
}

void AnalysisController::onSpecEdited(const qs::QuantSpec &edited) {
    qs::QuantSpec spec = m_spec;
    spec.bits = edited.bits;
    spec.scheme = edited.scheme;
    spec.narrow = edited.narrow;
    spec.rangeMode = edited.rangeMode;
    m_session.setDefaultSpec(spec);
    if (!m_current || !acceptsScheme(spec))
        return;
    applyUserSpec(m_spec, withValidThresholds(spec), ChangeKind::Controls);
}

void AnalysisController::onThresholdsDragged(double clipLo, double clipHi) {
    if (!m_tensor || !qs::isPerTensorInt(m_spec))
        return;
    // No request while dragging: the estimate follows the mouse, the exact pass the release.
    if (!m_specBeforeDrag)
        m_specBeforeDrag = m_spec;
    m_spec = draggedSpec(clipLo, clipHi);
    m_session.setSpec(*m_current, m_spec);
    m_views.controls->setSpec(m_spec);
    showEstimate();
}

void AnalysisController::onThresholdsDragFinished(double clipLo, double clipHi) {
    const qs::QuantSpec before = m_specBeforeDrag.value_or(m_spec);
    m_specBeforeDrag.reset();
    if (!m_tensor || !qs::isPerTensorInt(m_spec))
        return;
    applyUserSpec(before, draggedSpec(clipLo, clipHi), ChangeKind::Threshold);
}

void AnalysisController::onSuggestRequested() {
    if (!m_current)
        return;
    if (!qs::isPerTensorInt(m_spec)) {
        trySuggestRatio();
        return;
    }
    if (m_exact && m_tensor && trySuggestFrom(*m_exact))
        return;
    // The sweep for the current bits / scheme is on its way; apply it when it lands.
    m_suggestPending = true;
    if (m_tensor && !m_service.isBusy())
        requestExact();
}

bool AnalysisController::trySuggestFrom(const qs::QuantAnalysis &analysis) {
    if (!sameMapping(analysis.spec, m_spec))
        return false;
    m_suggestPending = false;
    qs::QuantSpec spec = m_spec;
    spec.method = qs::CalibMethod::MinMax; // the suggested threshold is a fixed clip from now on
    spec.rangeMode = qs::RangeMode::Saturating;
    spec.clipLo = analysis.sweep.best.clipLo;
    spec.clipHi = analysis.sweep.best.clipHi;
    applyUserSpec(m_spec, spec, ChangeKind::Suggested);
    return true;
}

void AnalysisController::applyUserSpec(qs::QuantSpec before, const qs::QuantSpec &spec, ChangeKind kind) {
    applySpec(spec, true);
    if (before != m_spec)
        Q_EMIT specChangedByUser(*m_current, before, m_spec, kind);
}

void AnalysisController::applySpec(const qs::QuantSpec &spec, bool exact) {
    m_spec = spec;
    m_session.setSpec(*m_current, spec);
    m_views.controls->setSpec(spec);
    m_views.scheme->setSpec(spec);
    Q_EMIT tensorConfigured(*m_current);
    if (!m_tensor)
        return; // onTensorReady picks m_spec up
    showEstimate();
    if (!exact)
        return;
    if (auto known = m_session.exact(*m_current))
        showExact(std::move(known));
    else
        requestExact();
}

void AnalysisController::showEstimate() {
    if (!qs::isPerTensorInt(m_spec)) {
        showSchemeEstimate();
        return;
    }
    leaveScheme();
    const qs::TensorStats &stats = m_tensor->stats;
    const qs::QuantParams params = qs::paramsForTensor(m_spec, stats.min, stats.max);
    const qs::ErrorEstimate estimate = qs::estimateError(stats, params);
    m_views.histogram->setQuantization(m_spec, params, estimate.clippedFraction);
    m_views.mapping->setMapping(stats.min, stats.max, m_spec, params);
    m_views.error->setEstimate(m_tensor, m_spec, params, estimate.mse,
                               qs::estimateErrorHistogram(stats, params));
    m_views.stats->setEstimate(params, estimate, estimateMaxAbsError(stats, params));
}

void AnalysisController::showExact(std::shared_ptr<const qs::QuantAnalysis> analysis) {
    if (analysis->scheme) {
        showSchemeExact(std::move(analysis));
        return;
    }
    leaveScheme();
    const qs::TensorStats &stats = m_tensor->stats;
    m_exact = analysis;
    m_views.histogram->setQuantization(analysis->spec, analysis->params, analysis->error.clippedFraction);
    m_views.mapping->setMapping(stats.min, stats.max, analysis->spec, analysis->params);
    m_views.stats->setExact(*analysis);
    m_views.error->setQuantAnalysis(std::move(analysis));
    Q_EMIT exactShown(*m_current);
}

void AnalysisController::requestExact() {
    m_quantGeneration = m_service.requestQuant(m_tensor, m_spec);
}

qs::QuantSpec AnalysisController::withValidThresholds(qs::QuantSpec spec) const {
    if (!m_tensor || spec.rangeMode != qs::RangeMode::Saturating || spec.clipLo < spec.clipHi)
        return spec;
    // Switching to saturating starts from the full range; the handles then narrow it.
    const qs::QuantParams full = qs::paramsForTensor(qs::intSpec(spec.bits, spec.scheme, spec.narrow),
                                                     m_tensor->stats.min, m_tensor->stats.max);
    spec.clipLo = full.clipMin;
    spec.clipHi = full.clipMax;
    return spec;
}

qs::QuantSpec AnalysisController::draggedSpec(double clipLo, double clipHi) const {
    qs::QuantSpec spec = m_spec;
    spec.method = qs::CalibMethod::MinMax; // a dragged threshold replaces the method's range
    spec.rangeMode = qs::RangeMode::Saturating;
    spec.clipLo = std::min(clipLo, clipHi);
    spec.clipHi = std::max(clipLo, clipHi);
    return spec;
}

} // namespace qs::ui
