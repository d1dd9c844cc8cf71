// The main window's Scheme panel: its dock, and how it follows and changes the scheme on screen.
#include "mainwindow.h"

#include "analysis/schemeanalysis.h"
#include "analysiscontroller.h"
#include "busyindicator.h"
#include "methodcomparer.h"
#include "methodthresholds.h"
#include "planundo.h"
#include "plots/bitserrorchart.h"
#include "plots/schemeheatmap.h"
#include "quant/schemequant.h"
#include "schemeinsights.h"

#include <QAction>
#include <QDockWidget>
#include <QScrollArea>
#include <QStatusBar>

namespace qs::ui {

void MainWindow::setupSchemeDock() {
    m_insights = new SchemeInsights(this);
    m_schemeDock = new QDockWidget(tr("Scheme"), this);
    m_schemeDock->setObjectName(QStringLiteral("schemeDock"));
    // On a small screen the plots above keep their room: the panel scrolls (or floats) rather
    // than push the window past the screen's bottom. Its title runs down the side.
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_insights);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_schemeDock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable |
                              QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetVerticalTitleBar);
    m_schemeDock->setWidget(scroll);
    addDockWidget(Qt::BottomDockWidgetArea, m_schemeDock);
    m_schemeDock->hide();
    connect(m_controller, &AnalysisController::tensorShown, m_insights, [this] {
        // Tensor and spec together: no comparison of the new tensor under the old scheme.
        m_insights->methodComparer()->setInput(m_controller->currentAnalysis(), m_controller->currentSpec());
        m_insights->setTensor(m_controller->currentAnalysis());
        m_insights->setCurrentSpec(m_controller->currentSpec());
    });
    connect(m_controller, &AnalysisController::tensorConfigured, m_insights,
            [this] { m_insights->setCurrentSpec(m_controller->currentSpec()); });
    connect(this, &MainWindow::fileOpened, m_insights, &SchemeInsights::clear);
    connect(m_insights, &SchemeInsights::schemeChosen, this, &MainWindow::applyChosenScheme);
    connect(m_insights, &SchemeInsights::applyRequested, this, &MainWindow::applyChosenScheme);
    // The heatmap shows the grouped scheme on screen, and selects groups with the group bar.
    connect(m_controller, &AnalysisController::schemeAnalysisShown, m_insights,
            [this](const std::shared_ptr<const qs::SchemeAnalysis> &analysis) {
                showSchemeGrid(analysis);
                m_insights->setMethodSpec(m_controller->currentSpec());
            });
    connect(m_controller, &AnalysisController::exactShown, m_insights, [this] {
        if (!m_controller->currentScheme())
            showSchemeGrid(nullptr);
        m_insights->setMethodSpec(m_controller->currentSpec());
    });
    connect(m_insights, &SchemeInsights::groupClicked, m_controller, &AnalysisController::selectGroup);
    connect(m_controller, &AnalysisController::groupSelected, m_insights,
            [this](std::int64_t group) { m_insights->heatmap()->setSelectedGroup(group); });
}

// View ▸ Method Thresholds: the Methods tab's comparison drawn on the histogram, computed (and
// shown in the status bar) even while the Scheme panel is closed.
void MainWindow::setupMethodThresholds() {
    MethodComparer *comparer = m_insights->methodComparer();
    m_methodThresholds = new MethodThresholds(m_controller, comparer, m_histogram, this);
    m_methodThresholdsAction = createToggle(tr("Method T&hresholds"), true);
    m_methodThresholdsAction->setToolTip(tr("Mark every calibration method's range on the weight histogram"));
    m_methodThresholdsAction->setStatusTip(
        tr("Marks the range each calibration method picks (min-max, mse, percentiles, …) on the weight "
           "histogram; for grouped schemes, the range of the group shown"));
    connect(m_methodThresholdsAction, &QAction::toggled, m_methodThresholds, &MethodThresholds::setEnabled);
    m_methodThresholds->setEnabled(m_methodThresholdsAction->isChecked());

    m_methodsBusy = new BusyIndicator(this);
    m_methodsBusy->setObjectName(QStringLiteral("methodsBusy"));
    m_methodsBusy->setCancelToolTip(tr("Stop comparing the calibration methods"));
    statusBar()->addPermanentWidget(m_methodsBusy);
    const QString what = tr("Comparing methods…");
    connect(comparer, &MethodComparer::computingChanged, m_methodsBusy, [this, what](bool computing) {
        m_methodsBusy->setBusy(computing);
        if (computing)
            m_methodsBusy->setProgress(0, what);
    });
    connect(comparer, &MethodComparer::progressChanged, m_methodsBusy,
            [this, what](int percent) { m_methodsBusy->setProgress(percent, what); });
    connect(m_methodsBusy, &BusyIndicator::cancelRequested, comparer, &MethodComparer::cancel);
}

// A grouped scheme's scales and errors over its grid; per tensor there is no grid to show.
void MainWindow::showSchemeGrid(const std::shared_ptr<const qs::SchemeAnalysis> &analysis) {
    if (!analysis || analysis->grid.groupCount() <= 1) {
        m_insights->heatmap()->clear();
        return;
    }
    const std::vector<std::int64_t> &shape = analysis->grid.shape();
    const qint64 rows = shape.empty() ? 1 : shape.front();
    const qint64 perRow = shape.size() >= 2 ? shape[1] : 1;
    m_insights->setGroupGrid(rows, perRow, analysis->quantization.scales, analysis->groupMse);
    m_insights->heatmap()->setSelectedGroup(m_controller->currentGroup());
}

// A scheme picked in the Scheme panel for the tensor on screen becomes its override, as one
// undoable step.
void MainWindow::applyChosenScheme(const qs::QuantSpec &spec) {
    const auto index = m_controller->currentTensor();
    const qs::QuantSpec before = m_controller->currentSpec();
    if (!index || spec == before)
        return;
    if (const auto tensor = m_controller->currentAnalysis()) {
        if (const qs::Status ok = qs::checkScheme(spec, tensor->info().shape); !ok) {
            statusBar()->showMessage(tr("%1 does not apply to %2: %3")
                                         .arg(BitsErrorChart::schemeName(spec),
                                              QString::fromStdString(tensor->info().name),
                                              QString::fromStdString(ok.error())),
                                     kStatusMessageMs);
            return;
        }
    }
    m_controller->commitPlan(m_controller->session().planWithOverride(*index, spec),
                             tr("Scheme %1").arg(BitsErrorChart::schemeName(spec)), *index);
}

} // namespace qs::ui
