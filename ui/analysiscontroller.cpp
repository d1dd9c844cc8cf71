#include "analysiscontroller.h"

#include "groupbar.h"
#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "plots/mappingplot.h"
#include "quant/quantizer.h"
#include "quant/scaledtype.h"
#include "quantcontrols.h"
#include "schemecontrols.h"
#include "schemepresets.h"
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

// A saturating spec without a clip range of its own starts from the tensor's full range (the
// handles then narrow it).
qs::QuantSpec validThresholds(qs::QuantSpec spec, const qs::TensorStats &stats) {
    if (spec.rangeMode != qs::RangeMode::Saturating || spec.clipLo < spec.clipHi)
        return spec;
    const qs::QuantParams full =
        qs::paramsForTensor(qs::intSpec(spec.bits, spec.scheme, spec.narrow), stats.min, stats.max);
    spec.clipLo = full.clipMin;
    spec.clipHi = full.clipMax;
    return spec;
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
    connect(m_views.scheme, &SchemeControls::inputRejected, this, &AnalysisController::statusMessage);
    connect(m_views.groups, &GroupBar::groupChosen, this, &AnalysisController::selectGroup);
    connect(m_views.groups, &GroupBar::normalisedToggled, this, &AnalysisController::setNormalisedView);
    m_views.controls->setEnabled(false);
    m_views.groups->hide();
}

void AnalysisController::setReader(std::shared_ptr<const qs::CheckpointReader> reader,
                                   const QString &checkpointName, qs::QuantPlan plan) {
    m_service.setReader(reader);
    m_session.reset(reader ? reader->tensors() : std::vector<qs::TensorInfo>{}, checkpointName.toStdString(),
                    std::move(plan));
    m_current.reset();
    m_tensor.reset();
    m_exact.reset();
    m_suggestPending = false;
    m_specBeforeDrag.reset();
    m_spec = m_session.defaultSpec();
    m_views.controls->setSpec(m_spec);
    m_views.scheme->setTensorRank(0);
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
    m_spec = m_session.spec(index); // the plan's: selecting changes no setting
    leaveScheme();
    m_views.controls->setSpec(m_spec);
    m_views.scheme->setTensorRank(int(reader->tensors()[index].shape.size()));
    m_views.scheme->setSpec(m_spec);
    m_views.controls->setEnabled(true);
    m_views.stats->setNotice(QString::fromStdString(reader->tensors()[index].name), tr("Loading…"));
    showPlanSource();
    m_clearTimer.start();
    // A per-tensor int view's exact pass comes with the load when it can ride on the statistics'
    // second read of the values (and is not known already).
    m_specWithLoad.reset();
    if (qs::isPerTensorInt(m_spec) && qs::ridesOnStatistics(m_spec.method) && !m_session.exact(index)) {
        m_specWithLoad = m_spec;
        m_tensorGeneration = m_service.requestTensorWithQuant(
            index, m_spec.method,
            [spec = m_spec](const qs::TensorStats &stats) { return validThresholds(spec, stats); });
        m_quantGeneration = m_tensorGeneration;
    } else {
        m_tensorGeneration = m_service.requestTensor(index);
    }
    Q_EMIT tensorConfigured(index);
}

void AnalysisController::reloadCurrentSpec() {
    if (!m_current)
        return;
    m_suggestPending = false;
    showPlanSource();
    applySpec(shownSpec(false), true);
}

void AnalysisController::showPlanSource() {
    const qs::TensorResolution &resolution = m_session.resolution(*m_current);
    QString text = QString::fromStdString(m_session.resolutionText(*m_current));
    QString note;
    if (resolution.kept()) {
        text += tr(" · kept");
        note = tr("The plan keeps this tensor in its stored type; the plots show it under the default "
                  "scheme. An override (a drag, or the Model panel's context menu) quantizes it.");
    } else if (!resolution.skipped.empty()) {
        text += tr(" · skipped");
        note = tr("The plan's scheme cannot quantize this tensor: %1")
                   .arg(QString::fromStdString(resolution.skipped));
    }
    m_views.stats->setPlanSource(text, note);
}

void AnalysisController::setPlan(const qs::QuantPlan &plan) {
    m_session.setPlan(plan);
    Q_EMIT planChanged();
    reloadCurrentSpec();
}

void AnalysisController::commitPlan(const qs::QuantPlan &plan, const QString &text,
                                    std::optional<std::size_t> tensor) {
    if (plan == m_session.plan())
        return;
    const qs::QuantPlan before = m_session.plan();
    m_session.setPlan(plan);
    Q_EMIT planEdited(before, plan, text, tensor);
    Q_EMIT planChanged();
    reloadCurrentSpec();
}

