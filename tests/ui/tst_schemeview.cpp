// The scheme views end to end: presets and the scheme row, the group selector opening on the
// worst group, the clip ratio dragged on the histogram, non-uniform levels, rejected
// combinations, undo and the remembered preset.

#include "analysis/schemeanalysis.h"
#include "analysiscontroller.h"
#include "groupbar.h"
#include "mainwindow.h"
#include "methodtable.h"
#include "planundo.h"
#include "plots/histogramplot.h"
#include "plots/mappingplot.h"
#include "plots/plotstyle.h"
#include "quantcontrols.h"
#include "schemecontrols.h"
#include "schemeinsights.h"
#include "statspanel.h"
#include "tensorbrowser.h"
#include "windowfixture.h"
#include "windowsteps.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <cmath>

using qs::ui::AnalysisController;
using qs::ui::MainWindow;
using qs::ui::MethodRow;
using qs::ui::MethodTable;
using qs::ui::MethodTableModel;
using qs::ui::SchemeInsights;
using qs::ui::StatsPanel;

namespace {

constexpr int kTimeoutMs = 30000;
const char *const kProjection = "model.layers.0.self_attn.q_proj.weight";
// 1376 columns: not a multiple of Q4_K's 256.
const char *const kDownProjection = "model.layers.0.mlp.down_proj.weight";

} // namespace

class TestSchemeView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void w4a16OpensOnWorstGroup();
    void dragSetsClipRatio();
    void nonUniformLevelsDrawn();
    void ggmlGroupShowsItsWholeGrid();
    void normalisedViewOverAllGroups();
    void rejectedComboKeepsView();
    void intControlsDisabledForOtherFormats();
    void undoCoversSchemeChanges();
    void presetRemembered();
    void methodFromTableApplies();

private:
    void openAndSelect(const char *name);
    void choosePreset(const QString &key);
    std::size_t tensorIndex(const char *name) const;

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
    QStringList m_messages;
};

void TestSchemeView::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestSchemeView::init() {
    m_messages.clear();
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler(
        [this](QMessageBox::Icon, const QString &title, const QString &text) { m_messages << title + text; });
    m_window->setAskHandler([](const QString &, const QString &) { return QMessageBox::Discard; });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestSchemeView::cleanup() {
    m_window.reset();
    QSettings().remove(QStringLiteral("scheme"));
}

std::size_t TestSchemeView::tensorIndex(const char *name) const {
    return qs::test::tensorIndexOf(*m_window, name);
}

void TestSchemeView::openAndSelect(const char *name) {
    QVERIFY2(qs::test::openAndSelectTensor(*m_window, m_demo, name, kTimeoutMs), name);
}

// As the user does it: pick the preset's entry in the combo.
void TestSchemeView::choosePreset(const QString &key) {
    QComboBox *box = m_window->schemeControls()->presetBox();
    const int index = box->findData(key);
    QVERIFY(index > 0);
    QSignalSpy shown(m_window->controller(), &AnalysisController::schemeAnalysisShown);
    box->setCurrentIndex(index);
    Q_EMIT box->activated(index);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && m_window->controller()->currentScheme() &&
                                 m_window->controller()->currentScheme()->spec ==
                                     m_window->controller()->currentSpec(),
                             kTimeoutMs);
}

