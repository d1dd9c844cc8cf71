#include "analysiscontroller.h"
#include "checkpointpropertiesdialog.h"
#include "export/quantconfig.h"
#include "io/checkpointformats.h"
#include "io/democheckpoint.h"
#include "io/safetensorswriter.h"
#include "mainwindow.h"
#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "plots/mappingplot.h"
#include "quantcontrols.h"
#include "recentfiles.h"
#include "statspanel.h"
#include "tensorbrowser.h"
#include "tensortreemodel.h"
#include "windowfixture.h"

#include <qcustomplot.h>

#include <algorithm>

#include <QCheckBox>
#include <QDockWidget>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QRadioButton>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <cmath>

using qs::ui::AnalysisController;
using qs::ui::MainWindow;
using qs::ui::StatsPanel;

namespace {

constexpr int kTimeoutMs = 30000;
const char *const kProjection = "model.layers.0.self_attn.q_proj.weight";

struct Message {
    QMessageBox::Icon icon;
    QString title;
    QString text;
};

// The number on the right of "lo … hi" in the stats panel.
double upperClipShown(const StatsPanel &stats) {
    const QString text = stats.text(StatsPanel::Figure::ClipRange);
    return text.section(QStringLiteral("…"), 1).trimmed().toDouble();
}

QJsonObject exportedTensor(const QString &path, const QString &name) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QJsonArray tensors =
        QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("tensors")).toArray();
    for (const QJsonValue &tensor : tensors)
        if (tensor.toObject().value(QStringLiteral("name")).toString() == name)
            return tensor.toObject();
    return {};
}

QString statusText(QMainWindow &window) {
    QStringList texts;
    for (const QLabel *label : window.statusBar()->findChildren<QLabel *>())
        texts << label->text();
    return texts.join(QLatin1Char('|'));
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void dragExportImport();
    void malformedFileKeepsPrevious_data();
    void malformedFileKeepsPrevious();
    void specKeptPerTensorWhileBrowsing();
    void selectingRunsOneJob();
    void suggestedThreshold();
    void importReportsUnknownTensors();
    void exportComputesMissingFigures();
    void exportRefusesSchemesItCannotDescribe();
    void dropOpensFile();
    void recentFiles();
    void settingsRemembered();
    void firstStartFitsScreen();
    void logToggleFollowsPlotCheckbox();
    void openFilterListsEveryFormat();
    void titleAndStatusNameFormat();
    void propertiesShowMetadata_data();
    void propertiesShowMetadata();
    void alreadyQuantizedBadge();

private:
    void openDemo();
    void openStorageFixture();
    void selectByClick(std::size_t tensor);
    std::size_t tensorIndex(const char *name) const;

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
    QList<Message> m_messages;
};

void TestMainWindow::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestMainWindow::init() {
    m_messages.clear();
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler([this](QMessageBox::Icon icon, const QString &title, const QString &text) {
        m_messages.append({icon, title, text});
    });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestMainWindow::cleanup() {
    m_window.reset();
}

void TestMainWindow::openDemo() {
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    QVERIFY(m_window->openFile(m_demo));
    // The first tensor is selected and analysed without user action.
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
    QCOMPARE(m_window->controller()->currentTensor(), std::optional<std::size_t>(0));
}

std::size_t TestMainWindow::tensorIndex(const char *name) const {
    const auto index = m_window->controller()->session().indexOf(name);
    return index.value_or(std::size_t(-1));
}

void TestMainWindow::selectByClick(std::size_t tensor) {
    QTreeView *tree = m_window->browser()->view();
    const QModelIndex index = m_window->browser()->viewIndex(tensor);
    QVERIFY(index.isValid());
    tree->scrollTo(index);
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, tree->visualRect(index).center());
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).value<std::size_t>() == tensor,
                             kTimeoutMs);
}

