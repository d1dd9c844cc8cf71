#include "planpanel.h"

#include "displayformat.h"
#include "plan/planjson.h"
#include "plots/bitserrorchart.h"
#include "tensorsession.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace qs::ui {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

QString toQ(const std::string &text) {
    return QString::fromStdString(text);
}

QString schemeCellText(const qs::PlanScheme &scheme) {
    return toQ(qs::planSchemeToJson(scheme));
}

QToolButton *smallButton(const QString &text, const QString &tip, QWidget *parent) {
    auto *button = new QToolButton(parent);
    button->setText(text);
    button->setToolTip(tip);
    button->setAutoRaise(true);
    return button;
}

QTableWidget *makeTable(const QStringList &headers, QWidget *parent) {
    auto *table = new QTableWidget(0, int(headers.size()), parent);
    table->setHorizontalHeaderLabels(headers);
    table->verticalHeader()->hide();
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                           QAbstractItemView::AnyKeyPressed);
    table->horizontalHeader()->setStretchLastSection(false);
    table->setWordWrap(false);
    return table;
}

} // namespace

PlanPanel::PlanPanel(QWidget *parent)
    : QWidget(parent) {
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->setSpacing(4);
    m_default = new QLabel(this);
    m_default->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_default->setToolTip(tr("The default scheme: every tensor no rule, ignore pattern or override "
                             "decides takes it. The toolbar edits it."));
    m_default->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    layout->addWidget(m_default);
    layout->addWidget(createBudgetRow());
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(createRulesBox());
    splitter->addWidget(createIgnoreBox());
    splitter->addWidget(createOverridesBox());
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setStretchFactor(2, 2);
    layout->addWidget(splitter, 1);
    refresh();
}

QWidget *PlanPanel::createBudgetRow() {
    auto *row = new QWidget(this);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    m_size = new QLabel(row);
    m_size->setObjectName(QStringLiteral("planSize"));
    m_sizeMeaning = tr("The plan's size over every tensor of the checkpoint: quantized tensors at their "
                       "scheme's bits per weight (scales and zero points included), kept and skipped "
                       "ones at their stored size.");
    m_size->setToolTip(m_sizeMeaning);
    m_size->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    layout->addWidget(m_size, 1);
    layout->addWidget(new QLabel(tr("Budget"), row));
    m_budget = new QDoubleSpinBox(row);
    m_budget->setObjectName(QStringLiteral("planBudget"));
    m_budget->setDecimals(2);
    m_budget->setRange(0.01, 1e6);
    m_budget->setValue(4.5);
    m_budget->setToolTip(tr("The size the plan must fit: average bits per weight over all tensors, or GiB"));
    layout->addWidget(m_budget);
    m_budgetUnit = new QComboBox(row);
    m_budgetUnit->addItem(tr("bits/weight"));
    m_budgetUnit->addItem(tr("GiB"));
    layout->addWidget(m_budgetUnit);
    layout->addWidget(new QLabel(tr("Ladder"), row));
    m_ladder = new QLineEdit(QStringLiteral("q4_k, q5_k, q6_k, q8_0"), row);
    m_ladder->setObjectName(QStringLiteral("planLadder"));
    m_ladder->setToolTip(tr("Schemes to raise tensors through, cheapest first, separated by commas: "
                            "keep, a format (q4_k, q8_0, nf4, fp8, …) or int<bits> with -g<size>, "
                            "-channel, -tensor or -asym, e.g. int4-g128, int8-channel, keep"));
    m_ladder->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("q4_k, q5_k, q6_k, q8_0__")));
    layout->addWidget(m_ladder);
    m_fit = new QPushButton(tr("Fit to Budget"), row);
    m_fit->setToolTip(tr("Start every tensor the plan does not ignore on the ladder's first scheme, then "
                         "raise the tensor with the largest error reduction per added bit until the "
                         "budget is spent. The result becomes overrides (one undo step)."));
    layout->addWidget(m_fit);
    connect(m_fit, &QPushButton::clicked, this, &PlanPanel::fitRequested);
    connect(m_budget, &QDoubleSpinBox::valueChanged, this, [this] {
        updateSize();
        Q_EMIT budgetChanged();
    });
    connect(m_budgetUnit, &QComboBox::currentIndexChanged, this, [this] {
        updateSize();
        Q_EMIT budgetChanged();
    });
    return row;
}

