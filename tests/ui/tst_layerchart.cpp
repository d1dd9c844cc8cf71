// The Model panel's layer chart: one series per tensor role in the role's own colour, points at
// (layer, SQNR) or (layer, relative RMSE), the tensors without a layer right of a dashed line in
// file order, kept and skipped tensors left out, a click on a point opens its tensor, and the
// chart stays readable beside the table at the window sizes people use.

#include "analysiscontroller.h"
#include "mainwindow.h"
#include "modelpanel.h"
#include "modelsweep.h"
#include "plots/layerchart.h"
#include "plottext.h"
#include "tensorbrowser.h"
#include "windowfixture.h"
#include "windowsteps.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QSplitter>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>

using qs::TensorRole;
using qs::ui::LayerChart;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kLayers = 4;
const char *const kLayerModules[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                     "self_attn.o_proj", "mlp.gate_proj",    "mlp.up_proj",
                                     "mlp.down_proj"};

// A Llama-like checkpoint: the embedding, four layers of seven projections and a norm, the final
// norm and the head; the three without a layer index are 0, 33 and 34.
std::vector<qs::TensorInfo> llamaTensors() {
    std::vector<qs::TensorInfo> tensors;
    const auto add = [&](std::string name, std::vector<std::int64_t> shape) {
        qs::TensorInfo info;
        info.name = std::move(name);
        info.shape = std::move(shape);
        tensors.push_back(info);
    };
    add("model.embed_tokens.weight", {64, 16});
    for (int layer = 0; layer < kLayers; ++layer) {
        const std::string prefix = "model.layers." + std::to_string(layer) + ".";
        for (const char *module : kLayerModules)
            add(prefix + module + ".weight", {16, 16});
        add(prefix + "input_layernorm.weight", {16});
    }
    add("model.norm.weight", {16});
    add("lm_head.weight", {64, 16});
    return tensors;
}

// A distinct SQNR for every tensor, and the relative RMSE that goes with it: SQNR =
// 20·log10(RMS value / RMS error), so relative RMSE = 10^(−SQNR / 20).
double sqnrOf(std::size_t index) {
    return 12.0 + 0.5 * double(index);
}

qs::TensorSummary measured(const qs::TensorInfo &info, std::size_t index) {
    qs::TensorSummary summary;
    summary.index = index;
    summary.name = info.name;
    summary.shape = info.shape;
    summary.error = qs::ValueError{};
    summary.error->sqnrDb = sqnrOf(index);
    summary.relRmse = std::pow(10.0, -sqnrOf(index) / 20.0);
    return summary;
}

// As the sweep reports them: 1-D tensors kept, layer 2's down projection skipped.
std::vector<qs::TensorSummary> sweepSummaries(const std::vector<qs::TensorInfo> &tensors) {
    std::vector<qs::TensorSummary> summaries;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        qs::TensorSummary summary = measured(tensors[i], i);
        if (tensors[i].shape.size() == 1) {
            summary.kept = true;
            summary.error.reset();
            summary.relRmse.reset();
        } else if (tensors[i].name == "model.layers.2.mlp.down_proj.weight") {
            summary.skipped = "row length 16 is not a multiple of 256";
            summary.error.reset();
            summary.relRmse.reset();
        }
        summaries.push_back(std::move(summary));
    }
    return summaries;
}

bool drawnIn(const std::vector<qs::TensorSummary> &summaries, std::size_t i) {
    return !summaries[i].kept && !summaries[i].skipped;
}

// Does graph hold a point at (key, value), exactly?
bool hasPoint(QCPGraph *graph, double key, double value) {
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
        if (it->key == key && it->value == value)
            return true;
    return false;
}

QPoint pixelOf(LayerChart &chart, std::size_t index) {
    const QPointF point = *chart.pointOf(index);
    return QPoint(int(std::lround(chart.plot()->xAxis->coordToPixel(point.x()))),
                  int(std::lround(chart.plot()->yAxis->coordToPixel(point.y()))));
}

void showChart(LayerChart &chart) {
    chart.resize(900, 420);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
}

int roleOf(const std::vector<qs::TensorInfo> &tensors, std::size_t i) {
    return int(qs::tensorRoleOf(tensors[i].name));
}

} // namespace

