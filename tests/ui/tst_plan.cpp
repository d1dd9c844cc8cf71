// The window's plan: selecting a tensor never changes its settings, the toolbar edits the
// default unless the tensor has an override, the Figures panel says which layer applies, the Plan
// panel's rules show their match counts, overrides come from the Model panel's rows, every edit
// undoes, plan and session files round-trip, and reopening a checkpoint keeps its plan.

#include "analysiscontroller.h"
#include "mainwindow.h"
#include "modelpanel.h"
#include "modelsweep.h"
#include "modeltablemodel.h"
#include "plan/planjson.h"
#include "planfixtures.h"
#include "planpanel.h"
#include "planundo.h"
#include "quantcontrols.h"
#include "sessionfile.h"
#include "statspanel.h"
#include "tensorbrowser.h"
#include "windowfixture.h"
#include "windowsteps.h"

#include <QAction>
#include <QCheckBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using qs::ui::MainWindow;
using qs::ui::PlanPanel;
using qs::ui::StatsPanel;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr const char *kDown = "model.layers.0.mlp.down_proj.weight";
constexpr const char *kQ = "model.layers.0.self_attn.q_proj.weight";
constexpr const char *kDown1 = "model.layers.1.mlp.down_proj.weight";

qs::QuantSpec intBits(int bits) {
    qs::QuantSpec spec;
    spec.bits = bits;
    return spec;
}

} // namespace

class TestPlan : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void selectingNeverChangesSettings();
    void toolbarEditsDefaultUnlessOverride();
    void figuresSayWhichApplies();
    void ruleShowsMatchCountsAndUndoes();
    void badRuleRefused();
    void overridesFromModelRows();
    void planFileRoundTrip();
    void sessionRoundTrip();
    void reopeningKeepsPlan();
    void planEditSweepsOnlyChangedTensors();
    void sweepSortRuleFitUndo();
    void sizeLineAgainstBudget();
    void panelReadableAtWindowSizes_data();
    void panelReadableAtWindowSizes();

private:
    bool select(const char *name);
    std::size_t indexOf(const char *name) { return qs::test::tensorIndexOf(*m_window, name); }
    const qs::ui::TensorSession &session() const { return m_window->controller()->session(); }
    QString planSource() const { return m_window->statsPanel()->text(StatsPanel::Figure::PlanSource); }
    bool sweep();

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
};

void TestPlan::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestPlan::init() {
    QSettings().clear(); // no plan remembered from an earlier case
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler(
        [](QMessageBox::Icon, const QString &, const QString &text) { QWARN(qPrintable(text)); });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QVERIFY(m_window->openFile(m_demo));
}

void TestPlan::cleanup() {
    m_window.reset();
}

// Selects a tensor of the open demo (without opening it again) and waits for its figures.
bool TestPlan::select(const char *name) {
    const std::size_t index = indexOf(name);
    if (m_window->controller()->currentTensor() == index)
        return true;
    QSignalSpy shown(m_window->controller(), &qs::ui::AnalysisController::exactShown);
    m_window->browser()->selectTensor(index);
    return QTest::qWaitFor(
        [&] { return !shown.isEmpty() && shown.last().at(0).value<std::size_t>() == index; }, kTimeoutMs);
}

bool TestPlan::sweep() {
    QSignalSpy finished(m_window->modelSweep(), &qs::ui::ModelSweep::finished);
    m_window->sweepModel();
    return QTest::qWaitFor([&] { return !finished.isEmpty(); }, kTimeoutMs) && finished.last().at(0).toBool();
}

// Before, a newly selected tensor took the previous one's bits; now each shows what the plan
// says and selecting changes no plan.
void TestPlan::selectingNeverChangesSettings() {
    QVERIFY(select(kDown));
    m_window->controller()->commitPlan(session().planWithOverride(indexOf(kDown), intBits(4)),
                                       QStringLiteral("test"));
    QCOMPARE(m_window->controller()->currentSpec().bits, 4);
    const qs::QuantPlan before = session().plan();
    QVERIFY(select(kQ));
    QCOMPARE(m_window->controller()->currentSpec(), session().defaultSpec());
    QCOMPARE(m_window->controls()->bitsBox()->value(), session().defaultSpec().bits);
    QVERIFY(select(kDown));
    QCOMPARE(m_window->controller()->currentSpec().bits, 4);
    QCOMPARE(session().plan(), before);
    QCOMPARE(m_window->undo()->stack()->count(), 1); // selections are no edits
}

