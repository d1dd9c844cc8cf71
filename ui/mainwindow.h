#pragma once

#include "configexporter.h"
#include "exportrunner.h"
#include "plan/budgetfit.h"
#include "plan/quantplan.h"

#include <QFutureWatcher>
#include <QMainWindow>
#include <QMessageBox>
#include <QPointer>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QSettings;
class QSplitter;
class QTimer;
class QToolBar;

namespace qs {
class Exporter;
class ImportanceMatrix;
} // namespace qs

namespace qs::ui {

class AnalysisController;
class BitsPanel;
class BusyIndicator;
class CheckpointPropertiesDialog;
class DockWidths;
class ErrorPlot;
class GroupBar;
class HintBar;
class HistogramPlot;
class ImatrixLoader;
class MappingPlot;
class MethodThresholds;
class ModelPanel;
class ModelSweep;
class QuantControls;
class RecentFiles;
class ReferenceComparer;
class SchemeControls;
class SchemeInsights;
class ShortcutsDialog;
class PlanUndo;
class PlanPanel;
struct SessionState;
class StatsPanel;
class TensorBrowser;

// Lays out and wires the panels (browser, controls, plots, stats, status bar), and owns the
// file-level actions: open, recent files, drag-and-drop, export and import of configurations.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // Receives every message box the window would show; tests install one to read them.
    using MessageHandler =
        std::function<void(QMessageBox::Icon icon, const QString &title, const QString &text)>;
    // Answers every Save / Discard / Cancel question the window would ask; tests install one.
    using AskHandler = std::function<QMessageBox::StandardButton(const QString &title, const QString &text)>;

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens a checkpoint; on failure shows why and keeps the previous file open.
    bool openFile(const QString &path);
    // Writes the demo checkpoint to the cache directory off the GUI thread if it is missing,
    // then opens it (unless the user opened another file meanwhile).
    void openDemo();
    // Writes the configuration; configExported() reports the outcome.
    void exportConfigTo(const QString &path);
    // Applies a saved configuration to the open checkpoint; reports names it cannot match.
    bool importConfigFrom(const QString &path);
    void setMessageHandler(MessageHandler handler) { m_messageHandler = std::move(handler); }
    void setAskHandler(AskHandler handler) { m_askHandler = std::move(handler); }
    // Shows (or raises) the open checkpoint's properties; nullptr when no file is open.
    CheckpointPropertiesDialog *showProperties();
    // The Open dialog's filters: all checkpoints, then one per registered format, then all files.
    QString openFilter() const;
    // Help ▸ Keyboard Shortcuts, built from the menus.
    ShortcutsDialog *showShortcuts();
    // Puts the Figures panel on the clipboard as text (Edit ▸ Copy Figures).
    void copyFigures();

