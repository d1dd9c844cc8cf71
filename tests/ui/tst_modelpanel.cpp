// The Model panel: a sweep of the whole demo checkpoint under the default scheme fills one row
// per tensor, the figures are the core's, the table sorts and filters, a sweep can be cancelled,
// a second sweep under the same scheme is served from the cache, and a row opens its tensor.

#include "analysiscontroller.h"
#include "displayformat.h"
#include "io/checkpointreader.h"
#include "mainwindow.h"
#include "modelpanel.h"
#include "modelsweep.h"
#include "modeltablemodel.h"
#include "plots/plotstyle.h"
#include "quant/halffloat.h"
#include "quant/schememeasure.h"
#include "quant/schemequant.h"
#include "tensorbrowser.h"
#include "windowfixture.h"
#include "windowsteps.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDockWidget>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <cmath>
#include <limits>

using qs::ui::MainWindow;
using qs::ui::ModelSweep;
using qs::ui::ModelTableModel;

namespace {

constexpr int kTimeoutMs = 60000;

} // namespace

class TestModelPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void sweepFillsEveryRow();
    void measuredRowMatchesCore();
    void sortsBySqnr();
    void filterNarrowsRows();
    void cancelKeepsRowsDone();
    void secondSweepUsesCache();
    void otherSchemeRecomputes();
    void castSweepShowsUnderflow();
    void openingFileCancelsSweep();
    void doubleClickOpensTensor();
    void enterOpensTensor();
    void readableAtWindowSizes_data();
    void readableAtWindowSizes();
    void dockRemembered();
    void panelActionTogglesDock();

private:
    // Runs Sweep Model (through the dock's button) and waits for it to finish.
    bool sweep();
    ModelTableModel *model() const { return m_window->modelPanel()->model(); }
    QTableView *view() const { return m_window->modelPanel()->view(); }
    // The view row showing tensor index, or -1.
    int viewRowOf(std::size_t index) const;

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
};

void TestModelPanel::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestModelPanel::init() {
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler(
        [](QMessageBox::Icon, const QString &, const QString &text) { QWARN(qPrintable(text)); });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    new QAbstractItemModelTester(model(), QAbstractItemModelTester::FailureReportingMode::QtTest,
                                 m_window.get());
    QVERIFY(m_window->openFile(m_demo));
    QCOMPARE(model()->rowCount(), int(m_window->controller()->reader()->tensors().size()));
}

void TestModelPanel::cleanup() {
    m_window.reset();
}

bool TestModelPanel::sweep() {
    QSignalSpy finished(m_window->modelSweep(), &ModelSweep::finished);
    QTest::mouseClick(m_window->modelPanel()->sweepButton(), Qt::LeftButton);
    return QTest::qWaitFor([&] { return !finished.isEmpty(); }, kTimeoutMs) && finished.last().at(0).toBool();
}

int TestModelPanel::viewRowOf(std::size_t index) const {
    const QModelIndex source = model()->index(int(index), 0);
    return m_window->modelPanel()->proxy()->mapFromSource(source).row();
}

void TestModelPanel::sweepFillsEveryRow() {
    QVERIFY(!m_window->modelDock()->isVisible());
    QVERIFY(sweep());
    QVERIFY(m_window->modelDock()->isVisible()); // the sweep shows its panel
    const auto &tensors = m_window->controller()->reader()->tensors();
    QCOMPARE(model()->summaryCount(), int(tensors.size()));
    int kept = 0;
    int measured = 0;
    for (int row = 0; row < model()->rowCount(); ++row) {
        const qs::TensorSummary *s = model()->summary(row);
        QVERIFY(s);
        QCOMPARE(model()->index(row, ModelTableModel::Name).data().toString(),
                 QString::fromStdString(tensors[std::size_t(row)].name));
        const QString scheme = model()->index(row, ModelTableModel::Scheme).data().toString();
        const QString mse = model()->index(row, ModelTableModel::Mse).data().toString();
        if (tensors[std::size_t(row)].shape.size() <= 1) { // norms: the default ignore list keeps them
            QVERIFY2(scheme.startsWith(QStringLiteral("kept")), qPrintable(scheme));
            QVERIFY(mse.isEmpty());
            QVERIFY(!model()->index(row, ModelTableModel::Mse).data(Qt::UserRole).isValid());
            // Its size is the stored one: 4 bytes per F32 value.
            QCOMPARE(model()->index(row, ModelTableModel::BitsPerWeight).data().toString(),
                     QStringLiteral("32.00"));
            ++kept;
        } else if (s->error) {
            QVERIFY(!mse.isEmpty());
            // Underflow is a cast's figure: empty under the default int scheme.
            QVERIFY(model()->index(row, ModelTableModel::Underflow).data().toString().isEmpty());
            ++measured;
        }
    }
    QVERIFY(kept > 0);
    QVERIFY(measured > 0);
    QCOMPARE(m_window->modelSweep()->measuredCount(), measured);
}