class TestLayerChart : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void seriesPerRoleInTheirColours();
    void pointsAtLayerAndSqnr();
    void noLayerRightOfSeparator();
    void noLayerNamesUseFileOrder();
    void measureToggleSwitchesValues();
    void notDrawnCountedAndNoCrash();
    void arrivesInAnyOrderAndClears();
    void clickEmitsIndex();
    void wheelZoomsLayersDoubleClickShowsAll();
    void splitRemembered();
    void windowClickOpensTensor();
    void readableAtWindowSizes_data();
    void readableAtWindowSizes();

private:
    std::unique_ptr<qs::ui::MainWindow> openDemo(QSize size);
    bool sweep(qs::ui::MainWindow &window);

    QTemporaryDir m_dir;
    QString m_demo;
};

void TestLayerChart::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

// Each test starts from a first session: no measure or split remembered.
void TestLayerChart::init() {
    QSettings().clear();
}

// One series per role, each in its role's colour and marker; the legend lists the roles with
// points, in role order; kept and skipped tensors have no point.
void TestLayerChart::seriesPerRoleInTheirColours() {
    const auto tensors = llamaTensors();
    const auto summaries = sweepSummaries(tensors);
    LayerChart chart;
    chart.setTensors(tensors);
    for (const auto &summary : summaries)
        chart.addSummary(summary);
    QCOMPARE(chart.plot()->graphCount(), qs::kTensorRoleCount);
    std::array<int, qs::kTensorRoleCount> expected{};
    for (std::size_t i = 0; i < tensors.size(); ++i)
        expected[std::size_t(roleOf(tensors, i))] += drawnIn(summaries, i) ? 1 : 0;
    QCOMPARE(expected[int(TensorRole::Down)], kLayers - 1); // one skipped
    QCOMPARE(expected[int(TensorRole::Other)], 0);          // the norms, all kept
    QStringList legend;
    for (int role = 0; role < qs::kTensorRoleCount; ++role) {
        QCPGraph *graph = chart.graph(TensorRole(role));
        QCOMPARE(graph->dataCount(), expected[std::size_t(role)]);
        QCOMPARE(graph->name(), QString::fromLatin1(qs::tensorRoleName(TensorRole(role)).data()));
        QCOMPARE(graph->scatterStyle().pen().color(), LayerChart::roleColor(TensorRole(role)));
        QCOMPARE(graph->scatterStyle().brush().color().rgb(), LayerChart::roleColor(TensorRole(role)).rgb());
        QCOMPARE(graph->lineStyle(), QCPGraph::lsNone);
        if (expected[std::size_t(role)] > 0)
            legend << graph->name();
    }
    QStringList shown;
    for (int i = 0; i < chart.plot()->legend->itemCount(); ++i)
        shown << static_cast<QCPPlottableLegendItem *>(chart.plot()->legend->item(i))->plottable()->name();
    QCOMPARE(shown, legend);
    QCOMPARE(shown,
             (QStringList{QStringLiteral("q"), QStringLiteral("k"), QStringLiteral("v"), QStringLiteral("o"),
                          QStringLiteral("gate"), QStringLiteral("up"), QStringLiteral("down"),
                          QStringLiteral("embedding"), QStringLiteral("head")}));
    // Ten colours apart from each other, and ten markers, so colour is never the only difference.
    for (int a = 0; a < qs::kTensorRoleCount; ++a)
        for (int b = a + 1; b < qs::kTensorRoleCount; ++b) {
            const QColor ca = LayerChart::roleColor(TensorRole(a));
            const QColor cb = LayerChart::roleColor(TensorRole(b));
            const int distance = std::abs(ca.red() - cb.red()) + std::abs(ca.green() - cb.green()) +
                                 std::abs(ca.blue() - cb.blue());
            QVERIFY2(distance >= 60, qPrintable(QStringLiteral("roles %1 and %2").arg(a).arg(b)));
            QVERIFY(chart.graph(TensorRole(a))->scatterStyle().shape() !=
                    chart.graph(TensorRole(b))->scatterStyle().shape());
        }
    QCOMPARE(chart.footnote()->text().contains(QStringLiteral("5 kept")), true);
    QCOMPARE(chart.footnote()->text().contains(QStringLiteral("1 skipped")), true);
}

