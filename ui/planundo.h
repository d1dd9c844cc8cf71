#pragma once

#include "plan/quantplan.h"

#include <QObject>
#include <QString>

#include <cstddef>
#include <optional>

class QUndoStack;

namespace qs::ui {

class AnalysisController;

// The Edit menu's undo history of the open checkpoint's plan: every plan edit the user makes
// (toolbar edits of the default or an override, finished drags and nudges, the suggested
// threshold, rules, ignore patterns, overrides, an import, a budget fit) becomes one command
// that undo and redo replay through the controller. The stack's clean state marks the last
// export, so quitting can warn about changes not exported yet.
class PlanUndo : public QObject {
    Q_OBJECT
public:
    PlanUndo(AnalysisController *controller, QObject *parent = nullptr);

    QUndoStack *stack() const { return m_stack; }
    // Forgets the history (another checkpoint was opened).
    void clear();

Q_SIGNALS:
    // An undo or redo changed a tensor other than the current one: show it, so the user sees
    // what changed.
    void revealTensor(std::size_t tensor);

private:
    class Command;
    void record(const qs::QuantPlan &before, const qs::QuantPlan &after, const QString &text,
                std::optional<std::size_t> tensor);

    AnalysisController *m_controller = nullptr;
    QUndoStack *m_stack = nullptr;
};

} // namespace qs::ui
