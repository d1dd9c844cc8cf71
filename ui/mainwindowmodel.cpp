// The main window's Model panel: its dock, the Sweep Model action and how a sweep is shown.
#include "mainwindow.h"

#include "analysiscontroller.h"
#include "busyindicator.h"
#include "modelpanel.h"
#include "modelsweep.h"
#include "tensorbrowser.h"

#include <QAction>
#include <QDockWidget>
#include <QStatusBar>

namespace qs::ui {

namespace {

// "12 / 40 tensors · 1.3 GB/s · 4 s left"
QString sweepProgressText(int done, int total, double bytesPerSecond, double secondsLeft) {
    QString text = MainWindow::tr("Sweeping %1 / %2 tensors").arg(done).arg(total);
    if (bytesPerSecond > 0.0)
        text += MainWindow::tr(" · %1 GB/s").arg(bytesPerSecond * 1e-9, 0, 'f', 2);
    if (secondsLeft >= 0.0)
        text += MainWindow::tr(" · %1 s left").arg(qRound(secondsLeft));
    return text;
}

} // namespace

// At the bottom, in a tab with the Scheme panel, closed at first: at 1024×700 the plots above
// need the height. Its state is saved with the other docks'.
void MainWindow::setupModelDock() {
    m_modelPanel = new ModelPanel(this);
    m_modelSweep = new ModelSweep(this);
    m_modelDock = new QDockWidget(tr("Model"), this);
    m_modelDock->setObjectName(QStringLiteral("modelDock"));
    m_modelDock->setWidget(m_modelPanel);
    addDockWidget(Qt::BottomDockWidgetArea, m_modelDock);
    tabifyDockWidget(m_schemeDock, m_modelDock);
    m_modelDock->hide();

    m_modelPanelAction = m_modelDock->toggleViewAction();
    m_modelPanelAction->setText(tr("M&odel Panel"));
    m_modelPanelAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M));
    m_modelPanelAction->setToolTip(
        tr("Every tensor of the checkpoint with its error under the default scheme"));
    m_sweepAction = new QAction(tr("S&weep Model"), this);
    m_sweepAction->setIconText(tr("Sweep"));
    m_sweepAction->setShortcut(QKeySequence(Qt::Key_F5));
    m_sweepAction->setToolTip(tr("Measure every tensor under the default scheme, in the background (F5)"));
    connect(m_sweepAction, &QAction::triggered, this, &MainWindow::sweepModel);
    m_modelPanel->setSweepAction(m_sweepAction);
    connectModelSweep();
}

void MainWindow::connectModelSweep() {
    m_modelBusy = new BusyIndicator(this);
    m_modelBusy->setObjectName(QStringLiteral("modelBusy"));
    m_modelBusy->setCancelToolTip(tr("Stop the sweep; the tensors measured so far stay"));
    statusBar()->addPermanentWidget(m_modelBusy);
    connect(m_modelBusy, &BusyIndicator::cancelRequested, m_modelSweep, &ModelSweep::cancel);
    connect(m_modelSweep, &ModelSweep::started, this, [this] {
        m_modelPanel->clearResults();
        m_modelPanel->setSweeping(true);
        m_modelBusy->setBusy(true);
    });
    connect(m_modelSweep, &ModelSweep::summaryReady, m_modelPanel, &ModelPanel::addSummary);
    connect(m_modelSweep, &ModelSweep::progressChanged, m_modelBusy,
            [this](int done, int total, double rate, double left) {
                m_modelBusy->setProgress(total > 0 ? done * 100 / total : 100,
                                         sweepProgressText(done, total, rate, left));
            });
    connect(m_modelSweep, &ModelSweep::finished, this, [this](bool completed) {
        m_modelBusy->setBusy(false);
        m_modelPanel->setSweeping(false);
        statusBar()->showMessage(completed ? tr("Sweep finished") : tr("Sweep cancelled"), kStatusMessageMs);
    });
    connect(m_modelPanel, &ModelPanel::tensorActivated, m_browser, &TensorBrowser::selectTensor);
    // A sweep belongs to its file: another file cancels it and empties the table.
    connect(this, &MainWindow::fileOpened, this, [this] {
        const auto reader = m_controller->reader();
        m_modelSweep->setReader(reader);
        m_modelPanel->setTensors(reader ? reader->tensors() : std::vector<qs::TensorInfo>{});
    });
}

void MainWindow::sweepModel() {
    if (!m_controller->reader())
        return;
    m_modelDock->show();
    m_modelDock->raise();
    m_modelSweep->start(m_controller->session().defaultSpec());
}

} // namespace qs::ui