// The test: W4A16 on a projection opens on the group whose MSE is largest, computed
// here by brute force over the rows' runs of 128.
void TestSchemeView::w4a16OpensOnWorstGroup() {
    openAndSelect(kProjection);
    choosePreset(QStringLiteral("w4a16"));
    AnalysisController *controller = m_window->controller();
    const qs::QuantSpec &spec = controller->currentSpec();
    QCOMPARE(spec.bits, 4);
    QCOMPARE(spec.granularity.kind, qs::Granularity::Kind::Group);
    QCOMPARE(spec.granularity.size, std::int64_t(128));
    const auto scheme = controller->currentScheme();
    const auto tensor = controller->currentAnalysis();
    const std::span<const float> x = tensor->tensor->values();
    const std::int64_t cols = tensor->info().shape.back();
    const std::int64_t groupsPerRow = (cols + 127) / 128;
    std::int64_t worst = 0;
    double worstMse = -1.0;
    for (std::int64_t g = 0; g < std::int64_t(x.size()) / cols * groupsPerRow; ++g) {
        const std::int64_t begin = (g / groupsPerRow) * cols + (g % groupsPerRow) * 128;
        const std::int64_t end = begin + std::min<std::int64_t>(128, cols - (g % groupsPerRow) * 128);
        double sum = 0.0;
        for (std::int64_t i = begin; i < end; ++i) {
            const double e =
                double(x[std::size_t(i)]) - double(scheme->quantization.dequantized[std::size_t(i)]);
            sum += e * e;
        }
        if (sum / double(end - begin) > worstMse) {
            worstMse = sum / double(end - begin);
            worst = g;
        }
    }
    QCOMPARE(controller->currentGroup(), worst);
    QCOMPARE(m_window->groupBar()->currentGroup(), worst);
    QVERIFY(m_window->groupBar()->isVisible());
    // The histogram draws that group's 16 levels (k − 0)·s, k = −8 … 7, and so does the mapping.
    const std::vector<double> levels = m_window->histogramPlot()->viewLevels();
    QCOMPARE(levels.size(), std::size_t(16));
    const double s = double(scheme->quantization.scales[std::size_t(worst)]);
    QCOMPARE(levels.front(), -8.0 * s);
    QCOMPARE(m_window->mappingPlot()->shownLevels(), levels);
    QVERIFY(m_window->schemeControls()->presetBox()->currentText().contains(QStringLiteral("W4A16")));
    QVERIFY(m_messages.isEmpty());
}

// Dragging the upper handle towards 0 sets the spec's clip ratio, with estimates during the drag
// and the exact figures after.
void TestSchemeView::dragSetsClipRatio() {
    openAndSelect(kProjection);
    choosePreset(QStringLiteral("w4a16"));
    qs::ui::HistogramPlot *histogram = m_window->histogramPlot();
    QCustomPlot *plot = histogram->plot();
    StatsPanel *stats = m_window->statsPanel();
    const auto scheme = m_window->controller()->currentScheme();
    const std::int64_t group = m_window->controller()->currentGroup();
    const auto base = qs::ratioBase(*scheme, group);
    QVERIFY(base);
    const QPoint start = histogram->handlePosition(true);
    QCOMPARE(start.x(), int(std::lround(plot->xAxis->coordToPixel(base->second))));
    const QPoint target(int(std::lround(plot->xAxis->coordToPixel(0.6 * base->second))), start.y());
    const double expected = plot->xAxis->pixelToCoord(target.x()) / base->second;
    const double ratioPerPixel =
        std::abs(plot->xAxis->pixelToCoord(1) - plot->xAxis->pixelToCoord(0)) / base->second;
    QSignalSpy dragged(histogram, &qs::ui::HistogramPlot::ratioDragged);
    QSignalSpy exact(m_window->controller(), &AnalysisController::exactShown);
    QTest::mousePress(plot, Qt::LeftButton, {}, start);
    QTest::mouseMove(plot, QPoint((start.x() + target.x()) / 2, start.y()));
    QVERIFY(!dragged.isEmpty());
    QVERIFY(stats->isEstimate(StatsPanel::Figure::Mse));
    QVERIFY(stats->text(StatsPanel::Figure::Mse).startsWith(QStringLiteral("≈")));
    QTest::mouseMove(plot, target);
    QTest::mouseRelease(plot, Qt::LeftButton, {}, target);
    const double ratio = m_window->controller()->currentSpec().clipRatio;
    QVERIFY2(std::abs(ratio - expected) <= ratioPerPixel + 1e-9,
             qPrintable(QStringLiteral("ratio %1, expected %2").arg(ratio).arg(expected)));
    QTRY_VERIFY_WITH_TIMEOUT(
        !exact.isEmpty() && m_window->controller()->currentScheme()->spec.clipRatio == ratio, kTimeoutMs);
    QVERIFY(!stats->isEstimate(StatsPanel::Figure::Mse));
    QVERIFY(stats->text(StatsPanel::Figure::ClipRange).startsWith(QStringLiteral("ρ = ")));
    // The exact pass's MSE is the stats panel's figure, and clipping at 0.6 costs clipped values.
    const auto after = m_window->controller()->currentScheme();
    QVERIFY(after->clippedFraction > 0.0);
    QCOMPARE(stats->text(StatsPanel::Figure::Mse), qs::ui::formatNumber(after->error.mse));
}

