// The main window's plan: the Plan panel, plan files, overrides from the Model panel's table,
// and a fresh sweep when the plan changes.
#include "mainwindow.h"

#include "analysiscontroller.h"
#include "busyindicator.h"
#include "displayformat.h"
#include "modelpanel.h"
#include "modelsweep.h"
#include "plan/budgetfit.h"
#include "plan/planjson.h"
#include "planpanel.h"
#include "plots/bitserrorchart.h"
#include "tensorbrowser.h"

#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QItemSelectionModel>
#include <QMenu>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QtConcurrent>

namespace qs::ui {

namespace {

// A plan edit sweeps again only after the user paused: undoing five steps costs one sweep.
constexpr int kResweepDelayMs = 400;

} // namespace

// Tabbed with the Scheme and Model panels at the bottom, closed at first.
void MainWindow::setupPlanDock() {
    m_planPanel = new PlanPanel(this);
    m_planPanel->setSession(&m_controller->session());
    m_planDock = new QDockWidget(tr("Plan"), this);
    m_planDock->setObjectName(QStringLiteral("planDock"));
    m_planDock->setWidget(m_planPanel);
    addDockWidget(Qt::BottomDockWidgetArea, m_planDock);
    tabifyDockWidget(m_modelDock, m_planDock);
    m_planDock->hide();
    // Not the dock's own toggle: showing finds the panel room, as for the Model panel.
    m_planPanelAction = createToggle(tr("&Plan Panel"), false);
    connect(m_planPanelAction, &QAction::triggered, this, [this](bool on) {
        on ? showBottomDock(m_planDock, m_planPanel->minimumSizeHint().height()) : m_planDock->hide();
    });
    connect(m_planDock->toggleViewAction(), &QAction::toggled, m_planPanelAction, &QAction::setChecked);
    m_planPanelAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    m_planPanelAction->setToolTip(tr("The plan: default scheme, rules, ignore list, overrides and budget"));

    connect(m_planPanel, &PlanPanel::planEditRequested, this,
            [this](const qs::QuantPlan &plan, const QString &text) { m_controller->commitPlan(plan, text); });
    connect(m_planPanel, &PlanPanel::statusMessage, this,
            [this](const QString &message) { statusBar()->showMessage(message, kStatusMessageMs * 2); });
    connect(m_planPanel, &PlanPanel::tensorActivated, m_browser, &TensorBrowser::selectTensor);
    connect(m_controller, &AnalysisController::planChanged, m_planPanel, &PlanPanel::refresh);
    connect(m_controller, &AnalysisController::tensorConfigured, m_planPanel,
            [this] { m_planPanel->setCurrent(m_controller->currentTensor(), m_controller->currentSpec()); });
    connect(this, &MainWindow::fileOpened, m_planPanel, &PlanPanel::refresh);

    m_resweepTimer = new QTimer(this);
    m_resweepTimer->setSingleShot(true);
    m_resweepTimer->setInterval(kResweepDelayMs);
    connect(m_resweepTimer, &QTimer::timeout, this, [this] {
        const qs::QuantPlan &plan = m_controller->session().plan();
        const bool swept = m_modelPanel->model()->summaryCount() > 0 || m_modelSweep->isRunning();
        if (swept && m_modelSweep->plan() != plan)
            m_modelSweep->start(plan); // the cache spares unchanged tensors
    });
    connect(m_controller, &AnalysisController::planChanged, m_resweepTimer, qOverload<>(&QTimer::start));
    setupModelContextMenu();
    createPlanFileActions();
    createSessionActions();
    setupBudgetFit();
}

// Fit to Budget measures every rung of the ladder for every tensor the plan does not ignore, in
// the background (progress and cancel in the status bar), then fits and applies the result as
// overrides in one undo step.
void MainWindow::setupBudgetFit() {
    m_fitBusy = new BusyIndicator(this);
    m_fitBusy->setObjectName(QStringLiteral("fitBusy"));
    m_fitBusy->setCancelToolTip(tr("Stop measuring the ladder; the plan stays as it is"));
    statusBar()->addPermanentWidget(m_fitBusy);
    m_fitWatcher = new QFutureWatcher<FitOutcome>(this);
    connect(m_fitBusy, &BusyIndicator::cancelRequested, m_fitWatcher, &QFutureWatcher<FitOutcome>::cancel);
    connect(m_fitWatcher, &QFutureWatcher<FitOutcome>::progressValueChanged, m_fitBusy, [this](int percent) {
        m_fitBusy->setProgress(percent, tr("Measuring the ladder %1%").arg(percent));
    });
    connect(m_fitWatcher, &QFutureWatcher<FitOutcome>::finished, this, &MainWindow::onLadderMeasured);
    connect(m_planPanel, &PlanPanel::fitRequested, this, &MainWindow::fitToBudget);
}

void MainWindow::fitToBudget() {
    const auto reader = m_controller->reader();
    if (!reader || m_fitWatcher->isRunning())
        return;
    const auto ladder = qs::parseLadder(m_planPanel->ladderText().toStdString());
    if (!ladder) {
        showMessage(QMessageBox::Warning, tr("Cannot Fit to Budget"),
                    tr("Ladder: %1").arg(QString::fromStdString(ladder.error())));
        return;
    }
    m_fitLadder = ladder.value();
    m_fitBusy->setBusy(true);
    m_fitBusy->setProgress(0, tr("Measuring the ladder"));
    const qs::QuantPlan plan = m_controller->session().plan();
    const auto importance = m_modelSweep->importance();
    m_fitWatcher->setFuture(QtConcurrent::run([reader, plan, ladder = m_fitLadder,
                                               importance](QPromise<FitOutcome> &promise) {
        promise.setProgressRange(0, 100);
        qs::RunControl control;
        control.isCanceled = [&promise] { return promise.isCanceled(); };
        control.progress = [&promise](double fraction) { promise.setProgressValue(int(fraction * 100.0)); };
        promise.addResult(qs::measureLadder(*reader, plan, ladder, importance.get(), control));
    }));
}

void MainWindow::onLadderMeasured() {
    m_fitBusy->setBusy(false);
    if (m_fitWatcher->isCanceled() || m_fitWatcher->future().resultCount() == 0) {
        statusBar()->showMessage(tr("Fit to budget cancelled"), kStatusMessageMs);
        return;
    }
    const FitOutcome problem = m_fitWatcher->result();
    if (!problem) {
        if (problem.error() != "cancelled")
            showMessage(QMessageBox::Warning, tr("Cannot Fit to Budget"),
                        QString::fromStdString(problem.error()));
        return;
    }
    const qs::Budget budget = m_planPanel->budgetUnit() == PlanPanel::BudgetUnit::GiB
                                  ? qs::Budget::gib(m_planPanel->budget())
                                  : qs::Budget::bitsPerWeight(m_planPanel->budget());
    const qs::BudgetFit fit = qs::fitBudget(problem.value(), budget.totalBits(problem->totalParams));
    const qs::QuantPlan plan =
        qs::applyBudgetFit(m_controller->session().plan(), m_fitLadder, problem.value(), fit);
    m_controller->commitPlan(plan, tr("Fit to Budget"));
    const QString result = tr("Fitted %1 to %2 bits/weight (%3 raised)")
                               .arg(countOf(qint64(problem->tensors.size()), tr("tensor"), tr("tensors")))
                               .arg(fit.avgBitsPerWeight, 0, 'f', 3)
                               .arg(fit.raises.size());
    if (fit.overBudget)
        showMessage(QMessageBox::Warning, tr("Over Budget"),
                    result + tr(": the ladder's first schemes alone exceed the budget, so every tensor "
                                "stays on its first scheme."));
    else
        statusBar()->showMessage(result, kStatusMessageMs * 2);
}

void MainWindow::createPlanFileActions() {
    m_openPlanAction = new QAction(tr("Open &Plan…"), this);
    m_openPlanAction->setToolTip(tr("Replace the plan with a plan file's (one undo step)"));
    connect(m_openPlanAction, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open Plan"), lastDirectory(),
                                                          tr("Quantscope plan (*.json);;All files (*)"));
        if (path.isEmpty())
            return;
        rememberDirectory(path);
        openPlanFrom(path);
    });
    m_savePlanAction = new QAction(tr("Save P&lan…"), this);
    m_savePlanAction->setToolTip(tr("Save the plan as a file quantscope-cli report --plan reads"));
    connect(m_savePlanAction, &QAction::triggered, this, [this] {
        const QString suggested = lastDirectory() + QLatin1Char('/') +
                                  QFileInfo(m_currentFile).completeBaseName() + QStringLiteral(".plan.json");
        const QString path =
            QFileDialog::getSaveFileName(this, tr("Save Plan"), suggested, tr("Quantscope plan (*.json)"));
        if (path.isEmpty())
            return;
        rememberDirectory(path);
        savePlanTo(path);
    });
}

