// View ▸ Method Thresholds: every applicable calibration method's range on the weight histogram.
// On the demo, the plot's marker lines sit exactly at the Methods table's clip values (per
// tensor) or at the selected group's ranges (W4A16), computed once off the GUI thread even with
// the Scheme panel closed; toggling the action removes them, another tensor never shows stale
// ones, and the legend and labels stay apart at the window sizes people use.

#include "analysis/methodcomparison.h"
#include "analysis/schemeanalysis.h"
#include "analysiscontroller.h"
#include "groupbar.h"
#include "mainwindow.h"
#include "methodcomparer.h"
#include "methodtable.h"
#include "methodthresholds.h"
#include "plots/bitserrorchart.h"
#include "plots/histogramplot.h"
#include "plots/methodmarkers.h"
#include "plots/plotstyle.h"
#include "schemeinsights.h"
#include "schemepresets.h"
#include "tensorbrowser.h"

#include "plotfixtures.h"
#include "plottext.h"
#include "windowfixture.h"

#include <qcustomplot.h>

#include <QAction>
#include <QCheckBox>
#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;
using namespace qs::ui;
using namespace qs::test;

namespace {

constexpr int kTimeoutMs = 60000;
const char *const kProjection = "model.layers.0.self_attn.q_proj.weight";

struct Drawn {
    double lo = 0.0;
    double hi = 0.0;
};

// The marker pairs as the plot holds them: its visible "methodMarkerLow" / "methodMarkerHigh"
// line items, each vertical, paired in order.
std::vector<Drawn> drawnPairs(HistogramPlot *histogram) {
    std::vector<Drawn> pairs;
    const std::vector<QCPItemLine *> lines = histogram->methodMarkers()->shownLines();
    const auto lows = visibleChildren<QCPItemLine>(histogram->plot(), QStringLiteral("methodMarkerLow"));
    const auto highs = visibleChildren<QCPItemLine>(histogram->plot(), QStringLiteral("methodMarkerHigh"));
    if (lows.size() != highs.size() || std::size_t(lows.size() + highs.size()) != lines.size())
        return {}; // a hidden or extra line: the caller's size check fails
    for (std::size_t i = 0; i + 1 < lines.size(); i += 2) {
        QCPItemLine *low = lines[i];
        QCPItemLine *high = lines[i + 1];
        if (!low->visible() || !high->visible() || low->objectName() != QStringLiteral("methodMarkerLow") ||
            low->start->coords().x() != low->end->coords().x() ||
            high->start->coords().x() != high->end->coords().x())
            return {};
        pairs.push_back({low->start->coords().x(), high->start->coords().x()});
    }
    return pairs;
}

// The legend's entries (its grid may hold empty cells when wrapped).
QList<QCPAbstractLegendItem *> legendItems(HistogramPlot *histogram) {
    QCPLegend *legend = histogram->methodMarkers()->legend();
    QList<QCPAbstractLegendItem *> items;
    if (!legend->layout() || !legend->visible())
        return items;
    for (int i = 0; i < legend->itemCount(); ++i)
        if (QCPAbstractLegendItem *item = legend->item(i))
            items.append(item);
    return items;
}

int legendEntries(HistogramPlot *histogram) {
    return int(legendItems(histogram).size());
}

// The legend's entries inside the plot, above its axis rect and apart from each other and from
// every text item.
QString legendProblem(HistogramPlot *histogram) {
    QCustomPlot *plot = histogram->plot();
    const QRectF area(plot->axisRect()->rect());
    QList<QRectF> boxes;
    const QList<QCPAbstractLegendItem *> items = legendItems(histogram);
    for (int i = 0; i < items.size(); ++i) {
        const QRectF box(items[i]->outerRect());
        if (!QRectF(plot->rect()).contains(box))
            return QStringLiteral("legend entry %1 sticks out of the plot").arg(i);
        if (box.intersects(area))
            return QStringLiteral("legend entry %1 covers the plot area").arg(i);
        for (const QRectF &other : boxes)
            if (box.intersected(other).width() > 0.5 && box.intersected(other).height() > 0.5)
                return QStringLiteral("legend entry %1 overlaps another").arg(i);
        for (const PlotText &text : visibleTexts(plot))
            if (box.intersects(text.rect))
                return QStringLiteral("legend entry %1 overlaps '%2'").arg(i).arg(text.text);
        boxes.append(box);
    }
    return QString();
}

qs::MethodRow row(CalibMethod method, double lo, double hi, std::vector<double> groupLo = {},
                  std::vector<double> groupHi = {}, double percentile = kDefaultPercentile) {
    qs::MethodRow r;
    r.spec.method = method;
    r.spec.percentile = percentile;
    r.label = methodLabel(r.spec);
    r.clipLo = lo;
    r.clipHi = hi;
    r.mse = 1e-6;
    r.sqnrDb = 30.0;
    r.groupClipLo = std::move(groupLo);
    r.groupClipHi = std::move(groupHi);
    return r;
}

} // namespace