// NF4 draws its 16 codes times the block's absmax: unevenly spaced.
void TestSchemeView::nonUniformLevelsDrawn() {
    openAndSelect(kProjection);
    choosePreset(QStringLiteral("nf4"));
    const auto scheme = m_window->controller()->currentScheme();
    const std::int64_t group = m_window->controller()->currentGroup();
    const std::vector<double> levels = m_window->histogramPlot()->viewLevels();
    QCOMPARE(levels, qs::groupLevels(*scheme, group));
    QCOMPARE(levels.size(), std::size_t(16));
    const double first = levels[1] - levels[0];
    const double middle = levels[8] - levels[7];
    QVERIFY2(std::abs(first - middle) > 0.05 * middle, "NF4's levels are not evenly spaced");
    QCOMPARE(m_window->mappingPlot()->shownLevels(), levels);
    // Its level lines are on the plot.
    int lines = 0;
    for (const QCPItemLine *line : m_window->histogramPlot()->plot()->findChildren<QCPItemLine *>())
        lines += line->objectName() == QStringLiteral("levelLine") && line->visible() ? 1 : 0;
    QCOMPARE(lines, 16);
}

// Q4_K's sub-block draws its 16 levels, s · q − dmin · m for q = 0 … 15, and the Zero point row
// says where code 0 lands; Q8_0 (no min) draws 256 levels and shows no zero point.
void TestSchemeView::ggmlGroupShowsItsWholeGrid() {
    openAndSelect(kProjection);
    choosePreset(QStringLiteral("q4_k"));
    const auto scheme = m_window->controller()->currentScheme();
    const auto group = std::size_t(m_window->controller()->currentGroup());
    const std::vector<double> levels = m_window->histogramPlot()->viewLevels();
    QCOMPARE(levels.size(), std::size_t(16));
    QCOMPARE(m_window->mappingPlot()->shownLevels(), levels);
    const qs::GgmlGroupGrid grid = scheme->quantization.groupGrids.at(group);
    QVERIFY(grid.step > 0.0f && grid.offset != 0.0f);
    QCOMPARE(levels.front(), double(-grid.offset));
    QCOMPARE(levels.back(), double(grid.step * 15.0f - grid.offset));
    const StatsPanel *stats = m_window->statsPanel();
    QCOMPARE(stats->text(StatsPanel::Figure::ZeroPoint),
             QStringLiteral("code 0 → ") + qs::ui::formatNumber(double(-grid.offset)));
    QCOMPARE(stats->text(StatsPanel::Figure::Scale), qs::ui::formatNumber(double(grid.step)));
    // The mapping names the stored codes at its ends: the sub-block's 4-bit quants 0 and 15.
    const QString tip = m_window->mappingPlot()->plot()->toolTip();
    QVERIFY2(tip.contains(QStringLiteral("lowest level (0) and the highest (15)")), qPrintable(tip));

    choosePreset(QStringLiteral("q8_0"));
    QCOMPARE(m_window->histogramPlot()->viewLevels().size(), std::size_t(256));
    QCOMPARE(stats->text(StatsPanel::Figure::ZeroPoint), QStringLiteral("–"));
    // Q8_0 stores int8: its lowest level is -128, not position 0.
    const QString q8Tip = m_window->mappingPlot()->plot()->toolTip();
    QVERIFY2(q8Tip.contains(QStringLiteral("lowest level (-128) and the highest (127)")), qPrintable(q8Tip));
}

