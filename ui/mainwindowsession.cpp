// The main window's session files: the checkpoint, its plan, the importance matrix, the
// reference, the selected tensor and the view, saved and restored together.
#include "mainwindow.h"

#include "analysiscontroller.h"
#include "planundo.h"
#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "referencecomparer.h"
#include "sessionfile.h"
#include "tensorbrowser.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QStatusBar>

namespace qs::ui {

void MainWindow::createSessionActions() {
    m_openSessionAction = new QAction(tr("Open &Session…"), this);
    m_openSessionAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    m_openSessionAction->setToolTip(
        tr("Reopen a saved session: checkpoint, plan, importance matrix, reference, tensor and view"));
    connect(m_openSessionAction, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open Session"), lastDirectory(), tr("Quantscope session (*.qsession);;All files (*)"));
        if (path.isEmpty())
            return;
        rememberDirectory(path);
        openSessionFrom(path);
    });
    m_saveSessionAction = new QAction(tr("Save Sessio&n…"), this);
    m_saveSessionAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    m_saveSessionAction->setToolTip(
        tr("Save the checkpoint's path, the plan, the importance matrix, the reference, the selected "
           "tensor and the view in one file"));
    connect(m_saveSessionAction, &QAction::triggered, this, [this] {
        const QString suggested = lastDirectory() + QLatin1Char('/') +
                                  QFileInfo(m_currentFile).completeBaseName() + QStringLiteral(".qsession");
        const QString path = QFileDialog::getSaveFileName(this, tr("Save Session"), suggested,
                                                          tr("Quantscope session (*.qsession)"));
        if (path.isEmpty())
            return;
        rememberDirectory(path);
        saveSessionTo(path);
    });
}

SessionState MainWindow::sessionState() const {
    SessionState state;
    state.checkpoint = m_currentFile;
    state.plan = m_controller->session().plan();
    state.importance = m_importancePath;
    state.reference = m_reference->path();
    if (const auto tensor = m_controller->currentTensor())
        state.selectedTensor = QString::fromStdString(m_controller->session().tensors()[*tensor].name);
    state.group = m_controller->currentGroup();
    state.normalised = m_controller->normalisedView();
    state.histogramLog = m_histogram->logScale();
    state.errorLog = m_error->logScale();
    state.windowState = saveState();
    return state;
}

bool MainWindow::saveSessionTo(const QString &path) {
    if (m_currentFile.isEmpty())
        return false;
    if (QFileInfo(path).absoluteFilePath() == m_currentFile) {
        showMessage(
            QMessageBox::Warning, tr("Cannot Save Session"),
            tr("%1 is the open checkpoint; choose another name.").arg(QDir::toNativeSeparators(path)));
        return false;
    }
    if (const qs::Status saved = saveSession(path, sessionState()); !saved) {
        showMessage(QMessageBox::Warning, tr("Cannot Save Session"), QString::fromStdString(saved.error()));
        return false;
    }
    statusBar()->showMessage(tr("Session saved to %1").arg(QDir::toNativeSeparators(path)), kStatusMessageMs);
    return true;
}

bool MainWindow::openSessionFrom(const QString &path) {
    const auto state = loadSession(path);
    if (!state) {
        showMessage(QMessageBox::Critical, tr("Cannot Open Session"), QString::fromStdString(state.error()));
        return false;
    }
    if (!openFile(state->checkpoint))
        return false;
    // A session is a document of its own: its plan starts a fresh undo history.
    m_controller->setPlan(state->plan);
    m_undo->clear();
    restoreSessionInputs(state.value());
    if (!state->windowState.isEmpty())
        restoreState(state->windowState);
    m_histogram->setLogScale(state->histogramLog);
    m_error->setLogScale(state->errorLog);
    m_controller->setNormalisedView(state->normalised);
    if (const auto index = m_controller->session().indexOf(state->selectedTensor.toStdString())) {
        const qint64 group = state->group;
        if (group > 0) // the group exists once the tensor's scheme analysis is on screen
            connect(
                m_controller, &AnalysisController::schemeAnalysisShown, this,
                [this, group] { m_controller->selectGroup(group); }, Qt::SingleShotConnection);
        m_browser->selectTensor(*index);
    }
    statusBar()->showMessage(tr("Session %1 opened").arg(QFileInfo(path).fileName()), kStatusMessageMs);
    return true;
}

// The importance matrix and the reference load in the background, each with its own errors.
void MainWindow::restoreSessionInputs(const SessionState &state) {
    if (!state.importance.isEmpty())
        loadImportanceFrom(state.importance);
    if (!state.reference.isEmpty())
        m_reference->open(state.reference);
}

} // namespace qs::ui
