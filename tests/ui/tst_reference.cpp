// File ▸ Open Reference: the demo checkpoint against a fake-quantized copy of it. The Model
// table's Ref columns get the core's figures (or "no partner"), the histogram gets the partner's
// outline in its own bins, Clear Reference removes both, a broken file is named, the pass can be
// cancelled, and the columns stay readable at 1024×700 and 1920×1080.

#include "analysis/referencecompare.h"
#include "analysiscontroller.h"
#include "io/checkpointreader.h"
#include "io/safetensorswriter.h"
#include "mainwindow.h"
#include "modelpanel.h"
#include "modelsweep.h"
#include "modeltablemodel.h"
#include "plotfixtures.h"
#include "plots/histogramplot.h"
#include "plots/plotstyle.h"
#include "plots/qcustomplotinclude.h"
#include "plots/referenceoverlay.h"
#include "referencecomparer.h"
#include "tensorbrowser.h"
#include "windowfixture.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDockWidget>
#include <QHeaderView>
#include <QLabel>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using qs::ui::MainWindow;
using qs::ui::ModelTableModel;
using qs::ui::ReferenceComparer;

namespace {

constexpr int kTimeoutMs = 60000;
// The copy leaves this tensor out, so that it has no partner.
const std::string kDropped = "model.norm.weight";

// Every tensor of the demo except kDropped, as F32 rounded to multiples of 1/64: a fake
// quantization whose error is at most 1/128 per value.
QString writeFakeQuantizedCopy(const QString &demo, const QString &out) {
    const auto reader = qs::openCheckpoint(demo.toStdString());
    if (!reader)
        return {};
    std::vector<qs::TensorBlob> blobs;
    for (std::size_t i = 0; i < reader.value()->tensors().size(); ++i) {
        const qs::TensorInfo &info = reader.value()->tensors()[i];
        if (info.name == kDropped)
            continue;
        const auto values = reader.value()->loadFloat(i);
        if (!values)
            return {};
        std::vector<float> rounded(values.value()->values().begin(), values.value()->values().end());
        for (float &v : rounded)
            v = std::round(v * 64.0f) / 64.0f;
        blobs.push_back({info.name, qs::DType::F32, info.shape, qs::encodeFloats(rounded, qs::DType::F32)});
    }
    return qs::writeSafetensors(out.toStdString(), blobs).ok() ? out : QString();
}

} // namespace

class TestReference : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void columnsHiddenWithoutReference();
    void openFillsColumnsWithCoreFigures();
    void overlayDrawsPartnerInSameBins();
    void tensorWithoutPartnerHasNoOverlay();
    void clearRemovesColumnsAndOverlay();
    void unreadableReferenceIsNamed();
    void cancelKeepsPairsDone();
    void readableAtWindowSizes_data();
    void readableAtWindowSizes();

private:
    bool openReference();
    ModelTableModel *model() const { return m_window->modelPanel()->model(); }
    QTableView *view() const { return m_window->modelPanel()->view(); }
    ReferenceComparer *comparer() const { return m_window->referenceComparer(); }
    std::size_t indexOf(const std::string &name) const;
    // Selects tensor index and waits until the histogram shows it.
    bool showTensor(std::size_t index);

    QTemporaryDir m_dir;
    QString m_demo;
    QString m_reference;
    QStringList m_messages;
    std::unique_ptr<MainWindow> m_window;
};

void TestReference::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
    m_reference = writeFakeQuantizedCopy(m_demo, m_dir.filePath(QStringLiteral("reference.safetensors")));
    QVERIFY(!m_reference.isEmpty());
}

void TestReference::init() {
    m_messages.clear();
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler([this](QMessageBox::Icon, const QString &title, const QString &text) {
        m_messages << title + QStringLiteral(": ") + text;
    });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    new QAbstractItemModelTester(model(), QAbstractItemModelTester::FailureReportingMode::QtTest,
                                 m_window.get());
    QVERIFY(m_window->openFile(m_demo));
}

void TestReference::cleanup() {
    m_window.reset();
}

