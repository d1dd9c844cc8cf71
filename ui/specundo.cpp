#include "specundo.h"

#include "analysiscontroller.h"
#include "schemepresets.h"

#include <QUndoCommand>
#include <QUndoStack>

namespace qs::ui {

// One user action on one or more tensors. Pushed after the change was applied, so the first
// redo (which QUndoStack::push runs) does nothing.
class SpecUndo::Command : public QUndoCommand {
public:
    Command(SpecUndo *owner, std::vector<Change> changes, const QString &text)
        : QUndoCommand(text)
        , m_owner(owner)
        , m_changes(std::move(changes)) {}

    void undo() override { apply(false); }
    void redo() override {
        if (m_applied) {
            apply(true);
            return;
        }
        m_applied = true;
    }

private:
    void apply(bool after) {
        AnalysisController *controller = m_owner->m_controller;
        for (const Change &change : m_changes)
            controller->setTensorSpec(change.tensor, after ? change.after : change.before);
        // A single tensor the user is not looking at is brought into view.
        if (m_changes.size() == 1 && controller->currentTensor() != m_changes.front().tensor)
            Q_EMIT m_owner->revealTensor(m_changes.front().tensor);
    }

    SpecUndo *m_owner;
    std::vector<Change> m_changes;
    bool m_applied = false;
};

SpecUndo::SpecUndo(AnalysisController *controller, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
    , m_stack(new QUndoStack(this)) {
    connect(controller, &AnalysisController::specChangedByUser, this,
            [this](std::size_t tensor, const qs::QuantSpec &before, const qs::QuantSpec &after,
                   AnalysisController::ChangeKind kind) {
                record({{tensor, before, after}}, describe(before, after, kind));
            });
}

void SpecUndo::record(std::vector<Change> changes, const QString &text) {
    if (!changes.empty())
        m_stack->push(new Command(this, std::move(changes), text));
}

void SpecUndo::clear() {
    m_stack->clear();
}

QString SpecUndo::describe(const qs::QuantSpec &before, const qs::QuantSpec &after,
                           AnalysisController::ChangeKind kind) {
    if (kind == AnalysisController::ChangeKind::Threshold)
        return tr("Clip Threshold");
    if (kind == AnalysisController::ChangeKind::Suggested)
        return tr("Suggested Threshold");
    if (kind == AnalysisController::ChangeKind::Ratio)
        return tr("Clip Ratio %1").arg(after.clipRatio, 0, 'g', 3);
    if (kind == AnalysisController::ChangeKind::Preset) {
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
    return tr("Change Scheme");
}

} // namespace qs::ui
