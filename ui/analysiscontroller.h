#pragma once

#include "analysis/analysisservice.h"
#include "calib/groupedestimate.h"
#include "tensorsession.h"

#include <QObject>
#include <QTimer>

#include <memory>
#include <optional>

namespace qs::ui {

class ErrorPlot;
class GroupBar;
class HistogramPlot;
class SchemeControls;
class MappingPlot;
class QuantControls;
class StatsPanel;

struct AnalysisViews {
    HistogramPlot *histogram = nullptr;
    MappingPlot *mapping = nullptr;
    ErrorPlot *error = nullptr;
    StatsPanel *stats = nullptr;
    QuantControls *controls = nullptr;
    SchemeControls *scheme = nullptr;
    GroupBar *groups = nullptr;
};

// Keeps the views of the selected tensor in step with its spec. Loads and exact passes go to
// the AnalysisService (latest request wins); while a handle is dragged the views follow
// O(bins) histogram estimates and the exact pass is requested when the drag ends.
class AnalysisController : public QObject {
    Q_OBJECT
public:
    // What made the user's change, for naming it in the Edit menu.
    enum class ChangeKind { Controls, Threshold, Suggested, Scheme, Preset, Ratio };

    explicit AnalysisController(const AnalysisViews &views, QObject *parent = nullptr);

    // "Bits 8 → 4", "Asymmetric", "Clip Threshold", …: what a change did, for the Edit menu.
    static QString describeChange(const qs::QuantSpec &before, const qs::QuantSpec &after, ChangeKind kind);

    // Forgets the previous checkpoint's session; its tensors start under plan. checkpointName
    // goes into exports.
    void setReader(std::shared_ptr<const qs::CheckpointReader> reader, const QString &checkpointName,
                   qs::QuantPlan plan = {});
    std::shared_ptr<const qs::CheckpointReader> reader() const { return m_service.reader(); }
    qs::AnalysisService &service() { return m_service; }
    TensorSession &session() { return m_session; }

    void selectTensor(std::size_t index);
    std::optional<std::size_t> currentTensor() const { return m_current; }
    std::shared_ptr<const qs::TensorAnalysis> currentAnalysis() const { return m_tensor; }
    const qs::QuantSpec &currentSpec() const { return m_spec; }
    // Applies the session's spec of the current tensor again.
    void reloadCurrentSpec();
    // Replaces the plan, as undo and redo do: the current tensor shows its new spec at once.
    // Emits planChanged, not planEdited.
    void setPlan(const qs::QuantPlan &plan);
    // A plan edit of the user's (the plan editor, the model table, a budget fit): applied, then
    // reported by planEdited under text; tensor is the one it concerns, if a single one.
    void commitPlan(const qs::QuantPlan &plan, const QString &text, std::optional<std::size_t> tensor = {});
    void cancel();

    // Schemes with groups (any spec but per-tensor int): the plots show one group, or all of
    // them normalised by their scales.
    void selectGroup(std::int64_t group);
    std::int64_t currentGroup() const { return m_group; }
    void setNormalisedView(bool on);
    bool normalisedView() const { return m_normalised; }
    // The scheme analysis on screen; null while per-tensor int is shown.
    std::shared_ptr<const qs::SchemeAnalysis> currentScheme() const { return m_scheme; }
    // New tensors start from spec's scheme (restored settings, a preset chosen with no tensor).
    void setDefaultScheme(const qs::QuantSpec &spec);

Q_SIGNALS:
    void tensorShown(std::size_t index);
    // The exact figures for the current spec are on screen.
    void exactShown(std::size_t index);
    // The current tensor's spec was (re)applied to the views.
    void tensorConfigured(std::size_t index);
    // The user changed the plan: a toolbar edit (the default, or the tensor's override), a
    // finished drag or nudge, the suggested threshold, or commitPlan. Not emitted while a handle
    // is still being dragged.
    void planEdited(const qs::QuantPlan &before, const qs::QuantPlan &after, const QString &text,
                    std::optional<std::size_t> tensor);
    // The plan changed, by the user or by undo and redo.
    void planChanged();
    void errorOccurred(const QString &message);
    // For the status bar: a scheme that does not apply to the tensor, a failed pass.
    void statusMessage(const QString &message);
    // The group the plots show changed (a new scheme opens on its worst group).
    void groupSelected(std::int64_t group);
    // The plots switched between one group's values and all groups' in units of their scales.
    void normalisedViewChanged(bool on);
    // An exact scheme analysis is on screen (for views that draw per-group figures).
    void schemeAnalysisShown(std::shared_ptr<const qs::SchemeAnalysis> analysis);

private:
    void onTensorReady(quint64 generation, std::shared_ptr<const qs::TensorAnalysis> tensor);
    void onQuantReady(quint64 generation, std::shared_ptr<const qs::QuantAnalysis> analysis);
    void onFailed(quint64 generation, const QString &message);
    void onSpecEdited(const qs::QuantSpec &edited);
    void onThresholdsDragged(double clipLo, double clipHi);
    void onThresholdsDragFinished(double clipLo, double clipHi);
    void onSuggestRequested();

