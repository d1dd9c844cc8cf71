#pragma once

#include "analysiscontroller.h"
#include "quant/quantspec.h"

#include <QObject>
#include <QString>

#include <cstddef>
#include <vector>

class QUndoStack;

namespace qs::ui {

// The Edit menu's undo history of the open checkpoint: every spec change the user makes to a
// tensor (toolbar edits, finished drags and nudges, the suggested threshold, an import) becomes
// one command that undo and redo replay through the controller. The stack's clean state marks
// the last export, so quitting can warn about changes not exported yet.
class SpecUndo : public QObject {
    Q_OBJECT
public:
    struct Change {
        std::size_t tensor = 0;
        qs::QuantSpec before;
        qs::QuantSpec after;
    };

    SpecUndo(AnalysisController *controller, QObject *parent = nullptr);

    QUndoStack *stack() const { return m_stack; }
    // Records changes already applied (e.g. an import) as one command named text.
    void record(std::vector<Change> changes, const QString &text);
    // Forgets the history (another checkpoint was opened).
    void clear();

    // "Bits 8 → 4", "Asymmetric", "Clip Threshold", …: what a change did, for the Edit menu.
    static QString describe(const qs::QuantSpec &before, const qs::QuantSpec &after,
                            AnalysisController::ChangeKind kind);

Q_SIGNALS:
    // An undo or redo changed a tensor other than the current one: show it, so the user sees
    // what changed.
    void revealTensor(std::size_t tensor);

private:
    class Command;

    AnalysisController *m_controller = nullptr;
    QUndoStack *m_stack = nullptr;
};

} // namespace qs::ui
