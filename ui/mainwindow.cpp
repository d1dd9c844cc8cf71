#include "mainwindow.h"

#include "analysis/schemeanalysis.h"
#include "analysiscontroller.h"
#include "busyindicator.h"
#include "checkpointpropertiesdialog.h"
#include "configexporter.h"
#include "democheckpointfile.h"
#include "displayformat.h"
#include "dockwidths.h"
#include "groupbar.h"
#include "helpdialogs.h"
#include "hintbar.h"
#include "io/checkpointformats.h"
#include "planmemory.h"
#include "planundo.h"
#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "plots/mappingplot.h"
#include "plots/qcustomplotinclude.h"
#include "quantcontrols.h"
#include "recentfiles.h"
#include "schemecontrols.h"
#include "schemeinsights.h"
#include "schemesettings.h"
#include "shortcutsdialog.h"
#include "statspanel.h"
#include "tensorbrowser.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QLabel>
#include <QMenuBar>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <utility>

namespace qs::ui {

namespace {

const QString kGeometryKey = QStringLiteral("window/geometry");
const QString kStateKey = QStringLiteral("window/state");
const QString kPlotSplitterKey = QStringLiteral("window/plotSplitter");
const QString kLowerSplitterKey = QStringLiteral("window/lowerSplitter");
const QString kErrorSplitterKey = QStringLiteral("window/errorSplitter");
const QString kHistogramLogKey = QStringLiteral("view/histogramLog");
const QString kErrorLogKey = QStringLiteral("view/errorLog");
const QString kShowMappingKey = QStringLiteral("view/showMapping");
const QString kShowErrorKey = QStringLiteral("view/showError");
const QString kMethodThresholdsKey = QStringLiteral("view/methodThresholds");
const QString kLastDirectoryKey = QStringLiteral("files/lastDirectory");
const QString kHintKey = QStringLiteral("hints/firstStartDismissed");
constexpr int kMaxListedNames = 15;

struct DemoOutcome {
    QString path;
    QString error;
};

DemoOutcome prepareDemo() {
    const auto demo = ensureDemoCheckpoint();
    if (!demo)
        return {QString(), QString::fromStdString(demo.error())};
    return {demo.value(), QString()};
}

QString joinNames(const std::vector<std::string> &names) {
    QStringList lines;
    for (std::size_t i = 0; i < names.size() && i < std::size_t(kMaxListedNames); ++i)
        lines << QStringLiteral("• ") + QString::fromStdString(names[i]);
    if (names.size() > std::size_t(kMaxListedNames))
        lines << MainWindow::tr("… and %1 more").arg(names.size() - std::size_t(kMaxListedNames));
    return lines.join(QLatin1Char('\n'));
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent) {
    setObjectName(QStringLiteral("MainWindow"));
    setAcceptDrops(true);
    setDockNestingEnabled(false);
    createPanels();
    createDocks();
    setupSchemeDock();
    setupModelDock();
    setupPlanDock();
    setupBitsDock();
    setupImportance();
    createActions();
    setupMethodThresholds();
    createToolBar();
    createMenus();
    createStatusBar();
    connectPanels();
    restoreSettings();
    updateFileState();
}

MainWindow::~MainWindow() = default;

void MainWindow::createPanels() {
    m_histogram = new HistogramPlot(this);
    m_mapping = new MappingPlot(this);
    m_error = new ErrorPlot(this);
    m_stats = new StatsPanel(this);
    m_controls = new QuantControls(this);
    m_schemeControls = new SchemeControls(this);
    m_groupBar = new GroupBar(this);
    m_browser = new TensorBrowser(this);

    m_lowerSplitter = new QSplitter(Qt::Horizontal, this);
    m_lowerSplitter->setObjectName(QStringLiteral("lowerSplitter"));
    m_lowerSplitter->addWidget(m_mapping);
    m_lowerSplitter->addWidget(m_error);
    m_lowerSplitter->setChildrenCollapsible(false);
    m_lowerSplitter->setStretchFactor(0, 1);
    m_lowerSplitter->setStretchFactor(1, 1);

    m_plotSplitter = new QSplitter(Qt::Vertical, this);
    m_plotSplitter->setObjectName(QStringLiteral("plotSplitter"));
    m_plotSplitter->addWidget(m_histogram);
    m_plotSplitter->addWidget(m_lowerSplitter);
    m_plotSplitter->setChildrenCollapsible(false);
    m_plotSplitter->setStretchFactor(0, 5);
    m_plotSplitter->setStretchFactor(1, 4);
    m_hint = new HintBar(kHintKey, this);
    auto *central = new QWidget(this);
    auto *centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(2);
    centralLayout->addWidget(m_hint);
    centralLayout->addWidget(m_groupBar);
    centralLayout->addWidget(m_plotSplitter, 1);
    setCentralWidget(central);

    m_controller = new AnalysisController(
        {m_histogram, m_mapping, m_error, m_stats, m_controls, m_schemeControls, m_groupBar}, this);
    m_exporter = new ConfigExporter(this);
    m_undo = new PlanUndo(m_controller, this);
    m_recent = new RecentFiles(this);
}

void MainWindow::createDocks() {
    m_browserDock = new QDockWidget(tr("Tensors"), this);
    m_browserDock->setObjectName(QStringLiteral("tensorsDock"));
    m_browserDock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
    m_browserDock->setWidget(m_browser);
    addDockWidget(Qt::LeftDockWidgetArea, m_browserDock);

    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_stats);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_statsDock = new QDockWidget(tr("Figures"), this);
    m_statsDock->setObjectName(QStringLiteral("statsDock"));
    m_statsDock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
    m_statsDock->setWidget(scroll);
    addDockWidget(Qt::RightDockWidgetArea, m_statsDock);
    m_dockWidths = new DockWidths(this, m_browserDock, m_statsDock);
}

// The Scheme panel (per-channel ranges, group heatmap, bits against error, methods) at the
// bottom. Closed at first: at 1024×700 the plots above need the height. Its state is saved
// with the other docks'.
void MainWindow::createActions() {
    createFileActions();
    createEditActions();
    createViewActions();
}

void MainWindow::createEditActions() {
    m_undoAction = m_undo->stack()->createUndoAction(this, tr("&Undo"));
    m_undoAction->setShortcut(QKeySequence::Undo);
    m_redoAction = m_undo->stack()->createRedoAction(this, tr("&Redo"));
    m_redoAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence::Redo});
    m_copyFiguresAction = new QAction(tr("&Copy Figures"), this);
    m_copyFiguresAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    m_copyFiguresAction->setToolTip(tr("Copy the Figures panel to the clipboard as text"));
    connect(m_copyFiguresAction, &QAction::triggered, this, &MainWindow::copyFigures);
}