// Selecting a tensor under the per-tensor int default runs one job: the exact figures arrive
// with the statistics (the same generation), equal to a separate exact pass on the loaded tensor.
void TestMainWindow::selectingRunsOneJob() {
    openDemo();
    qs::AnalysisService &service = m_window->controller()->service();
    QSignalSpy tensors(&service, &qs::AnalysisService::tensorReady);
    QSignalSpy quants(&service, &qs::AnalysisService::quantReady);
    QSignalSpy progress(&service, &qs::AnalysisService::progressChanged);
    selectByClick(tensorIndex(kProjection));
    QCOMPARE(tensors.count(), 1);
    QCOMPARE(quants.count(), 1);
    QCOMPARE(quants.at(0).at(0).value<quint64>(), tensors.at(0).at(0).value<quint64>());
    for (const QList<QVariant> &step : progress)
        QVERIFY2(step.at(1).toString().startsWith(QStringLiteral("Loading")),
                 qPrintable(step.at(1).toString()));
    const auto tensor = m_window->controller()->currentAnalysis();
    const auto shown = m_window->controller()->session().exact(tensorIndex(kProjection));
    QVERIFY(tensor && shown);
    const auto separate = qs::analyzeQuant(*tensor, shown->spec);
    QVERIFY(separate.ok());
    QCOMPARE(shown->error.mse, separate.value()->error.mse);
    QCOMPARE(shown->error.errorHistogram.counts, separate.value()->error.errorHistogram.counts);
}

// The end-to-end test: open the demo, select a projection, drag the upper clip handle,
// see the stats panel and an exported file follow, change the spec, import the file back.
void TestMainWindow::dragExportImport() {
    openDemo();
    QVERIFY(m_window->windowTitle().contains(QStringLiteral("demo.safetensors")));
    const std::size_t projection = tensorIndex(kProjection);
    selectByClick(projection);
    StatsPanel *stats = m_window->statsPanel();
    QCOMPARE(stats->findChildren<QLabel *>().first()->text(), QString::fromLatin1(kProjection));
    QVERIFY(m_window->controls()->nonSaturatingButton()->isChecked());
    QVERIFY(!stats->isEstimate(StatsPanel::Figure::Mse));

    // Drag the upper handle to the pixel of half the current clip_max.
    qs::ui::HistogramPlot *histogram = m_window->histogramPlot();
    QCustomPlot *plot = histogram->plot();
    const double fullClip = upperClipShown(*stats);
    QVERIFY(fullClip > 0.0);
    const QPoint start = histogram->handlePosition(true);
    const QPoint target(int(std::lround(plot->xAxis->coordToPixel(fullClip / 2))), start.y());
    const double targetValue = plot->xAxis->pixelToCoord(target.x());
    const double valuePerPixel = std::abs(plot->xAxis->pixelToCoord(1) - plot->xAxis->pixelToCoord(0));
    QSignalSpy dragged(histogram, &qs::ui::HistogramPlot::thresholdsDragged);
    QSignalSpy finished(histogram, &qs::ui::HistogramPlot::thresholdsDragFinished);
    QSignalSpy exact(m_window->controller(), &AnalysisController::exactShown);
    QTest::mousePress(plot, Qt::LeftButton, {}, start);
    QTest::mouseMove(plot, QPoint((start.x() + target.x()) / 2, start.y()));
    // Mid-drag the panel shows histogram estimates, marked as such.
    QVERIFY(!dragged.isEmpty());
    QVERIFY(stats->isEstimate(StatsPanel::Figure::Mse));
    QVERIFY(stats->text(StatsPanel::Figure::Mse).startsWith(QStringLiteral("≈")));
    QTest::mouseMove(plot, target);
    QTest::mouseRelease(plot, Qt::LeftButton, {}, target);
    QCOMPARE(finished.count(), 1);
    const double clipHi = finished.last().at(1).toDouble();
    QVERIFY2(std::abs(clipHi - targetValue) <= valuePerPixel,
             qPrintable(QStringLiteral("dragged to %1, expected %2").arg(clipHi).arg(targetValue)));

    // Dragging switched to saturating; the exact pass replaces the estimates.
    QVERIFY(m_window->controls()->saturatingButton()->isChecked());
    QTRY_VERIFY_WITH_TIMEOUT(!exact.isEmpty(), kTimeoutMs);
    QVERIFY(!stats->isEstimate(StatsPanel::Figure::Mse));
    // Shown with 4 significant digits: within 1e-3 relative of the threshold.
    QVERIFY2(std::abs(upperClipShown(*stats) - clipHi) <= 1e-3 * clipHi,
             qPrintable(stats->text(StatsPanel::Figure::ClipRange)));
    QVERIFY(upperClipShown(*stats) < fullClip * 0.6);

    // Export and read back the JSON.
    const QString json = m_dir.filePath(QStringLiteral("config.json"));
    QSignalSpy exported(m_window.get(), &MainWindow::configExported);
    m_window->exportConfigTo(json);
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
    QVERIFY(exported.last().at(1).toBool());
    const QJsonObject entry = exportedTensor(json, QString::fromLatin1(kProjection));
    QVERIFY(!entry.isEmpty());
    QCOMPARE(entry.value(QStringLiteral("range_mode")).toString(), QStringLiteral("saturating"));
    QCOMPARE(entry.value(QStringLiteral("clip_max")).toDouble(), clipHi);
    QCOMPARE(entry.value(QStringLiteral("clip_min")).toDouble(), -clipHi); // symmetric mirrors
    // The export covers every tensor the plan quantizes, visited or not; the embedding, which
    // the default ignore list keeps, is not among them.
    QVERIFY(!exportedTensor(json, QStringLiteral("model.layers.1.mlp.up_proj.weight")).isEmpty());
    QVERIFY(exportedTensor(json, QStringLiteral("model.embed_tokens.weight")).isEmpty());

    // Change the spec: back to non-saturating, 4 bits.
    exact.clear();
    m_window->controls()->nonSaturatingButton()->click();
    m_window->controls()->bitsBox()->setValue(4);
    QTRY_VERIFY_WITH_TIMEOUT(!exact.isEmpty() && m_window->controller()->currentSpec().bits == 4, kTimeoutMs);
    QVERIFY(std::abs(upperClipShown(*stats) - clipHi) > 1e-3 * clipHi);

    // Import: the dragged threshold, the mode and the bits come back.
    exact.clear();
    QVERIFY(m_window->importConfigFrom(json));
    QVERIFY(m_messages.isEmpty());
    const qs::QuantSpec &spec = m_window->controller()->currentSpec();
    QCOMPARE(spec.rangeMode, qs::RangeMode::Saturating);
    QCOMPARE(spec.bits, 8);
    QCOMPARE(spec.clipHi, clipHi);
    QVERIFY(m_window->controls()->saturatingButton()->isChecked());
    QCOMPARE(m_window->controls()->bitsBox()->value(), 8);
    QTRY_VERIFY_WITH_TIMEOUT(!exact.isEmpty(), kTimeoutMs);
    QVERIFY(std::abs(upperClipShown(*stats) - clipHi) <= 1e-3 * clipHi);
}