void TestPlan::toolbarEditsDefaultUnlessOverride() {
    QVERIFY(select(kQ));
    const int bits = session().defaultSpec().bits == 6 ? 5 : 6;
    m_window->controls()->bitsBox()->setValue(bits);
    QTRY_COMPARE(session().defaultSpec().bits, bits);
    QVERIFY(session().plan().overrides.empty());
    QVERIFY(select(kDown)); // another tensor follows the default
    QCOMPARE(m_window->controller()->currentSpec().bits, bits);

    // With an override the toolbar edits the override; the default stays.
    m_window->controller()->commitPlan(session().planWithOverride(indexOf(kDown), intBits(4)),
                                       QStringLiteral("test"));
    m_window->controls()->bitsBox()->setValue(3);
    QTRY_COMPARE(session().spec(indexOf(kDown)).bits, 3);
    QCOMPARE(session().defaultSpec().bits, bits);
    // Undo takes the last edit back, and the controls follow.
    m_window->undo()->stack()->undo();
    QCOMPARE(session().spec(indexOf(kDown)).bits, 4);
    QCOMPARE(m_window->controls()->bitsBox()->value(), 4);
}

void TestPlan::figuresSayWhichApplies() {
    QVERIFY(select(kDown));
    QCOMPARE(planSource(), QStringLiteral("default"));
    qs::QuantPlan plan = session().plan();
    plan.rules.push_back({qs::NamePattern::parse("*.mlp.*").value(), qs::test::bitsOnly(8)});
    m_window->controller()->commitPlan(plan, QStringLiteral("rule"));
    QCOMPARE(planSource(), QStringLiteral("rule 1: *.mlp.*"));
    m_window->controller()->commitPlan(session().planWithOverride(indexOf(kDown), intBits(5)),
                                       QStringLiteral("o"));
    QCOMPARE(planSource(), QStringLiteral("override"));
    // A norm is kept by the default ignore list, and the panel says so.
    QVERIFY(select("model.norm.weight"));
    QVERIFY2(planSource().startsWith(QStringLiteral("ignored: ")), qPrintable(planSource()));
    QVERIFY(planSource().contains(QStringLiteral("kept")));
}

void TestPlan::ruleShowsMatchCountsAndUndoes() {
    QVERIFY(select(kDown));
    PlanPanel *panel = m_window->planPanel();
    QSignalSpy changed(m_window->controller(), &qs::ui::AnalysisController::planChanged);
    panel->addRule(
        {qs::NamePattern::parse(PlanPanel::rulePatternFor(QString::fromLatin1(kDown)).toStdString()).value(),
         qs::test::bitsOnly(8)});
    QCOMPARE(changed.count(), 1);
    QCOMPARE(session().plan().rules.size(), 1u);
    QCOMPARE(session().plan().rules[0].pattern.text(), std::string("model.layers.*.mlp.down_proj.weight"));
    QTableWidget *rules = panel->rulesTable();
    QCOMPARE(rules->rowCount(), 1);
    int layers = 0;
    for (const qs::TensorInfo &info : session().tensors())
        layers += QString::fromStdString(info.name).endsWith(QStringLiteral(".mlp.down_proj.weight")) ? 1 : 0;
    QVERIFY(layers > 1);
    QCOMPARE(rules->item(0, PlanPanel::MatchesColumn)->text(), QStringLiteral("%1 / %1").arg(layers));
    QCOMPARE(session().spec(indexOf(kDown1)).bits, 8);
    m_window->undo()->stack()->undo();
    QCOMPARE(rules->rowCount(), 0);
    QVERIFY(session().plan().rules.empty());
    m_window->undo()->stack()->redo();
    QCOMPARE(rules->rowCount(), 1);
}

void TestPlan::badRuleRefused() {
    PlanPanel *panel = m_window->planPanel();
    panel->addRule({qs::NamePattern::parse("*").value(), qs::test::bitsOnly(8)});
    QTableWidget *rules = panel->rulesTable();
    QSignalSpy messages(panel, &PlanPanel::statusMessage);
    rules->item(0, PlanPanel::SchemeColumn)->setText(QStringLiteral("{\"bitz\": 3}"));
    QCOMPARE(messages.count(), 1);
    QVERIFY2(messages.first().at(0).toString().contains(QStringLiteral("bitz")),
             qPrintable(messages.first().at(0).toString()));
    QCOMPARE(session().plan().rules[0].scheme.bits, std::optional<int>(8)); // unchanged
    QCOMPARE(rules->item(0, PlanPanel::SchemeColumn)->text(), QStringLiteral("{\"bits\":8}"));
    rules->item(0, PlanPanel::PatternColumn)->setText(QStringLiteral("re:("));
    QCOMPARE(messages.count(), 2);
    QCOMPARE(session().plan().rules[0].pattern.text(), std::string("*"));
    // A good edit goes through.
    rules->item(0, PlanPanel::SchemeColumn)->setText(QStringLiteral("{\"format\": \"q8_0\"}"));
    QCOMPARE(session().plan().rules[0].scheme.format, std::optional(qs::NumberFormat::Q8_0));
}