// The sweep's figures are the core's: the tensor loaded again and measured with the window's
// default spec gives the same MSE, bit for bit.
void TestModelPanel::measuredRowMatchesCore() {
    QVERIFY(sweep());
    const auto reader = m_window->controller()->reader();
    const qs::QuantSpec spec = m_window->controller()->session().defaultSpec();
    const std::size_t index = qs::test::tensorIndexOf(*m_window, "model.layers.0.mlp.down_proj.weight");
    QVERIFY(index < reader->tensors().size());
    const qs::TensorSummary *s = model()->summary(int(index));
    QVERIFY(s && s->error && s->spec);
    QCOMPARE(*s->spec, spec);
    const auto tensor = reader->loadFloat(index);
    QVERIFY(tensor);
    const auto measured = qs::measureScheme(tensor.value()->values(), reader->tensors()[index].shape, spec);
    QVERIFY(measured);
    QCOMPARE(s->error->mse, measured->error.mse); // exact: the same computation
    QCOMPARE(model()->index(int(index), ModelTableModel::Mse).data(Qt::UserRole).toDouble(),
             measured->error.mse);
    QCOMPARE(model()->index(int(index), ModelTableModel::Scheme).data().toString(),
             ModelTableModel::schemeText(spec));
}

void TestModelPanel::sortsBySqnr() {
    QVERIFY(sweep());
    view()->horizontalHeader()->setSortIndicator(ModelTableModel::Sqnr, Qt::AscendingOrder);
    const QAbstractItemModel *proxy = view()->model();
    double previous = -std::numeric_limits<double>::infinity();
    bool emptySeen = false;
    int numbers = 0;
    for (int row = 0; row < proxy->rowCount(); ++row) {
        const QVariant value = proxy->index(row, ModelTableModel::Sqnr).data(Qt::UserRole);
        if (!value.isValid()) { // kept tensors: after every number
            emptySeen = true;
            continue;
        }
        QVERIFY2(!emptySeen, "a number after an empty cell");
        QVERIFY2(value.toDouble() >= previous, qPrintable(QString::number(row)));
        previous = value.toDouble();
        ++numbers;
    }
    QVERIFY(numbers > 1);
    QVERIFY(emptySeen);
    // The display follows the sort: the first row shows the lowest SQNR to one decimal.
    const double first = proxy->index(0, ModelTableModel::Sqnr).data(Qt::UserRole).toDouble();
    QCOMPARE(proxy->index(0, ModelTableModel::Sqnr).data().toString(), QString::number(first, 'f', 1));
}