bool MainWindow::openPlanFrom(const QString &path) {
    if (m_currentFile.isEmpty())
        return false;
    const auto plan = qs::loadPlan(path.toStdString());
    if (!plan) {
        showMessage(QMessageBox::Critical, tr("Cannot Open Plan"), QString::fromStdString(plan.error()));
        return false;
    }
    m_controller->commitPlan(plan.value(), tr("Open Plan %1").arg(QFileInfo(path).fileName()));
    statusBar()->showMessage(tr("Plan %1 applied").arg(QFileInfo(path).fileName()), kStatusMessageMs);
    return true;
}

bool MainWindow::savePlanTo(const QString &path) {
    // Never over the checkpoint the plan is for.
    if (QFileInfo(path).absoluteFilePath() == m_currentFile) {
        showMessage(
            QMessageBox::Warning, tr("Cannot Save Plan"),
            tr("%1 is the open checkpoint; choose another name.").arg(QDir::toNativeSeparators(path)));
        return false;
    }
    if (const qs::Status saved = qs::savePlan(path.toStdString(), m_controller->session().plan()); !saved) {
        showMessage(QMessageBox::Warning, tr("Cannot Save Plan"), QString::fromStdString(saved.error()));
        return false;
    }
    statusBar()->showMessage(tr("Plan saved to %1").arg(QDir::toNativeSeparators(path)), kStatusMessageMs);
    return true;
}

