// The main window's exports: File ▸ Export (every registered target, grouped by what it writes,
// run in the background by an ExportRunner), File ▸ Export Plot and the Model table as CSV.
#include "mainwindow.h"

#include "analysiscontroller.h"
#include "export/exporter.h"
#include "exportrunner.h"
#include "imatrixloader.h"
#include "modelpanel.h"
#include "plotexport.h"
#include "plots/bitserrorchart.h"
#include "plots/channelrangeplot.h"
#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "plots/layerchart.h"
#include "plots/mappingplot.h"
#include "plots/qcustomplotinclude.h"
#include "plots/schemeheatmap.h"
#include "schemeinsights.h"
#include "tablecsv.h"

#include <QAbstractButton>
#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QStatusBar>
#include <QTableView>

namespace qs::ui {

namespace {

QString qstr(const std::string &text) {
    return QString::fromStdString(text);
}

QString sectionTitle(qs::ExportCapability capability) {
    switch (capability) {
    case qs::ExportCapability::Config:
        return MainWindow::tr("Configs");
    case qs::ExportCapability::Weights:
        return MainWindow::tr("Quantized Weights");
    case qs::ExportCapability::Table:
        return MainWindow::tr("Table");
    }
    return QString();
}

// What the target writes and can express, and the command line that does the same.
QString exporterToolTip(const qs::Exporter &exporter) {
    QStringList files;
    for (const std::string &file : exporter.outputFiles())
        files << qstr(file);
    const QString writes =
        exporter.outputIsFolder()
            ? MainWindow::tr("Writes a folder with %1.").arg(files.join(QStringLiteral(", ")))
            : MainWindow::tr("Writes one .%1 file.").arg(files.value(0));
    const bool weights = exporter.capability() == qs::ExportCapability::Weights;
    const QString command =
        QStringLiteral("quantscope-cli %1 FILE --to %2")
            .arg(weights ? QStringLiteral("quantize") : QStringLiteral("export"), qstr(exporter.id()));
    return MainWindow::tr(
               "<b>%1</b><br>%2 Can express: %3.<br>The plan on screen, as <nobr><tt>%4</tt></nobr> "
               "writes it.")
        .arg(qstr(exporter.displayName()).toHtmlEscaped(), writes,
             qstr(exporter.schemesText()).toHtmlEscaped(), command.toHtmlEscaped());
}

// "model.safetensors, config.json in /out" or the one file's path.
QString writtenText(const QStringList &written, const QString &output) {
    if (written.size() == 1)
        return QDir::toNativeSeparators(written.first());
    QStringList names;
    for (const QString &path : written)
        names << QFileInfo(path).fileName();
    return MainWindow::tr("%1 in %2").arg(names.join(QStringLiteral(", ")), QDir::toNativeSeparators(output));
}

} // namespace

// File ▸ Export ▸ (targets by capability, then the Model table as shown), Export Plot ▸ and the
// per-tensor config of format version 1, which the unexported-changes question still offers.
void MainWindow::createExportMenus(QMenu *file) {
    m_exportRunner = new ExportRunner(this);
    connect(m_exportRunner, &ExportRunner::runningChanged, this, &MainWindow::updateExportActions);
    connect(m_exportRunner, &ExportRunner::finished, this, &MainWindow::onTargetExportFinished);
    connect(this, &MainWindow::fileOpened, this, &MainWindow::updateExportActions);

    m_exportMenu = file->addMenu(tr("E&xport"));
    m_exportMenu->setObjectName(QStringLiteral("exportMenu"));
    m_exportMenu->setToolTipsVisible(true);
    for (const auto capability :
         {qs::ExportCapability::Config, qs::ExportCapability::Weights, qs::ExportCapability::Table}) {
        bool first = true;
        for (const qs::Exporter *exporter : qs::exporters()) {
            if (exporter->capability() != capability)
                continue;
            if (std::exchange(first, false))
                m_exportMenu->addSection(sectionTitle(capability));
            m_exportTargetActions << createExportTargetAction(*exporter);
        }
        if (capability == qs::ExportCapability::Table) {
            if (first)
                m_exportMenu->addSection(sectionTitle(capability));
            createExportTableAction();
        }
    }
    createExportPlotMenu(file->addMenu(tr("Export &Plot")));
    file->addAction(m_exportAction);
    file->addAction(m_importAction);
    updateExportActions();
}

QAction *MainWindow::createExportTargetAction(const qs::Exporter &exporter) {
    QAction *action = m_exportMenu->addAction(qstr(exporter.displayName()) + QStringLiteral("…"));
    action->setToolTip(exporterToolTip(exporter));
    action->setData(qstr(exporter.id()));
    // The plan file is the export people make most; the registry lists it first.
    if (exporter.id() == "quantscope")
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    connect(action, &QAction::triggered, this, [this, &exporter] { exportTargetWithDialog(exporter); });
    return action;
}

void MainWindow::createExportTableAction() {
    m_exportTableAction = m_exportMenu->addAction(tr("Model panel rows as shown (CSV)…"));
    m_exportTableAction->setToolTip(
        tr("The Model panel's table as CSV: its rows in their order, filtered as shown, and its "
           "visible columns, each cell as it reads.\nEvery tensor, every column (CSV) writes the "
           "whole model instead, as quantscope-cli export --to csv does"));
    connect(m_exportTableAction, &QAction::triggered, this, &MainWindow::exportTableWithDialog);
    QTableView *view = m_modelPanel->view();
    auto *separator = new QAction(view);
    separator->setSeparator(true);
    QAction *contextCsv = new QAction(tr("Export Table as CSV…"), view);
    contextCsv->setToolTip(m_exportTableAction->toolTip());
    connect(contextCsv, &QAction::triggered, this, &MainWindow::exportTableWithDialog);
    view->addActions({separator, contextCsv});
    m_exportTargetActions << m_exportTableAction;
}

// Entries for plots that are not on screen are disabled: an image takes the plot's size.
void MainWindow::createExportPlotMenu(QMenu *menu) {
    struct Entry {
        QCustomPlot *plot;
        QString title;
        QString panel; // where to look for it
    };
    const QList<Entry> plots = {
        {m_histogram->plot(), tr("Weight Histogram"), QString()},
        {m_mapping->plot(), tr("Mapping"), tr("View ▸ Mapping Plot")},
        {m_error->histogramPlot(), tr("Error Histogram"), tr("View ▸ Error Plot")},
        {m_error->curvePlot(), tr("MSE Against Threshold"), tr("View ▸ Error Plot")},
        {m_modelPanel->layerChart()->plot(), tr("Error by Layer"), tr("the Model panel")},
        {m_insights->channelPlot()->plot(), tr("Range per Channel"), tr("the Scheme panel's Channels tab")},
        {m_insights->heatmap()->plot(), tr("Group Heatmap"), tr("the Scheme panel's Heatmap tab")},
        {m_insights->bitsChart()->plot(), tr("SQNR Against Bits per Weight"),
         tr("the Scheme panel's Bits tab")},
    };
    menu->setObjectName(QStringLiteral("exportPlotMenu"));
    menu->setToolTipsVisible(true);
    for (int i = 0; i < plots.size(); ++i) {
        const Entry &entry = plots[i];
        if (i < 4) // the panels' own plots install theirs
            installPlotContextMenu(entry.plot, entry.title);
        if (i == 4)
            menu->addSeparator();
        QAction *action = menu->addAction(
            entry.title + QStringLiteral("…"), this,
            [this, plot = entry.plot, title = entry.title] { savePlotWithDialog(plot, title, this); });
        connect(menu, &QMenu::aboutToShow, action, [action, entry] {
            const bool shown = entry.plot->isVisible() && entry.plot->width() > 0 && entry.plot->height() > 0;
            action->setEnabled(shown);
            action->setToolTip(shown ? tr("Save the plot as PNG, SVG or PDF")
                                     : tr("Not on screen: show it with %1 first").arg(entry.panel));
        });
    }
}

void MainWindow::updateExportActions() {
    const bool enabled = !m_currentFile.isEmpty() && !(m_exportRunner && m_exportRunner->isRunning());
    for (QAction *action : std::as_const(m_exportTargetActions))
        action->setEnabled(enabled);
}

ExportRunner::Request MainWindow::exportRequest(const qs::Exporter &exporter, const QString &output) const {
    return {&exporter, m_controller->reader(), m_controller->session().plan(), m_imatrix->matrix(), output};
}

// The file (or folder) the dialog suggests: beside the last export, named after the checkpoint
// and the target.
QString MainWindow::suggestedExportPath(const qs::Exporter &exporter) const {
    const QString base = QFileInfo(m_currentFile).completeBaseName();
    const QString id = qstr(exporter.id());
    if (exporter.outputIsFolder())
        return lastDirectory() + QLatin1Char('/') + base + QLatin1Char('-') + id;
    const QString suffix =
        qstr(exporter.outputFiles().empty() ? std::string() : exporter.outputFiles().front());
    return lastDirectory() + QLatin1Char('/') + base + (id == suffix ? QString() : QLatin1Char('.') + id) +
           QLatin1Char('.') + suffix;
}

QString MainWindow::askExportOutput(const qs::Exporter &exporter) {
    const QString title = tr("Export %1").arg(qstr(exporter.displayName()));
    if (exporter.outputIsFolder())
        return QFileDialog::getExistingDirectory(this, title, suggestedExportPath(exporter));
    QFileDialog dialog(this, title, suggestedExportPath(exporter),
                       qstr(exporter.fileFilter()) + QStringLiteral(";;") + tr("All files (*)"));
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setFileMode(QFileDialog::AnyFile);
    if (!exporter.outputFiles().empty())
        dialog.setDefaultSuffix(qstr(exporter.outputFiles().front()));
    dialog.selectFile(suggestedExportPath(exporter));
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty())
        return QString();
    return dialog.selectedFiles().first();
}

