// Importance matrices in the window: File ▸ Load Importance Matrix loads one in the background,
// its properties show in the status bar, the Model panel's sweep quantizes and weighs with it
// (the Weighted MSE column fills, the figures are the core's with the weights), the tensor view's
// ggml x̂ takes it, clearing it takes it back, and a file that is no matrix leaves the window
// usable with a message.

#include "analysis/schemeanalysis.h"
#include "analysiscontroller.h"
#include "imatrixloader.h"
#include "io/checkpointreader.h"
#include "mainwindow.h"
#include "modelpanel.h"
#include "modelsweep.h"
#include "modeltablemodel.h"
#include "quant/schememeasure.h"
#include "testimatrix.h"
#include "windowfixture.h"
#include "windowsteps.h"

#include <QFile>
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using qs::ui::ImatrixLoader;
using qs::ui::MainWindow;
using qs::ui::ModelSweep;
using qs::ui::ModelTableModel;

namespace {

constexpr int kTimeoutMs = 60000;
const char *const kQ = "model.layers.0.self_attn.q_proj.weight";
const char *const kK = "model.layers.0.self_attn.k_proj.weight";
const char *const kDown = "model.layers.0.mlp.down_proj.weight";

// Spread over four decades, as real importance is.
std::vector<float> weightsOf(int columns) {
    std::vector<float> w;
    for (int j = 0; j < columns; ++j)
        w.push_back(std::pow(2.0f, float((j * 7) % 13) - 6.0f));
    return w;
}

qs::QuantSpec q40() {
    qs::QuantSpec spec;
    spec.format = qs::NumberFormat::Q4_0;
    return spec;
}

} // namespace

class TestImatrixUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void sweepFillsWeightedColumn();
    void clearingRecomputesPlain();
    void tensorViewUsesImportance();
    void badFileLeavesWindowUsable();

private:
    bool load(const QString &path);
    bool sweep();
    ModelTableModel *model() const { return m_window->modelPanel()->model(); }
    QVariant cell(const char *tensor, int column, int role = Qt::DisplayRole) const {
        return model()->index(int(qs::test::tensorIndexOf(*m_window, tensor)), column).data(role);
    }
    // The MSE the core gives the tensor under q4_0, with the weights or without.
    double coreMse(const char *tensor, std::span<const float> weights) const;

    QTemporaryDir m_dir;
    QString m_demo;
    QString m_imatrix;
    std::unique_ptr<MainWindow> m_window;
    QStringList m_messages;
};

void TestImatrixUi::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
    // The demo has hidden size 512 and intermediate size 1376; k_proj gets no entry.
    m_imatrix = m_dir.filePath(QStringLiteral("demo.imatrix.dat"));
    QFile file(m_imatrix);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(qs::test::imatrixDat({{"blk.0.attn_q.weight", weightsOf(512)},
                                     {"blk.0.ffn_down.weight", weightsOf(1376)},
                                     {"mystery.weight", {1.0f}}},
                                    12, "calibration.txt"));
}

void TestImatrixUi::init() {
    m_messages.clear();
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler(
        [this](QMessageBox::Icon, const QString &, const QString &text) { m_messages << text; });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QVERIFY(m_window->openFile(m_demo));
    m_window->controller()->setDefaultScheme(q40());
}

void TestImatrixUi::cleanup() {
    m_window.reset();
}

bool TestImatrixUi::load(const QString &path) {
    QSignalSpy changed(m_window->imatrix(), &ImatrixLoader::changed);
    QSignalSpy failed(m_window->imatrix(), &ImatrixLoader::failed);
    m_window->loadImportanceFrom(path);
    return QTest::qWaitFor([&] { return !changed.isEmpty() || !failed.isEmpty(); }, kTimeoutMs) &&
           !changed.isEmpty();
}

bool TestImatrixUi::sweep() {
    QSignalSpy finished(m_window->modelSweep(), &ModelSweep::finished);
    m_window->sweepModel();
    return QTest::qWaitFor([&] { return !finished.isEmpty(); }, kTimeoutMs) && finished.last().at(0).toBool();
}

double TestImatrixUi::coreMse(const char *tensor, std::span<const float> weights) const {
    const auto reader = m_window->controller()->reader();
    const std::size_t index = qs::test::tensorIndexOf(*m_window, tensor);
    const auto values = reader->loadFloat(index);
    const auto measured =
        qs::measureScheme(values.value()->values(), reader->tensors()[index].shape, q40(), {}, {}, weights);
    return measured ? measured->error.mse : -1.0;
}

