// AnalysisController's scheme views: every spec but per-tensor int (another format or a
// granularity), drawn group by group from a SchemeAnalysis.

#include "analysiscontroller.h"

#include "groupbar.h"
#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "plots/mappingplot.h"
#include "plots/plotstyle.h"
#include "quantcontrols.h"
#include "schemecontrols.h"
#include "statspanel.h"

#include "quant/formatkernels.h"

#include <algorithm>

namespace qs::ui {

namespace {

// The codes that store the lowest and highest of levels, as the mapping names them: bit patterns
// in hex ("0x7E"), the others in decimal. None when the codes are not one per level.
std::optional<MappingPlot::EndCodes> endCodes(const qs::LevelCodes &codes,
                                              const std::vector<double> &levels) {
    if (codes.codes.empty() || codes.codes.size() != levels.size())
        return std::nullopt;
    const auto label = [&codes](std::int64_t code) {
        return codes.hexDigits > 0
                   ? QStringLiteral("0x") +
                         QStringLiteral("%1").arg(code, codes.hexDigits, 16, QLatin1Char('0')).toUpper()
                   : QString::number(code);
    };
    return MappingPlot::EndCodes{label(codes.codes.front()), label(codes.codes.back()), codes.hexDigits > 0};
}

QString formatLabel(const qs::QuantSpec &spec) {
    const qs::FormatTraits &traits = qs::formatTraits(spec.format);
    QString name = QString::fromUtf8(traits.name.data(), qsizetype(traits.name.size()));
    if (traits.takesBits)
        name =
            AnalysisController::tr("int%1 %2%3")
                .arg(spec.bits)
                .arg(spec.scheme == qs::Scheme::Symmetric ? AnalysisController::tr("sym")
                                                          : AnalysisController::tr("asym"))
                .arg(spec.narrow && spec.scheme == qs::Scheme::Symmetric ? AnalysisController::tr(" narrow")
                                                                         : QString());
    if (!qs::ownsGrouping(traits))
        name += QStringLiteral(" · ") + QString::fromStdString(qs::granularityName(spec.granularity));
    return name;
}

// The spec without its clip ratio: what one analysis serves while the ratio moves.
qs::QuantSpec withoutRatio(qs::QuantSpec spec) {
    spec.clipRatio = 1.0;
    return spec;
}

} // namespace

void AnalysisController::setDefaultScheme(const qs::QuantSpec &spec) {
    const qs::QuantPlan plan = m_session.planWithDefault(spec);
    if (reader())
        commitPlan(plan, tr("Default Scheme"));
    else
        m_session.setPlan(plan);
    if (m_current)
        return;
    m_spec = m_session.defaultSpec();
    m_views.controls->setSpec(m_spec);
    m_views.scheme->setSpec(m_spec);
}

void AnalysisController::selectGroup(std::int64_t group) {
    if (!m_scheme)
        return;
    group = std::clamp<std::int64_t>(group, 0, std::max<std::int64_t>(m_scheme->grid.groupCount() - 1, 0));
    if (group == m_group)
        return;
    m_group = group;
    showSchemeEstimate();
    Q_EMIT groupSelected(group);
}

void AnalysisController::setNormalisedView(bool on) {
    if (on == m_normalised)
        return;
    m_normalised = on;
    m_views.groups->setNormalised(on);
    if (m_scheme)
        showSchemeEstimate();
    Q_EMIT normalisedViewChanged(on);
}

// A combination checkScheme rejects is not applied: the message goes to the status bar and the
// controls show the spec that is on screen again.
bool AnalysisController::acceptsScheme(const qs::QuantSpec &spec) {
    if (!m_tensor)
        return true;
    const qs::Status ok = qs::checkScheme(spec, m_tensor->info().shape);
    if (ok)
        return true;
    Q_EMIT statusMessage(
        tr("%1: %2").arg(QString::fromStdString(m_tensor->info().name), QString::fromStdString(ok.error())));
    m_views.controls->setSpec(m_spec);
    m_views.scheme->setSpec(m_spec);
    return false;
}

void AnalysisController::onSchemeEdited(const qs::QuantSpec &edited) {
    qs::QuantSpec spec = m_spec;
    if (spec.format != edited.format)
        spec.clipRatio = 1.0; // another grid: its ratio starts at min-max
    spec.format = edited.format;
    spec.granularity = edited.granularity;
    spec.method = edited.method;
    spec.percentile = edited.percentile;
    spec.scaleDtype = edited.scaleDtype;
    const qs::FormatTraits &traits = qs::formatTraits(spec.format);
    if (qs::ownsGrouping(traits))
        spec.granularity = {};                     // the format carries its own blocks, or is a cast
    if (traits.family == qs::FormatFamily::Cast) { // nothing to calibrate and no scale to store
        spec.method = qs::CalibMethod::MinMax;
        spec.scaleDtype = qs::ScaleDtype::F32;
        spec.clipRatio = 1.0;
    }
    if (!qs::isPerTensorInt(spec))
        spec.rangeMode = qs::RangeMode::NonSaturating; // a fixed clip is per tensor only
    if (spec.method != qs::CalibMethod::MinMax) {      // the method sets the range
        spec.clipRatio = 1.0;
        spec.rangeMode = qs::RangeMode::NonSaturating;
    }
    // A scheme the tensor on screen refuses changes nothing, not even the default for the next
    // tensor: the bar goes back to what is shown, and so does everything else.
    if (m_current && !acceptsScheme(spec))
        return;
    if (!m_current) {
        setDefaultScheme(spec);
        return;
    }
    applyUserSpec(m_spec, withValidThresholds(spec), ChangeKind::Scheme);
}

void AnalysisController::onPresetChosen(const qs::QuantSpec &preset) {
    if (m_current && !acceptsScheme(preset))
        return; // as a refused scheme: nothing changes
    if (!m_current) {
        setDefaultScheme(preset);
        return;
    }
    applyUserSpec(m_spec, preset, ChangeKind::Preset);
}

void AnalysisController::onRatioDragged(double ratio) {
    if (!m_scheme || !m_current)
        return;
    if (!m_specBeforeDrag)
        m_specBeforeDrag = m_spec;
    m_spec.clipRatio = ratio;
    m_spec.method = qs::CalibMethod::MinMax; // a dragged ratio replaces the method's range
    showSchemeEstimate();
}

void AnalysisController::onRatioDragFinished(double ratio) {
    const qs::QuantSpec before = m_specBeforeDrag.value_or(m_spec);
    m_specBeforeDrag.reset();
    if (!m_scheme || !m_current)
        return;
    qs::QuantSpec spec = m_spec;
    spec.clipRatio = ratio;
    spec.method = qs::CalibMethod::MinMax;
    applyUserSpec(before, spec, ChangeKind::Ratio);
}

bool AnalysisController::trySuggestRatio() {
    if (!m_scheme || !schemeMatches(m_spec) || m_scheme->ratioSweep.empty())
        return false;
    qs::QuantSpec spec = m_spec;
    spec.clipRatio = m_scheme->bestRatio.ratio;
    spec.method = qs::CalibMethod::MinMax;
    applyUserSpec(m_spec, spec, ChangeKind::Suggested);
    return true;
}

bool AnalysisController::schemeMatches(const qs::QuantSpec &spec) const {
    return m_scheme && withoutRatio(m_scheme->spec) == withoutRatio(spec);
}

// The exact analysis of the same scheme at another ratio serves an O(bins) estimate; without
// one the previous view stays until the exact pass lands (the status bar shows its progress).
void AnalysisController::showSchemeEstimate() {
    if (!m_scheme || !schemeMatches(m_spec))
        return;
    const double ratio = m_spec.clipRatio;
    if (ratio == m_scheme->spec.clipRatio || m_scheme->estimator.empty())
        showScheme(m_scheme->spec.clipRatio, std::nullopt);
    else
        showScheme(ratio, qs::estimateGroupedError(m_scheme->estimator, ratio));
}

void AnalysisController::showSchemeExact(std::shared_ptr<const qs::QuantAnalysis> analysis) {
    const bool sameGrid = schemeMatches(analysis->spec);
    m_exact = analysis;
    m_scheme = analysis->scheme;
    if (!sameGrid) {
        m_group = m_scheme->worstGroup; // a new scheme opens on the group with the largest error
        Q_EMIT groupSelected(m_group);
    }
    showScheme(m_scheme->spec.clipRatio, std::nullopt);
    Q_EMIT schemeAnalysisShown(m_scheme);
    Q_EMIT exactShown(*m_current);
}

void AnalysisController::leaveScheme() {
    m_scheme.reset();
    m_groupDataFor = nullptr;
    m_views.groups->hide();
}

void AnalysisController::showScheme(double ratio, const std::optional<qs::GroupedEstimate> &estimate) {
    const qs::SchemeAnalysis &a = *m_scheme;
    m_group = std::clamp<std::int64_t>(m_group, 0, std::max<std::int64_t>(a.grid.groupCount() - 1, 0));
    const double clipped = estimate ? estimate->clippedFraction : a.clippedFraction;
    showSchemeHistogram(ratio, !estimate, clipped);
    const double mse = estimate ? estimate->mse : a.error.mse;
    m_views.error->setSchemeAnalysis(m_scheme, ratio, mse, estimate.has_value());
    showSchemeFigures(ratio, estimate);
    const QString summary =
        tr("worst: %1 · this group's MSE %2 · %3")
            .arg(a.worstGroup)
            .arg(formatNumber(a.groupMse.empty() ? 0.0 : a.groupMse[std::size_t(m_group)], 3),
                 formatLabel(a.spec));
    m_views.groups->setGroups(a.grid.groupCount(), m_group, a.worstGroup, summary);
    m_views.groups->setNormalised(m_normalised);
    m_views.groups->show();
}

void AnalysisController::showSchemeHistogram(double ratio, bool exactRatio, double clippedFraction) {
    const qs::SchemeAnalysis &a = *m_scheme;
    const std::int64_t g = m_group;
    HistogramPlot::LevelView view;
    view.ratio = ratio;
    view.clippedFraction = clippedFraction;
    view.ratioBase = qs::ratioBase(a, g);
    const QString groupText = tr("group %1 of %2").arg(g).arg(a.grid.groupCount());
    if (m_normalised) {
        const double s = qs::normalisingScale(a, g);
        view.data = a.normalised;
        view.levels = qs::normalisedLevels(a, g, ratio);
        if (view.ratioBase && s > 0.0)
            view.ratioBase = std::pair{view.ratioBase->first / s, view.ratioBase->second / s};
        else
            view.ratioBase.reset();
        view.axisLabel = tr("x / s of its group (all %1 groups)").arg(a.grid.groupCount());
        view.description = tr("all groups, the grid of group %1").arg(g);
    } else {
        if (m_groupDataFor != &a || m_groupDataGroup != g) {
            // One group is the whole tensor, whose histogram is already there: a pass over every
            // value does not belong on the GUI thread.
            m_groupData = a.grid.groupCount() == 1
                              ? m_tensor->stats.histogram
                              : qs::groupHistogram(m_tensor->tensor->values(), a.grid, g);
            m_groupDataFor = &a;
            m_groupDataGroup = g;
        }
        view.data = m_groupData;
        view.levels = exactRatio ? qs::groupLevels(a, g) : qs::groupLevelsAtRatio(a, g, ratio);
        view.axisLabel =
            tr("weight value (%1), %2").arg(QString::fromStdString(m_tensor->info().typeName()), groupText);
        view.description = groupText;
    }
    if (view.data.counts.empty())
        view.data = m_tensor->stats.histogram; // a group without finite values
    m_views.histogram->setLevelView(view);
    const double lo = view.data.counts.empty() ? 0.0 : view.data.lo;
    const double hi = view.data.counts.empty() ? 0.0 : view.data.hi;
    m_views.mapping->setLevels(view.levels, lo, hi,
                               formatLabel(a.spec) + QStringLiteral(" · ") + view.description,
                               endCodes(qs::groupLevelCodes(a, g), view.levels));
}

void AnalysisController::showSchemeFigures(double ratio, const std::optional<qs::GroupedEstimate> &estimate) {
    const qs::SchemeAnalysis &a = *m_scheme;
    const auto g = std::size_t(m_group);
    StatsPanel::SchemeFigures figures;
    figures.scale = g < a.quantization.scales.size() ? formatNumber(double(a.quantization.scales[g]))
                                                     : QStringLiteral("–");
    // llama.cpp's types with a min (a dmin field): where code 0 lands, x̂ = s · q + x̂(0).
    const bool ggmlMin = qs::formatTraits(a.spec.format).family == qs::FormatFamily::GgmlBlock &&
                         qs::ggmlBlockLayout(qs::ggmlTypeOf(a.spec.format)).dmin != qs::kNoGgmlField;
    if (ggmlMin && g < a.quantization.groupGrids.size())
        figures.zeroPoint = tr("code 0 → %1").arg(formatNumber(-double(a.quantization.groupGrids[g].offset)));
    else
        figures.zeroPoint = g < a.quantization.zeroPoints.size()
                                ? QString::number(a.quantization.zeroPoints[g])
                                : QStringLiteral("–");
    figures.grid = formatLabel(a.spec) + tr(" · %1 b/w").arg(a.quantization.bitsPerWeight, 0, 'g', 4);
    // The ratio alone: the group's outermost levels are on the histogram and in the mapping.
    figures.clip = tr("ρ = %1").arg(formatNumber(ratio, 3));
    figures.estimate = estimate.has_value();
    figures.mse = estimate ? estimate->mse : a.error.mse;
    figures.sqnrDb = estimate ? estimate->sqnrDb : a.error.sqnrDb;
    if (!estimate)
        figures.maxAbsError = a.error.maxAbsError;
    figures.clippedFraction = estimate ? estimate->clippedFraction : a.clippedFraction;
    if (qs::formatTraits(a.spec.format).family == qs::FormatFamily::Cast) {
        figures.scale = tr("none (a cast)");
        figures.cast = a.quantization.cast;
        figures.castMax = qs::halfFormatInfo(qs::halfFormatOf(a.spec.format)).maxFinite;
    }
    m_views.stats->setScheme(figures);
}

} // namespace qs::ui