QWidget *PlanPanel::createRulesBox() {
    auto *box = new QGroupBox(tr("Rules (first match wins)"), this);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(4, 4, 4, 4);
    m_rules = makeTable({tr("Pattern"), tr("Scheme"), tr("Matches")}, box);
    m_rules->setObjectName(QStringLiteral("planRules"));
    m_rules->horizontalHeader()->setSectionResizeMode(PatternColumn, QHeaderView::Stretch);
    m_rules->horizontalHeader()->setSectionResizeMode(SchemeColumn, QHeaderView::Stretch);
    m_rules->horizontalHeader()->setSectionResizeMode(MatchesColumn, QHeaderView::ResizeToContents);
    m_rules->horizontalHeaderItem(PatternColumn)
        ->setToolTip(tr("A glob (* matches any run of characters, dots included) or re:REGEX, matched "
                        "against the whole tensor name"));
    m_rules->horizontalHeaderItem(SchemeColumn)
        ->setToolTip(tr("The keys the rule sets, as in a plan file; the others come from the default"));
    m_rules->horizontalHeaderItem(MatchesColumn)
        ->setToolTip(tr("Tensors the pattern matches / of those, the ones the rule decides (no earlier "
                        "rule, ignore pattern or override does)"));
    layout->addWidget(m_rules, 1);
    connect(m_rules, &QTableWidget::itemChanged, this, &PlanPanel::onRuleEdited);
    auto *buttons = new QHBoxLayout;
    auto *add = smallButton(tr("Add"),
                            tr("Add a rule for the tensor on screen, in every layer, with its "
                               "scheme; edit its pattern and scheme in the table"),
                            box);
    auto *remove = smallButton(tr("Remove"), tr("Remove the selected rule"), box);
    auto *up = smallButton(tr("Up"), tr("Move the selected rule up: earlier rules win"), box);
    auto *down = smallButton(tr("Down"), tr("Move the selected rule down"), box);
    for (QToolButton *button : {add, remove, up, down})
        buttons->addWidget(button);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    connect(add, &QToolButton::clicked, this, &PlanPanel::addRuleFromCurrent);
    connect(remove, &QToolButton::clicked, this, &PlanPanel::removeRule);
    connect(up, &QToolButton::clicked, this, [this] { moveRule(-1); });
    connect(down, &QToolButton::clicked, this, [this] { moveRule(1); });
    return box;
}

QWidget *PlanPanel::createIgnoreBox() {
    auto *box = new QGroupBox(tr("Ignore (kept in stored type)"), this);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(4, 4, 4, 4);
    m_ignoreDefaults = new QCheckBox(tr("1-D, embeddings, output head"), box);
    m_ignoreDefaults->setToolTip(tr("Keep every tensor of rank 0 or 1 (norms, biases), embeddings (names "
                                    "containing embed, token_embd or wte) and the output head "
                                    "(lm_head.weight, output.weight)"));
    layout->addWidget(m_ignoreDefaults);
    m_ignore = new QListWidget(box);
    m_ignore->setObjectName(QStringLiteral("planIgnore"));
    m_ignore->setToolTip(tr("Your ignore patterns: globs or re:REGEX over whole names"));
    layout->addWidget(m_ignore, 1);
    auto *buttons = new QHBoxLayout;
    auto *add = smallButton(tr("Add…"), tr("Add an ignore pattern"), box);
    auto *remove = smallButton(tr("Remove"), tr("Remove the selected pattern"), box);
    buttons->addWidget(add);
    buttons->addWidget(remove);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    connect(m_ignoreDefaults, &QCheckBox::toggled, this, [this](bool on) {
        if (m_filling || !m_session)
            return;
        qs::QuantPlan plan = m_session->plan();
        plan.ignoreDefaults = on;
        request(plan, on ? tr("Ignore Defaults") : tr("Quantize Defaults"));
    });
    connect(add, &QToolButton::clicked, this, [this] {
        bool ok = false;
        const QString text = QInputDialog::getText(this, tr("Add Ignore Pattern"),
                                                   tr("Keep tensors whose whole name matches (glob or re:):"),
                                                   QLineEdit::Normal, QString(), &ok);
        if (ok && !text.trimmed().isEmpty())
            addIgnorePattern(text.trimmed());
    });
    connect(remove, &QToolButton::clicked, this, &PlanPanel::removeIgnore);
    return box;
}

