// The main window's importance matrix: File ▸ Load / Clear Importance Matrix, its properties in
// the status bar, and handing it to the tensor view's analyses and to the Model panel's sweep.
#include "mainwindow.h"

#include "analysiscontroller.h"
#include "imatrixloader.h"
#include "modelsweep.h"
#include "quant/schemequant.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QStatusBar>

namespace qs::ui {

void MainWindow::setupImportance() {
    m_imatrix = new ImatrixLoader(this);
    m_loadImatrixAction = new QAction(tr("Load &Importance Matrix…"), this);
    m_loadImatrixAction->setToolTip(
        tr("A llama.cpp importance matrix (imatrix.dat or GGUF): q4_0, q4_1, q5_0, q5_1 and the K types "
           "quantize with it as llama-quantize --imatrix does, and the Model panel adds a Weighted MSE"));
    connect(m_loadImatrixAction, &QAction::triggered, this, &MainWindow::loadImportanceWithDialog);
    m_clearImatrixAction = new QAction(tr("C&lear Importance Matrix"), this);
    m_clearImatrixAction->setEnabled(false);
    connect(m_clearImatrixAction, &QAction::triggered, m_imatrix, &ImatrixLoader::clear);

    m_imatrixLabel = new QLabel(this);
    m_imatrixLabel->setObjectName(QStringLiteral("imatrixLabel"));
    m_imatrixLabel->hide();
    statusBar()->addPermanentWidget(m_imatrixLabel);

    connect(m_imatrix, &ImatrixLoader::loadStarted, this, [this](const QString &path) {
        statusBar()->showMessage(tr("Loading the importance matrix %1…").arg(QFileInfo(path).fileName()));
    });
    connect(m_imatrix, &ImatrixLoader::failed, this, [this](const QString &, const QString &message) {
        statusBar()->clearMessage();
        showMessage(QMessageBox::Warning, tr("Importance Matrix"), message);
    });
    connect(m_imatrix, &ImatrixLoader::changed, this, &MainWindow::useImportance);
    // A matrix belongs to a model: another checkpoint keeps it only if it fits that one too.
    connect(this, &MainWindow::fileOpened, this, [this] {
        const auto reader = m_controller->reader();
        m_imatrix->setTensors(reader ? reader->tensors() : std::vector<qs::TensorInfo>{});
        m_modelSweep->setImportance(m_imatrix->matrix()); // the sweep forgot it with the old file
        if (const QString reason = m_imatrix->recheck(); !reason.isEmpty())
            showMessage(
                QMessageBox::Warning, tr("Importance Matrix"),
                tr("The importance matrix does not fit this checkpoint and was cleared:\n%1").arg(reason));
        else if (m_imatrix->matrix())
            useImportance(m_imatrix->matrix());
    });
}

void MainWindow::loadImportanceFrom(const QString &path) {
    const auto reader = m_controller->reader();
    m_imatrix->setTensors(reader ? reader->tensors() : std::vector<qs::TensorInfo>{});
    m_imatrix->load(path);
}

void MainWindow::loadImportanceWithDialog() {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Load Importance Matrix"), lastDirectory(),
                                     tr("Importance matrices (*.dat *.gguf *.imatrix);;All files (*)"));
    if (path.isEmpty())
        return;
    rememberDirectory(path);
    loadImportanceFrom(path);
}

// The tensor view and the sweep take the matrix (or none); analyses made with the old one are
// stale for the formats that quantize with it.
void MainWindow::useImportance(std::shared_ptr<const qs::ImportanceMatrix> matrix) {
    const bool changed = m_controller->service().importance() != matrix;
    m_controller->service().setImportance(matrix);
    m_modelSweep->setImportance(matrix);
    m_importancePath = matrix ? QString::fromStdString(matrix->path()) : QString();
    m_clearImatrixAction->setEnabled(matrix != nullptr);
    m_imatrixLabel->setVisible(matrix != nullptr);
    if (matrix) {
        m_imatrixLabel->setText(tr("Importance: %1").arg(ImatrixLoader::summaryText(*matrix)));
        m_imatrixLabel->setToolTip(m_imatrix->toolTipText());
        statusBar()->showMessage(m_imatrix->warning().isEmpty() ? tr("Importance matrix loaded")
                                                                : m_imatrix->warning(),
                                 kStatusMessageMs * 2);
    } else {
        m_imatrixLabel->clear();
        statusBar()->showMessage(tr("Importance matrix cleared"), kStatusMessageMs);
    }
    if (!changed)
        return;
    m_controller->session().dropExact(
        [](const qs::QuantSpec &spec) { return qs::usesImportance(spec.format); });
    if (qs::usesImportance(m_controller->currentSpec().format))
        m_controller->reloadCurrentSpec();
}

} // namespace qs::ui