    QString currentFile() const { return m_currentFile; }
    TensorBrowser *browser() const { return m_browser; }
    QuantControls *controls() const { return m_controls; }
    SchemeControls *schemeControls() const { return m_schemeControls; }
    GroupBar *groupBar() const { return m_groupBar; }
    HistogramPlot *histogramPlot() const { return m_histogram; }
    MappingPlot *mappingPlot() const { return m_mapping; }
    ErrorPlot *errorPlot() const { return m_error; }
    StatsPanel *statsPanel() const { return m_stats; }
    AnalysisController *controller() const { return m_controller; }
    PlanUndo *undo() const { return m_undo; }
    HintBar *hintBar() const { return m_hint; }
    QDockWidget *browserDock() const { return m_browserDock; }
    QDockWidget *statsDock() const { return m_statsDock; }
    SchemeInsights *schemeInsights() const { return m_insights; }
    QDockWidget *schemeDock() const { return m_schemeDock; }
    MethodThresholds *methodThresholds() const { return m_methodThresholds; }
    QAction *methodThresholdsAction() const { return m_methodThresholdsAction; }
    ModelPanel *modelPanel() const { return m_modelPanel; }
    ModelSweep *modelSweep() const { return m_modelSweep; }
    QDockWidget *modelDock() const { return m_modelDock; }
    QAction *sweepAction() const { return m_sweepAction; }
    PlanPanel *planPanel() const { return m_planPanel; }
    QDockWidget *planDock() const { return m_planDock; }
    // View ▸ Bits Panel: a hovered or clicked histogram value's bits (mainwindowbits.cpp).
    BitsPanel *bitsPanel() const { return m_bits; }
    QDockWidget *bitsDock() const { return m_bitsDock; }
    QAction *bitsAction() const { return m_bitsAction; }
    // Plan files (File ▸ Open Plan / Save Plan); errors in a message box. True when done.
    bool openPlanFrom(const QString &path);
    bool savePlanTo(const QString &path);
    // Fit to Budget with the Plan panel's budget and ladder: measures in the background, then
    // applies the fit as one undo step.
    void fitToBudget();
    // Session files (File ▸ Open Session / Save Session); errors in a message box.
    bool openSessionFrom(const QString &path);
    bool saveSessionTo(const QString &path);
    SessionState sessionState() const;
    // Sweep Model: measures every tensor under the default scheme in the background.
    void sweepModel();
    // Loads an importance matrix in the background (File ▸ Load Importance Matrix without the
    // dialog); a failure shows why and keeps the matrix in use (mainwindowimatrix.cpp).
    void loadImportanceFrom(const QString &path);
    ImatrixLoader *imatrix() const { return m_imatrix; }
    QLabel *imatrixLabel() const { return m_imatrixLabel; }
    // File ▸ Open Reference: the A/B comparison with a second checkpoint (mainwindowreference.cpp).
    ReferenceComparer *referenceComparer() const { return m_reference; }
    // File ▸ Export ▸ a target (mainwindowexport.cpp): checks the plan first (a refusal names the
    // tensors and schemes, and nothing is written), asks for the output, then writes it in the
    // background behind a cancellable progress dialog; targetExported() reports the end.
    void exportTargetWithDialog(const qs::Exporter &exporter);
    // The same with the output chosen; any Exporter will do. False when nothing started: no
    // checkpoint, an export running, a refusal, or a non-empty folder the user kept.
    bool exportTargetTo(const qs::Exporter &exporter, const QString &output);
    // The Model panel's table as shown, as CSV; an error in a message box. True when written.
    bool exportTableTo(const QString &path);
    QMenu *exportMenu() const { return m_exportMenu; }
    ExportRunner *exportRunner() const { return m_exportRunner; }

Q_SIGNALS:
    void fileOpened(const QString &path);
    void configExported(const QString &path, bool ok);
    void targetExported(const QString &output, bool ok);

protected:
    void showEvent(QShowEvent *event) override;
    void closeEvent(QCloseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    // How long a status-bar message stays.
    static constexpr int kStatusMessageMs = 6000;
    // Table rows the Model panel shows at least when it opens (room permitting).
    static constexpr int kModelDockRows = 8;
    // Fewer than this and the panel floats rather than squeeze the plots.
    static constexpr int kModelDockMinRows = 5;
    void createPanels();
    void createDocks();
    void setupSchemeDock();
    void setupMethodThresholds();
    void setupModelDock();
    void connectModelSweep();
    void setupPlanDock();
    void setupBitsDock();
    void connectBitsPanel();
    void updateBitsSource();
    void createPlanFileActions();
    void createSessionActions();
    // Loads a session's importance matrix and reference (each may be empty).
    void restoreSessionInputs(const SessionState &state);
    void setupModelContextMenu();
    void setupBudgetFit();
    void onLadderMeasured();
    std::vector<std::size_t> selectedModelTensors() const;
    static qs::PlanScheme overrideScheme(const qs::QuantSpec &spec);
    void overrideTensors(const std::vector<std::size_t> &tensors,
                         const std::optional<qs::PlanOverride> &override);
    void setupReference(QMenu *fileMenu);
    void ensureModelDockHeight();
    void showModelDock();
    void showBottomDock(QDockWidget *dock, int needed);
    void setupImportance();
    void loadImportanceWithDialog();
    void useImportance(std::shared_ptr<const qs::ImportanceMatrix> matrix);
    void applyChosenScheme(const qs::QuantSpec &spec);
    void showSchemeGrid(const std::shared_ptr<const qs::SchemeAnalysis> &analysis);
    void createActions();
    void createFileActions();
    void createEditActions();
    void createViewActions();
    void createExportMenus(QMenu *file);
    QAction *createExportTargetAction(const qs::Exporter &exporter);
    void createExportTableAction();
    void createExportPlotMenu(QMenu *menu);
    void updateExportActions();
    ExportRunner::Request exportRequest(const qs::Exporter &exporter, const QString &output) const;
    QString suggestedExportPath(const qs::Exporter &exporter) const;
    QString askExportOutput(const qs::Exporter &exporter);
    bool exportCheckPassed(const qs::Exporter &exporter, const QString &error);
    bool confirmExportFolder(const qs::Exporter &exporter, const QString &folder);
    void onTargetExportFinished(const QString &output, ExportRunner::Outcome outcome,
                                const QStringList &written, const QString &message);
    void exportTableWithDialog();
    QAction *createToggle(const QString &text, bool checked);
    void updatePlotVisibility();
    void createMenus();
    void createToolBar();
    void createStatusBar();
    void connectPanels();
    void restoreSettings();
    void applyFirstStartGeometry();
    void restoreScheme(const QSettings &settings);
    void saveSettings() const;
    void markOverrides();
    void rememberPlan() const;
    // True when nothing unexported would be lost, or the user chose to discard it. "Save" starts
    // an export and returns false: the pending action does not happen.
    bool confirmDiscard(const QString &action);
    void openFromUser(const QString &path);
    void offerFirstStartHint();

    void openWithDialog();
    void exportWithDialog();
    void importWithDialog();
    void onExportFinished(const QString &path, ConfigExporter::Outcome outcome, const QString &message);
    void showMessage(QMessageBox::Icon icon, const QString &title, const QString &text);
    void rememberDirectory(const QString &path);
    QString lastDirectory() const;
    void updateFileState();

    MessageHandler m_messageHandler;
    AskHandler m_askHandler;
    QString m_currentFile;
    QString m_demoFile;

    TensorBrowser *m_browser = nullptr;
    QuantControls *m_controls = nullptr;
    SchemeControls *m_schemeControls = nullptr;
    GroupBar *m_groupBar = nullptr;
    HistogramPlot *m_histogram = nullptr;
    MappingPlot *m_mapping = nullptr;
    ErrorPlot *m_error = nullptr;
    StatsPanel *m_stats = nullptr;
    QSplitter *m_plotSplitter = nullptr;
    QSplitter *m_lowerSplitter = nullptr;
    QDockWidget *m_browserDock = nullptr;
    QDockWidget *m_statsDock = nullptr;
    SchemeInsights *m_insights = nullptr;
    QDockWidget *m_schemeDock = nullptr;
    MethodThresholds *m_methodThresholds = nullptr;
    BusyIndicator *m_busy = nullptr;
    BusyIndicator *m_methodsBusy = nullptr;
    ModelPanel *m_modelPanel = nullptr;
    ModelSweep *m_modelSweep = nullptr;
    QDockWidget *m_modelDock = nullptr;
    PlanPanel *m_planPanel = nullptr;
    QDockWidget *m_planDock = nullptr;
    BitsPanel *m_bits = nullptr;
    QDockWidget *m_bitsDock = nullptr;
    QAction *m_bitsAction = nullptr;
    QTimer *m_resweepTimer = nullptr;
    using FitOutcome = qs::Result<qs::BudgetProblem>;
    BusyIndicator *m_fitBusy = nullptr;
    QFutureWatcher<FitOutcome> *m_fitWatcher = nullptr;
    qs::Ladder m_fitLadder;
    BusyIndicator *m_modelBusy = nullptr;
    ReferenceComparer *m_reference = nullptr;
    HintBar *m_hint = nullptr;
    DockWidths *m_dockWidths = nullptr;
    PlanUndo *m_undo = nullptr;
    QLabel *m_fileLabel = nullptr;

    AnalysisController *m_controller = nullptr;
    ConfigExporter *m_exporter = nullptr;
    ExportRunner *m_exportRunner = nullptr;
    QMenu *m_exportMenu = nullptr;
    QAction *m_exportTableAction = nullptr;
    QList<QAction *> m_exportTargetActions; // what an export in progress disables
    RecentFiles *m_recent = nullptr;

    QAction *m_openAction = nullptr;
    QAction *m_exportAction = nullptr;
    QAction *m_importAction = nullptr;
    QAction *m_propertiesAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_undoAction = nullptr;
    QAction *m_redoAction = nullptr;
    QAction *m_copyFiguresAction = nullptr;
    QAction *m_histogramLogAction = nullptr;
    QAction *m_errorLogAction = nullptr;
    QAction *m_resetZoomAction = nullptr;
    QAction *m_showMappingAction = nullptr;
    QAction *m_showErrorAction = nullptr;
    QAction *m_methodThresholdsAction = nullptr;
    QAction *m_filterAction = nullptr;
    QAction *m_modelPanelAction = nullptr;
    QAction *m_sweepAction = nullptr;
    QAction *m_planPanelAction = nullptr;
    QAction *m_openPlanAction = nullptr;
    QAction *m_overrideAction = nullptr;
    QAction *m_keepAction = nullptr;
    QAction *m_clearOverrideAction = nullptr;
    QAction *m_savePlanAction = nullptr;
    QAction *m_openSessionAction = nullptr;
    QAction *m_saveSessionAction = nullptr;
    QString m_importancePath; // the loaded importance matrix, for sessions
    ImatrixLoader *m_imatrix = nullptr;
    QAction *m_loadImatrixAction = nullptr;
    QAction *m_clearImatrixAction = nullptr;
    QLabel *m_imatrixLabel = nullptr;
    QMenu *m_recentMenu = nullptr;
    QToolBar *m_toolBar = nullptr;
    QToolBar *m_schemeToolBar = nullptr;
    QPointer<CheckpointPropertiesDialog> m_properties;
    bool m_splittersRestored = false; // else they get default proportions once shown
    bool m_closeAfterExport = false;
};

} // namespace qs::ui