void TestPlan::overridesFromModelRows() {
    QVERIFY(select(kQ));
    m_window->controls()->bitsBox()->setValue(4); // the scheme on screen: int4 via the default
    QTRY_COMPARE(m_window->controller()->currentSpec().bits, 4);
    QTableView *view = m_window->modelPanel()->view();
    auto *proxy = m_window->modelPanel()->proxy();
    view->selectionModel()->clearSelection();
    for (const char *name : {kDown, kDown1}) {
        const QModelIndex row =
            proxy->mapFromSource(m_window->modelPanel()->model()->index(int(indexOf(name)), 0));
        view->selectionModel()->select(row, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
    const QList<QAction *> actions = view->actions();
    QCOMPARE(actions.size(), 5); // the three override actions, a separator, Export Table as CSV
    actions[1]->trigger();       // Keep in Stored Type
    QVERIFY(session().resolution(indexOf(kDown)).kept());
    QVERIFY(session().resolution(indexOf(kDown1)).kept());
    QCOMPARE(m_window->planPanel()->overridesTable()->rowCount(), 2);
    QCOMPARE(m_window->planPanel()->overridesTable()->item(0, PlanPanel::OverrideSchemeColumn)->text(),
             QStringLiteral("keep"));
    QVERIFY(m_window->browser()->isVisible());
    actions[0]->trigger(); // Override with the scheme on screen
    QCOMPARE(session().spec(indexOf(kDown)).bits, 4);
    QVERIFY(session().hasOverride(indexOf(kDown)));
    actions[2]->trigger(); // Clear Override
    QVERIFY(!session().hasOverride(indexOf(kDown)));
    QCOMPARE(m_window->undo()->stack()->count(), 4); // the bits edit, then one step per action
    m_window->undo()->stack()->undo();
    QVERIFY(session().hasOverride(indexOf(kDown1)));
}

void TestPlan::planFileRoundTrip() {
    qs::QuantPlan plan = session().plan();
    plan.rules.push_back({qs::NamePattern::parse("re:.*\\.v_proj\\.weight").value(),
                          qs::test::formatOnly(qs::NumberFormat::Q8_0)});
    plan.ignore.push_back(qs::NamePattern::parse("*.k_proj.weight").value());
    qs::setOverride(plan, kDown, qs::PlanOverride::keepStored());
    m_window->controller()->commitPlan(plan, QStringLiteral("edit"));
    const QString path = m_dir.filePath(QStringLiteral("round.plan.json"));
    QVERIFY(m_window->savePlanTo(path));
    QCOMPARE(qs::loadPlan(path.toStdString()).value(), plan);
    m_window->controller()->commitPlan(qs::QuantPlan{}, QStringLiteral("reset"));
    QVERIFY(m_window->openPlanFrom(path));
    QCOMPARE(session().plan(), plan);
    m_window->undo()->stack()->undo(); // opening a plan is one step
    QCOMPARE(session().plan(), qs::QuantPlan{});
    // Never over the checkpoint itself.
    QVERIFY(!m_window->savePlanTo(m_demo));
    QVERIFY(qs::openCheckpoint(m_demo.toStdString()));
}

void TestPlan::sessionRoundTrip() {
    QVERIFY(select(kDown1));
    qs::QuantPlan plan = session().plan();
    plan.rules.push_back({qs::NamePattern::parse("*.mlp.*").value(), qs::test::bitsOnly(6)});
    m_window->controller()->commitPlan(plan, QStringLiteral("edit"));
    m_window->modelDock()->hide();
    const QString path = m_dir.filePath(QStringLiteral("round.qsession"));
    QVERIFY(m_window->saveSessionTo(path));
    const auto saved = qs::ui::loadSession(path);
    QVERIFY2(saved, saved ? "" : saved.error().c_str());
    QCOMPARE(saved->checkpoint, QFileInfo(m_demo).absoluteFilePath());
    QCOMPARE(saved->selectedTensor, QString::fromLatin1(kDown1));
    QCOMPARE(saved->plan, plan);

    m_window = std::make_unique<MainWindow>();
    QString message;
    m_window->setMessageHandler(
        [&](QMessageBox::Icon, const QString &, const QString &text) { message = text; });
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QSignalSpy shown(m_window->controller(), &qs::ui::AnalysisController::exactShown);
    QVERIFY(m_window->openSessionFrom(path));
    QCOMPARE(m_window->currentFile(), QFileInfo(m_demo).absoluteFilePath());
    QCOMPARE(session().plan(), plan);
    QCOMPARE(m_window->controller()->currentTensor(), std::optional<std::size_t>(indexOf(kDown1)));
    QCOMPARE(m_window->controller()->currentSpec().bits, 6);
    QCOMPARE(m_window->undo()->stack()->count(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);

    // A broken session names the file and leaves the window as it was.
    const QString broken = m_dir.filePath(QStringLiteral("broken.qsession"));
    QFile file(broken);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\"format\": \"quantscope-session\", \"version\": 1, \"checkpoint\": \"x\", \"plan\": 3}");
    file.close();
    QVERIFY(message.isEmpty());
    QVERIFY(!m_window->openSessionFrom(broken));
    QVERIFY2(message.contains(broken) && message.contains(QStringLiteral("plan")), qPrintable(message));
    QCOMPARE(session().plan(), plan);
}

void TestPlan::reopeningKeepsPlan() {
    m_window->controller()->commitPlan(session().planWithOverride(indexOf(kDown), intBits(3)),
                                       QStringLiteral("o"));
    const qs::QuantPlan plan = session().plan();
    QVERIFY(m_window->openFile(qs::test::storageFixture(m_dir)));
    QVERIFY(session().plan().overrides.empty()); // another checkpoint: its own plan
    QVERIFY(m_window->openFile(m_demo));
    QCOMPARE(session().plan(), plan);
}

// The table follows plan edits; the cache spares every tensor the edit did not change.
void TestPlan::planEditSweepsOnlyChangedTensors() {
    QVERIFY(sweep());
    const int measured = m_window->modelSweep()->measuredCount();
    QVERIFY(measured > 2);
    QSignalSpy finished(m_window->modelSweep(), &qs::ui::ModelSweep::finished);
    m_window->controller()->commitPlan(session().planWithOverride(indexOf(kDown), intBits(3)),
                                       QStringLiteral("o"));
    QVERIFY(QTest::qWaitFor([&] { return !finished.isEmpty(); }, kTimeoutMs));
    QCOMPARE(m_window->modelSweep()->measuredCount(), measured + 1);
    const auto *model = m_window->modelPanel()->model();
    const qs::TensorSummary *summary = model->summary(int(indexOf(kDown)));
    QVERIFY(summary && summary->spec);
    QCOMPARE(summary->spec->bits, 3);
}

// The walk-through: sweep the demo, sort by SQNR, add a rule, fit a budget, undo it.
void TestPlan::sweepSortRuleFitUndo() {
    QVERIFY(sweep());
    QTableView *view = m_window->modelPanel()->view();
    view->sortByColumn(qs::ui::ModelTableModel::Sqnr, Qt::AscendingOrder);
    const double lowest =
        view->model()->index(0, qs::ui::ModelTableModel::Sqnr).data(Qt::UserRole).toDouble();
    const double next = view->model()->index(1, qs::ui::ModelTableModel::Sqnr).data(Qt::UserRole).toDouble();
    QVERIFY(lowest <= next);
    PlanPanel *panel = m_window->planPanel();
    panel->addRule({qs::NamePattern::parse("*.mlp.*").value(), qs::test::bitsOnly(8)});
    const qs::QuantPlan withRule = session().plan();

    // A budget every rung fits: every fitted tensor climbs to the last rung (keep), as overrides.
    panel->setLadderText(QStringLiteral("int4-channel, int8-channel, keep"));
    panel->setBudget(64.0, PlanPanel::BudgetUnit::BitsPerWeight);
    QSignalSpy changed(m_window->controller(), &qs::ui::AnalysisController::planChanged);
    QTest::mouseClick(panel->fitButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty(), kTimeoutMs);
    QVERIFY(session().planned().empty()); // all kept now
    std::size_t fitted = 0;
    for (std::size_t i = 0; i < session().tensors().size(); ++i)
        if (session().resolution(i).layer != qs::PlanLayer::Ignore) {
            QVERIFY(session().plan().overrides.at(session().tensors()[i].name).keep);
            ++fitted;
        }
    QVERIFY(fitted > 2);
    QCOMPARE(m_window->undo()->stack()->undoText(), QStringLiteral("Fit to Budget"));
    m_window->undo()->stack()->undo();
    QCOMPARE(session().plan(), withRule);

    // A budget below the first rungs: a warning, and every tensor on int4 per channel.
    QString warning;
    m_window->setMessageHandler(
        [&](QMessageBox::Icon, const QString &, const QString &text) { warning = text; });
    panel->setBudget(0.5, PlanPanel::BudgetUnit::BitsPerWeight);
    changed.clear();
    QTest::mouseClick(panel->fitButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty(), kTimeoutMs);
    QVERIFY2(warning.contains(QStringLiteral("exceed the budget")), qPrintable(warning));
    const qs::QuantSpec down = session().spec(indexOf(kDown));
    QCOMPARE(down.bits, 4);
    QCOMPARE(down.granularity.kind, qs::Granularity::Kind::Channel);
}

// Hand figures: 1000 parameters in 1000 bytes are 8 bits per weight; a budget of 4.5 is 3.5 short,
// one of 10 is met; 1 GiB against a budget of 2 GiB is within it.
void TestPlan::sizeLineAgainstBudget() {
    qs::PlanSize size;
    size.params = 1000;
    size.bytes = 1000.0;
    size.bitsPerWeight = 8.0;
    size.quantized = 2;
    size.kept = 1;
    QCOMPARE(PlanPanel::sizeText(size, 4.5, PlanPanel::BudgetUnit::BitsPerWeight),
             QStringLiteral(
                 "Plan 0.000 GiB · 8.00 bits/weight · 2 quantized, 1 kept · 3.50 bits/weight over budget"));
    QCOMPARE(PlanPanel::sizeText(size, 10.0, PlanPanel::BudgetUnit::BitsPerWeight),
             QStringLiteral("Plan 0.000 GiB · 8.00 bits/weight · 2 quantized, 1 kept · within budget"));
    size.bytes = 1024.0 * 1024.0 * 1024.0;
    size.skipped = 3;
    QVERIFY(PlanPanel::sizeText(size, 2.0, PlanPanel::BudgetUnit::GiB)
                .endsWith(QStringLiteral(
                    "1.000 GiB · 8.00 bits/weight · 2 quantized, 1 kept, 3 skipped · within budget")));
    // The panel shows the session's plan the same way.
    QVERIFY2(m_window->planPanel()->sizeLabel()->text().startsWith(QStringLiteral("Plan ")),
             qPrintable(m_window->planPanel()->sizeLabel()->text()));
}

void TestPlan::panelReadableAtWindowSizes_data() {
    QTest::addColumn<QSize>("size");
    QTest::addRow("1024x700") << QSize(1024, 700);
    QTest::addRow("1920x1080") << QSize(1920, 1080);
}

// The Plan panel's widgets keep apart and its buttons show their whole text.
void TestPlan::panelReadableAtWindowSizes() {
    QFETCH(QSize, size);
    m_window->resize(size);
    m_window->planDock()->show();
    m_window->planDock()->raise();
    QTRY_VERIFY(m_window->planPanel()->isVisible());
    QCoreApplication::processEvents();
    PlanPanel *panel = m_window->planPanel();
    QVERIFY(panel->rulesTable()->height() > 3 * panel->rulesTable()->verticalHeader()->defaultSectionSize());
    const QList<QWidget *> row = {panel->budgetSpin(), panel->ladderEdit(), panel->fitButton()};
    for (QWidget *widget : row) {
        QVERIFY(widget->isVisible());
        QVERIFY(widget->width() >= widget->minimumSizeHint().width());
    }
    QVERIFY(!panel->budgetSpin()->geometry().intersects(panel->ladderEdit()->geometry()));
    QVERIFY(!panel->ladderEdit()->geometry().intersects(panel->fitButton()->geometry()));
    QVERIFY(panel->fitButton()->width() >= panel->fitButton()->sizeHint().width());
    QVERIFY(!panel->sizeLabel()->text().isEmpty());
}

QTEST_MAIN(TestPlan)
#include "tst_plan.moc"
