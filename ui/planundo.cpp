#include "planundo.h"

#include "analysiscontroller.h"

#include <QUndoCommand>
#include <QUndoStack>

namespace qs::ui {

// One plan edit, as whole plans before and after: plans are small (rules and overrides), and a
// whole copy replays any edit exactly. Pushed after the edit was applied, so the first redo
// (which QUndoStack::push runs) does nothing.
class PlanUndo::Command : public QUndoCommand {
public:
    Command(PlanUndo *owner, qs::QuantPlan before, qs::QuantPlan after, const QString &text,
            std::optional<std::size_t> tensor)
        : QUndoCommand(text)
        , m_owner(owner)
        , m_before(std::move(before))
        , m_after(std::move(after))
        , m_tensor(tensor) {}

    void undo() override { apply(m_before); }
    void redo() override {
        if (m_applied) {
            apply(m_after);
            return;
        }
        m_applied = true;
    }

private:
    void apply(const qs::QuantPlan &plan) {
        AnalysisController *controller = m_owner->m_controller;
        controller->setPlan(plan);
        // The tensor an edit was about is brought into view, so the user sees what changed.
        if (m_tensor && controller->currentTensor() != m_tensor)
            Q_EMIT m_owner->revealTensor(*m_tensor);
    }

    PlanUndo *m_owner;
    qs::QuantPlan m_before;
    qs::QuantPlan m_after;
    std::optional<std::size_t> m_tensor;
    bool m_applied = false;
};

PlanUndo::PlanUndo(AnalysisController *controller, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
    , m_stack(new QUndoStack(this)) {
    connect(controller, &AnalysisController::planEdited, this, &PlanUndo::record);
}

void PlanUndo::record(const qs::QuantPlan &before, const qs::QuantPlan &after, const QString &text,
                      std::optional<std::size_t> tensor) {
    m_stack->push(new Command(this, before, after, text, tensor));
}

void PlanUndo::clear() {
    m_stack->clear();
}

} // namespace qs::ui
