// The Scheme panel: the group heatmap maps clicks to groups and sizes its colour map to the grid,
// the channel plot draws the ranges it is given, the bits chart draws compareSchemes' rows (one
// series per family, skipped rows left out, the current choice ringed), the methods table sorts,
// applies and copies, and in the window every axis says its unit and no texts collide.

#include "analysiscontroller.h"
#include "mainwindow.h"
#include "methodtable.h"
#include "planundo.h"
#include "plots/bitserrorchart.h"
#include "plots/channelrangeplot.h"
#include "plots/schemeheatmap.h"
#include "schemeinsights.h"
#include "tensorbrowser.h"

#include "plotfixtures.h"
#include "plottext.h"
#include "windowfixture.h"

#include <qcustomplot.h>

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QUndoStack>

#include <cmath>
#include <random>

using namespace qs;
using namespace qs::ui;
using namespace qs::test;

namespace {

constexpr int kTimeoutMs = 60000;

std::vector<float> normalValues(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 0.02f);
    std::vector<float> values(n);
    for (float &v : values)
        v = dist(rng);
    return values;
}

std::shared_ptr<const TensorAnalysis> matrix(std::int64_t rows, std::int64_t cols, unsigned seed) {
    TensorInfo info;
    info.name = "w";
    info.dtype = DType::F32;
    info.shape = {rows, cols};
    auto analysis = std::make_shared<TensorAnalysis>();
    analysis->tensor = FloatTensor::fromVector(info, normalValues(std::size_t(rows * cols), seed));
    analysis->stats = *computeStats(analysis->tensor->values());
    return analysis;
}

QPoint cellPixel(const SchemeHeatmap &map, int row, int column) {
    return QPoint(int(std::lround(map.plot()->xAxis->coordToPixel(column))),
                  int(std::lround(map.plot()->yAxis->coordToPixel(row))));
}

QPoint pointPixel(BitsErrorChart &chart, const ComparisonRow &row) {
    return QPoint(int(std::lround(chart.plot()->xAxis->coordToPixel(row.bitsPerWeight))),
                  int(std::lround(chart.plot()->yAxis->coordToPixel(*row.error.sqnrDb))));
}

bool drawn(const ComparisonRow &row) {
    return row.skipped.empty() && row.error.sqnrDb.has_value();
}

std::vector<MethodRow> methodRows() {
    // Three methods whose MSE and SQNR orders differ from their label order.
    MethodRow minmax{intSpec(8, Scheme::Symmetric), QStringLiteral("minmax"), -0.15, 0.15, 3e-6, 30.5, 0.0};
    QuantSpec mseSpec = intSpec(8, Scheme::Symmetric);
    mseSpec.method = CalibMethod::Mse;
    MethodRow mse{mseSpec, QStringLiteral("mse"), -0.07, 0.07, 1e-6, 35.25, 0.0012};
    QuantSpec percentileSpec = intSpec(8, Scheme::Symmetric);
    percentileSpec.method = CalibMethod::Percentile;
    MethodRow percentile{percentileSpec, QStringLiteral("percentile:99.99"), -0.1, 0.1, 2e-6, 32.0, 0.0001};
    return {minmax, mse, percentile};
}

QStringList viewLabels(const MethodTable &table) {
    QStringList labels;
    for (int row = 0; row < table.proxy()->rowCount(); ++row)
        labels << table.proxy()->index(row, MethodTableModel::Method).data().toString();
    return labels;
}

} // namespace

class TestSchemeInsights : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void heatmapClickSelectsGroup_data();
    void heatmapClickSelectsGroup();
    void heatmapSizedToGrid();
    void heatmapEmptyState();
    void channelRangesDrawn();
    void channelRangesComputedFromTensor();
    void bitsChartSeriesFromComparison();
    void bitsChartClickChoosesScheme();
    void comparisonLatestWinsAndCancels();
    void methodTableSortsAppliesCopies();
    void windowAxesLabelledAndTextsApart_data();
    void windowAxesLabelledAndTextsApart();
    void windowAppliesChosenSchemeAndRemembersDock();
    void windowFeedsHeatmapAndMethods();

private:
    QTemporaryDir m_dir;
    QString m_demo;
};

