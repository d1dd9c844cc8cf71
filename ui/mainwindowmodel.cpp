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

#include <algorithm>

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
    connect(m_modelDock, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (visible)
            ensureModelDockHeight();
    });

    // Not the dock's own toggle: showing goes through showModelDock, which finds it room.
    m_modelPanelAction = createToggle(tr("M&odel Panel"), false);
    connect(m_modelPanelAction, &QAction::triggered, this,
            [this](bool on) { on ? showModelDock() : m_modelDock->hide(); });
    connect(m_modelDock->toggleViewAction(), &QAction::toggled, m_modelPanelAction, &QAction::setChecked);
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

// Docked at the bottom when the window has the height for a few rows of the table beside the
// plots' minimum; else (a 1024×700 screen) floating over the lower part of the window, which
// then keeps its size (and its status bar, which shows the sweep's progress, in view). Either way the dock's
// state is saved with the others'.
void MainWindow::showModelDock() {
    showBottomDock(m_modelDock, m_modelPanel->heightForRows(kModelDockMinRows));
}

// A bottom dock (Model, Plan) that needs `needed` pixels: docked when the window has them beside
// the plots' minimum, else floating over the lower part of the window.
void MainWindow::showBottomDock(QDockWidget *dock, int needed) {
    if (!dock->isHidden() || dock->isFloating()) {
        dock->show();
        dock->raise();
        return;
    }
    int room = height() - minimumSizeHint().height();
    for (QDockWidget *other : {m_schemeDock, m_modelDock, m_planDock})
        if (other && other != dock && !other->isHidden() && !other->isFloating() &&
            tabifiedDockWidgets(other).contains(dock)) {
            room += other->height(); // the panels share one tab area
            break;
        }
    if (room < needed) {
        dock->setFloating(true);
        const int top = height() * 2 / 5;
        dock->setGeometry(
            QRect(mapToGlobal(QPoint(0, top)), QSize(width(), height() - top - statusBar()->height())));
    }
    dock->show();
    dock->raise();
}

// A few rows at least, but no more than two fifths of the window: the plots above stay usable.
void MainWindow::ensureModelDockHeight() {
    const int wanted = std::min(m_modelPanel->heightForRows(kModelDockRows), height() * 2 / 5);
    if (m_modelDock->isFloating() || dockWidgetArea(m_modelDock) != Qt::BottomDockWidgetArea ||
        m_modelDock->height() >= wanted)
        return;
    resizeDocks({m_modelDock}, {wanted}, Qt::Vertical);
}

void MainWindow::sweepModel() {
    if (!m_controller->reader())
        return;
    showModelDock();
    m_modelSweep->start(m_controller->session().plan());
}

} // namespace qs::ui