void TestMainWindow::malformedFileKeepsPrevious_data() {
    QTest::addColumn<QByteArray>("content");
    // Header length 2^40 bytes: past the end of a 16-byte file.
    QTest::addRow("header past end") << QByteArray("\x00\x00\x00\x00\x00\x01\x00\x00{}xxxxxx", 16);
    QTest::addRow("header not JSON") << (QByteArray("\x08\x00\x00\x00\x00\x00\x00\x00", 8) + "not json");
    QTest::addRow("empty file") << QByteArray();
}

void TestMainWindow::malformedFileKeepsPrevious() {
    QFETCH(QByteArray, content);
    openDemo();
    const std::size_t tensors = m_window->controller()->reader()->tensors().size();
    const QString title = m_window->windowTitle();

    const QString bad = m_dir.filePath(QStringLiteral("broken.safetensors"));
    QFile file(bad);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(content);
    file.close();

    QVERIFY(!m_window->openFile(bad));
    QCOMPARE(m_messages.size(), 1);
    QCOMPARE(m_messages.first().icon, QMessageBox::Critical);
    QVERIFY2(m_messages.first().text.contains(QStringLiteral("broken.safetensors")),
             qPrintable(m_messages.first().text));
    // The previous checkpoint stays open and usable.
    QCOMPARE(m_window->currentFile(), QFileInfo(m_demo).absoluteFilePath());
    QCOMPARE(m_window->windowTitle(), title);
    QCOMPARE(m_window->controller()->reader()->tensors().size(), tensors);
    QCOMPARE(m_window->browser()->model()->tensorCount(), tensors);
    selectByClick(tensorIndex(kProjection));
}