// The plan is checked before anything is asked: a refusal costs the user no dialog.
void MainWindow::exportTargetWithDialog(const qs::Exporter &exporter) {
    if (m_currentFile.isEmpty() || m_exportRunner->isRunning())
        return;
    if (!exportCheckPassed(exporter,
                           ExportRunner::check(exportRequest(exporter, suggestedExportPath(exporter)))))
        return;
    const QString output = askExportOutput(exporter);
    if (output.isEmpty())
        return;
    rememberDirectory(output);
    exportTargetTo(exporter, output);
}

bool MainWindow::exportTargetTo(const qs::Exporter &exporter, const QString &output) {
    if (m_currentFile.isEmpty() || m_exportRunner->isRunning())
        return false;
    ExportRunner::Request request = exportRequest(exporter, QFileInfo(output).absoluteFilePath());
    if (!exportCheckPassed(exporter, ExportRunner::check(request)) ||
        !confirmExportFolder(exporter, request.output))
        return false;
    statusBar()->showMessage(tr("Exporting %1…").arg(qstr(exporter.displayName())));
    return m_exportRunner->start(std::move(request));
}

// True when error is empty; else says why the target refused, and that nothing was written.
bool MainWindow::exportCheckPassed(const qs::Exporter &exporter, const QString &error) {
    if (error.isEmpty())
        return true;
    showMessage(QMessageBox::Warning, tr("Cannot Export %1").arg(qstr(exporter.displayName())),
                error + QStringLiteral("\n\n") + tr("Nothing was written."));
    return false;
}