void MainWindow::createFileActions() {
    m_openAction = new QAction(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("&Open…"), this);
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setToolTip(tr("Open a checkpoint (Ctrl+O)"));
    connect(m_openAction, &QAction::triggered, this, &MainWindow::openWithDialog);

    m_exportAction = new QAction(style()->standardIcon(QStyle::SP_DialogSaveButton),
                                 tr("Export Per-&Tensor Config…"), this);
    m_exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportAction->setIconText(tr("Export"));
    m_exportAction->setToolTip(tr("Export each planned tensor's configuration, as Quantscope reads it back "
                                  "(Ctrl+E); File ▸ Export has the other formats"));
    connect(m_exportAction, &QAction::triggered, this, &MainWindow::exportWithDialog);

    m_importAction = new QAction(tr("&Import Per-Tensor Config…"), this);
    m_importAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    connect(m_importAction, &QAction::triggered, this, &MainWindow::importWithDialog);

    m_propertiesAction = new QAction(tr("&Properties…"), this);
    m_propertiesAction->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Return));
    m_propertiesAction->setToolTip(tr("Format, size and metadata of the open checkpoint (Alt+Return)"));
    connect(m_propertiesAction, &QAction::triggered, this, &MainWindow::showProperties);

    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);
}

QAction *MainWindow::createToggle(const QString &text, bool checked) {
    auto *action = new QAction(text, this);
    action->setCheckable(true);
    action->setChecked(checked);
    return action;
}