class TestMethodThresholds : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void markersForRows();
    void comparerLatestWins();
    void perTensorAtTableValues();
    void groupedAtSelectedGroup();
    void toggleRemovesMarkers();
    void otherTensorNeverStale();
    void legendAndLabelsApart_data();
    void legendAndLabelsApart();

private:
    void openDemo();
    void selectTensor(const char *name);
    void applyScheme(const QuantSpec &spec);
    // The comparer's rows for the tensor and spec on screen, and the markers drawn from them.
    std::shared_ptr<const MethodComparer::Rows> waitForMarkers();

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
};

void TestMethodThresholds::initTestCase() {
    m_demo = prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestMethodThresholds::init() {
    m_window = std::make_unique<MainWindow>();
    m_window->setAskHandler([](const QString &, const QString &) { return QMessageBox::Discard; });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestMethodThresholds::cleanup() {
    m_window.reset();
    QSettings().clear(); // each test starts from the defaults: thresholds on, Scheme panel closed
}

void TestMethodThresholds::openDemo() {
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    QVERIFY(m_window->openFile(m_demo));
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
}

void TestMethodThresholds::selectTensor(const char *name) {
    const std::size_t index = m_window->controller()->session().indexOf(name).value();
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    m_window->browser()->selectTensor(index);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).value<std::size_t>() == index,
                             kTimeoutMs);
}

// As the Scheme panel's chart or table applies a scheme.
void TestMethodThresholds::applyScheme(const QuantSpec &spec) {
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    Q_EMIT m_window->schemeInsights()->bitsChart()->schemeChosen(spec);
    QCOMPARE(m_window->controller()->currentSpec(), spec);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
}

std::shared_ptr<const MethodComparer::Rows> TestMethodThresholds::waitForMarkers() {
    MethodComparer *comparer = m_window->schemeInsights()->methodComparer();
    AnalysisController *controller = m_window->controller();
    const auto holds = [&] {
        return comparer->holds(controller->currentAnalysis().get(), controller->currentSpec()) &&
               !m_window->histogramPlot()->methodMarkers()->markers().empty();
    };
    [&] { QTRY_VERIFY_WITH_TIMEOUT(holds(), kTimeoutMs); }();
    return holds() ? comparer->rows() : nullptr;
}