// Each layer tensor at its layer plus its role's small offset, at its SQNR exactly; the offsets
// keep every point nearer its own layer than the next.
void TestLayerChart::pointsAtLayerAndSqnr() {
    const auto tensors = llamaTensors();
    const auto summaries = sweepSummaries(tensors);
    LayerChart chart;
    chart.setTensors(tensors);
    for (const auto &summary : summaries)
        chart.addSummary(summary);
    int checked = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const auto layer = qs::layerIndexOf(tensors[i].name);
        if (!layer || !drawnIn(summaries, i)) {
            QVERIFY(layer || drawnIn(summaries, i) || !chart.pointOf(i));
            continue;
        }
        const auto role = TensorRole(roleOf(tensors, i));
        const QPointF point = *chart.pointOf(i);
        QCOMPARE(point.x(), *layer + LayerChart::roleOffset(role));
        QVERIFY(std::abs(point.x() - *layer) < 0.4);
        QCOMPARE(point.y(), sqnrOf(i));
        QVERIFY2(hasPoint(chart.graph(role), point.x(), point.y()), tensors[i].name.c_str());
        ++checked;
    }
    QCOMPARE(checked, kLayers * 7 - 1);
    // Every layer on the axis, every value inside it.
    QVERIFY(chart.plot()->xAxis->range().lower <= -0.4);
    QVERIFY(chart.plot()->yAxis->range().contains(sqnrOf(1)));
    QVERIFY(chart.plot()->yAxis->range().contains(sqnrOf(tensors.size() - 1)));
    QCOMPARE(chart.plot()->xAxis->label(), QStringLiteral("Layer"));
    QCOMPARE(chart.plot()->yAxis->label(), QStringLiteral("SQNR (dB)"));
}

// The embedding and the head have no layer: right of the dashed line after the last layer, in
// file order, the line said in the note; the layer ticks stop at the line.
void TestLayerChart::noLayerRightOfSeparator() {
    const auto tensors = llamaTensors();
    const auto summaries = sweepSummaries(tensors);
    LayerChart chart;
    chart.setTensors(tensors);
    chart.addSummary(summaries[1]); // a layer tensor only: no region, no line
    QVERIFY(!chart.separator()->visible());
    QCOMPARE(chart.plot()->xAxis->range().upper, kLayers - 0.5);
    for (const auto &summary : summaries)
        chart.addSummary(summary);
    QVERIFY(chart.separator()->visible());
    const double line = chart.separator()->point1->coords().x();
    QCOMPARE(chart.separator()->point2->coords().x(), line);
    const std::size_t embed = 0;
    const std::size_t head = tensors.size() - 1;
    QVERIFY(chart.pointOf(embed)->x() > line);
    QVERIFY(chart.pointOf(head)->x() > chart.pointOf(embed)->x()); // file order
    QVERIFY(chart.plot()->xAxis->range().contains(chart.pointOf(head)->x()));
    for (std::size_t i = 1; i + 2 < tensors.size(); ++i)
        if (chart.pointOf(i))
            QVERIFY(chart.pointOf(i)->x() < line - 0.5);
    QVERIFY(chart.footnote()->text().contains(QStringLiteral("dashed line")));
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
    const QVector<double> ticks = chart.plot()->xAxis->tickVector();
    QVERIFY(!ticks.isEmpty());
    for (const double tick : ticks)
        QVERIFY2(tick <= kLayers - 1 && tick == std::round(tick), qPrintable(QString::number(tick)));
}

void TestLayerChart::noLayerNamesUseFileOrder() {
    std::vector<qs::TensorInfo> tensors(3);
    tensors[0].name = "conv1.weight";
    tensors[1].name = "conv2.weight";
    tensors[2].name = "fc.weight";
    LayerChart chart;
    chart.setTensors(tensors);
    for (std::size_t i = 0; i < tensors.size(); ++i)
        chart.addSummary(measured(tensors[i], i));
    for (std::size_t i = 0; i < tensors.size(); ++i)
        QCOMPARE(*chart.pointOf(i), QPointF(double(i), sqnrOf(i)));
    QVERIFY(!chart.separator()->visible());
    QCOMPARE(chart.plot()->xAxis->label(), QStringLiteral("Tensor (file order)"));
    QCOMPARE(chart.graph(TensorRole::Other)->dataCount(), 3);
}