void MainWindow::createViewActions() {
    m_histogramLogAction = createToggle(tr("&Log Scale: Weight Histogram"), m_histogram->logScale());
    connect(m_histogramLogAction, &QAction::toggled, m_histogram, &HistogramPlot::setLogScale);
    m_errorLogAction = createToggle(tr("Log Scale: &Error Histogram"), true);
    connect(m_errorLogAction, &QAction::toggled, m_error, &ErrorPlot::setLogScale);

    m_resetZoomAction = new QAction(tr("&Reset Zoom"), this);
    m_resetZoomAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    connect(m_resetZoomAction, &QAction::triggered, m_histogram, &HistogramPlot::resetZoom);

    m_showMappingAction = createToggle(tr("&Mapping Plot"), true);
    m_showErrorAction = createToggle(tr("E&rror Plot"), true);
    for (QAction *toggle : {m_showMappingAction, m_showErrorAction})
        connect(toggle, &QAction::toggled, this, &MainWindow::updatePlotVisibility);

    m_filterAction = new QAction(tr("&Filter Tensors"), this);
    m_filterAction->setShortcut(QKeySequence::Find);
    connect(m_filterAction, &QAction::triggered, this, [this] {
        m_browserDock->show();
        m_browser->focusFilter();
    });
    addAction(m_filterAction);
}

void MainWindow::updatePlotVisibility() {
    m_mapping->setVisible(m_showMappingAction->isChecked());
    m_error->setVisible(m_showErrorAction->isChecked());
    // With both hidden, the histogram takes the whole height.
    m_lowerSplitter->setVisible(m_showMappingAction->isChecked() || m_showErrorAction->isChecked());
}

void MainWindow::createMenus() {
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_openAction);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recent->attachMenu(m_recentMenu);
    file->addSeparator();
    file->addAction(m_openPlanAction);
    file->addAction(m_savePlanAction);
    file->addAction(m_openSessionAction);
    file->addAction(m_saveSessionAction);
    file->addSeparator();
    createExportMenus(file);
    setupReference(file);
    file->addSeparator();
    file->addAction(m_loadImatrixAction);
    file->addAction(m_clearImatrixAction);
    file->addSeparator();
    file->addAction(m_propertiesAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_undoAction);
    edit->addAction(m_redoAction);
    edit->addSeparator();
    edit->addAction(m_copyFiguresAction);

    QMenu *quantize = menuBar()->addMenu(tr("&Quantization"));
    quantize->addActions(m_controls->actions());
    quantize->addSeparator();
    quantize->addAction(m_sweepAction);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_histogramLogAction);
    view->addAction(m_errorLogAction);
    view->addAction(m_methodThresholdsAction);
    view->addAction(m_resetZoomAction);
    view->addSeparator();
    view->addAction(m_filterAction);
    view->addSeparator();
    QAction *tensorsToggle = m_browserDock->toggleViewAction();
    tensorsToggle->setText(tr("&Tensors Panel"));
    view->addAction(tensorsToggle);
    QAction *statsToggle = m_statsDock->toggleViewAction();
    statsToggle->setText(tr("&Figures Panel"));
    view->addAction(statsToggle);
    QAction *schemePanelToggle = m_schemeDock->toggleViewAction();
    schemePanelToggle->setText(tr("&Scheme Panel"));
    schemePanelToggle->setToolTip(tr("Channel ranges, group heatmap, bits against error and methods"));
    view->addAction(schemePanelToggle);
    view->addAction(m_modelPanelAction);
    view->addAction(m_planPanelAction);
    view->addAction(m_bitsAction);
    view->addAction(m_showMappingAction);
    view->addAction(m_showErrorAction);
    QAction *toolBarToggle = m_toolBar->toggleViewAction();
    toolBarToggle->setText(tr("Tool&bar"));
    view->addAction(toolBarToggle);
    QAction *schemeBarToggle = m_schemeToolBar->toggleViewAction();
    schemeBarToggle->setText(tr("S&cheme Toolbar"));
    view->addAction(schemeBarToggle);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Formulas and Conventions"), this, [this] { showConventionsDialog(this); });
    help->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::showShortcuts);
    help->addSeparator();
    QAction *about = help->addAction(tr("&About Quantscope"), this, [this] { showAboutDialog(this); });
    about->setMenuRole(QAction::AboutRole);
}

void MainWindow::createToolBar() {
    m_toolBar = addToolBar(tr("Main"));
    m_toolBar->setObjectName(QStringLiteral("mainToolBar"));
    m_toolBar->setMovable(false);
    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolBar->addAction(m_openAction);
    m_toolBar->addAction(m_exportAction);
    m_toolBar->addSeparator();
    m_toolBar->addWidget(m_controls);
    // The scheme gets a row of its own: both rows fit a 1024-pixel window.
    addToolBarBreak();
    m_schemeToolBar = addToolBar(tr("Scheme"));
    m_schemeToolBar->setObjectName(QStringLiteral("schemeToolBar"));
    m_schemeToolBar->setMovable(false);
    m_schemeToolBar->addWidget(m_schemeControls);
}