void TestModelPanel::filterNarrowsRows() {
    QVERIFY(sweep());
    QTest::keyClicks(m_window->modelPanel()->filterEdit(), QStringLiteral("DOWN_proj"));
    const QAbstractItemModel *proxy = view()->model();
    QVERIFY(proxy->rowCount() > 0);
    QVERIFY(proxy->rowCount() < model()->rowCount());
    int expected = 0;
    for (const qs::TensorInfo &info : m_window->controller()->reader()->tensors())
        expected += QString::fromStdString(info.name).contains(QStringLiteral("down_proj")) ? 1 : 0;
    QCOMPARE(proxy->rowCount(), expected);
    for (int row = 0; row < proxy->rowCount(); ++row)
        QVERIFY(
            proxy->index(row, ModelTableModel::Name).data().toString().contains(QStringLiteral("down_proj")));
    QVERIFY(m_window->modelPanel()->summaryLabel()->text().contains(QStringLiteral("%1 of").arg(expected)));
    m_window->modelPanel()->filterEdit()->clear();
    QCOMPARE(proxy->rowCount(), model()->rowCount());
}

// Cancelled as soon as the first tensor is measured in the background: what arrived stays, the
// rest never shows, and the window goes on working.
void TestModelPanel::cancelKeepsRowsDone() {
    ModelSweep *sweeper = m_window->modelSweep();
    QSignalSpy finished(sweeper, &ModelSweep::finished);
    connect(sweeper, &ModelSweep::summaryReady, this, [sweeper] {
        if (sweeper->measuredCount() == 1 && sweeper->isRunning())
            sweeper->cancel();
    });
    m_window->sweepAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), kTimeoutMs);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.first().at(0).toBool(), false);
    QVERIFY(!sweeper->isRunning());
    QTest::qWait(200); // summaries the worker posted before the cancel must not arrive
    QCOMPARE(sweeper->measuredCount(), 1);
    const int done = model()->summaryCount();
    QVERIFY(done > 1);
    QVERIFY(done < model()->rowCount());
    // Still usable: another tensor opens, and a new sweep completes (the one measured is reused).
    disconnect(sweeper, &ModelSweep::summaryReady, this, nullptr);
    QSignalSpy shown(m_window->controller(), &qs::ui::AnalysisController::exactShown);
    m_window->browser()->selectTensor(
        qs::test::tensorIndexOf(*m_window, "model.layers.0.self_attn.q_proj.weight"));
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
    QVERIFY(sweep());
    QCOMPARE(model()->summaryCount(), model()->rowCount());
}

// Nothing is measured again for the same default: every summary comes from the cache, before
// the Sweep action even returns.
void TestModelPanel::secondSweepUsesCache() {
    QVERIFY(sweep());
    const int measured = m_window->modelSweep()->measuredCount();
    QVERIFY(measured > 0);
    QSignalSpy finished(m_window->modelSweep(), &ModelSweep::finished);
    m_window->sweepAction()->trigger();
    QCOMPARE(finished.size(), 1); // synchronously: no background job
    QVERIFY(finished.first().at(0).toBool());
    QVERIFY(!m_window->modelSweep()->isRunning());
    QCOMPARE(m_window->modelSweep()->measuredCount(), measured);
    QCOMPARE(model()->summaryCount(), model()->rowCount());
}

void TestModelPanel::otherSchemeRecomputes() {
    QVERIFY(sweep());
    const int measured = m_window->modelSweep()->measuredCount();
    qs::QuantSpec other = m_window->controller()->session().defaultSpec();
    other.bits = other.bits == 4 ? 6 : 4;
    m_window->controller()->setDefaultScheme(other);
    QCOMPARE(m_window->controller()->session().defaultSpec().bits, other.bits);
    QVERIFY(sweep());
    QCOMPARE(m_window->modelSweep()->measuredCount(), 2 * measured);
    const std::size_t index = qs::test::tensorIndexOf(*m_window, "model.layers.0.mlp.up_proj.weight");
    QCOMPARE(model()->summary(int(index))->spec->bits, other.bits);
}