void TestSchemeView::normalisedViewOverAllGroups() {
    openAndSelect(kProjection);
    choosePreset(QStringLiteral("w4a16"));
    const auto scheme = m_window->controller()->currentScheme();
    m_window->groupBar()->normalisedBox()->click();
    QVERIFY(m_window->controller()->normalisedView());
    QVERIFY(m_window->histogramPlot()->plot()->xAxis->label().contains(QStringLiteral("x / s")));
    // Symmetric int4: the same grid −8 … 7 for every group, in units of the group's scale.
    const std::vector<double> levels = m_window->histogramPlot()->viewLevels();
    QCOMPARE(levels.front(), -8.0);
    QCOMPARE(levels.back(), 7.0);
    // Choosing another group keeps the normalised view.
    m_window->groupBar()->groupBox()->setValue(0);
    QCOMPARE(m_window->controller()->currentGroup(), std::int64_t(0));
    QVERIFY(m_window->histogramPlot()->plot()->xAxis->label().contains(QStringLiteral("x / s")));
}

// Q4_K on a 1376-wide tensor: checkScheme's message in the status bar, nothing else changes.
void TestSchemeView::rejectedComboKeepsView() {
    openAndSelect(kDownProjection);
    const qs::QuantSpec before = m_window->controller()->currentSpec();
    const auto exactBefore = m_window->controller()->session().exact(tensorIndex(kDownProjection));
    QComboBox *box = m_window->schemeControls()->presetBox();
    const int index = box->findData(QStringLiteral("q4_k"));
    box->setCurrentIndex(index);
    Q_EMIT box->activated(index);
    QVERIFY(m_window->statusBar()->currentMessage().contains(
        QStringLiteral("not a multiple of the block size 256")));
    QCOMPARE(m_window->controller()->currentSpec(), before);
    QCOMPARE(box->currentIndex(), 0); // back to what is shown: "Custom"
    QCOMPARE(m_window->controller()->session().exact(tensorIndex(kDownProjection)), exactBefore);
    QVERIFY(m_messages.isEmpty());
    QVERIFY(m_window->undo()->stack()->count() == 0);
    // A method that applies per tensor only, on groups: also refused with checkScheme's words.
    choosePreset(QStringLiteral("w4a16"));
    QComboBox *method = m_window->schemeControls()->methodBox();
    const int percentile = method->findText(QStringLiteral("percentile"));
    method->setCurrentIndex(percentile);
    Q_EMIT method->activated(percentile);
    QVERIFY(m_window->statusBar()->currentMessage().contains(QStringLiteral("applies per tensor only")));
    QCOMPARE(m_window->controller()->currentSpec().method, qs::CalibMethod::MinMax);
    QCOMPARE(method->currentText(), QStringLiteral("minmax"));
}

void TestSchemeView::intControlsDisabledForOtherFormats() {
    openAndSelect(kProjection);
    qs::ui::QuantControls *controls = m_window->controls();
    QVERIFY(controls->bitsBox()->isEnabled());
    choosePreset(QStringLiteral("nf4"));
    QVERIFY(!controls->bitsBox()->isEnabled());
    QVERIFY(controls->bitsBox()->toolTip().contains(QStringLiteral("nf4")));
    QVERIFY(!controls->symmetricButton()->isEnabled());
    QVERIFY(!controls->narrowBox()->isEnabled());
    QVERIFY(!m_window->schemeControls()->granularityBox()->isEnabled());
    QVERIFY(m_window->schemeControls()->granularityBox()->toolTip().contains(QStringLiteral("64")));
    // Grouped int: bits apply, a fixed clip range does not.
    choosePreset(QStringLiteral("w4a16"));
    QVERIFY(controls->bitsBox()->isEnabled());
    QVERIFY(!controls->saturatingButton()->isEnabled());
    QVERIFY(controls->saturatingButton()->toolTip().contains(QStringLiteral("per tensor")));
}