// The corner's combo box switches every point to relative RMSE on a log axis, and back.
void TestLayerChart::measureToggleSwitchesValues() {
    const auto tensors = llamaTensors();
    const auto summaries = sweepSummaries(tensors);
    LayerChart chart;
    chart.setTensors(tensors);
    for (const auto &summary : summaries)
        chart.addSummary(summary);
    const int drawn = chart.graph(TensorRole::Q)->dataCount();
    chart.measureBox()->setCurrentIndex(1);
    QCOMPARE(chart.measure(), LayerChart::Measure::RelRmse);
    QCOMPARE(chart.plot()->yAxis->label(), QStringLiteral("Relative RMSE"));
    QCOMPARE(chart.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(chart.graph(TensorRole::Q)->dataCount(), drawn);
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (!drawnIn(summaries, i))
            continue;
        const double rel = *summaries[i].relRmse;
        QCOMPARE(chart.pointOf(i)->y(), rel);
        QVERIFY(hasPoint(chart.graph(TensorRole(roleOf(tensors, i))), chart.pointOf(i)->x(), rel));
        QVERIFY(chart.plot()->yAxis->range().contains(rel));
    }
    chart.measureBox()->setCurrentIndex(0);
    QCOMPARE(chart.plot()->yAxis->label(), QStringLiteral("SQNR (dB)"));
    QCOMPARE(chart.plot()->yAxis->scaleType(), QCPAxis::stLinear);
    QCOMPARE(chart.pointOf(1)->y(), sqnrOf(1));
    chart.setMeasure(LayerChart::Measure::RelRmse); // programmatic: the combo follows
    QCOMPARE(chart.measureBox()->currentIndex(), 1);
    // The next chart (the next session) starts with the measure chosen last.
    LayerChart next;
    QCOMPARE(next.measure(), LayerChart::Measure::RelRmse);
    QCOMPARE(next.measureBox()->currentIndex(), 1);
    QCOMPARE(next.plot()->yAxis->label(), QStringLiteral("Relative RMSE"));
    next.setMeasure(LayerChart::Measure::Sqnr);
    QCOMPARE(LayerChart().measure(), LayerChart::Measure::Sqnr);
}

// A tensor without error (SQNR ∞, relative RMSE 0) or with NaN figures has no point and no crash.
void TestLayerChart::notDrawnCountedAndNoCrash() {
    const auto tensors = llamaTensors();
    LayerChart chart;
    chart.setTensors(tensors);
    qs::TensorSummary exact = measured(tensors[1], 1);
    exact.error->sqnrDb.reset();
    exact.relRmse = 0.0;
    chart.addSummary(exact);
    qs::TensorSummary nan = measured(tensors[2], 2);
    nan.error->sqnrDb = std::numeric_limits<double>::quiet_NaN();
    nan.relRmse = std::numeric_limits<double>::quiet_NaN();
    chart.addSummary(nan);
    qs::TensorSummary outside = measured(tensors[3], tensors.size() + 5); // an index past the list
    chart.addSummary(outside);
    QVERIFY(!chart.pointOf(1));
    QVERIFY(!chart.pointOf(2));
    QVERIFY(chart.footnote()->text().contains(QStringLiteral("2 without error")));
    chart.setMeasure(LayerChart::Measure::RelRmse);
    QVERIFY(!chart.pointOf(1));
    showChart(chart);
    for (int role = 0; role < qs::kTensorRoleCount; ++role)
        QCOMPARE(chart.graph(TensorRole(role))->dataCount(), 0);
    chart.setTensors({});
    chart.addSummary(measured(tensors[1], 1));
    chart.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(!chart.pointOf(1));
}

