#pragma once

#include "plan/quantplan.h"
#include "quant/quantspec.h"

#include <QWidget>

#include <cstddef>
#include <optional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QTableWidget;
class QTableWidgetItem;

namespace qs::ui {

class TensorSession;

// The Plan panel: the open checkpoint's plan as the user edits it. The default scheme (which
// the toolbar edits), the ordered rules with how many tensors each matches, the ignore list, the
// overrides, and the plan's size beside a budget. Every edit is a whole new plan handed to
// planEditRequested, which the window applies as one undoable step; the panel itself never
// changes the plan, it shows the session's after each change (refresh).
class PlanPanel : public QWidget {
    Q_OBJECT
public:
    enum RuleColumn { PatternColumn, SchemeColumn, MatchesColumn, RuleColumnCount };
    enum OverrideColumn { TensorColumn, OverrideSchemeColumn, OverrideColumnCount };
    enum class BudgetUnit { BitsPerWeight, GiB };

    explicit PlanPanel(QWidget *parent = nullptr);

    // The session whose plan is shown (the controller's; outlives the panel's use of it).
    void setSession(const TensorSession *session);
    // Shows the session's plan again: after any plan change, undo and redo included.
    void refresh();
    // The tensor on screen and the spec it shows: Add Rule starts from them.
    void setCurrent(std::optional<std::size_t> tensor, const qs::QuantSpec &spec);

    // A rule before the others' position `row` (appended when row is past the end).
    void addRule(const qs::PlanRule &rule, int row = -1);
    void addIgnorePattern(const QString &text);

    double budget() const;
    BudgetUnit budgetUnit() const;
    QString ladderText() const;
    void setLadderText(const QString &text);
    void setBudget(double value, BudgetUnit unit);

    QLabel *defaultLabel() const { return m_default; }
    QLabel *sizeLabel() const { return m_size; }
    QTableWidget *rulesTable() const { return m_rules; }
    QListWidget *ignoreList() const { return m_ignore; }
    QCheckBox *ignoreDefaultsBox() const { return m_ignoreDefaults; }
    QTableWidget *overridesTable() const { return m_overrides; }
    QDoubleSpinBox *budgetSpin() const { return m_budget; }
    QLineEdit *ladderEdit() const { return m_ladder; }
    QPushButton *fitButton() const { return m_fit; }

    // "Plan 1.23 GiB · 4.56 bits/weight · 120 quantized, 40 kept · 0.06 bits/weight over budget".
    static QString sizeText(const qs::PlanSize &size, double budget, BudgetUnit unit);
    // The pattern Add Rule offers for a tensor: its name with layer numbers as `*`, so the rule
    // covers the same tensor in every layer ("model.layers.*.mlp.down_proj.weight").
    static QString rulePatternFor(const QString &tensorName);

Q_SIGNALS:
    void planEditRequested(const qs::QuantPlan &plan, const QString &text);
    // A refused edit (a bad pattern or scheme), for the status bar.
    void statusMessage(const QString &message);
    // Fit to Budget was pressed; the window measures the ladder and fits.
    void fitRequested();
    void budgetChanged();
    // Double-clicking an override opens its tensor.
    void tensorActivated(std::size_t index);

private:
    QWidget *createRulesBox();
    QWidget *createIgnoreBox();
    QWidget *createOverridesBox();
    QWidget *createBudgetRow();
    void fillRules();
    void fillIgnore();
    void fillOverrides();
    void updateSize();
    void onRuleEdited(QTableWidgetItem *item);
    void onOverrideEdited(QTableWidgetItem *item);
    void addRuleFromCurrent();
    void removeRule();
    void moveRule(int delta);
    void removeIgnore();
    void removeOverrides();
    int currentRuleRow() const;
    void request(qs::QuantPlan plan, const QString &text);

    const TensorSession *m_session = nullptr;
    std::optional<std::size_t> m_currentTensor;
    qs::QuantSpec m_currentSpec;
    bool m_filling = false; // the tables are being filled, not edited
    QLabel *m_default = nullptr;
    QLabel *m_size = nullptr;
    QString m_sizeMeaning; // the size label's tooltip
    QTableWidget *m_rules = nullptr;
    QListWidget *m_ignore = nullptr;
    QCheckBox *m_ignoreDefaults = nullptr;
    QTableWidget *m_overrides = nullptr;
    QDoubleSpinBox *m_budget = nullptr;
    QComboBox *m_budgetUnit = nullptr;
    QLineEdit *m_ladder = nullptr;
    QPushButton *m_fit = nullptr;
};

} // namespace qs::ui