    void applySpec(const qs::QuantSpec &spec, bool requestExact);
    // applySpec, then tells specChangedByUser what changed (nothing when nothing did).
    void applyUserSpec(qs::QuantSpec before, const qs::QuantSpec &spec, ChangeKind kind);
    void showEstimate();
    void showExact(std::shared_ptr<const qs::QuantAnalysis> analysis);
    void clearViews();
    void requestExact();
    bool trySuggestFrom(const qs::QuantAnalysis &analysis);
    qs::QuantSpec withValidThresholds(qs::QuantSpec spec) const;
    qs::QuantSpec draggedSpec(double clipLo, double clipHi) const;
    // The session's spec of the current tensor as the views can show it: with valid thresholds,
    // and per-tensor int (with a message) when the tensor cannot take it.
    qs::QuantSpec shownSpec(bool explain);
    // The Figures panel says which layer of the plan decides the current tensor.
    void showPlanSource();

    // Scheme views (analysiscontrollerscheme.cpp).
    void onSchemeEdited(const qs::QuantSpec &edited);
    void onPresetChosen(const qs::QuantSpec &preset);
    void onRatioDragged(double ratio);
    void onRatioDragFinished(double ratio);
    bool acceptsScheme(const qs::QuantSpec &spec);
    bool schemeMatches(const qs::QuantSpec &spec) const;
    void showSchemeEstimate();
    void showSchemeExact(std::shared_ptr<const qs::QuantAnalysis> analysis);
    void showScheme(double ratio, const std::optional<qs::GroupedEstimate> &estimate);
    void showSchemeHistogram(double ratio, bool exactRatio, double clippedFraction);
    void showSchemeFigures(double ratio, const std::optional<qs::GroupedEstimate> &estimate);
    void leaveScheme();
    bool trySuggestRatio();

    AnalysisViews m_views;
    qs::AnalysisService m_service;
    TensorSession m_session;
    std::optional<std::size_t> m_current;
    std::shared_ptr<const qs::TensorAnalysis> m_tensor;
    std::shared_ptr<const qs::QuantAnalysis> m_exact; // latest for the current tensor, maybe stale
    qs::QuantSpec m_spec;
    quint64 m_tensorGeneration = 0;
    quint64 m_quantGeneration = 0;
    bool m_suggestPending = false;
    std::optional<qs::QuantSpec> m_specBeforeDrag; // set while a handle is being dragged
    // The spec whose exact pass the pending load computes along (requestTensorWithQuant).
    std::optional<qs::QuantSpec> m_specWithLoad;
    QTimer m_clearTimer; // clears the plots only if a load takes long enough to notice
    std::shared_ptr<const qs::SchemeAnalysis> m_scheme; // on screen, for the current tensor
    std::int64_t m_group = 0;
    bool m_normalised = false;
    // The selected group's histogram, kept while the group and analysis stay the same.
    qs::Histogram m_groupData;
    const qs::SchemeAnalysis *m_groupDataFor = nullptr;
    std::int64_t m_groupDataGroup = -1;
};

} // namespace qs::ui