// The rule alone: per tensor the rows' own ranges; per group the group's, in units of its scale
// when normalised; rows without a range for the view are left out; the method in use is marked.
void TestMethodThresholds::markersForRows() {
    const std::vector<qs::MethodRow> perTensor{row(CalibMethod::MinMax, -0.2, 0.25),
                                               row(CalibMethod::Percentile, -0.1, 0.12, {}, {}, 99.9),
                                               row(CalibMethod::Mse, -0.08, 0.09)};
    QuantSpec current = intSpec(8, Scheme::Asymmetric);
    current.method = CalibMethod::Percentile;
    current.percentile = 99.9;
    auto markers = MethodThresholds::markersFor(perTensor, current, nullptr, 0, false);
    QCOMPARE(markers.size(), std::size_t(3));
    QCOMPARE(markers[1].lo, -0.1);
    QCOMPARE(markers[1].hi, 0.12);
    QCOMPARE(markers[1].name, QStringLiteral("p99.9"));
    QVERIFY(markers[1].toolTip.contains(QStringLiteral("percentile:99.9")));
    QVERIFY(markers[1].toolTip.contains(QStringLiteral("in use")));
    QCOMPARE(markers[0].applied, false);
    QCOMPARE(markers[1].applied, true);
    QCOMPARE(markers[2].applied, false);
    QCOMPARE(markers[0].style, 0);
    QCOMPARE(markers[1].style, 2);
    QCOMPARE(markers[2].style, 1);
    // Another P, or a fixed clip, is not the method's range.
    current.percentile = 99.5;
    markers = MethodThresholds::markersFor(perTensor, current, nullptr, 0, false);
    QVERIFY(std::none_of(markers.begin(), markers.end(), [](const MethodMarker &m) { return m.applied; }));

    // Two groups of int4 symmetric: group 1's ranges; in the normalised view divided by its
    // ratio-1 scale, amax / 7.5 (symmetric int: amax over half of qmax − qmin = 15).
    TensorAnalysis tensor;
    TensorInfo info;
    info.name = "w";
    info.shape = {2, 4};
    tensor.tensor = FloatTensor::fromVector(info, {0.1f, -0.2f, 0.3f, 0.05f, 0.7f, -0.35f, 0.2f, 0.1f});
    tensor.stats = *computeStats(tensor.tensor->values());
    QuantSpec grouped = intSpec(4, Scheme::Symmetric);
    grouped.granularity = parseGranularity("group:4").value();
    const auto scheme = analyzeScheme(tensor, grouped).value();
    const std::vector<qs::MethodRow> rows{row(CalibMethod::MinMax, -0.7, 0.7, {-0.3, -0.7}, {0.3, 0.7}),
                                          row(CalibMethod::Mse, -0.6, 0.6, {-0.25, -0.6}, {0.25, 0.6}),
                                          row(CalibMethod::Hqq, -1, 1, {-1}, {1})}; // another grid
    markers = MethodThresholds::markersFor(rows, grouped, scheme.get(), 1, false);
    QCOMPARE(markers.size(), std::size_t(2));
    QCOMPARE(markers[0].lo, -0.7);
    QCOMPARE(markers[1].hi, 0.6);
    QVERIFY(markers[0].applied);
    QVERIFY(markers[1].toolTip.contains(QStringLiteral("group 1")));
    const double s = normalisingScale(*scheme, 1);
    QVERIFY(std::abs(s - 0.7 / 7.5) < 1e-6);
    markers = MethodThresholds::markersFor(rows, grouped, scheme.get(), 1, true);
    QCOMPARE(markers[1].lo, -0.6 / s);
    QCOMPARE(markers[1].hi, 0.6 / s);
    QVERIFY(MethodThresholds::markersFor(rows, grouped, scheme.get(), 2, false).empty());
}