// The Model panel's rows take overrides from their context menu: the scheme on screen, the
// stored type, or none. One undo step for all the selected rows.
void MainWindow::setupModelContextMenu() {
    QTableView *view = m_modelPanel->view();
    view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_overrideAction = new QAction(tr("Override with the Scheme on Screen"), view);
    m_overrideAction->setToolTip(tr("The selected tensors take the scheme the toolbar shows, whatever "
                                    "the default and the rules say"));
    connect(m_overrideAction, &QAction::triggered, this, [this] {
        overrideTensors(selectedModelTensors(),
                        qs::PlanOverride{false, overrideScheme(m_controller->currentSpec())});
    });
    m_keepAction = new QAction(tr("Keep in Stored Type"), view);
    connect(m_keepAction, &QAction::triggered, this,
            [this] { overrideTensors(selectedModelTensors(), qs::PlanOverride::keepStored()); });
    m_clearOverrideAction = new QAction(tr("Clear Override"), view);
    connect(m_clearOverrideAction, &QAction::triggered, this,
            [this] { overrideTensors(selectedModelTensors(), std::nullopt); });
    view->addActions({m_overrideAction, m_keepAction, m_clearOverrideAction});
    // The menu names the scheme it would set.
    connect(m_controller, &AnalysisController::tensorConfigured, m_overrideAction, [this] {
        m_overrideAction->setText(
            tr("Override with %1").arg(BitsErrorChart::schemeName(m_controller->currentSpec())));
    });
}

std::vector<std::size_t> MainWindow::selectedModelTensors() const {
    std::vector<std::size_t> tensors;
    const QTableView *view = m_modelPanel->view();
    for (const QModelIndex &row : view->selectionModel()->selectedRows())
        tensors.push_back(std::size_t(m_modelPanel->proxy()->mapToSource(row).row()));
    std::sort(tensors.begin(), tensors.end());
    return tensors;
}

qs::PlanScheme MainWindow::overrideScheme(const qs::QuantSpec &spec) {
    qs::PlanScheme scheme = qs::planSchemeFromSpec(spec);
    scheme.clip.reset(); // a clip belongs to the tensor it was drawn on
    return scheme;
}

// override nullopt clears. One undo step for all the rows.
void MainWindow::overrideTensors(const std::vector<std::size_t> &tensors,
                                 const std::optional<qs::PlanOverride> &override) {
    if (tensors.empty())
        return;
    const TensorSession &session = m_controller->session();
    qs::QuantPlan plan = session.plan();
    for (const std::size_t index : tensors) {
        if (index >= session.tensors().size())
            continue;
        if (override)
            qs::setOverride(plan, session.tensors()[index].name, *override);
        else
            qs::clearOverride(plan, session.tensors()[index].name);
    }
    const QString what = !override ? tr("Clear Override") : override->keep ? tr("Keep") : tr("Override");
    m_controller->commitPlan(
        plan, tensors.size() == 1 ? what : tr("%1 (%2 tensors)").arg(what).arg(tensors.size()),
        tensors.size() == 1 ? std::optional<std::size_t>(tensors.front()) : std::nullopt);
}

} // namespace qs::ui