bool TestReference::openReference() {
    QSignalSpy finished(comparer(), &ReferenceComparer::finished);
    comparer()->open(m_reference);
    return QTest::qWaitFor([&] { return !finished.isEmpty(); }, kTimeoutMs) && finished.last().at(0).toBool();
}

std::size_t TestReference::indexOf(const std::string &name) const {
    const auto &tensors = m_window->controller()->reader()->tensors();
    for (std::size_t i = 0; i < tensors.size(); ++i)
        if (tensors[i].name == name)
            return i;
    return tensors.size();
}

bool TestReference::showTensor(std::size_t index) {
    m_window->browser()->selectTensor(index);
    return QTest::qWaitFor(
        [&] {
            const auto tensor = m_window->controller()->currentAnalysis();
            return tensor && tensor->index == index;
        },
        kTimeoutMs);
}

void TestReference::columnsHiddenWithoutReference() {
    for (int column = ModelTableModel::RefMse; column < ModelTableModel::ColumnCount; ++column)
        QVERIFY(view()->isColumnHidden(column));
    auto *open = m_window->findChild<QAction *>(QStringLiteral("openReferenceAction"));
    auto *clear = m_window->findChild<QAction *>(QStringLiteral("clearReferenceAction"));
    QVERIFY(open && clear);
    QVERIFY(open->isEnabled()); // a checkpoint is open
    QVERIFY(!clear->isEnabled());
    QVERIFY(model()->index(0, ModelTableModel::RefMse).data().toString().isEmpty());
}

// The table's figures are the core's for the same pair, formatted as the other columns are.
void TestReference::openFillsColumnsWithCoreFigures() {
    QVERIFY(openReference());
    for (int column = ModelTableModel::RefMse; column < ModelTableModel::ColumnCount; ++column)
        QVERIFY(!view()->isColumnHidden(column));
    QVERIFY(m_window->findChild<QAction *>(QStringLiteral("clearReferenceAction"))->isEnabled());
    const std::size_t q = indexOf("model.layers.0.self_attn.q_proj.weight");
    const auto checkpoint = m_window->controller()->reader();
    const auto reference = qs::openCheckpoint(m_reference.toStdString());
    QVERIFY(reference);
    const auto pairs = qs::pairWithReference(*checkpoint, *reference.value());
    const auto expected = qs::compareReferencePair(*checkpoint, *reference.value(), pairs[q]);
    QVERIFY(expected);
    const qs::ValueError &e = expected->error;
    QVERIFY(e.mse > 0.0 && e.maxAbsError <= 1.0 / 128.0 + 1e-7); // rounding to 1/64
    const auto cell = [&](int column) { return model()->index(int(q), column).data().toString(); };
    QCOMPARE(cell(ModelTableModel::RefMse), qs::ui::formatNumber(e.mse, 3));
    QCOMPARE(cell(ModelTableModel::RefSqnr), QString::number(*e.sqnrDb, 'f', 1));
    QCOMPARE(cell(ModelTableModel::RefCosine), QString::number(e.cosine, 'f', 6));
    QCOMPARE(cell(ModelTableModel::RefMaxDiff), qs::ui::formatNumber(e.maxAbsError, 3));
    QCOMPARE(model()->index(int(q), ModelTableModel::RefMse).data(Qt::UserRole).toDouble(), e.mse);

    const std::size_t dropped = indexOf(kDropped);
    QCOMPARE(model()->index(int(dropped), ModelTableModel::RefMse).data().toString(),
             QStringLiteral("no partner"));
    const QString why =
        model()->index(int(dropped), ModelTableModel::RefCosine).data(Qt::ToolTipRole).toString();
    QVERIFY2(why.contains(QStringLiteral("no tensor named model.norm.weight")), qPrintable(why));
    // Every other row has figures.
    int measured = 0;
    for (int row = 0; row < model()->rowCount(); ++row)
        measured += model()->index(row, ModelTableModel::RefMse).data(Qt::UserRole).isValid() ? 1 : 0;
    QCOMPARE(measured, model()->rowCount() - 1);
    QCOMPARE(comparer()->pairedCount(), model()->rowCount() - 1);
}