// Each tensor keeps its own spec while the user browses with the keyboard.
void TestMainWindow::specKeptPerTensorWhileBrowsing() {
    openDemo();
    const std::size_t q = tensorIndex(kProjection);
    const std::size_t k = tensorIndex("model.layers.0.self_attn.o_proj.weight");
    selectByClick(q);
    m_window->controls()->bitsBox()->setValue(4);
    QCOMPARE(m_window->controller()->currentSpec().bits, 4);

    // o_proj is the row above (k, o, q, v): Up selects it. Both follow the plan's default, which
    // the toolbar edits: o_proj shows 4 bits too, and selecting changes nothing.
    QSignalSpy shown(m_window->controller(), &AnalysisController::tensorShown);
    QTreeView *tree = m_window->browser()->view();
    tree->setFocus();
    QCOMPARE(m_window->browser()->viewIndex(k).row(), m_window->browser()->viewIndex(q).row() - 1);
    QTest::keyClick(tree, Qt::Key_Up);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
    QCOMPARE(m_window->controller()->currentTensor(), std::optional<std::size_t>(k));
    QCOMPARE(m_window->controls()->bitsBox()->value(), 4);
    m_window->controls()->bitsBox()->setValue(6);

    shown.clear();
    QTest::keyClick(tree, Qt::Key_Down);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
    QCOMPARE(m_window->controller()->currentTensor(), std::optional<std::size_t>(q));
    QCOMPARE(m_window->controls()->bitsBox()->value(), 6);
    QCOMPARE(m_window->controller()->session().defaultSpec().bits, 6);
    QVERIFY(m_window->controller()->session().plan().overrides.empty());
    // Tensors with an override of their own are marked in the tree (bold).
    QVERIFY(!m_window->browser()->viewIndex(k).data(qs::ui::TensorTreeModel::ConfiguredRole).toBool());
    m_window->controller()->commitPlan(
        m_window->controller()->session().planWithOverride(k, qs::intSpec(3, qs::Scheme::Symmetric)),
        QStringLiteral("override"));
    QVERIFY(m_window->browser()->viewIndex(k).data(qs::ui::TensorTreeModel::ConfiguredRole).toBool());
    QCOMPARE(m_window->controls()->bitsBox()->value(), 6); // q keeps the default
}

void TestMainWindow::suggestedThreshold() {
    openDemo();
    selectByClick(tensorIndex(kProjection));
    const auto analysis = m_window->controller()->currentAnalysis();
    QVERIFY(analysis);
    QSignalSpy exact(m_window->controller(), &AnalysisController::exactShown);
    QTest::mouseClick(m_window->controls()->suggestButton(), Qt::LeftButton);
    QVERIFY(m_window->controls()->saturatingButton()->isChecked());
    QTRY_VERIFY_WITH_TIMEOUT(!exact.isEmpty(), kTimeoutMs);
    // The projections carry outlier channels, so the MSE-optimal threshold clips below max|x|.
    const qs::QuantSpec &spec = m_window->controller()->currentSpec();
    const double amax = std::max(std::abs(analysis->stats.min), std::abs(analysis->stats.max));
    QVERIFY2(spec.clipHi > 0.0 && spec.clipHi < amax,
             qPrintable(QStringLiteral("suggested %1, max|x| %2").arg(spec.clipHi).arg(amax)));
}