// The sweep's order does not matter; the layer axis is the names' from the start, so points do
// not shift while it runs; the same tensor twice keeps one point; a new sweep or file empties it.
void TestLayerChart::arrivesInAnyOrderAndClears() {
    const auto tensors = llamaTensors();
    const auto summaries = sweepSummaries(tensors);
    LayerChart chart;
    chart.setTensors(tensors);
    int points = 0;
    for (std::size_t i = summaries.size(); i-- > 0;) {
        chart.addSummary(summaries[i]);
        points += drawnIn(summaries, i) ? 1 : 0;
        int total = 0;
        for (int role = 0; role < qs::kTensorRoleCount; ++role)
            total += chart.graph(TensorRole(role))->dataCount();
        QCOMPARE(total, points);
        QCOMPARE(chart.plot()->xAxis->range().lower, -0.5);
    }
    chart.addSummary(summaries[1]);
    QCOMPARE(chart.graph(TensorRole::Q)->dataCount(), kLayers);
    qs::TensorSummary changed = summaries[1];
    changed.error->sqnrDb = 40.0;
    chart.addSummary(changed);
    QCOMPARE(chart.graph(TensorRole::Q)->dataCount(), kLayers);
    QCOMPARE(chart.pointOf(1)->y(), 40.0);
    QVERIFY(summaries[8].kept);     // model.layers.0.input_layernorm.weight
    chart.addSummary(summaries[8]); // again: still counted once
    QVERIFY(chart.footnote()->text().contains(QStringLiteral("5 kept")));
    chart.clearResults();
    for (int role = 0; role < qs::kTensorRoleCount; ++role)
        QCOMPARE(chart.graph(TensorRole(role))->dataCount(), 0);
    QCOMPARE(chart.plot()->legend->itemCount(), 0);
    QVERIFY(chart.footnote()->text().isEmpty());
    chart.addSummary(summaries[1]);
    QCOMPARE(chart.graph(TensorRole::Q)->dataCount(), 1);
    chart.setTensors(tensors);
    QCOMPARE(chart.graph(TensorRole::Q)->dataCount(), 0);
}

// A click on a point emits its tensor; empty space and a drag emit nothing.
void TestLayerChart::clickEmitsIndex() {
    const auto tensors = llamaTensors();
    const auto summaries = sweepSummaries(tensors);
    LayerChart chart;
    chart.setTensors(tensors);
    for (const auto &summary : summaries)
        chart.addSummary(summary);
    showChart(chart);
    QSignalSpy activated(&chart, &LayerChart::tensorActivated);
    const std::size_t target = 1 + 8 * 2 + 5; // model.layers.2.mlp.up_proj.weight
    QCOMPARE(tensors[target].name, std::string("model.layers.2.mlp.up_proj.weight"));
    QTest::mouseClick(chart.plot(), Qt::LeftButton, {}, pixelOf(chart, target));
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.first().first().value<std::size_t>(), target);
    QCOMPARE(chart.tensorAt(pixelOf(chart, tensors.size() - 1)),
             std::optional<std::size_t>(tensors.size() - 1));
    const QRect rect = chart.plot()->axisRect()->rect();
    QTest::mouseClick(chart.plot(), Qt::LeftButton, {}, QPoint(rect.left() + 2, rect.top() + 2));
    QCOMPARE(activated.size(), 1);
    QTest::mousePress(chart.plot(), Qt::LeftButton, {}, pixelOf(chart, target));
    QTest::mouseRelease(chart.plot(), Qt::LeftButton, {}, pixelOf(chart, target) + QPoint(30, 0));
    QCOMPARE(activated.size(), 1);
}