void MainWindow::createStatusBar() {
    m_fileLabel = new QLabel(this);
    m_busy = new BusyIndicator(this);
    statusBar()->addWidget(m_fileLabel, 1);
    statusBar()->addPermanentWidget(m_busy);
}

void MainWindow::connectPanels() {
    connect(m_browser, &TensorBrowser::tensorSelected, m_controller, &AnalysisController::selectTensor);
    connect(m_controller, &AnalysisController::planChanged, this, &MainWindow::markOverrides);
    connect(m_controller, &AnalysisController::statusMessage, this,
            [this](const QString &message) { statusBar()->showMessage(message, kStatusMessageMs * 2); });
    connect(m_controller, &AnalysisController::errorOccurred, this, [this](const QString &message) {
        showMessage(QMessageBox::Warning, tr("Analysis Failed"), message);
    });
    qs::AnalysisService &service = m_controller->service();
    connect(&service, &qs::AnalysisService::busyChanged, m_busy, &BusyIndicator::setBusy);
    connect(&service, &qs::AnalysisService::progressChanged, m_busy, &BusyIndicator::setProgress);
    connect(m_busy, &BusyIndicator::cancelRequested, m_controller, &AnalysisController::cancel);
    connect(m_histogram, &HistogramPlot::logScaleChanged, m_histogramLogAction, &QAction::setChecked);
    connect(m_error, &ErrorPlot::logScaleChanged, m_errorLogAction, &QAction::setChecked);
    connect(m_recent, &RecentFiles::fileTriggered, this, &MainWindow::openFromUser);
    connect(m_undo, &PlanUndo::revealTensor, m_browser, &TensorBrowser::selectTensor);
    // Doing what the hint says is the best sign it was read.
    connect(m_histogram, &HistogramPlot::thresholdsDragFinished, m_hint, &HintBar::dismiss);
    connect(m_histogram, &HistogramPlot::ratioDragFinished, m_hint, &HintBar::dismiss);
    // The hint speaks of the handles: it waits while the scheme on screen has none to drag. Known
    // from the spec as soon as a tensor is chosen, so the bar does not push the plots down later.
    connect(m_controller, &AnalysisController::tensorConfigured, m_hint, [this] {
        const qs::QuantSpec &spec = m_controller->currentSpec();
        m_hint->setApplicable(qs::isPerTensorInt(spec) || qs::takesClipRatio(spec));
    });
    connect(m_exporter, &ConfigExporter::finished, this, &MainWindow::onExportFinished);
}

// The first start (no saved geometry): 1400 × 900, or nine tenths of the screen's free area where
// that is smaller (a 1366 × 768 laptop), centred on it, so no edge starts off screen.
void MainWindow::applyFirstStartGeometry() {
    const QSize preferred(1400, 900);
    const QScreen *display = screen();
    if (display == nullptr) {
        resize(preferred);
        return;
    }
    const QRect available = display->availableGeometry();
    resize(preferred.boundedTo(available.size() * 0.9));
    // Shown, the layout raises the window to its minimum size hint (1024 wide, what the scheme bar
    // needs): centre that size, and where it fills the screen start at its edge.
    const QSize shown = size().expandedTo(minimumSizeHint());
    move(available.left() + std::max(0, (available.width() - shown.width()) / 2),
         available.top() + std::max(0, (available.height() - shown.height()) / 2));
}

void MainWindow::restoreSettings() {
    const QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray()))
        applyFirstStartGeometry();
    m_dockWidths->restore();
    if (!restoreState(settings.value(kStateKey).toByteArray()))
        m_dockWidths->apply();
    m_splittersRestored = m_plotSplitter->restoreState(settings.value(kPlotSplitterKey).toByteArray()) &&
                          m_lowerSplitter->restoreState(settings.value(kLowerSplitterKey).toByteArray());
    m_error->splitter()->restoreState(settings.value(kErrorSplitterKey).toByteArray());
    m_histogramLogAction->setChecked(settings.value(kHistogramLogKey, m_histogram->logScale()).toBool());
    m_errorLogAction->setChecked(settings.value(kErrorLogKey, true).toBool());
    m_histogram->setLogScale(m_histogramLogAction->isChecked());
    m_error->setLogScale(m_errorLogAction->isChecked());
    m_showMappingAction->setChecked(settings.value(kShowMappingKey, true).toBool());
    m_showErrorAction->setChecked(settings.value(kShowErrorKey, true).toBool());
    m_methodThresholdsAction->setChecked(settings.value(kMethodThresholdsKey, true).toBool());
    updatePlotVisibility();
    restoreScheme(settings);
}