void TestMainWindow::importReportsUnknownTensors() {
    openDemo();
    qs::QuantConfig config;
    qs::TensorConfig unknown;
    unknown.name = "no.such.tensor";
    unknown.dtype = "F32";
    unknown.shape = {2};
    unknown.params.clipMin = -1.0;
    unknown.params.clipMax = 1.0;
    unknown.params.scale = float(1.0 / 127.5);
    config.tensors.push_back(unknown);
    const QString json = m_dir.filePath(QStringLiteral("foreign.json"));
    const qs::Status saved = qs::saveConfig(json.toStdString(), config);
    QVERIFY2(saved.ok(), saved.error().c_str());

    QVERIFY(m_window->importConfigFrom(json));
    QCOMPARE(m_messages.size(), 1);
    QVERIFY2(m_messages.first().text.contains(QStringLiteral("no.such.tensor")),
             qPrintable(m_messages.first().text));

    // A file that is not a configuration is refused with its name.
    const QString notConfig = m_dir.filePath(QStringLiteral("garbage.json"));
    QFile file(notConfig);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[1, 2");
    file.close();
    QVERIFY(!m_window->importConfigFrom(notConfig));
    QCOMPARE(m_messages.size(), 2);
    QVERIFY2(m_messages.last().text.contains(QStringLiteral("garbage.json")),
             qPrintable(m_messages.last().text));
}

// The export covers every tensor the plan quantizes, visited or not, with exact figures computed
// off the GUI thread at export time.
void TestMainWindow::exportComputesMissingFigures() {
    openDemo();
    const std::size_t k = tensorIndex("model.layers.1.self_attn.k_proj.weight");
    qs::ui::TensorSession &session = m_window->controller()->session();
    QVERIFY(m_window->controller()->currentTensor() != k); // never visited
    QVERIFY(!session.exact(k));
    const std::vector<std::size_t> planned = session.planned();
    QVERIFY(std::find(planned.begin(), planned.end(), k) != planned.end());
    QVERIFY(session.missingExact().size() >= planned.size() - 1);

    const QString json = m_dir.filePath(QStringLiteral("missing.json"));
    QSignalSpy exported(m_window.get(), &MainWindow::configExported);
    m_window->exportConfigTo(json);
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
    QVERIFY(exported.last().at(1).toBool());
    QVERIFY(m_messages.isEmpty());
    QVERIFY(session.exact(k)); // kept for the next export
    QVERIFY(session.missingExact().empty());
    for (const std::size_t index : planned)
        QVERIFY(!exportedTensor(json, QString::fromStdString(session.tensors()[index].name)).isEmpty());
    const QJsonObject entry = exportedTensor(json, QStringLiteral("model.layers.1.self_attn.k_proj.weight"));
    QVERIFY(!entry.isEmpty());
    // Default spec: 8-bit symmetric non-saturating, so the error is rounding only: 0 < mse < s²/4.
    QCOMPARE(entry.value(QStringLiteral("range_mode")).toString(), QStringLiteral("non-saturating"));
    const double scale = entry.value(QStringLiteral("scale")).toDouble();
    const double mse = entry.value(QStringLiteral("mse")).toDouble();
    QVERIFY2(mse > 0.0 && mse < scale * scale / 4, qPrintable(QString::number(mse)));
}

// A grouped scheme in the session makes the export fail with a message naming the tensor and its
// scheme, and nothing is written (the config format describes per-tensor int only).
void TestMainWindow::exportRefusesSchemesItCannotDescribe() {
    openDemo();
    const std::size_t k = tensorIndex("model.layers.1.self_attn.k_proj.weight");
    qs::QuantSpec grouped = qs::intSpec(4, qs::Scheme::Symmetric);
    grouped.granularity = qs::parseGranularity("group:128").value();
    m_window->controller()->commitPlan(m_window->controller()->session().planWithOverride(k, grouped),
                                       QStringLiteral("grouped"));
    const QString json = m_dir.filePath(QStringLiteral("grouped.json"));
    QSignalSpy exported(m_window.get(), &MainWindow::configExported);
    m_window->exportConfigTo(json);
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
    QVERIFY(!exported.last().at(1).toBool());
    QVERIFY(!QFileInfo::exists(json));
    QCOMPARE(m_messages.size(), 1);
    const QString text = m_messages.last().text;
    QVERIFY2(text.contains(QStringLiteral("k_proj")) && text.contains(QStringLiteral("group:128")),
             qPrintable(text));
}

void TestMainWindow::dropOpensFile() {
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(m_demo)});
    QDragEnterEvent enter(QPoint(700, 450), Qt::CopyAction, &mime, Qt::LeftButton, {});
    QApplication::sendEvent(m_window.get(), &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy opened(m_window.get(), &MainWindow::fileOpened);
    QDropEvent drop(QPointF(700, 450), Qt::CopyAction, &mime, Qt::LeftButton, {});
    QApplication::sendEvent(m_window.get(), &drop);
    QCOMPARE(opened.count(), 1);
    QCOMPARE(m_window->currentFile(), QFileInfo(m_demo).absoluteFilePath());
}

void TestMainWindow::recentFiles() {
    QSettings().remove(QStringLiteral("files/recent"));
    openDemo();
    qs::ui::RecentFiles recent;
    QCOMPARE(recent.files(), QStringList{QFileInfo(m_demo).absoluteFilePath()});
    // The File menu lists it under Open Recent.
    QMenu *file = m_window->menuBar()->actions().first()->menu();
    QMenu *recentMenu = nullptr;
    for (QAction *action : file->actions())
        if (action->menu() && action->text().contains(QStringLiteral("Recent")))
            recentMenu = action->menu();
    QVERIFY(recentMenu);
    QVERIFY(recentMenu->actions().first()->text().contains(QStringLiteral("demo.safetensors")));

    // Newest first, no duplicates, at most 10.
    for (int i = 0; i < 12; ++i)
        recent.add(m_dir.filePath(QStringLiteral("f%1.safetensors").arg(i)));
    recent.add(m_dir.filePath(QStringLiteral("f5.safetensors")));
    const QStringList files = recent.files();
    QCOMPARE(files.size(), qs::ui::RecentFiles::kMaxFiles);
    QCOMPARE(QFileInfo(files.first()).fileName(), QStringLiteral("f5.safetensors"));
    QCOMPARE(QFileInfo(files.at(1)).fileName(), QStringLiteral("f11.safetensors"));
    QCOMPARE(files.count(files.first()), 1);
    recent.clear();
    QVERIFY(recent.files().isEmpty());
}