void TestSchemeView::undoCoversSchemeChanges() {
    openAndSelect(kProjection);
    const qs::QuantSpec original = m_window->controller()->currentSpec();
    choosePreset(QStringLiteral("w4a16"));
    QUndoStack *stack = m_window->undo()->stack();
    QVERIFY(stack->undoText().contains(QStringLiteral("W4A16")));
    // The format combo: fp8_e4m3 keeps the group granularity.
    QComboBox *format = m_window->schemeControls()->formatBox();
    const int fp8 = format->findText(QStringLiteral("fp8_e4m3"));
    format->setCurrentIndex(fp8);
    Q_EMIT format->activated(fp8);
    QCOMPARE(m_window->controller()->currentSpec().format, qs::NumberFormat::Fp8E4M3);
    QCOMPARE(stack->undoText(), QStringLiteral("Format fp8_e4m3"));
    stack->undo();
    QCOMPARE(m_window->controller()->currentSpec().format, qs::NumberFormat::Int);
    QCOMPARE(m_window->schemeControls()->formatBox()->currentText(), QStringLiteral("int"));
    stack->undo();
    QCOMPARE(m_window->controller()->currentSpec(), original);
    QVERIFY(m_window->controls()->bitsBox()->isEnabled());
    stack->redo();
    QCOMPARE(m_window->controller()->currentSpec().granularity.size, std::int64_t(128));
}

// The last preset is what new tensors start from after a restart.
void TestSchemeView::presetRemembered() {
    openAndSelect(kProjection);
    choosePreset(QStringLiteral("w4a16"));
    QVERIFY(m_window->close());
    m_window = std::make_unique<MainWindow>();
    const qs::QuantSpec spec = m_window->controller()->session().defaultSpec();
    QCOMPARE(spec.bits, 4);
    QCOMPARE(spec.granularity.size, std::int64_t(128));
    QVERIFY(m_window->schemeControls()->presetBox()->currentText().contains(QStringLiteral("W4A16")));
}

// The flow continued: on W4A16 the Scheme panel's Methods tab lists the methods that
// apply to int4 groups of 128, and the mse row's Apply button applies it as one undo step;
// the window then shows that scheme's exact figures, the row's own.
void TestSchemeView::methodFromTableApplies() {
    openAndSelect(kProjection);
    choosePreset(QStringLiteral("w4a16"));
    AnalysisController *controller = m_window->controller();
    m_window->schemeDock()->show();
    SchemeInsights *insights = m_window->schemeInsights();
    insights->tabs()->setCurrentIndex(SchemeInsights::MethodsTab);
    MethodTable *table = insights->methodTable();
    QTRY_VERIFY_WITH_TIMEOUT(!table->model()->rows().empty(), kTimeoutMs);
    QStringList labels;
    for (const MethodRow &row : table->model()->rows())
        labels << row.label;
    // Per-tensor methods and hqq (asymmetric only) do not apply to symmetric groups.
    QCOMPARE(labels, QStringList({QStringLiteral("minmax"), QStringLiteral("mse")}));

    QSortFilterProxyModel *proxy = table->proxy();
    int viewRow = -1;
    for (int r = 0; r < proxy->rowCount(); ++r)
        if (proxy->index(r, MethodTableModel::Method).data().toString() == QStringLiteral("mse"))
            viewRow = r;
    QVERIFY(viewRow >= 0);
    const MethodRow mseRow =
        table->model()
            ->rows()[std::size_t(proxy->mapToSource(proxy->index(viewRow, MethodTableModel::Method)).row())];
    const int steps = m_window->undo()->stack()->count();
    auto *apply = qobject_cast<QPushButton *>(
        table->view()->indexWidget(proxy->index(viewRow, MethodTableModel::Apply)));
    QVERIFY(apply);
    QTest::mouseClick(apply, Qt::LeftButton);
    QCOMPARE(int(controller->currentSpec().method), int(qs::CalibMethod::Mse));
    QCOMPARE(controller->currentSpec().granularity.size, std::int64_t(128));
    QCOMPARE(m_window->undo()->stack()->count(), steps + 1);
    QTRY_VERIFY_WITH_TIMEOUT(controller->currentScheme() &&
                                 controller->currentScheme()->spec.method == qs::CalibMethod::Mse,
                             kTimeoutMs);
    const double shown = controller->currentScheme()->error.mse;
    QVERIFY2(std::abs(shown / mseRow.mse - 1.0) < 1e-9,
             qPrintable(QStringLiteral("%1 vs %2").arg(shown).arg(mseRow.mse)));
    QVERIFY(shown <= table->model()->rows().front().mse); // never worse than min-max
}

QTEST_MAIN(TestSchemeView)
#include "tst_schemeview.moc"