// New tensors start from the last scheme.
void MainWindow::restoreScheme(const QSettings &settings) {
    m_controller->setDefaultScheme(restoredScheme(settings, m_controller->session().defaultSpec()));
}

void MainWindow::saveSettings() const {
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    m_dockWidths->save();
    settings.setValue(kPlotSplitterKey, m_plotSplitter->saveState());
    settings.setValue(kLowerSplitterKey, m_lowerSplitter->saveState());
    settings.setValue(kErrorSplitterKey, m_error->splitter()->saveState());
    settings.setValue(kHistogramLogKey, m_histogramLogAction->isChecked());
    settings.setValue(kErrorLogKey, m_errorLogAction->isChecked());
    settings.setValue(kShowMappingKey, m_showMappingAction->isChecked());
    settings.setValue(kShowErrorKey, m_showErrorAction->isChecked());
    settings.setValue(kMethodThresholdsKey, m_methodThresholdsAction->isChecked());
    saveScheme(settings, m_controller->session().defaultSpec());
    rememberPlan();
}

// The browser marks the tensors the plan overrides.
void MainWindow::markOverrides() {
    const TensorSession &session = m_controller->session();
    for (std::size_t i = 0; i < session.tensors().size(); ++i)
        m_browser->setConfigured(i, session.hasOverride(i));
}

void MainWindow::rememberPlan() const {
    if (!m_currentFile.isEmpty() && m_currentFile != m_demoFile)
        qs::ui::rememberPlan(m_currentFile, m_controller->session().plan());
}

void MainWindow::showEvent(QShowEvent *event) {
    QMainWindow::showEvent(event);
    if (m_splittersRestored)
        return;
    m_splittersRestored = true;
    // Proportions need the real sizes: the histogram a little taller than the plots below.
    const int height = m_plotSplitter->height();
    m_plotSplitter->setSizes({height * 11 / 20, height * 9 / 20});
    const int width = m_lowerSplitter->width();
    m_lowerSplitter->setSizes({width / 2, width - width / 2});
}

void MainWindow::closeEvent(QCloseEvent *event) {
    // "Export…" may write at once (nothing left to compute); then the window closes as asked.
    if (!confirmDiscard(tr("quitting")) && !m_undo->stack()->isClean()) {
        m_closeAfterExport = m_exporter->isRunning();
        event->ignore();
        return;
    }
    saveSettings();
    m_controller->service().cancelAll();
    event->accept();
}

void MainWindow::resizeEvent(QResizeEvent *event) {
    QMainWindow::resizeEvent(event);
    if (m_dockWidths)
        m_dockWidths->apply();
}

