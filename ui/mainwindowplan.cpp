// The main window's plan: the Plan panel, plan files, overrides from the Model panel's table,
// and a fresh sweep when the plan changes.
#include "mainwindow.h"

#include "analysiscontroller.h"
#include "modelpanel.h"
#include "modelsweep.h"
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
    m_planPanelAction = m_planDock->toggleViewAction();
    m_planPanelAction->setText(tr("&Plan Panel"));
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
        if (m_modelPanel->model()->summaryCount() > 0 || m_modelSweep->isRunning())
            m_modelSweep->start(m_controller->session().plan()); // the cache spares unchanged tensors
    });
    connect(m_controller, &AnalysisController::planChanged, m_resweepTimer, qOverload<>(&QTimer::start));
    setupModelContextMenu();
    createPlanFileActions();
    createSessionActions();
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