// Writing into a folder that holds files replaces those of the same names: ask first.
bool MainWindow::confirmExportFolder(const qs::Exporter &exporter, const QString &folder) {
    if (!exporter.outputIsFolder())
        return true;
    const QDir dir(folder);
    if (!dir.exists() || dir.isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System))
        return true;
    QStringList replaced;
    for (const std::string &path : exporter.outputPaths(folder.toStdString()))
        if (QFileInfo::exists(qstr(path)))
            replaced << QFileInfo(qstr(path)).fileName();
    const QString title = tr("Folder Not Empty");
    QString text = tr("%1 already holds files.").arg(QDir::toNativeSeparators(folder));
    if (!replaced.isEmpty())
        text += QLatin1Char(' ') + tr("The export replaces %1.").arg(replaced.join(QStringLiteral(", ")));
    text += QLatin1Char(' ') + tr("Write the export into it?");
    if (m_askHandler)
        return m_askHandler(title, text) == QMessageBox::Yes;
    QMessageBox box(QMessageBox::Question, title, text, QMessageBox::Yes | QMessageBox::Cancel, this);
    box.button(QMessageBox::Yes)->setText(tr("Write Into Folder"));
    box.setDefaultButton(QMessageBox::Cancel);
    return box.exec() == QMessageBox::Yes;
}

void MainWindow::onTargetExportFinished(const QString &output, ExportRunner::Outcome outcome,
                                        const QStringList &written, const QString &message) {
    switch (outcome) {
    case ExportRunner::Outcome::Written:
        statusBar()->showMessage(tr("Exported: %1").arg(writtenText(written, output)), kStatusMessageMs * 2);
        break;
    case ExportRunner::Outcome::Cancelled:
        statusBar()->showMessage(tr("Export cancelled; nothing was written"), kStatusMessageMs);
        break;
    case ExportRunner::Outcome::Failed:
        statusBar()->clearMessage();
        showMessage(QMessageBox::Warning, tr("Export Failed"),
                    tr("Could not export to %1:\n%2").arg(QDir::toNativeSeparators(output), message));
        break;
    }
    Q_EMIT targetExported(output, outcome == ExportRunner::Outcome::Written);
}

void MainWindow::exportTableWithDialog() {
    if (m_currentFile.isEmpty())
        return;
    const QString suggested = lastDirectory() + QLatin1Char('/') +
                              QFileInfo(m_currentFile).completeBaseName() + QStringLiteral(".table.csv");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Model Table"), suggested,
                                                      tr("CSV table (*.csv);;All files (*)"));
    if (path.isEmpty())
        return;
    rememberDirectory(path);
    exportTableTo(path);
}

bool MainWindow::exportTableTo(const QString &path) {
    if (const QString error = saveTableViewCsv(*m_modelPanel->view(), path); !error.isEmpty()) {
        showMessage(QMessageBox::Warning, tr("Export Failed"),
                    tr("Could not write the table to %1:\n%2").arg(QDir::toNativeSeparators(path), error));
        return false;
    }
    statusBar()->showMessage(tr("Exported the Model table to %1").arg(QDir::toNativeSeparators(path)),
                             kStatusMessageMs);
    return true;
}

} // namespace qs::ui