bool MainWindow::confirmDiscard(const QString &action) {
    if (m_currentFile.isEmpty() || m_undo->stack()->isClean())
        return true;
    const QString title = tr("Unexported Changes");
    const QString text = tr("You changed the quantization of %1 since the last export. Export the "
                            "configuration before %2?")
                             .arg(QFileInfo(m_currentFile).fileName(), action);
    QMessageBox::StandardButton answer = QMessageBox::Cancel;
    if (m_askHandler) {
        answer = m_askHandler(title, text);
    } else {
        QMessageBox box(QMessageBox::Question, title, text,
                        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
        box.button(QMessageBox::Save)->setText(tr("Export…"));
        box.setDefaultButton(QMessageBox::Save);
        answer = QMessageBox::StandardButton(box.exec());
    }
    if (answer == QMessageBox::Save)
        exportWithDialog();
    return answer == QMessageBox::Discard;
}

void MainWindow::openFromUser(const QString &path) {
    if (confirmDiscard(tr("opening another checkpoint")) && openFile(path))
        rememberDirectory(path);
}

ShortcutsDialog *MainWindow::showShortcuts() {
    auto *dialog = findChild<ShortcutsDialog *>();
    if (!dialog) {
        dialog = new ShortcutsDialog(menuBar(), this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
    }
    dialog->show();
    dialog->raise();
    return dialog;
}

void MainWindow::copyFigures() {
    QApplication::clipboard()->setText(m_stats->toPlainText());
    statusBar()->showMessage(tr("Copied the figures to the clipboard"), kStatusMessageMs);
}

void MainWindow::offerFirstStartHint() {
    QString text = tr("<b>Tip:</b> drag the orange handles on the histogram to clip the range.");
    if (m_currentFile == m_demoFile)
        text =
            tr("<b>Synthetic demo weights</b>, made by Quantscope: open your own with File ▸ Open. ") + text;
    m_hint->offer(text);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    event->acceptProposedAction();
    openFromUser(urls.first().toLocalFile());
}

bool MainWindow::openFile(const QString &path) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    auto reader = qs::openCheckpoint(absolute.toStdString());
    if (!reader) {
        showMessage(QMessageBox::Critical, tr("Cannot Open Checkpoint"),
                    QString::fromStdString(reader.error()));
        if (!QFileInfo::exists(absolute))
            m_recent->remove(absolute);
        return false;
    }
    rememberPlan();
    m_currentFile = absolute;
    m_undo->clear();
    delete m_properties; // it describes the previous file
    // Reopening a checkpoint brings back its plan; another starts from the default scheme.
    m_controller->setReader(reader.value(), QFileInfo(absolute).fileName(),
                            rememberedPlan(absolute, m_controller->session().defaultSpec()));
    m_stats->setFormat(toQString(reader.value()->formatName()));
    m_browser->setTensors(reader.value()->tensors());
    markOverrides();
    m_recent->add(absolute);
    updateFileState();
    if (!reader.value()->tensors().empty())
        m_browser->selectTensor(0);
    offerFirstStartHint();
    Q_EMIT fileOpened(absolute);
    return true;
}

void MainWindow::openDemo() {
    m_fileLabel->setText(tr("Preparing the demo checkpoint…"));
    auto *watcher = new QFutureWatcher<DemoOutcome>(this);
    connect(watcher, &QFutureWatcher<DemoOutcome>::finished, this, [this, watcher] {
        watcher->deleteLater();
        const DemoOutcome demo = watcher->result();
        if (!m_currentFile.isEmpty())
            return; // the user opened a file meanwhile
        if (!demo.path.isEmpty()) {
            m_demoFile = QFileInfo(demo.path).absoluteFilePath();
            openFile(demo.path);
            return;
        }
        updateFileState();
        showMessage(QMessageBox::Warning, tr("Demo Checkpoint"),
                    tr("Could not write the demo checkpoint:\n%1").arg(demo.error));
    });
    watcher->setFuture(QtConcurrent::run(prepareDemo));
}

void MainWindow::updateFileState() {
    const bool open = !m_currentFile.isEmpty();
    m_exportAction->setEnabled(open);
    m_importAction->setEnabled(open);
    m_propertiesAction->setEnabled(open);
    m_sweepAction->setEnabled(open);
    if (!open) {
        setWindowTitle(tr("Quantscope"));
        m_fileLabel->setText(tr("No checkpoint open: File ▸ Open, or drop a file here"));
        return;
    }
    const auto reader = m_controller->reader();
    const QString name = QFileInfo(m_currentFile).fileName();
    const QString format = toQString(reader ? reader->formatName() : std::string());
    setWindowTitle(tr("%1 (%2) — Quantscope").arg(name, format));
    setWindowFilePath(m_currentFile);
    const std::size_t count = reader ? reader->tensors().size() : 0;
    QString status = name + QStringLiteral("  ·  ") + format + QStringLiteral("  ·  ") +
                     countOf(qint64(count), tr("tensor"), tr("tensors"));
    if (m_currentFile == m_demoFile)
        status += QStringLiteral("  ·  ") + tr("synthetic demo weights");
    m_fileLabel->setText(status);
    m_fileLabel->setToolTip(QDir::toNativeSeparators(m_currentFile));
}

QString MainWindow::openFilter() const {
    QStringList patterns;
    QStringList filters;
    for (const qs::CheckpointFormat &format : qs::checkpointFormats()) {
        QStringList own;
        for (const std::string &extension : format.extensions)
            own << QString::fromStdString(extension);
        patterns << own;
        filters << tr("%1 (%2)").arg(QString::fromStdString(format.name), own.join(QLatin1Char(' ')));
    }
    patterns.removeDuplicates();
    filters.prepend(tr("All checkpoints (%1)").arg(patterns.join(QLatin1Char(' '))));
    filters << tr("All files (*)");
    return filters.join(QStringLiteral(";;"));
}

CheckpointPropertiesDialog *MainWindow::showProperties() {
    const auto reader = m_controller->reader();
    if (!reader)
        return nullptr;
    if (!m_properties) {
        m_properties = new CheckpointPropertiesDialog(*reader, this);
        m_properties->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_properties->show();
    m_properties->raise();
    m_properties->activateWindow();
    return m_properties;
}

void MainWindow::openWithDialog() {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open Checkpoint"), lastDirectory(), openFilter());
    if (path.isEmpty())
        return;
    openFromUser(path);
}

void MainWindow::exportConfigTo(const QString &path) {
    m_exporter->exportTo(path, m_controller->reader(), &m_controller->session());
}

void MainWindow::exportWithDialog() {
    if (m_currentFile.isEmpty())
        return;
    const QString suggested = lastDirectory() + QLatin1Char('/') +
                              QFileInfo(m_currentFile).completeBaseName() + QStringLiteral(".quant.json");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Configuration"), suggested,
                                                      tr("Quantscope configuration (*.json)"));
    if (path.isEmpty())
        return;
    rememberDirectory(path);
    exportConfigTo(path);
}

void MainWindow::onExportFinished(const QString &path, ConfigExporter::Outcome outcome,
                                  const QString &message) {
    if (outcome == ConfigExporter::Outcome::Failed)
        showMessage(QMessageBox::Warning, tr("Export Failed"),
                    tr("Could not export to %1:\n%2").arg(QDir::toNativeSeparators(path), message));
    else
        statusBar()->showMessage(message, kStatusMessageMs);
    const bool written = outcome == ConfigExporter::Outcome::Written;
    if (written)
        m_undo->stack()->setClean();
    Q_EMIT configExported(path, written);
    if (std::exchange(m_closeAfterExport, false) && written)
        close();
}

bool MainWindow::importConfigFrom(const QString &path) {
    if (m_currentFile.isEmpty())
        return false;
    const auto config = qs::loadConfig(path.toStdString());
    if (!config) {
        showMessage(QMessageBox::Critical, tr("Cannot Import Configuration"),
                    QString::fromStdString(config.error()));
        return false;
    }
    std::vector<std::string> unmatched;
    const qs::QuantPlan plan = m_controller->session().planWithConfig(config.value(), unmatched);
    m_controller->commitPlan(plan, tr("Import %1").arg(QFileInfo(path).fileName()));
    const int applied = int(config->tensors.size() - unmatched.size());
    statusBar()->showMessage(
        tr("Applied the configuration of %1").arg(countOf(applied, tr("tensor"), tr("tensors"))),
        kStatusMessageMs);
    if (!unmatched.empty())
        showMessage(QMessageBox::Warning, tr("Some Tensors Not Found"),
                    tr("%1 configures %2 that %3 does not have:")
                            .arg(QFileInfo(path).fileName(),
                                 countOf(qint64(unmatched.size()), tr("tensor"), tr("tensors")),
                                 QFileInfo(m_currentFile).fileName()) +
                        QStringLiteral("\n\n") + joinNames(unmatched));
    return true;
}

void MainWindow::importWithDialog() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Import Configuration"), lastDirectory(),
                                                      tr("Quantscope configuration (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    rememberDirectory(path);
    importConfigFrom(path);
}

void MainWindow::showMessage(QMessageBox::Icon icon, const QString &title, const QString &text) {
    if (m_messageHandler) {
        m_messageHandler(icon, title, text);
        return;
    }
    QMessageBox box(icon, title, text, QMessageBox::Ok, this);
    box.exec();
}

void MainWindow::rememberDirectory(const QString &path) {
    QSettings().setValue(kLastDirectoryKey, QFileInfo(path).absolutePath());
}

QString MainWindow::lastDirectory() const {
    const QString fallback = QStandardPaths::writableLocation(QStandardPaths::HomeLocation);
    return QSettings().value(kLastDirectoryKey, fallback).toString();
}

} // namespace qs::ui
