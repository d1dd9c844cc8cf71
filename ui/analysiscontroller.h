#pragma once

#include "analysis/analysisservice.h"
#include "tensorsession.h"

#include <QObject>
#include <QTimer>

#include <memory>
#include <optional>

namespace qs::ui {

class ErrorPlot;
class HistogramPlot;
class MappingPlot;
class QuantControls;
class StatsPanel;

struct AnalysisViews {
    HistogramPlot *histogram = nullptr;
    MappingPlot *mapping = nullptr;
    ErrorPlot *error = nullptr;
    StatsPanel *stats = nullptr;
    QuantControls *controls = nullptr;
};

// Keeps the views of the selected tensor in step with its spec. Loads and exact passes go to
// the AnalysisService (latest request wins); while a handle is dragged the views follow
// O(bins) histogram estimates and the exact pass is requested when the drag ends.
class AnalysisController : public QObject {
    Q_OBJECT
public:
    // What made the user's change, for naming it in the Edit menu.
    enum class ChangeKind { Controls, Threshold, Suggested };

    explicit AnalysisController(const AnalysisViews &views, QObject *parent = nullptr);

    // Forgets the previous checkpoint's session; checkpointName goes into exports.
    void setReader(std::shared_ptr<const qs::CheckpointReader> reader, const QString &checkpointName);
    std::shared_ptr<const qs::CheckpointReader> reader() const { return m_service.reader(); }
    qs::AnalysisService &service() { return m_service; }
    TensorSession &session() { return m_session; }

    void selectTensor(std::size_t index);
    std::optional<std::size_t> currentTensor() const { return m_current; }
    std::shared_ptr<const qs::TensorAnalysis> currentAnalysis() const { return m_tensor; }
    const qs::QuantSpec &currentSpec() const { return m_spec; }
    // Applies the session's spec of the current tensor again (after an import).
    void reloadCurrentSpec();
    // Sets a tensor's spec, as undo and redo do: shown at once when it is the current tensor.
    // Emits no specChangedByUser.
    void setTensorSpec(std::size_t index, const qs::QuantSpec &spec);
    void cancel();

Q_SIGNALS:
    void tensorShown(std::size_t index);
    // The exact figures for the current spec are on screen.
    void exactShown(std::size_t index);
    void tensorConfigured(std::size_t index);
    // The user changed a tensor's spec: a toolbar edit, a finished drag or nudge, the suggested
    // threshold. Not emitted while a handle is still being dragged.
    void specChangedByUser(std::size_t index, const qs::QuantSpec &before, const qs::QuantSpec &after,
                           qs::ui::AnalysisController::ChangeKind kind);
    void errorOccurred(const QString &message);

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
    QTimer m_clearTimer; // clears the plots only if a load takes long enough to notice
};

} // namespace qs::ui