qs::QuantSpec AnalysisController::shownSpec(bool explain) {
    qs::QuantSpec spec = withValidThresholds(m_session.spec(*m_current));
    if (!m_tensor)
        return spec;
    if (const qs::Status ok = qs::checkScheme(spec, m_tensor->info().shape); !ok) {
        // The plan's scheme does not fit this tensor: per-tensor int on screen instead, and why.
        if (explain)
            Q_EMIT statusMessage(
                tr("%1: %2; showing per-tensor int instead")
                    .arg(QString::fromStdString(m_tensor->info().name), QString::fromStdString(ok.error())));
        spec = qs::intSpec(spec.bits, spec.scheme, spec.narrow);
    }
    return spec;
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
    m_spec = shownSpec(true);
    m_views.controls->setSpec(m_spec);
    m_views.scheme->setSpec(m_spec);
    showEstimate();
    const bool exactFollows = m_specWithLoad && validThresholds(*m_specWithLoad, m_tensor->stats) == m_spec;
    m_specWithLoad.reset();
    if (auto known = m_session.exact(*m_current)) {
        showExact(std::move(known));
    } else {
        m_views.error->clear();
        if (!exactFollows) // else the load's job emits it next, with the same generation
            requestExact();
    }
    Q_EMIT tensorShown(*m_current);
}

void AnalysisController::onQuantReady(quint64 generation, std::shared_ptr<const qs::QuantAnalysis> analysis) {
    if (generation != m_quantGeneration || !m_tensor || !analysis)
        return;
    if (m_suggestPending && trySuggestFrom(*analysis))
        return;
    if (!answersSpec(*analysis, m_spec))
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
    if (!m_current) {
        setDefaultScheme(spec);
        return;
    }
    if (!acceptsScheme(spec))
        return;
    applyUserSpec(m_spec, withValidThresholds(spec), ChangeKind::Controls);
}

void AnalysisController::onThresholdsDragged(double clipLo, double clipHi) {
    if (!m_tensor || !qs::isPerTensorInt(m_spec))
        return;
    // No request while dragging: the estimate follows the mouse, the exact pass the release.
    if (!m_specBeforeDrag)
        m_specBeforeDrag = m_spec;
    m_spec = draggedSpec(clipLo, clipHi); // the plan changes when the drag ends
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

// A clip or ratio of the user's belongs to this tensor: an override. A scheme change goes to
// the plan's default unless the tensor has an override (TensorSession::planWithEdit); if a rule
// or the ignore list decides the tensor, the status bar says why it did not change.
void AnalysisController::applyUserSpec(qs::QuantSpec before, const qs::QuantSpec &spec, ChangeKind kind) {
    if (!m_current)
        return;
    const bool rangeEdit = kind == ChangeKind::Threshold || kind == ChangeKind::Suggested ||
                           kind == ChangeKind::Ratio || before.rangeMode != spec.rangeMode;
    const std::size_t index = *m_current;
    const bool toDefault = !rangeEdit && !m_session.hasOverride(index);
    const qs::QuantPlan plan = m_session.planWithEdit(index, before, spec, rangeEdit);
    if (plan == m_session.plan()) {
        applySpec(shownSpec(false), true); // the controls go back to what the plan says
        return;
    }
    commitPlan(plan, describeChange(before, spec, kind), index);
    if (toDefault && m_session.resolution(index).layer == qs::PlanLayer::Rule)
        Q_EMIT statusMessage(tr("The default scheme changed; %1 decides %2")
                                 .arg(QString::fromStdString(m_session.resolutionText(index)),
                                      QString::fromStdString(m_session.tensors()[index].name)));
}

void AnalysisController::applySpec(const qs::QuantSpec &spec, bool exact) {
    m_spec = spec;
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
    m_views.stats->setScaleDtype(m_spec.scaleDtype);
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
    m_views.stats->setScaleDtype(analysis->spec.scaleDtype);
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
    return m_tensor ? validThresholds(spec, m_tensor->stats) : spec;
}

QString AnalysisController::describeChange(const qs::QuantSpec &before, const qs::QuantSpec &after,
                                           ChangeKind kind) {
    if (kind == ChangeKind::Threshold)
        return tr("Clip Threshold");
    if (kind == ChangeKind::Suggested)
        return tr("Suggested Threshold");
    if (kind == ChangeKind::Ratio)
        return tr("Clip Ratio %1").arg(after.clipRatio, 0, 'g', 3);
    if (kind == ChangeKind::Preset) {
        const auto preset = presetMatching(after);
        return tr("Preset %1").arg(preset ? preset->name : tr("Custom"));
    }
    if (before.format != after.format) {
        const std::string_view name = qs::formatTraits(after.format).name;
        return tr("Format %1").arg(QString::fromUtf8(name.data(), qsizetype(name.size())));
    }
    if (before.granularity != after.granularity)
        return tr("Granularity %1").arg(QString::fromStdString(qs::granularityName(after.granularity)));
    if (before.method != after.method || before.percentile != after.percentile)
        return tr("Method %1").arg(QString::fromStdString(qs::methodLabel(after)));
    if (before.bits != after.bits)
        return tr("Bits %1 → %2").arg(before.bits).arg(after.bits);
    if (before.scheme != after.scheme)
        return after.scheme == qs::Scheme::Symmetric ? tr("Symmetric") : tr("Asymmetric");
    if (before.narrow != after.narrow)
        return after.narrow ? tr("Narrow Range") : tr("Full Range");
    if (before.rangeMode != after.rangeMode)
        return after.rangeMode == qs::RangeMode::Saturating ? tr("Saturating") : tr("Non-saturating");
    if (before.scaleDtype != after.scaleDtype)
        return tr("Scales %1").arg(QString::fromUtf8(qs::scaleDtypeName(after.scaleDtype).data()));
    return tr("Change Scheme");
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