// The wheel zooms the layer axis about the cursor, as the other plots do; the zoom stays while
// points arrive, a drag cannot pan past the layers there are, zooming out stops at all of them,
// and a double-click shows them all again.
void TestLayerChart::wheelZoomsLayersDoubleClickShowsAll() {
    const auto tensors = llamaTensors();
    const auto summaries = sweepSummaries(tensors);
    LayerChart chart;
    chart.setTensors(tensors);
    for (std::size_t i = 0; i + 1 < summaries.size(); ++i) // the head arrives later
        chart.addSummary(summaries[i]);
    showChart(chart);
    QCustomPlot *plot = chart.plot();
    const QCPRange all = plot->xAxis->range();
    const QRect rect = plot->axisRect()->rect();
    const QPointF centre = rect.center();
    auto wheel = [&](int steps) {
        QWheelEvent event(centre, plot->mapToGlobal(centre), QPoint(), QPoint(0, 120 * steps), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(plot, &event);
    };
    const QCPRange values = plot->yAxis->range();
    wheel(3);
    const QCPRange zoomed = plot->xAxis->range();
    QVERIFY2(zoomed.size() < 0.7 * all.size(), qPrintable(QString::number(zoomed.size())));
    QVERIFY(zoomed.lower > all.lower && zoomed.upper < all.upper);
    QCOMPARE(plot->yAxis->range().lower, values.lower); // the values are not zoomed
    QCOMPARE(plot->yAxis->range().upper, values.upper);
    // Points keep arriving: the layers stay as zoomed.
    chart.addSummary(summaries.back());
    QCOMPARE(plot->xAxis->range().lower, zoomed.lower);
    QCOMPARE(plot->xAxis->range().upper, zoomed.upper);
    // A drag far to the left stops at the first layer.
    QTest::mousePress(plot, Qt::LeftButton, {}, rect.center());
    QTest::mouseMove(plot, rect.center() + QPoint(rect.width() * 3, 0));
    QTest::mouseRelease(plot, Qt::LeftButton, {}, rect.center() + QPoint(rect.width() * 3, 0));
    QVERIFY2(std::abs(plot->xAxis->range().lower - all.lower) < 1e-9,
             qPrintable(QString::number(plot->xAxis->range().lower)));
    QVERIFY(std::abs(plot->xAxis->range().size() - zoomed.size()) < 1e-9);
    // Zooming far out stops at every layer.
    wheel(-20);
    QCOMPARE(plot->xAxis->range().lower, all.lower);
    QCOMPARE(plot->xAxis->range().upper, all.upper);
    // Zoomed again, a double-click shows every layer.
    wheel(2);
    QVERIFY(plot->xAxis->range().size() < all.size());
    QTest::mouseDClick(plot, Qt::LeftButton, {}, rect.center());
    QCOMPARE(plot->xAxis->range().lower, all.lower);
    QCOMPARE(plot->xAxis->range().upper, all.upper);
}

// Dragging the split between table and chart is kept for the next panel (the next session).
void TestLayerChart::splitRemembered() {
    QSettings().clear();
    int chartWidth = 0;
    {
        qs::ui::ModelPanel panel;
        panel.resize(1200, 400);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QSplitter *splitter = panel.splitter();
        QCOMPARE(splitter->widget(1), static_cast<QWidget *>(panel.layerChart()));
        const int before = splitter->sizes().at(1);
        QVERIFY(before >= 280);
        QSplitterHandle *handle = splitter->handle(1);
        const QPoint middle = handle->rect().center();
        QTest::mousePress(handle, Qt::LeftButton, {}, middle);
        QTest::mouseMove(handle, middle - QPoint(150, 0));
        QTest::mouseRelease(handle, Qt::LeftButton, {}, middle - QPoint(150, 0));
        chartWidth = splitter->sizes().at(1);
        QVERIFY2(chartWidth > before + 100,
                 qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(chartWidth)));
    }
    qs::ui::ModelPanel panel;
    panel.resize(1200, 400);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QCOMPARE(panel.splitter()->sizes().at(1), chartWidth);
    QSettings().clear();
}

std::unique_ptr<qs::ui::MainWindow> TestLayerChart::openDemo(QSize size) {
    auto window = std::make_unique<qs::ui::MainWindow>();
    window->setMessageHandler(
        [](QMessageBox::Icon, const QString &, const QString &text) { QWARN(qPrintable(text)); });
    window->resize(size);
    window->show();
    if (!QTest::qWaitForWindowExposed(window.get()) || !window->openFile(m_demo))
        return nullptr;
    return window;
}

bool TestLayerChart::sweep(qs::ui::MainWindow &window) {
    QSignalSpy finished(window.modelSweep(), &qs::ui::ModelSweep::finished);
    window.sweepAction()->trigger();
    return QTest::qWaitFor([&] { return !finished.isEmpty(); }, kTimeoutMs) && finished.last().at(0).toBool();
}

// In the window: a point of the demo's sweep opens its tensor, as a row does.
void TestLayerChart::windowClickOpensTensor() {
    auto window = openDemo(QSize(1400, 900));
    QVERIFY(window);
    QVERIFY(sweep(*window));
    LayerChart *chart = window->modelPanel()->layerChart();
    QVERIFY(chart->isVisible());
    chart->plot()->replot(QCustomPlot::rpImmediateRefresh);
    const std::size_t index = qs::test::tensorIndexOf(*window, "model.layers.1.self_attn.v_proj.weight");
    QVERIFY(chart->pointOf(index));
    QCOMPARE(chart->pointOf(index)->y(), *window->modelPanel()->model()->summary(int(index))->error->sqnrDb);
    QTest::mouseClick(chart->plot(), Qt::LeftButton, {}, pixelOf(*chart, index));
    QCOMPARE(window->browser()->currentTensor(), std::optional<std::size_t>(index));
    QCOMPARE(window->controller()->currentTensor(), std::optional<std::size_t>(index));
    QSettings().clear();
}