// The outline counts the partner's values in the tensor's own fine bins, as the core does.
void TestReference::overlayDrawsPartnerInSameBins() {
    const std::size_t up = indexOf("model.layers.0.mlp.up_proj.weight");
    QVERIFY(showTensor(up));
    qs::ui::ReferenceOverlay *overlay = m_window->histogramPlot()->referenceOverlay();
    QVERIFY(!overlay->graph()->visible());
    QSignalSpy ready(comparer(), &ReferenceComparer::histogramReady);
    QVERIFY(openReference());
    QTRY_VERIFY_WITH_TIMEOUT(overlay->hasData(), kTimeoutMs);
    QVERIFY(overlay->graph()->visible());
    QVERIFY(overlay->legend()->isVisible());
    QVERIFY(overlay->legend()->text().contains(QStringLiteral("reference")));
    QVERIFY(overlay->graph()->pen().color() != qs::ui::colors::values());
    QVERIFY(overlay->graph()->data()->size() > 1);

    const auto tensor = m_window->controller()->currentAnalysis();
    const auto reference = qs::openCheckpoint(m_reference.toStdString());
    const auto partner = reference.value()->loadFloat(*comparer()->partnerOf(up)->partner);
    const auto expected = qs::countInBins(partner.value()->values(), tensor->stats.histogram);
    QVERIFY(expected);
    QCOMPARE(overlay->fine()->counts, expected->histogram.counts);
    QCOMPARE(overlay->fine()->lo, tensor->stats.histogram.lo);
    QCOMPARE(overlay->fine()->hi, tensor->stats.histogram.hi);
    // Rounding to 1/64 moves values by 1/128 at most: almost all stay inside the tensor's range.
    QVERIFY(expected->histogram.total() + expected->below + expected->above == tensor->stats.count);
    QVERIFY(expected->histogram.total() > tensor->stats.count * 99 / 100);

    // Another tensor: the outline follows it.
    const std::size_t down = indexOf("model.layers.0.mlp.down_proj.weight");
    QVERIFY(showTensor(down));
    QTRY_VERIFY_WITH_TIMEOUT(overlay->hasData() && overlay->graph()->visible(), kTimeoutMs);
    QCOMPARE(overlay->fine()->lo, m_window->controller()->currentAnalysis()->stats.histogram.lo);
}

void TestReference::tensorWithoutPartnerHasNoOverlay() {
    QVERIFY(openReference());
    QVERIFY(showTensor(indexOf(kDropped)));
    QTest::qWait(200); // a stray outline would come from the background by now
    QVERIFY(!m_window->histogramPlot()->referenceOverlay()->graph()->visible());
    QVERIFY(!m_window->histogramPlot()->referenceOverlay()->legend()->isVisible());
}

void TestReference::clearRemovesColumnsAndOverlay() {
    QVERIFY(showTensor(indexOf("model.layers.0.self_attn.k_proj.weight")));
    QVERIFY(openReference());
    qs::ui::ReferenceOverlay *overlay = m_window->histogramPlot()->referenceOverlay();
    QTRY_VERIFY_WITH_TIMEOUT(overlay->graph()->visible(), kTimeoutMs);
    auto *clear = m_window->findChild<QAction *>(QStringLiteral("clearReferenceAction"));
    clear->trigger();
    QVERIFY(!overlay->graph()->visible() && !overlay->hasData());
    QVERIFY(view()->isColumnHidden(ModelTableModel::RefMse));
    QVERIFY(!clear->isEnabled());
    QVERIFY(!comparer()->hasReference());
    QVERIFY(model()->index(0, ModelTableModel::RefMse).data().toString().isEmpty());
}

void TestReference::unreadableReferenceIsNamed() {
    const QString junk = m_dir.filePath(QStringLiteral("junk.gguf"));
    QFile file(junk);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("GGUF but nothing after it");
    file.close();
    QSignalSpy failed(comparer(), &ReferenceComparer::failed);
    comparer()->open(junk);
    QVERIFY(failed.wait(kTimeoutMs));
    QCOMPARE(m_messages.size(), 1);
    QVERIFY2(m_messages.first().startsWith(QStringLiteral("Cannot Open Reference: ")) &&
                 m_messages.first().contains(junk),
             qPrintable(m_messages.first()));
    QVERIFY(!comparer()->hasReference());
    QVERIFY(view()->isColumnHidden(ModelTableModel::RefMse));
}