void TestMainWindow::settingsRemembered() {
    m_window->resize(1200, 800);
    const QSize size = m_window->size();
    // The error plot's own splitter (error histogram over MSE curve) keeps its proportions too.
    QSplitter *errorSplitter = m_window->errorPlot()->splitter();
    const int total = errorSplitter->sizes().value(0) + errorSplitter->sizes().value(1);
    errorSplitter->setSizes({total * 3 / 4, total - total * 3 / 4});
    const QList<int> sizes = errorSplitter->sizes();
    m_window->close();
    MainWindow again;
    QCOMPARE(again.size(), size);
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QCOMPARE(again.errorPlot()->splitter()->sizes(), sizes);
}

// With no saved geometry the window opens at 1400 × 900 where the screen has room, and otherwise
// within nine tenths of its free area, centred: no edge starts off screen (it used to open at
// 1400 × 900 on a 1024 × 700 screen, its right side cut off).
void TestMainWindow::firstStartFitsScreen() {
    m_window->close();
    m_window.reset();
    QSettings().remove(QStringLiteral("window/geometry"));
    MainWindow fresh;
    fresh.show(); // the layout raises a window below its minimum size hint when shown
    QVERIFY(QTest::qWaitForWindowExposed(&fresh));
    const QRect available = fresh.screen()->availableGeometry();
    const QSize expected =
        QSize(1400, 900).boundedTo(available.size() * 0.9).expandedTo(fresh.minimumSizeHint());
    QCOMPARE(fresh.size(), expected);
    if (expected.width() <= available.width() && expected.height() <= available.height())
        QVERIFY2(available.contains(fresh.geometry()), qPrintable(QStringLiteral("%1,%2 %3x%4 outside %5x%6")
                                                                      .arg(fresh.x())
                                                                      .arg(fresh.y())
                                                                      .arg(fresh.width())
                                                                      .arg(fresh.height())
                                                                      .arg(available.width())
                                                                      .arg(available.height())));
    m_window = std::make_unique<MainWindow>(); // for cleanup()
}

void TestMainWindow::logToggleFollowsPlotCheckbox() {
    // The error plot's own "log y" box and View > Log Scale: Error Histogram show one state.
    QAction *viewAction = nullptr;
    for (QAction *action : m_window->findChildren<QAction *>())
        if (action->text().contains(QStringLiteral("Log Scale: &Error Histogram")))
            viewAction = action;
    QVERIFY(viewAction);
    auto *error = m_window->findChild<qs::ui::ErrorPlot *>();
    QVERIFY(error);
    auto *box = error->findChild<QCheckBox *>();
    QVERIFY(box);
    const bool before = viewAction->isChecked();
    QCOMPARE(box->isChecked(), before);
    box->click();
    QCOMPARE(error->logScale(), !before);
    QCOMPARE(viewAction->isChecked(), !before);
    viewAction->trigger();
    QCOMPARE(box->isChecked(), before);
}

void TestMainWindow::openStorageFixture() {
    const QString path = qs::test::storageFixture(m_dir);
    QVERIFY(!path.isEmpty());
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    QVERIFY(m_window->openFile(path));
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
}

void TestMainWindow::openFilterListsEveryFormat() {
    const QStringList filters = m_window->openFilter().split(QStringLiteral(";;"));
    const auto &formats = qs::checkpointFormats();
    // "All checkpoints", one per format in registry order, "All files".
    QCOMPARE(filters.size(), qsizetype(formats.size()) + 2);
    QVERIFY2(filters.first().startsWith(QStringLiteral("All checkpoints (")), qPrintable(filters.first()));
    QCOMPARE(filters.last(), QStringLiteral("All files (*)"));
    for (std::size_t i = 0; i < formats.size(); ++i) {
        const QString &filter = filters[qsizetype(i) + 1];
        QVERIFY2(filter.startsWith(QString::fromStdString(formats[i].name) + QStringLiteral(" (")),
                 qPrintable(filter));
        for (const std::string &pattern : formats[i].extensions) {
            QVERIFY2(filter.contains(QString::fromStdString(pattern)), qPrintable(filter));
            QVERIFY2(filters.first().contains(QString::fromStdString(pattern)), qPrintable(filters.first()));
        }
    }
}

