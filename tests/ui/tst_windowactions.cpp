// The main window's commands beyond opening files: undo and redo, keyboard shortcuts, saving
// plots as images, copying the figures, warning before unexported changes are lost, the docks
// after a resize and the first-start hint.

#include "analysiscontroller.h"
#include "hintbar.h"
#include "io/democheckpoint.h"
#include "mainwindow.h"
#include "planundo.h"
#include "plotexport.h"
#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "plots/mappingplot.h"
#include "quantcontrols.h"
#include "shortcutsdialog.h"
#include "statspanel.h"
#include "tensorbrowser.h"
#include "windowfixture.h"

#include <qcustomplot.h>

#include <QClipboard>
#include <QDockWidget>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QMenuBar>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using qs::ui::AnalysisController;
using qs::ui::MainWindow;

namespace {

constexpr int kTimeoutMs = 30000;
const char *const kProjection = "model.layers.0.self_attn.q_proj.weight";

QByteArray head(const QString &path, int bytes) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.read(bytes) : QByteArray();
}

QAction *menuAction(MainWindow &window, const QString &text) {
    for (QAction *action : window.findChildren<QAction *>())
        if (QString(action->text()).remove(QLatin1Char('&')) == text)
            return action;
    return nullptr;
}

} // namespace

class TestWindowActions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void undoRedoAfterDrag();
    void undoRevealsOtherTensor();
    void shortcutsListedAndWorking();
    void savePlots_data();
    void savePlots();
    void savePlotRefusesUnknownType();
    void copyFigures();
    void quitWarnsAboutUnexportedChanges();
    void docksRecoverAfterResize();
    void firstStartHint();

private:
    void openDemo();
    void selectTensor(const char *name);
    void dragUpperHandleToHalf();

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
    QStringList m_asked;
    QMessageBox::StandardButton m_answer = QMessageBox::Discard;
};

void TestWindowActions::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestWindowActions::init() {
    m_asked.clear();
    m_answer = QMessageBox::Discard;
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler(
        [](QMessageBox::Icon, const QString &, const QString &text) { QWARN(qPrintable(text)); });
    m_window->setAskHandler([this](const QString &, const QString &text) {
        m_asked << text;
        return m_answer;
    });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestWindowActions::cleanup() {
    m_window.reset();
}

void TestWindowActions::openDemo() {
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    QVERIFY(m_window->openFile(m_demo));
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
}

void TestWindowActions::selectTensor(const char *name) {
    const auto index = m_window->controller()->session().indexOf(name);
    QVERIFY(index);
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    m_window->browser()->selectTensor(*index);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->controller()->currentTensor() == index && !shown.isEmpty(),
                             kTimeoutMs);
}

void TestWindowActions::dragUpperHandleToHalf() {
    qs::ui::HistogramPlot *histogram = m_window->histogramPlot();
    QCustomPlot *plot = histogram->plot();
    const QPoint start = histogram->handlePosition(true);
    const double clip = plot->xAxis->pixelToCoord(start.x());
    const QPoint target(int(std::lround(plot->xAxis->coordToPixel(clip / 2))), start.y());
    QSignalSpy exact(m_window->controller(), &AnalysisController::exactShown);
    QTest::mousePress(plot, Qt::LeftButton, {}, start);
    QTest::mouseMove(plot, QPoint((start.x() + target.x()) / 2, start.y()));
    QTest::mouseMove(plot, target);
    QTest::mouseRelease(plot, Qt::LeftButton, {}, target);
    QTRY_VERIFY_WITH_TIMEOUT(!exact.isEmpty(), kTimeoutMs);
}