// A newer tensor wins: the first job's rows are never delivered, the second's are its own.
void TestMethodThresholds::comparerLatestWins() {
    const auto first = makeTensor(200000, 3);
    const auto second = makeTensor(200000, 4);
    const QuantSpec spec = intSpec(8, Scheme::Symmetric);
    MethodComparer comparer;
    QSignalSpy rows(&comparer, &MethodComparer::rowsChanged);
    QSignalSpy computing(&comparer, &MethodComparer::computingChanged);
    comparer.setInput(first, spec);
    QVERIFY(!comparer.isComputing()); // nobody wants the rows yet
    comparer.setWanted(MethodComparer::HistogramMarkers, true);
    QVERIFY(comparer.isComputing());
    comparer.setInput(second, spec);
    QTRY_VERIFY_WITH_TIMEOUT(!comparer.isComputing(), kTimeoutMs);
    QCOMPARE(rows.size(), 1);
    QVERIFY(comparer.holds(second.get(), spec));
    QVERIFY(!comparer.holds(first.get(), spec));
    const auto expected = compareMethods(*second, spec).value();
    QCOMPARE(comparer.rows()->size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        QCOMPARE(comparer.rows()->at(i).clipHi, expected[i].clipHi);
    QCOMPARE(computing.last().at(0).toBool(), false);
    // Another range rule (a method, a fixed clip) needs no new comparison.
    QuantSpec clipped = spec;
    clipped.rangeMode = RangeMode::Saturating;
    clipped.clipLo = -0.01;
    clipped.clipHi = 0.01;
    comparer.setSpec(clipped);
    QVERIFY(!comparer.isComputing());
    QVERIFY(comparer.holds(second.get(), clipped));
}

// Per tensor, with the Scheme panel closed: one marker pair per applicable method at exactly
// the clip values of the Methods table, which opening the panel shows without computing again.
void TestMethodThresholds::perTensorAtTableValues() {
    QAction *action = m_window->methodThresholdsAction();
    QVERIFY(action->isCheckable() && action->isChecked());
    QVERIFY(!action->toolTip().isEmpty() && !action->statusTip().isEmpty());
    QMenu *view = nullptr;
    for (QAction *menu : m_window->menuBar()->actions())
        if (menu->text() == QStringLiteral("&View"))
            view = menu->menu();
    QVERIFY(view && view->actions().contains(action));
    QVERIFY(!m_window->schemeDock()->isVisible());
    openDemo();
    const auto rows = waitForMarkers();
    QVERIFY(rows);
    AnalysisController *controller = m_window->controller();
    const auto tensor = controller->currentAnalysis();
    const QuantSpec spec = controller->currentSpec();
    QVERIFY(isPerTensorInt(spec));
    const std::size_t applicable = methodCandidates(spec, tensor->info().shape).size();
    QCOMPARE(applicable, std::size_t(6)); // int8 symmetric: all but hqq

    HistogramPlot *histogram = m_window->histogramPlot();
    const std::vector<Drawn> drawn = drawnPairs(histogram);
    QCOMPARE(drawn.size(), applicable);
    QCOMPARE(legendEntries(histogram), int(applicable));
    // The rows are compareMethods' own for this tensor and spec.
    const auto expected = compareMethods(*tensor, spec).value();
    QCOMPARE(rows->size(), expected.size());

    // The Methods tab shows the same result: no second comparison.
    MethodComparer *comparer = m_window->schemeInsights()->methodComparer();
    QSignalSpy computing(comparer, &MethodComparer::computingChanged);
    m_window->schemeDock()->show();
    m_window->schemeInsights()->tabs()->setCurrentIndex(SchemeInsights::MethodsTab);
    const std::vector<qs::ui::MethodRow> &table = m_window->schemeInsights()->methodTable()->model()->rows();
    QTRY_VERIFY_WITH_TIMEOUT(table.size() == applicable, kTimeoutMs);
    QVERIFY(computing.isEmpty());
    for (std::size_t i = 0; i < applicable; ++i) {
        QCOMPARE(table[i].label, QString::fromStdString(expected[i].label));
        QCOMPARE(drawn[i].lo, table[i].clipLo);
        QCOMPARE(drawn[i].hi, table[i].clipHi);
        QCOMPARE(drawn[i].lo, expected[i].clipLo);
        QCOMPARE(drawn[i].hi, expected[i].clipHi);
    }
    // min-max is in use: its pair is the marked one and lies under the clip handles.
    const auto &markers = histogram->methodMarkers()->markers();
    QCOMPARE(std::count_if(markers.begin(), markers.end(), [](const MethodMarker &m) { return m.applied; }),
             1);
    QVERIFY(markers.front().applied);
    auto *handleLow = histogram->plot()->findChild<QCPItemLine *>(QStringLiteral("handleLow"));
    auto *handleHigh = histogram->plot()->findChild<QCPItemLine *>(QStringLiteral("handleHigh"));
    QCOMPARE(handleLow->start->coords().x(), drawn.front().lo);
    QCOMPARE(handleHigh->start->coords().x(), drawn.front().hi);
    const std::vector<QCPItemLine *> lines = histogram->methodMarkers()->shownLines();
    QVERIFY(lines.front()->pen().widthF() > lines[2]->pen().widthF());
    // Hovering a marker names the method and its range.
    histogram->plot()->replot(QCustomPlot::rpImmediateRefresh);
    const QPoint at(int(std::lround(histogram->plot()->xAxis->coordToPixel(drawn[1].hi))),
                    histogram->plot()->axisRect()->center().y());
    const QString tip = histogram->methodMarkers()->toolTipAt(at, 3);
    QVERIFY2(tip.contains(QStringLiteral("<b>mse</b>")), qPrintable(tip));
    QVERIFY2(tip.contains(formatNumber(drawn[1].hi)), qPrintable(tip));

    // Applying another method moves the mark to it, and needs no new comparison.
    Q_EMIT m_window->schemeInsights()->methodTable()->applyRequested(expected[1].spec);
    QTRY_VERIFY_WITH_TIMEOUT(histogram->methodMarkers()->markers()[1].applied, kTimeoutMs);
    QVERIFY(!histogram->methodMarkers()->markers()[0].applied);
    QTRY_COMPARE_WITH_TIMEOUT(handleHigh->start->coords().x(), drawn[1].hi, kTimeoutMs);
    QVERIFY(computing.isEmpty());
}

// W4A16: each method's range for the group the histogram shows, following the group and the
// normalised view; the method in use is the window's own scheme analysis, under the handles.
void TestMethodThresholds::groupedAtSelectedGroup() {
    openDemo();
    const QuantSpec w4a16 = presetByKey(QStringLiteral("w4a16"))->spec;
    applyScheme(w4a16);
    AnalysisController *controller = m_window->controller();
    QTRY_VERIFY_WITH_TIMEOUT(controller->currentScheme() != nullptr, kTimeoutMs);
    const auto rows = waitForMarkers();
    QVERIFY(rows);
    const auto scheme = controller->currentScheme();
    const std::int64_t groups = scheme->grid.groupCount();
    QCOMPARE(rows->size(), methodCandidates(w4a16, controller->currentAnalysis()->info().shape).size());
    QCOMPARE(rows->size(), std::size_t(2)); // minmax and mse apply to symmetric int groups

    HistogramPlot *histogram = m_window->histogramPlot();
    for (std::int64_t group : {controller->currentGroup(), std::int64_t(0), groups - 1}) {
        controller->selectGroup(group);
        const auto g = std::size_t(group);
        const std::vector<Drawn> drawn = drawnPairs(histogram);
        QCOMPARE(drawn.size(), rows->size());
        for (std::size_t i = 0; i < rows->size(); ++i) {
            QCOMPARE(drawn[i].lo, (*rows)[i].groupClipLo[g]);
            QCOMPARE(drawn[i].hi, (*rows)[i].groupClipHi[g]);
        }
        // min-max is in use: the window's analysis quantized the group with the same range.
        QCOMPARE(drawn[0].lo, scheme->quantization.clipMin[g]);
        QCOMPARE(drawn[0].hi, scheme->quantization.clipMax[g]);
        QVERIFY(histogram->methodMarkers()->markers()[0].applied);
        QVERIFY(
            histogram->methodMarkers()->markers()[0].toolTip.contains(QStringLiteral("group %1").arg(group)));
    }
    // In units of the group's scale, as the normalised histogram is drawn.
    m_window->groupBar()->normalisedBox()->click();
    QVERIFY(controller->normalisedView());
    const std::int64_t group = controller->currentGroup();
    const double s = normalisingScale(*scheme, group);
    const std::vector<Drawn> drawn = drawnPairs(histogram);
    QCOMPARE(drawn.size(), rows->size());
    for (std::size_t i = 0; i < rows->size(); ++i) {
        QCOMPARE(drawn[i].lo, (*rows)[i].groupClipLo[std::size_t(group)] / s);
        QCOMPARE(drawn[i].hi, (*rows)[i].groupClipHi[std::size_t(group)] / s);
    }
}

// Off: no marker line, no legend row, and no comparison for a new tensor; on again: computed
// for the tensor on screen.
void TestMethodThresholds::toggleRemovesMarkers() {
    openDemo();
    QVERIFY(waitForMarkers());
    HistogramPlot *histogram = m_window->histogramPlot();
    QCustomPlot *plot = histogram->plot();
    plot->replot(QCustomPlot::rpImmediateRefresh);
    const int areaTop = plot->axisRect()->top();
    QAction *action = m_window->methodThresholdsAction();
    action->trigger();
    QVERIFY(!action->isChecked());
    QVERIFY(visibleChildren<QCPItemLine>(plot, QStringLiteral("methodMarkerLow")).isEmpty());
    QVERIFY(visibleChildren<QCPItemLine>(plot, QStringLiteral("methodMarkerHigh")).isEmpty());
    QCOMPARE(legendEntries(histogram), 0);
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(plot->axisRect()->top() < areaTop); // the legend row's height goes back to the plot

    MethodComparer *comparer = m_window->schemeInsights()->methodComparer();
    QSignalSpy computing(comparer, &MethodComparer::computingChanged);
    selectTensor(kProjection);
    QVERIFY(computing.isEmpty());
    QVERIFY(histogram->methodMarkers()->markers().empty());

    action->trigger();
    const auto rows = waitForMarkers();
    QVERIFY(rows);
    QVERIFY(comparer->holds(m_window->controller()->currentAnalysis().get(),
                            m_window->controller()->currentSpec()));
    QCOMPARE(drawnPairs(histogram).size(), rows->size());
}

// Selecting another tensor takes the markers off at once; the new tensor's markers are its own.
void TestMethodThresholds::otherTensorNeverStale() {
    openDemo();
    const auto before = waitForMarkers();
    QVERIFY(before);
    HistogramPlot *histogram = m_window->histogramPlot();
    const std::vector<Drawn> old = drawnPairs(histogram);
    const std::size_t index = m_window->controller()->session().indexOf(kProjection).value();
    m_window->browser()->selectTensor(index);
    QVERIFY(histogram->methodMarkers()->markers().empty());
    QVERIFY(visibleChildren<QCPItemLine>(histogram->plot(), QStringLiteral("methodMarkerLow")).isEmpty());
    const auto rows = waitForMarkers();
    QVERIFY(rows);
    const auto tensor = m_window->controller()->currentAnalysis();
    QCOMPARE(tensor->info().name, std::string(kProjection));
    const auto expected = compareMethods(*tensor, m_window->controller()->currentSpec()).value();
    const std::vector<Drawn> drawn = drawnPairs(histogram);
    QCOMPARE(drawn.size(), expected.size());
    for (std::size_t i = 0; i < drawn.size(); ++i) {
        QCOMPARE(drawn[i].lo, expected[i].clipLo);
        QCOMPARE(drawn[i].hi, expected[i].clipHi);
    }
    QVERIFY(drawn.front().hi != old.front().hi);
}

void TestMethodThresholds::legendAndLabelsApart_data() {
    QTest::addColumn<QSize>("size");
    QTest::addColumn<bool>("grouped");
    for (const QSize size : {QSize(1024, 700), QSize(1920, 1080)})
        for (bool grouped : {false, true})
            QTest::addRow("%dx%d %s", size.width(), size.height(), grouped ? "W4A16" : "per tensor")
                << size << grouped;
}

// With the markers on, no text of the histogram overlaps another or leaves the plot, and the
// legend row keeps clear of the plot area and of every text.
void TestMethodThresholds::legendAndLabelsApart() {
    QFETCH(QSize, size);
    QFETCH(bool, grouped);
    m_window->resize(size);
    QTRY_COMPARE(m_window->size(), size);
    openDemo();
    if (grouped)
        applyScheme(presetByKey(QStringLiteral("w4a16"))->spec);
    const auto rows = waitForMarkers();
    QVERIFY(rows);
    QCoreApplication::processEvents();
    HistogramPlot *histogram = m_window->histogramPlot();
    QCustomPlot *plot = histogram->plot();
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QCOMPARE(legendEntries(histogram), int(rows->size()));
    QCOMPARE(firstTextOverlap(plot), QString());
    QCOMPARE(firstTextOutside(plot), QString());
    QCOMPARE(legendProblem(histogram), QString());
    QVERIFY2(plot->axisRect()->height() >= 100, qPrintable(QString::number(plot->axisRect()->height())));
    saveGrab(m_window.get(), QStringLiteral("thresholds-%1x%2-%3")
                                 .arg(size.width())
                                 .arg(size.height())
                                 .arg(grouped ? QStringLiteral("w4a16") : QStringLiteral("tensor")));
}

QTEST_MAIN(TestMethodThresholds)
#include "tst_methodthresholds.moc"