QWidget *PlanPanel::createOverridesBox() {
    auto *box = new QGroupBox(tr("Overrides"), this);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(4, 4, 4, 4);
    m_overrides = makeTable({tr("Tensor"), tr("Scheme")}, box);
    m_overrides->setObjectName(QStringLiteral("planOverrides"));
    m_overrides->horizontalHeader()->setSectionResizeMode(TensorColumn, QHeaderView::Stretch);
    m_overrides->horizontalHeader()->setSectionResizeMode(OverrideSchemeColumn, QHeaderView::Stretch);
    m_overrides->setToolTip(tr("Per-tensor schemes that win over everything else; \"keep\" keeps the "
                               "stored type. Set them from the Model panel's context menu, or by a drag."));
    layout->addWidget(m_overrides, 1);
    connect(m_overrides, &QTableWidget::itemChanged, this, &PlanPanel::onOverrideEdited);
    connect(m_overrides, &QTableWidget::cellDoubleClicked, this, [this](int row, int column) {
        if (column != TensorColumn || !m_session)
            return;
        if (const auto index = m_session->indexOf(m_overrides->item(row, TensorColumn)->text().toStdString()))
            Q_EMIT tensorActivated(*index);
    });
    auto *buttons = new QHBoxLayout;
    auto *remove = smallButton(tr("Remove"), tr("Remove the selected overrides"), box);
    buttons->addWidget(remove);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    connect(remove, &QToolButton::clicked, this, &PlanPanel::removeOverrides);
    return box;
}

void PlanPanel::setSession(const TensorSession *session) {
    m_session = session;
    refresh();
}

void PlanPanel::setCurrent(std::optional<std::size_t> tensor, const qs::QuantSpec &spec) {
    m_currentTensor = tensor;
    m_currentSpec = spec;
}

void PlanPanel::refresh() {
    m_filling = true;
    const bool open = m_session && !m_session->tensors().empty();
    setEnabled(open);
    m_default->setText(open ? tr("Default: %1").arg(BitsErrorChart::schemeName(m_session->defaultSpec()))
                            : tr("Open a checkpoint to plan its schemes."));
    fillRules();
    fillIgnore();
    fillOverrides();
    updateSize();
    m_filling = false;
}

void PlanPanel::fillRules() {
    const int selected = currentRuleRow();
    m_rules->setRowCount(0);
    if (!m_session)
        return;
    const qs::QuantPlan &plan = m_session->plan();
    const std::vector<qs::RuleCount> counts = qs::ruleCounts(plan, m_session->tensors());
    m_rules->setRowCount(int(plan.rules.size()));
    for (std::size_t i = 0; i < plan.rules.size(); ++i) {
        const qs::PlanRule &rule = plan.rules[i];
        m_rules->setItem(int(i), PatternColumn, new QTableWidgetItem(toQ(rule.pattern.text())));
        auto *scheme = new QTableWidgetItem(schemeCellText(rule.scheme));
        if (const auto spec = qs::layerSpec(plan, rule.scheme))
            scheme->setToolTip(BitsErrorChart::schemeName(spec.value()));
        m_rules->setItem(int(i), SchemeColumn, scheme);
        auto *matches =
            new QTableWidgetItem(QStringLiteral("%1 / %2").arg(counts[i].matched).arg(counts[i].applied));
        matches->setFlags(matches->flags() & ~Qt::ItemIsEditable);
        matches->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        matches->setToolTip(tr("%1 matched; %2 first matched by this rule; %3 decided by it")
                                .arg(counts[i].matched)
                                .arg(counts[i].first)
                                .arg(counts[i].applied));
        m_rules->setItem(int(i), MatchesColumn, matches);
    }
    if (selected >= 0 && selected < m_rules->rowCount())
        m_rules->selectRow(selected);
}

void PlanPanel::fillIgnore() {
    m_ignore->clear();
    m_ignoreDefaults->setChecked(!m_session || m_session->plan().ignoreDefaults);
    if (!m_session)
        return;
    for (const qs::NamePattern &pattern : m_session->plan().ignore)
        m_ignore->addItem(toQ(pattern.text()));
}

void PlanPanel::fillOverrides() {
    m_overrides->setRowCount(0);
    if (!m_session)
        return;
    const qs::PlanOverrides &overrides = m_session->plan().overrides;
    m_overrides->setRowCount(int(overrides.size()));
    int row = 0;
    for (const auto &[name, override] : overrides) {
        auto *tensor = new QTableWidgetItem(toQ(name));
        tensor->setFlags(tensor->flags() & ~Qt::ItemIsEditable);
        tensor->setToolTip(toQ(name));
        m_overrides->setItem(row, TensorColumn, tensor);
        m_overrides->setItem(
            row, OverrideSchemeColumn,
            new QTableWidgetItem(override.keep ? QStringLiteral("keep") : schemeCellText(override.scheme)));
        ++row;
    }
}