void TestMainWindow::titleAndStatusNameFormat() {
    openDemo();
    QCOMPARE(m_window->windowTitle(), QStringLiteral("demo.safetensors (safetensors) — Quantscope"));
    QVERIFY2(statusText(*m_window).contains(QStringLiteral("safetensors  ·  ")),
             qPrintable(statusText(*m_window)));
    QCOMPARE(m_window->statsPanel()->text(StatsPanel::Figure::Format), QStringLiteral("safetensors"));
}

void TestMainWindow::propertiesShowMetadata_data() {
    QTest::addColumn<QString>("filter");
    QTest::addColumn<int>("rows");
    // The fixture's metadata: general.architecture = llama, general.name = tiny, license = MIT.
    QTest::addRow("no filter") << QString() << 3;
    QTest::addRow("key prefix") << QStringLiteral("general.") << 2;
    QTest::addRow("value, any case") << QStringLiteral("mit") << 1;
    QTest::addRow("no match") << QStringLiteral("tokenizer") << 0;
}

void TestMainWindow::propertiesShowMetadata() {
    QFETCH(QString, filter);
    QFETCH(int, rows);
    openStorageFixture();
    QAction *properties = nullptr;
    for (QAction *action : m_window->findChildren<QAction *>())
        if (action->text() == QStringLiteral("&Properties…"))
            properties = action;
    QVERIFY(properties && properties->isEnabled());
    QCOMPARE(properties->shortcut(), QKeySequence(Qt::ALT | Qt::Key_Return));
    properties->trigger();
    auto *dialog = m_window->findChild<qs::ui::CheckpointPropertiesDialog *>();
    QVERIFY(dialog && dialog->isVisible());
    QCOMPARE(dialog->findChild<QLabel *>(QStringLiteral("format"))->text(), QStringLiteral("safetensors"));
    QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("path"))
                ->text()
                .endsWith(QStringLiteral("storage.safetensors")));
    // 64 · 64 + 4096 float32 values: 2 tensors, 32 KiB of data.
    QCOMPARE(dialog->findChild<QLabel *>(QStringLiteral("tensors"))->text(),
             QStringLiteral("2 tensors, 32.0 KiB of data"));
    QTest::keyClicks(dialog->filterEdit(), filter);
    QCOMPARE(dialog->visibleRows(), rows);
    QCOMPARE(dialog->findChild<QLabel *>(QStringLiteral("metadataShown"))->text(),
             QStringLiteral("%1 of 3").arg(rows));

    // Opening another file closes the dialog: it described the previous one.
    openDemo();
    QVERIFY(!m_window->findChild<qs::ui::CheckpointPropertiesDialog *>());
}

void TestMainWindow::alreadyQuantizedBadge() {
    openStorageFixture();
    StatsPanel *stats = m_window->statsPanel();
    // The first tensor, shown on opening.
    QCOMPARE(m_window->controller()->currentTensor(), std::optional<std::size_t>(tensorIndex("codes")));
    QVERIFY(!stats->quantizedBadge()->isHidden());
    // (k mod 16 - 8) / 8 for k = 0..4095: 16 levels.
    QCOMPARE(stats->text(StatsPanel::Figure::DistinctValues), QStringLiteral("16"));
    QVERIFY2(stats->quantizedBadge()->toolTip().contains(QStringLiteral("Only 16 distinct values")),
             qPrintable(stats->quantizedBadge()->toolTip()));

    selectByClick(tensorIndex("ramp"));
    QVERIFY(stats->quantizedBadge()->isHidden());
    // i / 4096 - 0.5, i < 4096: 4,096 values, all different; counted up to the cap of 256.
    QCOMPARE(stats->text(StatsPanel::Figure::DistinctValues), QStringLiteral("> 256"));
    QCOMPARE(stats->text(StatsPanel::Figure::StoredType), QStringLiteral("F32"));
    QCOMPARE(stats->text(StatsPanel::Figure::BitsPerWeight), QStringLiteral("32"));
    QCOMPARE(stats->text(StatsPanel::Figure::Format), QStringLiteral("safetensors"));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