// A drag is one undo step back to the spec before the drag (not to a point mid-drag), and redo
// brings the dragged threshold back.
void TestWindowActions::undoRedoAfterDrag() {
    openDemo();
    selectTensor(kProjection);
    AnalysisController *controller = m_window->controller();
    const qs::QuantSpec before = controller->currentSpec();
    QCOMPARE(before.rangeMode, qs::RangeMode::NonSaturating);
    QUndoStack *stack = m_window->undo()->stack();
    QVERIFY(!stack->canUndo());

    dragUpperHandleToHalf();
    const qs::QuantSpec dragged = controller->currentSpec();
    QCOMPARE(dragged.rangeMode, qs::RangeMode::Saturating);
    QCOMPARE(stack->count(), 1);
    QCOMPARE(stack->undoText(), QStringLiteral("Clip Threshold"));

    QTest::keyClick(m_window.get(), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(controller->currentSpec(), before);
    QVERIFY(m_window->controls()->nonSaturatingButton()->isChecked());
    QTest::keyClick(m_window.get(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(controller->currentSpec(), dragged);
    QVERIFY(m_window->controls()->saturatingButton()->isChecked());
    // The exact figures follow the redone spec.
    QTRY_COMPARE_WITH_TIMEOUT(controller->session().exact(*controller->currentTensor()) != nullptr, true,
                              kTimeoutMs);
    QCOMPARE(controller->session().exact(*controller->currentTensor())->spec, dragged);
}

// Undoing a change to a tensor the user has left selects that tensor again.
void TestWindowActions::undoRevealsOtherTensor() {
    openDemo();
    selectTensor(kProjection);
    m_window->controls()->bitsBox()->setValue(4);
    QCOMPARE(m_window->undo()->stack()->undoText(), QStringLiteral("Bits 8 → 4"));
    selectTensor("model.layers.0.mlp.up_proj.weight");
    const std::size_t q = *m_window->controller()->session().indexOf(kProjection);
    m_window->undo()->stack()->undo();
    QCOMPARE(m_window->controller()->session().spec(q).bits, 8);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->controller()->currentTensor(), std::optional<std::size_t>(q),
                              kTimeoutMs);
    QCOMPARE(m_window->controls()->bitsBox()->value(), 8);
}

void TestWindowActions::shortcutsListedAndWorking() {
    openDemo();
    auto *dialog = m_window->showShortcuts();
    QVERIFY(dialog && dialog->isVisible());
    QCOMPARE(dialog->keysFor(QStringLiteral("Undo")),
             QKeySequence(QKeySequence::Undo).toString(QKeySequence::NativeText));
    QCOMPARE(dialog->keysFor(QStringLiteral("More Bits")),
             QKeySequence(Qt::CTRL | Qt::Key_Up).toString(QKeySequence::NativeText));
    QCOMPARE(dialog->keysFor(QStringLiteral("Symmetric / Asymmetric")),
             QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A).toString(QKeySequence::NativeText));
    QVERIFY(!dialog->keysFor(QStringLiteral("Copy Figures")).isEmpty());
    QVERIFY(!dialog->keysFor(QStringLiteral("Tensor filter: clear it")).isEmpty());
    dialog->close();

    QTest::keyClick(m_window.get(), Qt::Key_Up, Qt::ControlModifier);
    QCOMPARE(m_window->controller()->currentSpec().bits, 9);
    QTest::keyClick(m_window.get(), Qt::Key_Down, Qt::ControlModifier);
    QTest::keyClick(m_window.get(), Qt::Key_Down, Qt::ControlModifier);
    QCOMPARE(m_window->controller()->currentSpec().bits, 7);
    QTest::keyClick(m_window.get(), Qt::Key_A, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(m_window->controller()->currentSpec().scheme, qs::Scheme::Asymmetric);
    QTest::keyClick(m_window.get(), Qt::Key_A, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(m_window->controller()->currentSpec().scheme, qs::Scheme::Symmetric);
}

void TestWindowActions::savePlots_data() {
    QTest::addColumn<int>("plotIndex");
    QTest::addColumn<QString>("suffix");
    const char *names[] = {"histogram", "mapping", "error histogram", "mse curve"};
    for (int i = 0; i < 4; ++i)
        for (const char *suffix : {"png", "svg", "pdf"})
            QTest::addRow("%s %s", names[i], suffix) << i << QString::fromLatin1(suffix);
}

// Every plot saves as a valid PNG (reloads with its size doubled for sharpness), SVG (Qt SVG
// parses it) and PDF (the PDF header).
void TestWindowActions::savePlots() {
    QFETCH(int, plotIndex);
    QFETCH(QString, suffix);
    openDemo();
    const QList<QCustomPlot *> plots = {m_window->histogramPlot()->plot(), m_window->mappingPlot()->plot(),
                                        m_window->errorPlot()->histogramPlot(),
                                        m_window->errorPlot()->curvePlot()};
    QCustomPlot *plot = plots[plotIndex];
    const QString path = m_dir.filePath(QStringLiteral("plot%1.%2").arg(plotIndex).arg(suffix));
    QFile::remove(path);
    const QString error = qs::ui::savePlotImage(plot, path);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(QFileInfo(path).size() > 100);
    if (suffix == QLatin1String("png")) {
        QCOMPARE(head(path, 8), QByteArray("\x89PNG\r\n\x1a\n", 8));
        const QImage image(path);
        QCOMPARE(image.size(), plot->size() * 2);
    } else if (suffix == QLatin1String("svg")) {
        QVERIFY(head(path, 256).contains("<svg") || head(path, 256).contains("<?xml"));
        QSvgRenderer svg(path);
        QVERIFY(svg.isValid());
        QCOMPARE(svg.viewBox().size(), plot->size());
    } else {
        QCOMPARE(head(path, 5), QByteArray("%PDF-"));
    }
}

// A failed save names the problem and leaves an existing file as it was.
void TestWindowActions::savePlotRefusesUnknownType() {
    openDemo();
    const QString path = m_dir.filePath(QStringLiteral("keep.bmp"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("previous content");
    file.close();
    const QString error = qs::ui::savePlotImage(m_window->histogramPlot()->plot(), path);
    QVERIFY2(error.contains(QStringLiteral(".bmp")), qPrintable(error));
    QCOMPARE(head(path, 100), QByteArray("previous content"));
    const QString missingDir = m_dir.filePath(QStringLiteral("no/such/dir/plot.png"));
    QVERIFY(!qs::ui::savePlotImage(m_window->histogramPlot()->plot(), missingDir).isEmpty());
    QVERIFY(!QFile::exists(missingDir));
}

void TestWindowActions::copyFigures() {
    openDemo();
    selectTensor(kProjection);
    QApplication::clipboard()->clear();
    QAction *copy = menuAction(*m_window, QStringLiteral("Copy Figures"));
    QVERIFY(copy);
    copy->trigger();
    const QString text = QApplication::clipboard()->text();
    QVERIFY2(text.contains(QString::fromLatin1(kProjection)), qPrintable(text));
    QCOMPARE(text, m_window->statsPanel()->toPlainText());
}

// Quitting with changes not exported since asks first; Cancel keeps the window, Discard quits;
// after an export nothing is asked.
void TestWindowActions::quitWarnsAboutUnexportedChanges() {
    openDemo();
    QVERIFY(m_window->close()); // nothing changed yet: no question
    QVERIFY(m_asked.isEmpty());
    m_window->show();
    m_window->controls()->bitsBox()->setValue(4);

    m_answer = QMessageBox::Cancel;
    QVERIFY(!m_window->close());
    QCOMPARE(m_asked.size(), 1);
    QVERIFY2(m_asked.first().contains(QStringLiteral("demo.safetensors")), qPrintable(m_asked.first()));
    QVERIFY(m_window->isVisible());

    QSignalSpy exported(m_window.get(), &MainWindow::configExported);
    m_window->exportConfigTo(m_dir.filePath(QStringLiteral("quit.json")));
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
    QVERIFY(m_window->undo()->stack()->isClean());
    QVERIFY(m_window->close());
    QCOMPARE(m_asked.size(), 1);

    m_window->show();
    m_window->controls()->bitsBox()->setValue(6);
    m_answer = QMessageBox::Discard;
    QVERIFY(m_window->close());
    QCOMPARE(m_asked.size(), 2);
}

// Shrinking the window squeezes the docks; making it wide again gives their width back.
void TestWindowActions::docksRecoverAfterResize() {
    QSettings().remove(QStringLiteral("window"));
    m_window = std::make_unique<MainWindow>();
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    openDemo();
    m_window->resize(1600, 1000);
    QTest::qWait(50);
    const int browser = m_window->browserDock()->width();
    const int stats = m_window->statsDock()->width();
    // A window dragged narrower and wider again passes through many sizes.
    for (int width = 1600; width >= 1024; width -= 48) {
        m_window->resize(width, 700 + (width - 1024) * 300 / 576);
        QTest::qWait(5);
    }
    QVERIFY2(m_window->browserDock()->width() < browser, qPrintable(QString::number(browser)));
    for (int width = 1024; width <= 1600; width += 48) {
        m_window->resize(width, 700 + (width - 1024) * 300 / 576);
        QTest::qWait(5);
    }
    m_window->resize(1600, 1000);
    QTest::qWait(50);
    QVERIFY2(std::abs(m_window->browserDock()->width() - browser) <= 4,
             qPrintable(QStringLiteral("%1 then %2").arg(browser).arg(m_window->browserDock()->width())));
    QVERIFY2(std::abs(m_window->statsDock()->width() - stats) <= 4,
             qPrintable(QStringLiteral("%1 then %2").arg(stats).arg(m_window->statsDock()->width())));
}

// On first start the demo says it is synthetic and the hint says the handles can be dragged;
// it waits while the scheme has no handles, and dragging dismisses it for good.
void TestWindowActions::firstStartHint() {
    QSettings().remove(QStringLiteral("hints"));
    m_window->openDemo();
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->currentFile().isEmpty(), kTimeoutMs);
    qs::ui::HintBar *hint = m_window->hintBar();
    QTRY_VERIFY_WITH_TIMEOUT(hint->isVisible(), kTimeoutMs);
    QVERIFY2(hint->label()->text().contains(QStringLiteral("Synthetic demo")),
             qPrintable(hint->label()->text()));
    QVERIFY2(hint->label()->text().contains(QStringLiteral("orange handles")),
             qPrintable(hint->label()->text()));
    QSignalSpy exact(m_window->controller(), &AnalysisController::exactShown);
    QTRY_VERIFY_WITH_TIMEOUT(!exact.isEmpty() || m_window->controller()->currentAnalysis(), kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->errorPlot()->curvePlot()->graphCount() > 0, kTimeoutMs);
    // A scheme without handles (NVFP4: each block scales to its maximum) has nothing to drag:
    // the hint waits, and comes back with int.
    qs::QuantSpec nvfp4 = m_window->controller()->session().defaultSpec();
    const qs::QuantSpec plain = nvfp4;
    nvfp4.format = qs::NumberFormat::NvFp4;
    m_window->controller()->setDefaultScheme(nvfp4);
    QTRY_VERIFY_WITH_TIMEOUT(!hint->isVisible(), kTimeoutMs);
    m_window->controller()->setDefaultScheme(plain);
    QTRY_VERIFY_WITH_TIMEOUT(hint->isVisible(), kTimeoutMs);
    dragUpperHandleToHalf();
    QVERIFY(!hint->isVisible());

    MainWindow again;
    again.show();
    QVERIFY(again.openFile(m_demo));
    QVERIFY(!again.hintBar()->isVisible());
}

QTEST_MAIN(TestWindowActions)
#include "tst_windowactions.moc"