double PlanPanel::budget() const {
    return m_budget->value();
}

PlanPanel::BudgetUnit PlanPanel::budgetUnit() const {
    return m_budgetUnit->currentIndex() == 1 ? BudgetUnit::GiB : BudgetUnit::BitsPerWeight;
}

QString PlanPanel::ladderText() const {
    return m_ladder->text();
}

void PlanPanel::setLadderText(const QString &text) {
    m_ladder->setText(text);
}

void PlanPanel::setBudget(double value, BudgetUnit unit) {
    m_budgetUnit->setCurrentIndex(unit == BudgetUnit::GiB ? 1 : 0);
    m_budget->setValue(value);
}

QString PlanPanel::sizeText(const qs::PlanSize &size, double budget, BudgetUnit unit) {
    const double gib = size.bytes / kGiB;
    QString text = tr("Plan %1 GiB · %2 bits/weight · %3 quantized, %4 kept")
                       .arg(gib, 0, 'f', gib < 10 ? 3 : 2)
                       .arg(size.bitsPerWeight, 0, 'f', 2)
                       .arg(size.quantized)
                       .arg(size.kept);
    if (size.skipped > 0)
        text += tr(", %1 skipped").arg(size.skipped);
    const double planned = unit == BudgetUnit::GiB ? gib : size.bitsPerWeight;
    const QString unitName = unit == BudgetUnit::GiB ? tr("GiB") : tr("bits/weight");
    if (planned > budget)
        text += tr(" · %1 %2 over budget").arg(planned - budget, 0, 'f', 2).arg(unitName);
    else
        text += tr(" · within budget");
    return text;
}

void PlanPanel::updateSize() {
    if (!m_session || m_session->tensors().empty()) {
        m_size->clear();
        return;
    }
    const qs::PlanSize size = qs::planSize(m_session->plan(), m_session->tensors());
    m_size->setText(sizeText(size, budget(), budgetUnit()));
    m_size->setToolTip(m_size->text() + QStringLiteral("\n\n") + m_sizeMeaning);
}

QString PlanPanel::rulePatternFor(const QString &tensorName) {
    static const QRegularExpression layerNumber(QStringLiteral("\\.\\d+\\."));
    QString pattern = tensorName;
    pattern.replace(layerNumber, QStringLiteral(".*."));
    return pattern;
}

int PlanPanel::currentRuleRow() const {
    const QModelIndexList rows =
        m_rules->selectionModel() ? m_rules->selectionModel()->selectedRows() : QModelIndexList{};
    return rows.isEmpty() ? -1 : rows.first().row();
}

void PlanPanel::request(qs::QuantPlan plan, const QString &text) {
    if (const qs::Status ok = qs::validatePlan(plan); !ok) {
        Q_EMIT statusMessage(toQ(ok.error()));
        refresh();
        return;
    }
    Q_EMIT planEditRequested(plan, text);
}

void PlanPanel::addRule(const qs::PlanRule &rule, int row) {
    if (!m_session)
        return;
    qs::QuantPlan plan = m_session->plan();
    const std::size_t at = row < 0 ? plan.rules.size() : std::min(std::size_t(row), plan.rules.size());
    qs::insertRule(plan, at, rule);
    request(plan, tr("Add Rule %1").arg(toQ(rule.pattern.text())));
}

void PlanPanel::addRuleFromCurrent() {
    if (!m_session)
        return;
    QString name = QStringLiteral("*.weight");
    if (m_currentTensor && *m_currentTensor < m_session->tensors().size())
        name = rulePatternFor(toQ(m_session->tensors()[*m_currentTensor].name));
    const auto pattern = qs::NamePattern::parse(name.toStdString());
    if (!pattern) {
        Q_EMIT statusMessage(toQ(pattern.error()));
        return;
    }
    qs::PlanScheme scheme = qs::planSchemeFromSpec(m_currentSpec);
    scheme.clip.reset(); // a clip belongs to one tensor
    addRule({pattern.value(), scheme}, currentRuleRow() < 0 ? -1 : currentRuleRow() + 1);
}

