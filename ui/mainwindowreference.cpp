// The main window's A/B comparison with a reference checkpoint: File ▸ Open Reference… and
// Clear Reference, the Model table's Ref columns filled by a background pass (progress and
// cancel in the status bar), and the reference's histogram of the shown tensor over its own.
#include "mainwindow.h"

#include "analysiscontroller.h"
#include "busyindicator.h"
#include "modelpanel.h"
#include "plots/histogramplot.h"
#include "referencecomparer.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QStatusBar>
#include <QTableView>

namespace qs::ui {

namespace {

// The Ref columns show only while a reference is open: without one they would be empty.
void showReferenceColumns(ModelPanel *panel, bool shown) {
    for (int column = ModelTableModel::RefMse; column < ModelTableModel::ColumnCount; ++column)
        panel->view()->setColumnHidden(column, !shown);
}

// "3 of 4 tensors paired": what the bars' tooltip and the status bar say about a reference.
QString pairedText(const ReferenceComparer &comparer) {
    return MainWindow::tr("%1 of %2 tensors paired")
        .arg(comparer.pairedCount())
        .arg(comparer.pairings().size());
}

// The legend's tooltip: which tensor the outline is, and what the shown bins leave out.
QString overlayDescription(const qs::ReferencePairing &pairing, const qs::BinnedValues &counts) {
    QString text = MainWindow::tr("Reference tensor: %1").arg(QString::fromStdString(pairing.partnerName));
    const std::int64_t outside = counts.below + counts.above;
    if (outside > 0)
        text += MainWindow::tr("\n%1 of its values lie outside this tensor's range").arg(outside);
    if (counts.nonFinite > 0)
        text += MainWindow::tr("\n%1 of its values are NaN or infinite").arg(counts.nonFinite);
    return text;
}

} // namespace

void MainWindow::setupReference(QMenu *fileMenu) {
    m_reference = new ReferenceComparer(this);
    auto *openAction = new QAction(tr("Open &Reference…"), this);
    openAction->setObjectName(QStringLiteral("openReferenceAction"));
    openAction->setToolTip(
        tr("Compare every tensor with its partner in a second checkpoint, e.g. a quantized "
           "copy: the Model panel's Ref columns and an outline on the histogram"));
    openAction->setEnabled(false);
    auto *clearAction = new QAction(tr("C&lear Reference"), this);
    clearAction->setObjectName(QStringLiteral("clearReferenceAction"));
    clearAction->setEnabled(false);
    fileMenu->addSeparator();
    fileMenu->addAction(openAction);
    fileMenu->addAction(clearAction);
    connect(openAction, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open Reference Checkpoint"),
                                                          lastDirectory(), openFilter());
        if (!path.isEmpty())
            m_reference->open(path);
    });
    connect(clearAction, &QAction::triggered, m_reference, &ReferenceComparer::clear);
    connect(this, &MainWindow::fileOpened, this, [this, openAction] {
        openAction->setEnabled(true);
        m_reference->setCheckpoint(m_controller->reader());
    });
    connect(m_reference, &ReferenceComparer::opened, clearAction,
            [clearAction] { clearAction->setEnabled(true); });
    connect(m_reference, &ReferenceComparer::cleared, clearAction,
            [clearAction] { clearAction->setEnabled(false); });

    auto *busy = new BusyIndicator(this);
    busy->setObjectName(QStringLiteral("referenceBusy"));
    busy->setCancelToolTip(tr("Stop comparing with the reference; the pairs measured so far stay"));
    statusBar()->addPermanentWidget(busy);
    connect(busy, &BusyIndicator::cancelRequested, m_reference, &ReferenceComparer::cancel);
    connect(m_reference, &ReferenceComparer::started, busy, [busy](int pairs) {
        busy->setBusy(pairs > 0);
        busy->setProgress(0, tr("Comparing with the reference: 0 / %1 tensors").arg(pairs));
    });
    connect(m_reference, &ReferenceComparer::progressChanged, busy, [busy](int done, int total) {
        busy->setProgress(total > 0 ? done * 100 / total : 100,
                          tr("Comparing with the reference: %1 / %2 tensors").arg(done).arg(total));
    });
    connect(m_reference, &ReferenceComparer::finished, busy, [busy] { busy->setBusy(false); });

    connect(m_reference, &ReferenceComparer::opened, this, [this](const QString &path) {
        m_modelPanel->model()->setReferencePairings(m_reference->pairings());
        showReferenceColumns(m_modelPanel, true);
        statusBar()->showMessage(
            tr("Reference %1: %2").arg(QFileInfo(path).fileName(), pairedText(*m_reference)),
            kStatusMessageMs);
        if (const auto tensor = m_controller->currentAnalysis())
            m_reference->requestHistogram(tensor->index, tensor->stats.histogram);
        else
            m_histogram->setReferenceHistogram(std::nullopt);
    });
    connect(m_reference, &ReferenceComparer::failed, this, [this](const QString &message) {
        showMessage(QMessageBox::Critical, tr("Cannot Open Reference"), message);
    });
    connect(m_reference, &ReferenceComparer::cleared, this, [this] {
        m_modelPanel->model()->setReferencePairings({});
        showReferenceColumns(m_modelPanel, false);
        m_histogram->setReferenceHistogram(std::nullopt);
    });
    connect(m_reference, &ReferenceComparer::outcomeReady, this,
            [this](std::size_t index, const ReferenceComparer::Outcome &outcome) {
                if (outcome.difference)
                    m_modelPanel->model()->setReferenceDifference(index, *outcome.difference);
                else
                    m_modelPanel->model()->setReferenceError(index, outcome.error);
            });
    showReferenceColumns(m_modelPanel, false);

    // The outline follows the shown tensor: requested when it is on screen, drawn if it still is.
    connect(m_controller, &AnalysisController::tensorShown, this, [this](std::size_t index) {
        if (const auto tensor = m_controller->currentAnalysis(); tensor && m_reference->partnerOf(index))
            m_reference->requestHistogram(index, tensor->stats.histogram);
    });
    connect(m_reference, &ReferenceComparer::histogramReady, this,
            [this](std::size_t index, const qs::BinnedValues &counts) {
                const auto tensor = m_controller->currentAnalysis();
                const qs::ReferencePairing *pairing = m_reference->partnerOf(index);
                if (!tensor || tensor->index != index || !pairing)
                    return;
                m_histogram->setReferenceHistogram(counts.histogram, overlayDescription(*pairing, counts));
            });
}

} // namespace qs::ui