void TestImatrixUi::sweepFillsWeightedColumn() {
    QVERIFY(load(m_imatrix));
    // Its properties: in the status bar, and all of them in the tooltip.
    QLabel *label = m_window->imatrixLabel();
    QVERIFY(label->isVisibleTo(m_window.get()));
    QVERIFY2(label->text().contains(QStringLiteral("3 entries")) &&
                 label->text().contains(QStringLiteral("12 chunks")),
             qPrintable(label->text()));
    for (const char *part : {"imatrix.dat", "calibration.txt", "Weighs 2 ", "'mystery.weight'"})
        QVERIFY2(label->toolTip().contains(QLatin1String(part)), qPrintable(label->toolTip()));
    QVERIFY(m_messages.isEmpty()); // an unmatched entry is a warning, not a message box

    QVERIFY(sweep());
    QCOMPARE(model()->headerData(ModelTableModel::WeightedMse, Qt::Horizontal).toString(),
             QStringLiteral("Weighted MSE"));
    for (const char *tensor : {kQ, kDown}) {
        QVERIFY2(!cell(tensor, ModelTableModel::WeightedMse).toString().isEmpty(), tensor);
        QVERIFY(cell(tensor, ModelTableModel::WeightedMse, Qt::UserRole).toDouble() > 0.0);
    }
    QVERIFY(cell(kK, ModelTableModel::WeightedMse).toString().isEmpty()); // no entry
    // q4_0 quantized with the weights, as the core does it.
    const std::vector<float> w = weightsOf(512);
    QCOMPARE(cell(kQ, ModelTableModel::Mse, Qt::UserRole).toDouble(), coreMse(kQ, w));
    QVERIFY(coreMse(kQ, w) != coreMse(kQ, {}));
    QCOMPARE(cell(kK, ModelTableModel::Mse, Qt::UserRole).toDouble(), coreMse(kK, {}));

    // The same matrix and scheme again: served from the cache.
    const int measured = m_window->modelSweep()->measuredCount();
    QVERIFY(sweep());
    QCOMPARE(m_window->modelSweep()->measuredCount(), measured);
}

// Without the matrix the cache's weighted results do not answer: the tensors it weighed are
// measured again on the plain path, and the column empties.
void TestImatrixUi::clearingRecomputesPlain() {
    QVERIFY(load(m_imatrix));
    QVERIFY(sweep());
    QVERIFY(!cell(kQ, ModelTableModel::WeightedMse).toString().isEmpty());
    QSignalSpy changed(m_window->imatrix(), &ImatrixLoader::changed);
    m_window->imatrix()->clear();
    QCOMPARE(changed.size(), 1);
    QVERIFY(!m_window->imatrixLabel()->isVisibleTo(m_window.get()));
    QVERIFY(!m_window->modelSweep()->importance());
    QVERIFY(sweep());
    QVERIFY(cell(kQ, ModelTableModel::WeightedMse).toString().isEmpty());
    QCOMPARE(cell(kQ, ModelTableModel::Mse, Qt::UserRole).toDouble(), coreMse(kQ, {}));
}

// The tensor view's exact pass quantizes q_proj's q4_0 with its weights once the matrix is loaded.
void TestImatrixUi::tensorViewUsesImportance() {
    QVERIFY(qs::test::openAndSelectTensor(*m_window, m_demo, kQ, kTimeoutMs));
    auto scheme = m_window->controller()->currentScheme();
    QVERIFY(scheme && scheme->spec.format == qs::NumberFormat::Q4_0);
    QVERIFY(!scheme->importanceUsed);
    QSignalSpy shown(m_window->controller(), &qs::ui::AnalysisController::exactShown);
    QVERIFY(load(m_imatrix));
    QVERIFY(QTest::qWaitFor([&] { return !shown.isEmpty(); }, kTimeoutMs));
    scheme = m_window->controller()->currentScheme();
    QVERIFY(scheme && scheme->importanceUsed);
    QCOMPARE(scheme->error.mse, coreMse(kQ, weightsOf(512)));
}

void TestImatrixUi::badFileLeavesWindowUsable() {
    const QString notes = m_dir.filePath(QStringLiteral("notes.imatrix"));
    QFile file(notes);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("not an importance matrix\n");
    file.close();
    QVERIFY(!load(notes));
    QCOMPARE(m_messages.size(), 1);
    QVERIFY2(m_messages.first().contains(QStringLiteral("not a recognised importance matrix")),
             qPrintable(m_messages.first()));
    QVERIFY(!m_window->imatrix()->matrix());
    QVERIFY(!m_window->imatrixLabel()->isVisibleTo(m_window.get()));
    // A matrix for another model: refused, naming its entries.
    const QString other = m_dir.filePath(QStringLiteral("other.imatrix.dat"));
    QFile otherFile(other);
    QVERIFY(otherFile.open(QIODevice::WriteOnly));
    otherFile.write(qs::test::imatrixDat({{"blk.40.attn_q.weight", weightsOf(512)}}));
    otherFile.close();
    QVERIFY(!load(other));
    QVERIFY2(m_messages.last().contains(QStringLiteral("'blk.40.attn_q.weight'")),
             qPrintable(m_messages.last()));
    // Still usable: the sweep runs, without weights.
    QVERIFY(sweep());
    QVERIFY(cell(kQ, ModelTableModel::WeightedMse).toString().isEmpty());
    QVERIFY(!cell(kQ, ModelTableModel::Mse).toString().isEmpty());
}

QTEST_MAIN(TestImatrixUi)
#include "tst_imatrixui.moc"