void PlanPanel::removeRule() {
    const int row = currentRuleRow();
    if (!m_session || row < 0)
        return;
    qs::QuantPlan plan = m_session->plan();
    const QString text = toQ(plan.rules[std::size_t(row)].pattern.text());
    qs::removeRule(plan, std::size_t(row));
    request(plan, tr("Remove Rule %1").arg(text));
}

void PlanPanel::moveRule(int delta) {
    const int row = currentRuleRow();
    if (!m_session || row < 0)
        return;
    qs::QuantPlan plan = m_session->plan();
    const int to = row + delta;
    if (to < 0 || to >= int(plan.rules.size()))
        return;
    qs::moveRule(plan, std::size_t(row), std::size_t(to));
    request(plan, tr("Move Rule %1").arg(toQ(plan.rules[std::size_t(to)].pattern.text())));
    m_rules->selectRow(to);
}

void PlanPanel::onRuleEdited(QTableWidgetItem *item) {
    if (m_filling || !m_session || item->row() >= int(m_session->plan().rules.size()))
        return;
    qs::QuantPlan plan = m_session->plan();
    qs::PlanRule &rule = plan.rules[std::size_t(item->row())];
    const std::string text = item->text().trimmed().toStdString();
    if (item->column() == PatternColumn) {
        const auto pattern = qs::NamePattern::parse(text);
        if (!pattern) {
            Q_EMIT statusMessage(tr("Pattern %1: %2").arg(item->text(), toQ(pattern.error())));
            refresh();
            return;
        }
        rule.pattern = pattern.value();
        request(plan, tr("Rule Pattern %1").arg(item->text()));
    } else if (item->column() == SchemeColumn) {
        const auto scheme = qs::planSchemeFromJson(text);
        if (!scheme) {
            Q_EMIT statusMessage(tr("Scheme %1: %2").arg(item->text(), toQ(scheme.error())));
            refresh();
            return;
        }
        rule.scheme = scheme.value();
        request(plan, tr("Rule Scheme %1").arg(toQ(rule.pattern.text())));
    }
}

void PlanPanel::addIgnorePattern(const QString &text) {
    if (!m_session)
        return;
    const auto pattern = qs::NamePattern::parse(text.toStdString());
    if (!pattern) {
        Q_EMIT statusMessage(tr("Pattern %1: %2").arg(text, toQ(pattern.error())));
        return;
    }
    qs::QuantPlan plan = m_session->plan();
    plan.ignore.push_back(pattern.value());
    request(plan, tr("Ignore %1").arg(text));
}

void PlanPanel::removeIgnore() {
    const int row = m_ignore->currentRow();
    if (!m_session || row < 0 || row >= int(m_session->plan().ignore.size()))
        return;
    qs::QuantPlan plan = m_session->plan();
    const QString text = toQ(plan.ignore[std::size_t(row)].text());
    plan.ignore.erase(plan.ignore.begin() + row);
    request(plan, tr("Stop Ignoring %1").arg(text));
}

void PlanPanel::onOverrideEdited(QTableWidgetItem *item) {
    if (m_filling || !m_session || item->column() != OverrideSchemeColumn)
        return;
    const std::string name = m_overrides->item(item->row(), TensorColumn)->text().toStdString();
    qs::QuantPlan plan = m_session->plan();
    const QString text = item->text().trimmed();
    if (text == QLatin1String("keep") || text == QLatin1String("\"keep\"")) {
        qs::setOverride(plan, name, qs::PlanOverride::keepStored());
    } else {
        const auto scheme = qs::planSchemeFromJson(text.toStdString());
        if (!scheme) {
            Q_EMIT statusMessage(tr("Scheme %1: %2").arg(text, toQ(scheme.error())));
            refresh();
            return;
        }
        qs::setOverride(plan, name, {false, scheme.value()});
    }
    request(plan, tr("Override %1").arg(toQ(name)));
}

void PlanPanel::removeOverrides() {
    if (!m_session)
        return;
    qs::QuantPlan plan = m_session->plan();
    int removed = 0;
    for (const QModelIndex &row : m_overrides->selectionModel()->selectedRows())
        removed += qs::clearOverride(plan, m_overrides->item(row.row(), TensorColumn)->text().toStdString());
    if (removed > 0)
        request(plan, removed == 1 ? tr("Clear Override") : tr("Clear %1 Overrides").arg(removed));
}

} // namespace qs::ui