void TestLayerChart::readableAtWindowSizes_data() {
    QTest::addColumn<QSize>("size");
    QTest::addRow("1024x700") << QSize(1024, 700);
    QTest::addRow("1920x1080") << QSize(1920, 1080);
}

// After a sweep of the demo: the chart shows beside the table with room for its points, the
// legend beside the axis rect (never over a point) and whole, its entries, the x tick labels and
// the header's texts apart.
void TestLayerChart::readableAtWindowSizes() {
    QFETCH(QSize, size);
    auto window = openDemo(size);
    QVERIFY(window);
    QTRY_COMPARE(window->size(), size);
    QVERIFY(sweep(*window));
    QCoreApplication::processEvents();
    LayerChart *chart = window->modelPanel()->layerChart();
    QCustomPlot *plot = chart->plot();
    QVERIFY(chart->isVisible());
    QVERIFY2(chart->width() >= 280, qPrintable(QString::number(chart->width())));
    plot->replot(QCustomPlot::rpImmediateRefresh);
    const QRect axisRect = plot->axisRect()->rect();
    QVERIFY2(axisRect.width() >= 200 && axisRect.height() >= 60,
             qPrintable(QStringLiteral("%1x%2").arg(axisRect.width()).arg(axisRect.height())));
    const QRect legend = plot->legend->outerRect();
    QVERIFY(plot->legend->itemCount() == 7); // q k v o gate up down; the rest kept
    QVERIFY(!legend.intersects(axisRect));
    QVERIFY2(plot->rect().contains(legend), qPrintable(QStringLiteral("legend %1,%2 %3x%4 in %5x%6")
                                                           .arg(legend.x())
                                                           .arg(legend.y())
                                                           .arg(legend.width())
                                                           .arg(legend.height())
                                                           .arg(plot->width())
                                                           .arg(plot->height())));
    for (int i = 0; i < plot->legend->itemCount(); ++i) {
        const QRect item = plot->legend->item(i)->outerRect();
        QVERIFY(legend.contains(item));
        const QFontMetrics metrics(plot->legend->font());
        // Taller than a line of text: an entry is clipped to its box, and "gate" must keep its g.
        QVERIFY(item.height() >= metrics.height() + 2);
        for (int j = i + 1; j < plot->legend->itemCount(); ++j)
            QVERIFY(!item.intersects(plot->legend->item(j)->outerRect()));
    }
    // Tick labels along x keep a gap.
    const QVector<double> ticks = plot->xAxis->tickVector();
    const QVector<QString> labels = plot->xAxis->tickVectorLabels();
    QVERIFY(ticks.size() >= 2);
    const QFontMetrics tickFont(plot->xAxis->tickLabelFont());
    for (qsizetype i = 1; i < ticks.size(); ++i) {
        const double gap = plot->xAxis->coordToPixel(ticks[i]) - plot->xAxis->coordToPixel(ticks[i - 1]);
        QVERIFY(gap >
                (tickFont.horizontalAdvance(labels[i]) + tickFont.horizontalAdvance(labels[i - 1])) / 2.0);
    }
    QVERIFY(qs::test::firstTextOverlap(plot).isEmpty());
    // The header: title, count and the measure box side by side, the box whole.
    QComboBox *box = chart->measureBox();
    QVERIFY(box->isVisible());
    QVERIFY(box->width() >= box->minimumSizeHint().width());
    QVERIFY(box->geometry().right() <= chart->width());
    for (QLabel *label : chart->findChildren<QLabel *>()) {
        if (!label->isVisible() || label == chart->footnote())
            continue;
        QVERIFY2(!label->geometry().intersects(box->geometry()), qPrintable(label->text()));
    }
    QVERIFY(chart->footnote()->isVisible());
    QVERIFY(chart->footnote()->geometry().top() >= plot->geometry().bottom());
    QSettings().clear();
}

QTEST_MAIN(TestLayerChart)
#include "tst_layerchart.moc"