void TestReference::cancelKeepsPairsDone() {
    QSignalSpy finished(comparer(), &ReferenceComparer::finished);
    int outcomes = 0;
    connect(comparer(), &ReferenceComparer::outcomeReady, this, [&] {
        if (++outcomes == 1)
            comparer()->cancel();
    });
    comparer()->open(m_reference);
    QVERIFY(QTest::qWaitFor([&] { return !finished.isEmpty(); }, kTimeoutMs));
    QCOMPARE(finished.last().at(0).toBool(), false);
    QTest::qWait(100); // outcomes still queued are dropped
    QCOMPARE(outcomes, 1);
    QVERIFY(!comparer()->isRunning());
    int measured = 0;
    for (int row = 0; row < model()->rowCount(); ++row)
        measured += model()->index(row, ModelTableModel::RefMse).data(Qt::UserRole).isValid() ? 1 : 0;
    QCOMPARE(measured, 1);
    QVERIFY(!m_window->findChild<QWidget *>(QStringLiteral("referenceBusy"))->isVisible());
    disconnect(comparer(), &ReferenceComparer::outcomeReady, this, nullptr);
}

void TestReference::readableAtWindowSizes_data() {
    QTest::addColumn<QSize>("size");
    QTest::addRow("1024x700") << QSize(1024, 700);
    QTest::addRow("1920x1080") << QSize(1920, 1080);
}

// With a reference open: every Ref title and figure (and "no partner") shows whole, and the
// histogram's title row keeps its legend entry and log toggle apart.
void TestReference::readableAtWindowSizes() {
    QFETCH(QSize, size);
    m_window->resize(size);
    QTRY_COMPARE(m_window->size(), size);
    QVERIFY(showTensor(indexOf("model.layers.0.self_attn.v_proj.weight")));
    QVERIFY(openReference());
    // Sweep Model shows the panel as the window places it (floating on a short screen).
    QSignalSpy swept(m_window->modelSweep(), &qs::ui::ModelSweep::finished);
    m_window->sweepAction()->trigger();
    QVERIFY(QTest::qWaitFor([&] { return !swept.isEmpty(); }, kTimeoutMs));
    QCoreApplication::processEvents();
    const QHeaderView *header = view()->horizontalHeader();
    const QFontMetrics metrics = view()->fontMetrics();
    for (int column = ModelTableModel::RefMse; column < ModelTableModel::ColumnCount; ++column) {
        const QString title = model()->headerData(column, Qt::Horizontal).toString();
        QVERIFY2(header->sectionSize(column) > header->fontMetrics().horizontalAdvance(title),
                 qPrintable(title));
        for (int row = 0; row < model()->rowCount(); ++row) {
            const QString text = model()->index(row, column).data().toString();
            QVERIFY2(metrics.horizontalAdvance(text) + 8 <= header->sectionSize(column), qPrintable(text));
        }
    }
    qs::ui::ReferenceOverlay *overlay = m_window->histogramPlot()->referenceOverlay();
    QTRY_VERIFY_WITH_TIMEOUT(overlay->legend()->isVisible(), kTimeoutMs);
    const QLabel *legend = overlay->legend();
    QVERIFY(legend->width() >= legend->sizeHint().width());
    QCOMPARE(m_window->size(), size);
    m_window->histogramPlot()->plot()->replot(QCustomPlot::rpImmediateRefresh);
    qs::test::saveGrab(m_window.get(),
                       QStringLiteral("reference-%1x%2").arg(size.width()).arg(size.height()));
    if (m_window->modelDock()->isFloating())
        qs::test::saveGrab(m_window->modelDock(),
                           QStringLiteral("reference-dock-%1x%2").arg(size.width()).arg(size.height()));
}

QTEST_MAIN(TestReference)
#include "tst_reference.moc"