// Under an f16 cast the Underflow column is the share of the tensor's values that castSaturating
// makes subnormal or zero (the demo's weights, about 0.02 in scale, have some below 2^-14).
void TestModelPanel::castSweepShowsUnderflow() {
    qs::QuantSpec cast = m_window->controller()->session().defaultSpec();
    cast.format = qs::NumberFormat::F16;
    m_window->controller()->setDefaultScheme(cast);
    QCOMPARE(m_window->controller()->session().defaultSpec().format, qs::NumberFormat::F16);
    QVERIFY(sweep());
    const auto reader = m_window->controller()->reader();
    const std::size_t index = qs::test::tensorIndexOf(*m_window, "model.layers.0.mlp.down_proj.weight");
    const auto tensor = reader->loadFloat(index);
    QVERIFY(tensor);
    const std::span<const float> x = tensor.value()->values();
    std::vector<float> out(x.size());
    qs::CastCounts counts;
    qs::castSaturating(qs::HalfFormat::F16, x, out, counts);
    QVERIFY(counts.underflow > 0);
    const double share = double(counts.underflow) / double(x.size());
    const QModelIndex cell = model()->index(int(index), ModelTableModel::Underflow);
    QCOMPARE(cell.data(Qt::UserRole).toDouble(), share);
    QCOMPARE(cell.data().toString(), qs::ui::formatPercent(share));
    QVERIFY2(cell.data(Qt::ToolTipRole).toString().contains(qs::ui::formatCount(counts.underflow)),
             qPrintable(cell.data(Qt::ToolTipRole).toString()));
    // Clipped is the overflow's share, none here.
    QCOMPARE(model()->index(int(index), ModelTableModel::Clipped).data(Qt::UserRole).toDouble(), 0.0);
}

void TestModelPanel::openingFileCancelsSweep() {
    ModelSweep *sweeper = m_window->modelSweep();
    QSignalSpy finished(sweeper, &ModelSweep::finished);
    m_window->sweepAction()->trigger();
    QVERIFY(sweeper->isRunning());
    const QString other = qs::test::storageFixture(m_dir);
    QVERIFY(m_window->openFile(other));
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.first().at(0).toBool(), false);
    QCOMPARE(model()->rowCount(), 2); // the other file's tensors, not swept yet
    QCOMPARE(model()->summaryCount(), 0);
    QTest::qWait(200); // the old sweep's summaries never land in the new table
    QCOMPARE(model()->summaryCount(), 0);
    QVERIFY(sweep());
    QCOMPARE(model()->summaryCount(), 2);
}

void TestModelPanel::doubleClickOpensTensor() {
    QVERIFY(sweep());
    const std::size_t index = qs::test::tensorIndexOf(*m_window, "model.layers.1.mlp.gate_proj.weight");
    const int row = viewRowOf(index);
    QVERIFY(row >= 0);
    view()->scrollTo(view()->model()->index(row, 0));
    const QRect cell = view()->visualRect(view()->model()->index(row, ModelTableModel::Name));
    // As a user does it: the first click selects the row (the view then knows the pressed index).
    QTest::mouseClick(view()->viewport(), Qt::LeftButton, {}, cell.center());
    QVERIFY(m_window->browser()->currentTensor() !=
            std::optional<std::size_t>(index)); // selecting is not opening
    QTest::mouseDClick(view()->viewport(), Qt::LeftButton, {}, cell.center());
    QCOMPARE(m_window->browser()->currentTensor(), std::optional<std::size_t>(index));
    QCOMPARE(m_window->controller()->currentTensor(), std::optional<std::size_t>(index));
}

void TestModelPanel::enterOpensTensor() {
    const std::size_t index = qs::test::tensorIndexOf(*m_window, "model.norm.weight");
    const int row = viewRowOf(index);
    QVERIFY(row >= 0);
    m_window->modelDock()->show();
    view()->setFocus();
    view()->setCurrentIndex(view()->model()->index(row, 0));
    QTest::keyClick(view(), Qt::Key_Return);
    QCOMPARE(m_window->browser()->currentTensor(), std::optional<std::size_t>(index));
}

void TestModelPanel::readableAtWindowSizes_data() {
    QTest::addColumn<QSize>("size");
    QTest::addRow("1024x700") << QSize(1024, 700);
    QTest::addRow("1920x1080") << QSize(1920, 1080);
}