void TestSchemeInsights::initTestCase() {
    m_demo = prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestSchemeInsights::heatmapClickSelectsGroup_data() {
    QTest::addColumn<int>("row");
    QTest::addColumn<int>("column");
    QTest::addRow("first") << 0 << 0;
    QTest::addRow("middle") << 2 << 3;
    QTest::addRow("last row") << 5 << 1;
    QTest::addRow("last") << 5 << 3;
}

// A 6 × 4 grid whose scale is its group number: the pixel of cell (r, c), computed from the axes,
// selects group r·4 + c, which is the cell holding that scale.
void TestSchemeInsights::heatmapClickSelectsGroup() {
    QFETCH(int, row);
    QFETCH(int, column);
    SchemeHeatmap map;
    std::vector<float> scales(24);
    std::vector<double> errors(24);
    for (int g = 0; g < 24; ++g) {
        scales[std::size_t(g)] = float(g + 1) * 0.001f;
        errors[std::size_t(g)] = 1e-6 * (g + 1);
    }
    map.setGrid(6, 4, scales, errors);
    showAndLayout(&map, {map.plot()});
    QSignalSpy clicked(&map, &SchemeHeatmap::groupClicked);
    const QPoint pixel = cellPixel(map, row, column);
    QTest::mouseClick(map.plot(), Qt::LeftButton, {}, pixel);
    const qint64 group = qint64(row) * 4 + column;
    QCOMPARE(clicked.size(), 1);
    QCOMPARE(clicked.first().first().toLongLong(), group);
    QCOMPARE(map.selectedGroup(), std::optional<qint64>(group));
    QCOMPARE(map.colorMap()->data()->cell(column, row), double(scales[std::size_t(group)]));
    map.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(map.selectionOutline()->visible());
    const QRectF outline = QRectF(map.selectionOutline()->topLeft->pixelPosition(),
                                  map.selectionOutline()->bottomRight->pixelPosition())
                               .normalized();
    QVERIFY2(outline.contains(pixel), qPrintable(QStringLiteral("outline misses the clicked cell")));
    // The neighbouring cells' centres are outside the outline.
    QVERIFY(!outline.contains(cellPixel(map, row, column + 1)));
    QVERIFY(!outline.contains(cellPixel(map, row + 1, column)));
    saveGrab(&map, QStringLiteral("heatmap-click-%1-%2").arg(row).arg(column));

    // Outside the cells nothing is selected.
    QTest::mouseClick(map.plot(), Qt::LeftButton, {}, QPoint(2, 2));
    QCOMPARE(clicked.size(), 1);
}

// 4096 rows × 32 groups: one colour map of exactly that many cells, no item per cell; the
// quantity switch recolours with the errors and relabels the colour scale with its unit.
void TestSchemeInsights::heatmapSizedToGrid() {
    SchemeHeatmap map;
    const int rows = 4096, groups = 32;
    std::vector<float> scales(std::size_t(rows * groups));
    std::vector<double> errors(scales.size());
    for (std::size_t g = 0; g < scales.size(); ++g) {
        scales[g] = 0.01f + 0.001f * float(g % 97);
        errors[g] = 1e-7 * double(1 + g % 13);
    }
    map.setGrid(rows, groups, scales, errors);
    showAndLayout(&map, {map.plot()});
    QCOMPARE(map.colorMap()->data()->keySize(), groups);
    QCOMPARE(map.colorMap()->data()->valueSize(), rows);
    QVERIFY(map.plot()->itemCount() <= 2); // the outline and its halo
    QVERIFY(map.colorScale()->axis()->label().contains(QStringLiteral("(value units)")));
    map.quantityBox()->setCurrentIndex(map.quantityBox()->findData(int(SchemeHeatmap::Quantity::Error)));
    QCOMPARE(map.quantity(), SchemeHeatmap::Quantity::Error);
    QCOMPARE(map.colorMap()->data()->cell(5, 1000), errors[1000 * 32 + 5]);
    QVERIFY(map.colorScale()->axis()->label().contains(QStringLiteral("MSE (value units²)")));
    // Clicking the last row still finds it, however thin the rows are.
    QSignalSpy clicked(&map, &SchemeHeatmap::groupClicked);
    QTest::mouseClick(map.plot(), Qt::LeftButton, {}, cellPixel(map, rows - 1, groups - 1));
    QCOMPARE(clicked.size(), 1);
    QCOMPARE(clicked.first().first().toLongLong(), qint64(rows) * groups - 1);
}

void TestSchemeInsights::heatmapEmptyState() {
    SchemeInsights insights;
    insights.resize(900, 400);
    insights.show();
    QVERIFY(QTest::qWaitForWindowExposed(&insights));
    insights.tabs()->setCurrentIndex(SchemeInsights::HeatmapTab);
    QVERIFY(insights.heatmap()->emptyLabel()->isVisible());
    QVERIFY(insights.heatmap()->emptyLabel()->text().contains(QStringLiteral("grouped scheme")));
    QVERIFY(!insights.heatmap()->plot()->isVisible());
    insights.tabs()->setCurrentIndex(SchemeInsights::MethodsTab);
    QVERIFY(insights.methodTable()->emptyLabel()->isVisible());
    QCOMPARE(insights.methodTable()->emptyLabel()->text(),
             QStringLiteral("Methods appear for per-tensor int schemes"));
    insights.setMethodRows(methodRows());
    QVERIFY(!insights.methodTable()->emptyLabel()->isVisible());
    QVERIFY(insights.methodTable()->view()->isVisible());
}

// The graphs hold the given ranges; the reference lines sit at the overall min and max; a few
// channels get bars, 4096 on a 900-pixel plot the band.
void TestSchemeInsights::channelRangesDrawn() {
    ChannelRangePlot plot;
    const std::vector<float> mins = {-0.1f, -0.02f, -0.3f, -0.05f, NAN, -0.01f};
    const std::vector<float> maxs = {0.12f, 0.03f, 0.2f, 0.25f, NAN, 0.02f};
    plot.setRanges(mins, maxs);
    showAndLayout(&plot, {plot.plot()});
    QCOMPARE(plot.minGraph()->dataCount(), int(mins.size()));
    for (int i = 0; i < int(mins.size()); ++i) {
        QCOMPARE(plot.minGraph()->data()->at(i)->key, double(i));
        if (std::isnan(mins[std::size_t(i)])) {
            QVERIFY(std::isnan(plot.minGraph()->data()->at(i)->value));
            continue;
        }
        QCOMPARE(plot.minGraph()->data()->at(i)->value, double(mins[std::size_t(i)]));
        QCOMPARE(plot.maxGraph()->data()->at(i)->value, double(maxs[std::size_t(i)]));
    }
    QVERIFY(plot.drawsBars());
    QVERIFY(plot.bars()->visible());
    QList<double> references;
    for (auto *line : plot.plot()->findChildren<QCPItemStraightLine *>(QStringLiteral("tensorRangeLine")))
        references << line->point1->coords().y();
    std::sort(references.begin(), references.end());
    QCOMPARE(references, (QList<double>{double(-0.3f), double(0.25f)}));
    QCOMPARE(firstTextOverlap(plot.plot()), QString());
    QCOMPARE(firstTextOutside(plot.plot()), QString());

    std::vector<float> manyMins(4096), manyMaxs(4096);
    for (int i = 0; i < 4096; ++i) {
        manyMins[std::size_t(i)] = -0.01f * float(1 + i % 7);
        manyMaxs[std::size_t(i)] = 0.01f * float(1 + i % 5);
    }
    plot.setRanges(manyMins, manyMaxs);
    plot.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QCOMPARE(plot.maxGraph()->dataCount(), 4096);
    QVERIFY(!plot.drawsBars());
    QVERIFY(plot.maxGraph()->visible() && !plot.bars()->visible());
    saveGrab(&plot, QStringLiteral("channels-4096"));
}

// From a tensor, off the GUI thread: channel i's range is row i's min and max.
void TestSchemeInsights::channelRangesComputedFromTensor() {
    SchemeInsights insights;
    insights.resize(900, 400);
    insights.show();
    QVERIFY(QTest::qWaitForWindowExposed(&insights));
    const auto tensor = matrix(5, 40, 3);
    QSignalSpy shown(&insights, &SchemeInsights::channelRangesShown);
    insights.setTensor(tensor);
    QVERIFY(shown.wait(kTimeoutMs));
    const auto values = tensor->tensor->values();
    QCOMPARE(insights.channelPlot()->minGraph()->dataCount(), 5);
    for (int r = 0; r < 5; ++r) {
        const auto row = values.subspan(std::size_t(r) * 40, 40);
        QCOMPARE(insights.channelPlot()->minGraph()->data()->at(r)->value,
                 double(*std::min_element(row.begin(), row.end())));
        QCOMPARE(insights.channelPlot()->maxGraph()->data()->at(r)->value,
                 double(*std::max_element(row.begin(), row.end())));
    }
    // The comparison waits for its tab: nothing runs for a tab nobody looks at.
    QVERIFY(insights.bitsChart()->rows().empty());
    QVERIFY(!insights.isComputing());
}

// A 64 × 96 matrix: rows of 96 do not fit the 256-value K blocks, so those rows are skipped;
// every other row is one point of its family's series, at (bits per weight, SQNR).
void TestSchemeInsights::bitsChartSeriesFromComparison() {
    const auto tensor = matrix(64, 96, 11);
    const std::vector<ComparisonRow> rows = compareSchemes(tensor->tensor->values(), tensor->info().shape);
    QCOMPARE(rows.size(), comparisonSchemes().size());
    BitsErrorChart chart;
    chart.setRows(rows);
    const QuantSpec current = intSpec(4, Scheme::Symmetric);
    chart.setCurrentSpec(current);
    showAndLayout(&chart, {chart.plot()});

    int skipped = 0;
    for (int f = 0; f < BitsErrorChart::kFamilyCount; ++f) {
        QList<QPair<double, double>> expected;
        for (const ComparisonRow &row : rows)
            if (BitsErrorChart::familyOf(row.spec) == BitsErrorChart::Family(f) && drawn(row))
                expected << qMakePair(row.bitsPerWeight, *row.error.sqnrDb);
        std::sort(expected.begin(), expected.end());
        QList<QPair<double, double>> plotted;
        QCPGraph *series = chart.series(BitsErrorChart::Family(f));
        for (int i = 0; i < series->dataCount(); ++i)
            plotted << qMakePair(series->data()->at(i)->key, series->data()->at(i)->value);
        std::sort(plotted.begin(), plotted.end());
        QCOMPARE(plotted, expected);
        QVERIFY2(!expected.isEmpty(), qPrintable(BitsErrorChart::familyName(BitsErrorChart::Family(f))));
    }
    for (const ComparisonRow &row : rows)
        skipped += row.skipped.empty() ? 0 : 1;
    QVERIFY(skipped >= 5); // q2_k … q6_k
    QCOMPARE(chart.plot()->graphCount(), BitsErrorChart::kFamilyCount + 1);
    for (const ComparisonRow &row : rows)
        if (!row.skipped.empty())
            QVERIFY2(chart.footnote()->text().contains(BitsErrorChart::schemeName(row.spec)),
                     qPrintable(chart.footnote()->text()));
    QVERIFY(chart.footnote()->text().contains(QStringLiteral("q4_k")));
    QVERIFY(!chart.footnote()->text().contains(QStringLiteral("No error")));

    // A scheme without error (as bf16 of a BF16 tensor) is named as exact, apart from the skipped.
    std::vector<ComparisonRow> withExact = rows;
    const auto drawnRow = std::find_if(withExact.begin(), withExact.end(), [](const ComparisonRow &row) {
        return drawn(row) && BitsErrorChart::schemeName(row.spec) != QStringLiteral("q4_k");
    });
    QVERIFY(drawnRow != withExact.end());
    drawnRow->error.sqnrDb.reset();
    BitsErrorChart exactChart;
    exactChart.setRows(withExact);
    const QString footnote = exactChart.footnote()->text();
    const QString exactName = BitsErrorChart::schemeName(drawnRow->spec);
    QVERIFY2(footnote.startsWith(QStringLiteral("No error, not drawn: ") + exactName), qPrintable(footnote));
    QVERIFY2(footnote.contains(QStringLiteral(" · Not drawn: ")) && footnote.contains(QStringLiteral("q4_k")),
             qPrintable(footnote));

    // The ring sits on the int4 per-tensor row.
    const auto at =
        std::find_if(rows.begin(), rows.end(), [&](const ComparisonRow &row) { return row.spec == current; });
    QVERIFY(at != rows.end());
    QCOMPARE(chart.currentRow(), std::optional<std::size_t>(std::size_t(at - rows.begin())));
    QCOMPARE(chart.currentMarker()->dataCount(), 1);
    QCOMPARE(chart.currentMarker()->data()->at(0)->key, at->bitsPerWeight);
    QCOMPARE(chart.currentMarker()->data()->at(0)->value, *at->error.sqnrDb);
    QCOMPARE(firstTextOverlap(chart.plot()), QString());
    QCOMPARE(firstTextOutside(chart.plot()), QString());
    saveGrab(&chart, QStringLiteral("bits-vs-error"));

    // A scheme the comparison does not list is not marked.
    QuantSpec other = intSpec(4, Scheme::Symmetric);
    other.granularity = parseGranularity("group:64").value();
    chart.setCurrentSpec(other);
    QCOMPARE(chart.currentRow(), std::nullopt);
    QCOMPARE(chart.currentMarker()->dataCount(), 0);
}

void TestSchemeInsights::bitsChartClickChoosesScheme() {
    const auto tensor = matrix(16, 256, 5);
    const std::vector<ComparisonRow> rows = compareSchemes(tensor->tensor->values(), tensor->info().shape);
    BitsErrorChart chart;
    chart.setRows(rows);
    showAndLayout(&chart, {chart.plot()});
    QSignalSpy chosen(&chart, &BitsErrorChart::schemeChosen);
    // int2 per tensor: the lowest SQNR, alone at the bottom left.
    const ComparisonRow &lowest = rows.front();
    QCOMPARE(lowest.spec.bits, 2);
    QTest::mouseClick(chart.plot(), Qt::LeftButton, {}, pointPixel(chart, lowest));
    QCOMPARE(chosen.size(), 1);
    QCOMPARE(chosen.first().first().value<QuantSpec>(), lowest.spec);
    // Empty space chooses nothing.
    const QRect rect = chart.plot()->axisRect()->rect();
    QTest::mouseClick(chart.plot(), Qt::LeftButton, {}, QPoint(rect.right() - 3, rect.bottom() - 3));
    QCOMPARE(chosen.size(), 1);
}

// Two tensors in a row: only the second one's comparison is shown, once. A cancelled comparison
// offers to compute again, and does.
void TestSchemeInsights::comparisonLatestWinsAndCancels() {
    SchemeInsights insights;
    insights.resize(900, 400);
    insights.show();
    QVERIFY(QTest::qWaitForWindowExposed(&insights));
    insights.tabs()->setCurrentIndex(SchemeInsights::BitsTab);
    const auto first = matrix(32, 256, 1);
    const auto second = matrix(16, 128, 2);
    QSignalSpy shown(&insights, &SchemeInsights::comparisonShown);
    insights.setTensor(first);
    QVERIFY(insights.isComparing());
    QVERIFY(insights.bitsChart()->actionButton()->isVisible());
    insights.setTensor(second);
    QVERIFY(shown.wait(kTimeoutMs));
    QTest::qWait(200);
    QCOMPARE(shown.size(), 1);
    const std::vector<ComparisonRow> expected =
        compareSchemes(second->tensor->values(), second->info().shape);
    const auto &rows = insights.bitsChart()->rows();
    QCOMPARE(rows.size(), expected.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        QCOMPARE(rows[i].bitsPerWeight, expected[i].bitsPerWeight);
        QCOMPARE(rows[i].error.mse, expected[i].error.mse);
    }
    QVERIFY(!insights.bitsChart()->actionButton()->isVisible());

    insights.setTensor(first);
    QVERIFY(insights.isComparing());
    insights.bitsChart()->actionButton()->click(); // Cancel
    QVERIFY(!insights.isComparing());
    QCOMPARE(insights.bitsChart()->actionButton()->text(), QStringLiteral("Compute"));
    QTest::qWait(200);
    QCOMPARE(shown.size(), 1);
    insights.bitsChart()->actionButton()->click(); // Compute
    QVERIFY(shown.wait(kTimeoutMs));
    QCOMPARE(insights.bitsChart()->rows().size(), comparisonSchemes().size());
}

void TestSchemeInsights::methodTableSortsAppliesCopies() {
    MethodTable table;
    QAbstractItemModelTester tester(table.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    const std::vector<MethodRow> rows = methodRows();
    table.setRows(rows);
    table.resize(700, 250);
    table.show();
    QVERIFY(QTest::qWaitForWindowExposed(&table));

    // Units in the headers, numbers right-aligned.
    const auto header = [&](int column) {
        return table.model()->headerData(column, Qt::Horizontal).toString();
    };
    QCOMPARE(header(MethodTableModel::Sqnr), QStringLiteral("SQNR (dB)"));
    QVERIFY(header(MethodTableModel::Mse).contains(QStringLiteral("(value²)")));
    QVERIFY(header(MethodTableModel::Clipped).contains(QStringLiteral("(%)")));
    QVERIFY(header(MethodTableModel::ClipLo).contains(QStringLiteral("(value)")));
    const auto alignment =
        table.model()->index(0, MethodTableModel::Mse).data(Qt::TextAlignmentRole).value<Qt::Alignment>();
    QVERIFY(alignment & Qt::AlignRight);
    QCOMPARE(table.model()->index(1, MethodTableModel::Clipped).data().toString(), QStringLiteral("0.12"));

    // Sorted by MSE at first, then by SQNR (descending) and by label.
    QCOMPARE(viewLabels(table), (QStringList{QStringLiteral("mse"), QStringLiteral("percentile:99.99"),
                                             QStringLiteral("minmax")}));
    table.view()->sortByColumn(MethodTableModel::Sqnr, Qt::DescendingOrder);
    QCOMPARE(viewLabels(table), (QStringList{QStringLiteral("mse"), QStringLiteral("percentile:99.99"),
                                             QStringLiteral("minmax")}));
    table.view()->sortByColumn(MethodTableModel::ClipHi, Qt::DescendingOrder);
    QCOMPARE(viewLabels(table), (QStringList{QStringLiteral("minmax"), QStringLiteral("percentile:99.99"),
                                             QStringLiteral("mse")}));

    // The first view row's Apply button carries its own row's spec after sorting.
    QSignalSpy applied(&table, &MethodTable::applyRequested);
    auto *button = qobject_cast<QPushButton *>(
        table.view()->indexWidget(table.proxy()->index(0, MethodTableModel::Apply)));
    QVERIFY(button);
    button->click();
    QCOMPARE(applied.size(), 1);
    QCOMPARE(applied.last().first().value<QuantSpec>(), rows[0].spec);
    const QRect third = table.view()->visualRect(table.proxy()->index(2, MethodTableModel::Method));
    QTest::mouseClick(table.view()->viewport(), Qt::LeftButton, {}, third.center());
    QTest::mouseDClick(table.view()->viewport(), Qt::LeftButton, {}, third.center());
    QCOMPARE(applied.size(), 2);
    QCOMPARE(applied.last().first().value<QuantSpec>(), rows[1].spec);
    QCOMPARE(applied.last().first().value<QuantSpec>().method, CalibMethod::Mse);

    // Ctrl+C: the selection as TSV, in view order, headed by the columns with their units.
    table.view()->selectionModel()->select(QItemSelection(table.proxy()->index(0, MethodTableModel::Method),
                                                          table.proxy()->index(1, MethodTableModel::Sqnr)),
                                           QItemSelectionModel::ClearAndSelect);
    table.view()->setFocus();
    QApplication::clipboard()->clear();
    QTest::keyClick(table.view(), Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QApplication::clipboard()->text(),
             QStringLiteral("Method\tClip lo (value)\tClip hi (value)\tMSE (value²)\tSQNR (dB)\n"
                            "minmax\t-0.15\t0.15\t3e-06\t30.50\n"
                            "percentile:99.99\t-0.1\t0.1\t2e-06\t32.00\n"));
}

void TestSchemeInsights::windowAxesLabelledAndTextsApart_data() {
    QTest::addColumn<QSize>("size");
    QTest::addRow("1024x700") << QSize(1024, 700);
    QTest::addRow("1920x1080") << QSize(1920, 1080);
}

// The real window with the Scheme panel open on the demo: every axis of the panel's plots has a
// label with its unit in parentheses, and no texts overlap or stick out, on every tab.
void TestSchemeInsights::windowAxesLabelledAndTextsApart() {
    QFETCH(QSize, size);
    MainWindow window;
    window.resize(size);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(!window.schemeDock()->isVisible()); // closed until asked for
    QAction *toggle = window.schemeDock()->toggleViewAction();
    QVERIFY(toggle->text().contains(QStringLiteral("Scheme")));
    toggle->trigger();
    QVERIFY(window.schemeDock()->isVisible());
    QCoreApplication::processEvents();
    QCOMPARE(window.size(), size); // the panel scrolls rather than push the window off the screen
    SchemeInsights *insights = window.schemeInsights();
    insights->tabs()->setCurrentIndex(SchemeInsights::BitsTab);
    QSignalSpy channels(insights, &SchemeInsights::channelRangesShown);
    QSignalSpy comparison(insights, &SchemeInsights::comparisonShown);
    QVERIFY(window.openFile(m_demo));
    QVERIFY(comparison.wait(kTimeoutMs) || !comparison.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(!channels.isEmpty(), kTimeoutMs);
    QVERIFY(insights->bitsChart()->currentRow().has_value()); // 8-bit per tensor, the default
    const QList<QCustomPlot *> plots = {insights->channelPlot()->plot(), insights->heatmap()->plot(),
                                        insights->bitsChart()->plot()};
    insights->setGroupGrid(64, 4, std::vector<float>(256, 0.01f), std::vector<double>(256, 1e-6));
    for (int tab : {SchemeInsights::ChannelsTab, SchemeInsights::HeatmapTab, SchemeInsights::BitsTab}) {
        insights->tabs()->setCurrentIndex(tab);
        QCoreApplication::processEvents();
        QCustomPlot *plot = plots[tab == SchemeInsights::BitsTab ? 2 : tab];
        QVERIFY(plot->isVisible());
        // The dock lays its tab out in posted events, later on a loaded machine: wait for them.
        QTRY_VERIFY2_WITH_TIMEOUT(plot->height() >= 100, qPrintable(QString::number(plot->height())),
                                  kTimeoutMs);
        plot->replot(QCustomPlot::rpImmediateRefresh);
        for (QCPAxis *axis : plot->axisRect()->axes(QCPAxis::atLeft | QCPAxis::atBottom)) {
            QVERIFY2(axis->label().contains(QLatin1Char('(')) && axis->label().endsWith(QLatin1Char(')')),
                     qPrintable(axis->label()));
        }
        QCOMPARE(firstTextOverlap(plot), QString());
        QCOMPARE(firstTextOutside(plot), QString());
        saveGrab(&window, QStringLiteral("window-%1x%2-tab%3").arg(size.width()).arg(size.height()).arg(tab));
    }
}

// A scheme chosen in the chart becomes the tensor's spec as one undo step; a combination that
// does not apply says why and changes nothing. The dock's visibility is
// saved with the window state.
void TestSchemeInsights::windowAppliesChosenSchemeAndRemembersDock() {
    {
        MainWindow window;
        window.setAskHandler([](const QString &, const QString &) { return QMessageBox::Discard; });
        window.resize(1400, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy shown(window.controller(), &AnalysisController::tensorShown);
        QVERIFY(window.openFile(m_demo));
        QVERIFY(shown.wait(kTimeoutMs));
        const int steps = window.undo()->stack()->count();
        const QuantSpec int4 = intSpec(4, Scheme::Symmetric);
        Q_EMIT window.schemeInsights()->bitsChart()->schemeChosen(int4);
        QCOMPARE(window.controller()->currentSpec(), int4);
        QCOMPARE(window.undo()->stack()->count(), steps + 1);
        QVERIFY(window.undo()->stack()->undoText().contains(QStringLiteral("int4 per tensor")));

        QuantSpec nf4;
        nf4.format = NumberFormat::Nf4;
        Q_EMIT window.schemeInsights()->bitsChart()->schemeChosen(nf4);
        QCOMPARE(window.controller()->currentSpec(), nf4);
        QCOMPARE(window.undo()->stack()->count(), steps + 2);

        // A combination checkScheme refuses says why and changes nothing.
        QuantSpec grouped = nf4;
        grouped.granularity = parseGranularity("group:32").value();
        Q_EMIT window.schemeInsights()->methodTable()->applyRequested(grouped);
        QCOMPARE(window.controller()->currentSpec(), nf4);
        QCOMPARE(window.undo()->stack()->count(), steps + 2);
        QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("carries its own blocks")));

        window.schemeDock()->toggleViewAction()->trigger();
        QVERIFY(window.schemeDock()->isVisible());
        QVERIFY(window.close());
    }
    MainWindow again;
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QVERIFY(again.schemeDock()->isVisible());
    QVERIFY(again.schemeDock()->toggleViewAction()->isChecked());
}

// The grouped scheme on screen fills the heatmap with its grid, scales and errors; a click on a
// cell selects that group in the window; the Methods tab lists the methods of the spec.
void TestSchemeInsights::windowFeedsHeatmapAndMethods() {
    MainWindow window;
    window.setAskHandler([](const QString &, const QString &) { return QMessageBox::Discard; });
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy shown(window.controller(), &AnalysisController::tensorShown);
    QVERIFY(window.openFile(m_demo));
    QVERIFY(shown.wait(kTimeoutMs));
    window.schemeDock()->show(); // (an earlier test may have left it open in the settings)

    QuantSpec w4a16 = intSpec(4, Scheme::Symmetric);
    w4a16.granularity = parseGranularity("group:32").value();
    QSignalSpy schemeShown(window.controller(), &AnalysisController::schemeAnalysisShown);
    Q_EMIT window.schemeInsights()->bitsChart()->schemeChosen(w4a16);
    QVERIFY(schemeShown.count() > 0 || schemeShown.wait(kTimeoutMs));
    QTRY_VERIFY_WITH_TIMEOUT(window.controller()->currentScheme() != nullptr, kTimeoutMs);
    const auto scheme = window.controller()->currentScheme();
    SchemeHeatmap *heatmap = window.schemeInsights()->heatmap();
    QTRY_VERIFY_WITH_TIMEOUT(!heatmap->isEmpty(), kTimeoutMs);
    const std::vector<std::int64_t> &grid = scheme->grid.shape();
    QCOMPARE(heatmap->colorMap()->data()->keySize() * heatmap->colorMap()->data()->valueSize(),
             int(scheme->grid.groupCount()));
    QCOMPARE(heatmap->colorMap()->data()->keySize(), int(grid.size() >= 2 ? grid[1] : 1));
    QCOMPARE(heatmap->selectedGroup(), std::optional<qint64>(window.controller()->currentGroup()));
    QCOMPARE(window.controller()->currentGroup(), scheme->worstGroup);

    const qint64 other = scheme->worstGroup == 0 ? 1 : 0;
    Q_EMIT heatmap->groupClicked(other);
    QCOMPARE(window.controller()->currentGroup(), std::int64_t(other));
    QCOMPARE(heatmap->selectedGroup(), std::optional<qint64>(other));

    // Per tensor, the heatmap empties and the methods of the int spec are listed.
    Q_EMIT window.schemeInsights()->bitsChart()->schemeChosen(intSpec(8, Scheme::Symmetric));
    QTRY_VERIFY_WITH_TIMEOUT(heatmap->isEmpty(), kTimeoutMs);
    // (The tab may already be open: the panel's rows are what counts, not the signal.)
    window.schemeInsights()->tabs()->setCurrentIndex(SchemeInsights::MethodsTab);
    const auto &rows = window.schemeInsights()->methodTable()->model()->rows();
    QTRY_VERIFY_WITH_TIMEOUT(!rows.empty(), kTimeoutMs);
    QVERIFY(rows.size() >= 4); // minmax, mse, two percentiles, entropy, histogram-l2
    QCOMPARE(rows.front().label, QStringLiteral("minmax"));
    QVERIFY(window.close());
}

QTEST_MAIN(TestSchemeInsights)
#include "tst_schemeinsights.moc"