// After a sweep at the sizes people use: the window keeps its size, the table shows several
// rows, every column title fits its column, and the bar above the table keeps its texts apart.
void TestModelPanel::readableAtWindowSizes() {
    QFETCH(QSize, size);
    m_window->resize(size);
    QTRY_COMPARE(m_window->size(), size);
    QVERIFY(sweep());
    QCoreApplication::processEvents();
    QCOMPARE(m_window->modelDock()->isFloating(), size.height() < 800); // the plots keep their room
    QCOMPARE(m_window->size(), size);
    const int rowHeight = view()->verticalHeader()->defaultSectionSize();
    QVERIFY2(view()->viewport()->height() >= 5 * rowHeight,
             qPrintable(QString::number(view()->viewport()->height())));
    const QHeaderView *header = view()->horizontalHeader();
    for (int column = 0; column < ModelTableModel::ColumnCount; ++column) {
        if (view()->isColumnHidden(column)) // the Ref columns, without a reference
            continue;
        const QString title = model()->headerData(column, Qt::Horizontal).toString();
        QVERIFY2(header->sectionSize(column) > header->fontMetrics().horizontalAdvance(title),
                 qPrintable(title));
    }
    // Every number shows whole (names and schemes may elide in the middle; their tooltips hold
    // the whole text).
    const QFontMetrics metrics = view()->fontMetrics();
    for (int row = 0; row < model()->rowCount(); ++row)
        for (int column = ModelTableModel::Shape; column < ModelTableModel::ColumnCount; ++column) {
            if (column == ModelTableModel::Scheme || view()->isColumnHidden(column))
                continue;
            const QString text = model()->index(row, column).data().toString();
            QVERIFY2(metrics.horizontalAdvance(text) + 8 <= header->sectionSize(column), qPrintable(text));
        }
    if (size.width() >= 1920) { // spare width goes to the names: no empty band on the right
        int total = 0;
        for (int column = 0; column < ModelTableModel::ColumnCount; ++column)
            total += header->sectionSize(column);
        QVERIFY(total >= view()->viewport()->width());
    }
    const qs::ui::ModelPanel *panel = m_window->modelPanel();
    const QRect button = panel->sweepButton()->geometry();
    const QRect filter = panel->filterEdit()->geometry();
    const QRect label = panel->summaryLabel()->geometry();
    QVERIFY(!button.intersects(filter));
    QVERIFY(!filter.intersects(label));
    QVERIFY(panel->sweepButton()->width() >= panel->sweepButton()->sizeHint().width());
    QVERIFY2(label.width() >=
                 panel->summaryLabel()->fontMetrics().horizontalAdvance(panel->summaryLabel()->text()),
             qPrintable(panel->summaryLabel()->text()));
}

// Like the other docks: open in the next session when it was open at quit.
void TestModelPanel::dockRemembered() {
    QVERIFY(sweep());
    QVERIFY(m_window->modelDock()->isVisible());
    QVERIFY(m_window->close());
    m_window = std::make_unique<MainWindow>();
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QVERIFY(m_window->modelDock()->isVisible());
    m_window->modelDock()->hide();
    QVERIFY(m_window->close());
    m_window = std::make_unique<MainWindow>();
    QVERIFY(!m_window->modelDock()->isVisible());
    QVERIFY(!m_window->modelDock()->toggleViewAction()->isChecked());
    QSettings().clear();
}

void TestModelPanel::panelActionTogglesDock() {
    QAction *action = nullptr;
    for (QAction *candidate : m_window->findChildren<QAction *>())
        if (candidate->shortcut() == QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M))
            action = candidate;
    QVERIFY(action);
    QVERIFY(!action->isChecked());
    action->trigger();
    QVERIFY(m_window->modelDock()->isVisible());
    QVERIFY(action->isChecked());
    QCOMPARE(model()->summaryCount(), 0); // showing the panel measures nothing
    QVERIFY(m_window->modelPanel()->summaryLabel()->text().contains(QStringLiteral("not swept")));
    action->trigger();
    QVERIFY(!m_window->modelDock()->isVisible());
    QVERIFY(!action->isChecked());
}

QTEST_MAIN(TestModelPanel)
#include "tst_modelpanel.moc"
