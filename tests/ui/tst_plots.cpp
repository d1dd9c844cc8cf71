#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "plots/mappingplot.h"
#include "plots/plotstyle.h"
#include "quant/quantizer.h"

#include "plotfixtures.h"
#include "plottext.h"
#include <QApplication>
#include <QCheckBox>
#include <QHelpEvent>
#include <QPair>
#include <QToolTip>
#include <QVBoxLayout>

#include <QSignalSpy>
#include <QTest>

#include <qcustomplot.h>

#include <cmath>

using namespace qs;
using namespace qs::ui;
using namespace qs::test;

namespace {

// The fraction of the tensor's values outside [lo, hi], as the exact pass counts it.
double clippedFractionOf(const TensorAnalysis &tensor, double lo, double hi) {
    const auto values = tensor.tensor->values();
    const auto outside =
        std::count_if(values.begin(), values.end(), [&](float v) { return v < lo || v > hi; });
    return double(outside) / double(values.size());
}

// The spec and exact params the controller sends back for thresholds a drag or nudge committed.
QPair<QuantSpec, QuantParams> committed(const QuantSpec &spec, double clipLo, double clipHi) {
    QuantSpec next = spec;
    next.rangeMode = RangeMode::Saturating;
    next.clipLo = std::min(clipLo, clipHi);
    next.clipHi = std::max(clipLo, clipHi);
    return {next, computeParams(next, next.clipLo, next.clipHi)};
}

QRectF pixelRect(QCPItemAnchor *topLeft, QCPItemAnchor *bottomRight) {
    return QRectF(topLeft->pixelPosition(), bottomRight->pixelPosition()).normalized();
}

// Shows view with a made-up tensor quantized to int8 per tensor, laid out so pixels map to values.
std::pair<std::shared_ptr<const TensorAnalysis>, QuantSpec> showInt8(HistogramPlot &view,
                                                                     Scheme scheme = Scheme::Symmetric) {
    auto tensor = makeTensor();
    const QuantSpec spec = makeSpec(8, scheme);
    view.setTensor(tensor);
    view.setQuantization(spec, paramsForTensor(spec, tensor->stats.min, tensor->stats.max), 0.0);
    showAndLayout(&view, {view.plot()});
    return {tensor, spec};
}

} // namespace

class TestPlots : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void formatting_data();
    void formatting();
    void levels_data();
    void levels();
    void zoomShowsLevels();
    void histogramRebinsWithZoom();
    void dragUpperHandle_data();
    void dragUpperHandle();
    void pressAwayFromHandlePans();
    void hoverExplains();
    void shadingCoversTails();
    void logToggle();
    void followsPalette();
    void tailLabelsStayApart_data();
    void tailLabelsStayApart();
    void viewStaysAfterDrag_data();
    void viewStaysAfterDrag();
    void grabZone();
    void keyboardNudges_data();
    void keyboardNudges();
    void hoverAndClickReportValues();
};

void TestPlots::formatting_data() {
    QTest::addColumn<QString>("actual");
    QTest::addColumn<QString>("expected");
    // The examples given in plotstyle.h and UI.md.
    QTest::addRow("scale") << formatNumber(0.0192) << QStringLiteral("0.0192");
    QTest::addRow("small mse") << formatNumber(6.98e-06) << QStringLiteral("6.98e-06");
    QTest::addRow("zero") << formatNumber(0.0) << QStringLiteral("0");
    QTest::addRow("4 significant") << formatNumber(0.0191915) << QStringLiteral("0.01919");
    QTest::addRow("large") << formatNumber(123456.0) << QStringLiteral("1.235e+05");
    QTest::addRow("db one decimal") << formatDb(36.14) << QStringLiteral("36.1 dB");
    QTest::addRow("db no error") << formatDb(std::numeric_limits<double>::infinity())
                                 << QStringLiteral("∞ dB");
    // 0.00012 of the values = 0.012 %.
    QTest::addRow("small percent") << formatPercent(0.00012) << QStringLiteral("0.012 %");
    QTest::addRow("large percent") << formatPercent(0.1234) << QStringLiteral("12.3 %");
    QTest::addRow("no percent") << formatPercent(0.0) << QStringLiteral("0 %");
}

void TestPlots::formatting() {
    QFETCH(QString, actual);
    QFETCH(QString, expected);
    QCOMPARE(actual, expected);
}

void TestPlots::levels_data() {
    QTest::addColumn<int>("bits");
    QTest::addColumn<bool>("individual");
    // 4 bits: 16 levels over ~800 px, ~50 px apart: each drawn. 12 bits: 4096 levels, ~0.2 px
    // apart: a band.
    QTest::addRow("4 bits") << 4 << true;
    QTest::addRow("12 bits") << 12 << false;
}

void TestPlots::levels() {
    QFETCH(int, bits);
    QFETCH(bool, individual);
    HistogramPlot view;
    auto tensor = makeTensor();
    const QuantSpec spec = makeSpec(bits, Scheme::Symmetric);
    const QuantParams params = paramsForTensor(spec, tensor->stats.min, tensor->stats.max);
    view.setTensor(tensor);
    view.setQuantization(spec, params, 0.0);
    showAndLayout(&view, {view.plot()});
    saveGrab(&view, QStringLiteral("histogram-%1bit").arg(bits));

    const auto lines = visibleChildren<QCPItemLine>(view.plot(), QStringLiteral("levelLine"));
    const auto band = view.plot()->findChild<QCPItemRect *>(QStringLiteral("levelBand"));
    QVERIFY(band);
    if (individual) {
        QCOMPARE(lines.size(), 1 << bits);
        QVERIFY(!band->visible());
        // Each line stands at a distinct level x̂ = (q - 0)·s (float32, as the quantizer computes it),
        // q in [-8, 7].
        QSet<std::int64_t> codes;
        for (QCPItemLine *line : lines) {
            const double x = line->start->coords().x();
            const auto q = std::int64_t(std::lround(x / double(params.scale)));
            QCOMPARE(x, double(dequantizeValue(q, params)));
            QVERIFY(q >= -8 && q <= 7);
            codes.insert(q);
        }
        QCOMPARE(codes.size(), 16);
    } else {
        QCOMPARE(lines.size(), 0);
        QVERIFY(band->visible());
        // The band spans the levels from qmin·s to qmax·s (z = 0).
        QCOMPARE(band->topLeft->coords().x(), double(params.qmin) * double(params.scale));
        QCOMPARE(band->bottomRight->coords().x(), double(params.qmax) * double(params.scale));
        // Nowhere near one item per level.
        QVERIFY(view.plot()->itemCount() < 100);
    }
}

void TestPlots::zoomShowsLevels() {
    HistogramPlot view;
    auto tensor = makeTensor();
    const QuantSpec spec = makeSpec(12, Scheme::Symmetric);
    const QuantParams params = paramsForTensor(spec, tensor->stats.min, tensor->stats.max);
    view.setTensor(tensor);
    view.setQuantization(spec, params, 0.0);
    showAndLayout(&view, {view.plot()});
    // Zoomed to [-0.5·s, 20.5·s]: the levels 0·s … 20·s are 21 lines, ~40 px apart.
    const double s = params.scale;
    view.plot()->xAxis->setRange(-0.5 * s, 20.5 * s);
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QCOMPARE(visibleChildren<QCPItemLine>(view.plot(), QStringLiteral("levelLine")).size(), 21);
    QVERIFY(!view.plot()->findChild<QCPItemRect *>(QStringLiteral("levelBand"))->visible());

    // Double-click shows everything again: the band, from qmin·s to qmax·s.
    QTest::mouseDClick(view.plot(), Qt::LeftButton, {},
                       QPoint(view.plot()->width() / 2, view.plot()->height() / 2));
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(view.plot()->xAxis->range().contains(double(params.qmin) * s));
    QVERIFY(view.plot()->xAxis->range().contains(double(params.qmax) * s));
    QCOMPARE(visibleChildren<QCPItemLine>(view.plot(), QStringLiteral("levelLine")).size(), 0);

    // Zooming out stops at four times the full view.
    const double full = view.plot()->xAxis->range().size();
    view.plot()->xAxis->setRange(-100 * full, 100 * full);
    QVERIFY(view.plot()->xAxis->range().size() <= 4 * full * (1 + 1e-9));
}

void TestPlots::histogramRebinsWithZoom() {
    HistogramPlot view;
    auto tensor = makeTensor();
    view.setTensor(tensor);
    showAndLayout(&view, {view.plot()});
    auto *bars = view.plot()->findChild<QCPGraph *>(QStringLiteral("histogram"));
    // Zoomed out, 4096 fine bins share ~800 px: merged (by a power of two) to bins >= 2 px.
    const int merged = bars->dataCount() - 1;
    QVERIFY2(merged < 4096 && 4096 % merged == 0, qPrintable(QString::number(merged)));
    QVERIFY(double(view.plot()->axisRect()->width()) / merged >= 2.0);
    // Zoomed in to 1/32 of the range, every fine bin is drawn.
    const QCPRange full = view.plot()->xAxis->range();
    view.plot()->xAxis->setRange(full.center(), full.center() + full.size() / 32);
    view.plot()->replot(QCustomPlot::rpImmediateRefresh);
    QCOMPARE(bars->dataCount(), 4096 + 1);
}

void TestPlots::dragUpperHandle_data() {
    QTest::addColumn<int>("scheme");
    QTest::addRow("symmetric") << int(Scheme::Symmetric);
    QTest::addRow("asymmetric") << int(Scheme::Asymmetric);
}

void TestPlots::dragUpperHandle() {
    QFETCH(int, scheme);
    HistogramPlot view;
    auto tensor = makeTensor();
    const QuantSpec spec = makeSpec(8, Scheme(scheme));
    const QuantParams params = paramsForTensor(spec, tensor->stats.min, tensor->stats.max);
    view.setTensor(tensor);
    view.setQuantization(spec, params, 0.0);
    showAndLayout(&view, {view.plot()});
    QSignalSpy dragged(&view, &HistogramPlot::thresholdsDragged);
    QSignalSpy finished(&view, &HistogramPlot::thresholdsDragFinished);
    const QCPRange rangeBefore = view.plot()->xAxis->range();

    const QPoint start = view.handlePosition(true);
    QCOMPARE(start.x(), qRound(view.plot()->xAxis->coordToPixel(params.clipMax)));
    const QPoint target = start - QPoint(120, -40);
    QTest::mousePress(view.plot(), Qt::LeftButton, {}, start);
    QTest::mouseMove(view.plot(), start - QPoint(60, 0));
    QTest::mouseMove(view.plot(), target);
    QTest::mouseRelease(view.plot(), Qt::LeftButton, {}, target);

    const double expectedHi = view.plot()->xAxis->pixelToCoord(target.x());
    // Symmetric: the lower threshold mirrors the upper. Asymmetric: it stays where it was.
    const double expectedLo = Scheme(scheme) == Scheme::Symmetric ? -expectedHi : params.clipMin;
    QCOMPARE(dragged.size(), 2);
    QCOMPARE(dragged.last().at(0).toDouble(), expectedLo);
    QCOMPARE(dragged.last().at(1).toDouble(), expectedHi);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.last().at(0).toDouble(), expectedLo);
    QCOMPARE(finished.last().at(1).toDouble(), expectedHi);
    // The press went to the handle, not to panning.
    QCOMPARE(view.plot()->xAxis->range(), rangeBefore);
    // The handle follows the mouse.
    QCOMPARE(view.handlePosition(true).x(), target.x());
}

void TestPlots::pressAwayFromHandlePans() {
    HistogramPlot view;
    [[maybe_unused]] const auto [tensor, spec] = showInt8(view);
    QSignalSpy dragged(&view, &HistogramPlot::thresholdsDragged);
    const QCPRange rangeBefore = view.plot()->xAxis->range();
    // Halfway between the handles (at 0) is far from both.
    const QPoint start(qRound(view.plot()->xAxis->coordToPixel(0.0)), view.handlePosition(true).y() + 40);
    QTest::mousePress(view.plot(), Qt::LeftButton, {}, start);
    QTest::mouseMove(view.plot(), start + QPoint(50, 0));
    QTest::mouseRelease(view.plot(), Qt::LeftButton, {}, start + QPoint(50, 0));
    QCOMPARE(dragged.size(), 0);
    QVERIFY(view.plot()->xAxis->range().lower < rangeBefore.lower);
}

void TestPlots::hoverExplains() {
    HistogramPlot view;
    auto tensor = makeTensor();
    const QuantSpec spec = makeSpec(8, Scheme::Symmetric);
    const QuantParams params = paramsForTensor(spec, tensor->stats.min, tensor->stats.max);
    view.setTensor(tensor);
    view.setQuantization(spec, params, 0.0);
    showAndLayout(&view, {view.plot()});
    // Hovering a handle offers the horizontal-resize cursor; the background does not.
    const QPoint handle = view.handlePosition(true);
    QMouseEvent onHandle(QEvent::MouseMove, handle, view.plot()->mapToGlobal(handle), Qt::NoButton,
                         Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(view.plot(), &onHandle);
    QCOMPARE(view.plot()->cursor().shape(), Qt::SizeHorCursor);
    const QPoint centre(qRound(view.plot()->xAxis->coordToPixel(0.0)), handle.y() + 60);
    QMouseEvent onBackground(QEvent::MouseMove, centre, view.plot()->mapToGlobal(centre), Qt::NoButton,
                             Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(view.plot(), &onBackground);
    QCOMPARE(view.plot()->cursor().shape(), Qt::ArrowCursor);
    // The tooltip names the plot and the integer code under the mouse: 0 at the centre.
    QHelpEvent help(QEvent::ToolTip, centre, view.plot()->mapToGlobal(centre));
    QApplication::sendEvent(view.plot(), &help);
    QTRY_VERIFY(QToolTip::isVisible());
    QVERIFY2(QToolTip::text().contains(QStringLiteral("Weight histogram")), qPrintable(QToolTip::text()));
    QVERIFY2(QToolTip::text().contains(QStringLiteral("q = 0")), qPrintable(QToolTip::text()));
}

void TestPlots::shadingCoversTails() {
    HistogramPlot view;
    auto tensor = makeTailTensor();
    const QuantSpec spec = makeSpec(8, Scheme::Symmetric, RangeMode::Saturating, -0.05, 0.05);
    const QuantParams params = computeParams(spec, -0.05, 0.05);
    view.setTensor(tensor);
    // 40 of the 1040 values lie beyond ±0.05.
    view.setQuantization(spec, params, 40.0 / 1040.0);
    showAndLayout(&view, {view.plot()});
    saveGrab(&view, QStringLiteral("histogram-saturating"));
    auto *low = view.plot()->findChild<QCPItemRect *>(QStringLiteral("clipShadeLow"));
    auto *high = view.plot()->findChild<QCPItemRect *>(QStringLiteral("clipShadeHigh"));
    QVERIFY(low && low->visible());
    QVERIFY(high && high->visible());
    QVERIFY(low->topLeft->coords().x() <= tensor->stats.min);
    QCOMPARE(low->bottomRight->coords().x(), params.clipMin);
    QCOMPARE(high->topLeft->coords().x(), params.clipMax);
    QVERIFY(high->bottomRight->coords().x() >= tensor->stats.max);
    // Full height of the plot area.
    QCOMPARE(low->topLeft->pixelPosition().y(), double(view.plot()->axisRect()->top()));
    QCOMPARE(low->bottomRight->pixelPosition().y(), double(view.plot()->axisRect()->bottom() + 1));
    // Each tail labelled with its own share: 10 / 1040 = 0.96 % below, 30 / 1040 = 2.9 % above.
    QStringList labels;
    for (QCPItemText *text : visibleChildren<QCPItemText>(view.plot(), QString()))
        labels << text->text();
    QVERIFY2(labels.contains(QStringLiteral("◀ 0.96 % clipped")), qPrintable(labels.join(u'|')));
    QVERIFY2(labels.contains(QStringLiteral("2.9 % clipped ▶")), qPrintable(labels.join(u'|')));
}

void TestPlots::logToggle() {
    HistogramPlot view;
    view.setTensor(makeTensor(1000));
    QSignalSpy changed(&view, &HistogramPlot::logScaleChanged);
    QVERIFY(view.logScale());
    QCOMPARE(view.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    auto *toggle = view.findChild<QCheckBox *>();
    QVERIFY(toggle && toggle->isChecked());
    toggle->click();
    QVERIFY(!view.logScale());
    QCOMPARE(view.plot()->yAxis->scaleType(), QCPAxis::stLinear);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().first().toBool(), false);
    // A linear count axis starts at 0.
    QCOMPARE(view.plot()->yAxis->range().lower, 0.0);

    ErrorPlot errors;
    QSignalSpy errorChanged(&errors, &ErrorPlot::logScaleChanged);
    QVERIFY(errors.logScale());
    errors.findChild<QCheckBox *>()->click();
    QCOMPARE(errors.histogramPlot()->yAxis->scaleType(), QCPAxis::stLinear);
    // The MSE axis stays logarithmic: the curve spans decades.
    QCOMPARE(errors.curvePlot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(errorChanged.size(), 1);
    errors.setLogScale(false);
    QCOMPARE(errorChanged.size(), 1);
}

// A switch to a dark palette recolours the axes and text of every plot.
void TestPlots::followsPalette() {
    QWidget window;
    auto *layout = new QVBoxLayout(&window);
    auto *histogram = new HistogramPlot;
    auto *mapping = new MappingPlot;
    auto *errors = new ErrorPlot;
    for (QWidget *plot : std::initializer_list<QWidget *>{histogram, mapping, errors})
        layout->addWidget(plot);
    const QuantSpec spec = makeSpec(8, Scheme::Symmetric);
    mapping->setMapping(-1.0, 1.0, spec, paramsForTensor(spec, -1.0, 1.0));
    QPalette dark = window.palette();
    const QColor darkText(0xe0, 0xe0, 0xe0);
    QVERIFY(histogram->plot()->xAxis->tickLabelColor() != darkText);
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    dark.setColor(QPalette::Text, darkText);
    window.setPalette(dark);
    QCOMPARE(histogram->plot()->xAxis->tickLabelColor(), darkText);
    QCOMPARE(mapping->plot()->xAxis2->labelColor(), darkText);
    QCOMPARE(errors->histogramPlot()->yAxis->tickLabelColor(), darkText);
    QCOMPARE(errors->curvePlot()->legend->textColor(), darkText);
    // The mapping's axes stay drawn as segments, without the plot's frame line.
    QCOMPARE(mapping->plot()->xAxis->basePen().style(), Qt::NoPen);
}

void TestPlots::tailLabelsStayApart_data() {
    QTest::addColumn<int>("width");
    QTest::addRow("400 px") << 400;
    QTest::addRow("700 px") << 700;
    QTest::addRow("1200 px") << 1200;
}

// "% clipped" labels over a grid of handle positions and views: never on top of each other or of
// a grab mark, never outside the plot area, both shown, and each in its own tail when it fits.
void TestPlots::tailLabelsStayApart() {
    QFETCH(int, width);
    HistogramPlot view;
    auto tensor = makeTensor();
    view.setTensor(tensor);
    showAndLayout(&view, {view.plot()});
    view.resize(width, 420);
    QCustomPlot *plot = view.plot();
    QTRY_COMPARE(plot->width(), width);
    const double min = tensor->stats.min;
    const double max = tensor->stats.max;
    // Dragged inward (labels of the old layout overprinted there), both handles near 0,
    // lopsided, the bulk's shoulders, just inside the outliers.
    const QList<QPair<double, double>> thresholds = {
        {-0.01, 0.01},      {-1e-4, 1e-4},       {-0.002, 0.002},        {-0.01, 0.04},
        {0.98 * min, 1e-4}, {-1e-4, 0.98 * max}, {0.5 * min, 0.3 * max}, {0.98 * min, 0.98 * max}};
    auto *lowLabel = plot->findChild<QCPItemText *>(QStringLiteral("tailLabelLow"));
    auto *highLabel = plot->findChild<QCPItemText *>(QStringLiteral("tailLabelHigh"));
    QList<QCPItemRect *> marks = {plot->findChild<QCPItemRect *>(QStringLiteral("grabMarkLow")),
                                  plot->findChild<QCPItemRect *>(QStringLiteral("grabMarkHigh"))};
    QVERIFY(lowLabel && highLabel && marks[0] && marks[1]);
    for (const auto &[lo, hi] : thresholds) {
        const QuantSpec spec = makeSpec(8, Scheme::Asymmetric, RangeMode::Saturating, lo, hi);
        view.setQuantization(spec, computeParams(spec, lo, hi), clippedFractionOf(*tensor, lo, hi));
        // The whole range; around the handles (narrow tails); each tail alone (the other handle out
        // of view); inside the clip range (both handles out of view); entirely in the low tail.
        const QList<QCPRange> views = {QCPRange(),
                                       QCPRange(lo - 0.003, hi + 0.003),
                                       QCPRange(min - 0.01, lo + 0.002),
                                       QCPRange(hi - 0.002, max + 0.01),
                                       QCPRange(lo + 0.25 * (hi - lo), hi - 0.25 * (hi - lo)),
                                       QCPRange(min - 0.05, min - 0.01)};
        for (const QCPRange &range : views) {
            if (range.size() == 0)
                view.resetZoom();
            else
                plot->xAxis->setRange(range);
            plot->replot(QCustomPlot::rpImmediateRefresh);
            const QString where = QStringLiteral("clip [%1, %2], view [%3, %4], %5 px")
                                      .arg(lo)
                                      .arg(hi)
                                      .arg(plot->xAxis->range().lower)
                                      .arg(plot->xAxis->range().upper)
                                      .arg(width);
            QVERIFY2(lowLabel->visible() && highLabel->visible(), qPrintable(where));
            QVERIFY2(test::firstTextOverlap(plot).isEmpty(),
                     qPrintable(test::firstTextOverlap(plot) + u' ' + where));
            QVERIFY2(test::firstTextOutside(plot).isEmpty(),
                     qPrintable(test::firstTextOutside(plot) + u' ' + where));
            const QRectF area = QRectF(plot->axisRect()->rect()).adjusted(-0.5, -0.5, 0.5, 0.5);
            const double loPx = plot->xAxis->coordToPixel(lo);
            const double hiPx = plot->xAxis->coordToPixel(hi);
            for (QCPItemText *label : {lowLabel, highLabel}) {
                const QRectF rect = pixelRect(label->topLeft, label->bottomRight);
                QVERIFY2(area.contains(rect), qPrintable(label->text() + u' ' + where));
                for (QCPItemRect *mark : marks)
                    QVERIFY2(!rect.intersects(pixelRect(mark->topLeft, mark->bottomRight)),
                             qPrintable(label->text() + QStringLiteral(" hides a grab mark, ") + where));
                // Room for the label and a gap beside the handle's grab mark: it sits in its tail.
                const double room = label == lowLabel ? loPx - area.left() : area.right() - hiPx;
                const bool handleInView = loPx <= area.right() && hiPx >= area.left();
                if (handleInView && room >= rect.width() + 12) {
                    const bool inTail = label == lowLabel ? rect.right() <= loPx : rect.left() >= hiPx;
                    QVERIFY2(inTail,
                             qPrintable(label->text() + QStringLiteral(" not in its tail, ") + where));
                }
            }
        }
    }
    saveGrab(&view, QStringLiteral("histogram-labels-%1").arg(width));
}

void TestPlots::viewStaysAfterDrag_data() {
    QTest::addColumn<int>("scheme");
    QTest::addRow("symmetric") << int(Scheme::Symmetric);
    QTest::addRow("asymmetric") << int(Scheme::Asymmetric);
}

// Releasing a handle, and the estimate and exact pass that follow, leave the view alone, so the
// handles stay under the mouse; a reset still fits the whole range.
void TestPlots::viewStaysAfterDrag() {
    QFETCH(int, scheme);
    HistogramPlot view;
    [[maybe_unused]] const auto [tensor, spec] = showInt8(view, Scheme(scheme));
    QCustomPlot *plot = view.plot();
    QSignalSpy finished(&view, &HistogramPlot::thresholdsDragFinished);
    const QCPRange rangeBefore = plot->xAxis->range();

    const QPoint start = view.handlePosition(true);
    const QPoint target = start - QPoint(150, 0);
    QTest::mousePress(plot, Qt::LeftButton, {}, start);
    QTest::mouseMove(plot, start - QPoint(75, 0));
    QTest::mouseMove(plot, target);
    plot->replot(QCustomPlot::rpImmediateRefresh);
    const QPoint low = view.handlePosition(false);
    const QPoint high = view.handlePosition(true);
    QCOMPARE(high.x(), target.x());
    QTest::mouseRelease(plot, Qt::LeftButton, {}, target);
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QCOMPARE(view.handlePosition(false), low);
    QCOMPARE(view.handlePosition(true), high);

    // The controller's estimate and then its exact pass for the released thresholds.
    QCOMPARE(finished.size(), 1);
    const auto [next, params] =
        committed(spec, finished.last().at(0).toDouble(), finished.last().at(1).toDouble());
    const double clipped = clippedFractionOf(*tensor, params.clipMin, params.clipMax);
    view.setQuantization(next, params, clipped * 1.01);
    view.setQuantization(next, params, clipped);
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QCOMPARE(plot->xAxis->range(), rangeBefore);
    QCOMPARE(view.handlePosition(false), low);
    QCOMPARE(view.handlePosition(true), high);

    // A reset fits the whole range, as a fresh plot of the same mapping shows it.
    HistogramPlot fresh;
    fresh.setTensor(tensor);
    fresh.setQuantization(next, params, clipped);
    view.resetZoom();
    QCOMPARE(plot->xAxis->range(), fresh.plot()->xAxis->range());
    // So does a new bit width after a drag (the user did not zoom or pan).
    const QPoint again = view.handlePosition(true);
    QTest::mousePress(plot, Qt::LeftButton, {}, again);
    QTest::mouseMove(plot, again - QPoint(20, 0));
    QTest::mouseRelease(plot, Qt::LeftButton, {}, again - QPoint(20, 0));
    QCOMPARE(finished.size(), 2);
    QuantSpec twoBits = next;
    twoBits.bits = 2;
    const QuantParams twoBitParams = computeParams(twoBits, next.clipLo, next.clipHi);
    view.setQuantization(twoBits, twoBitParams, clipped);
    fresh.setTensor(tensor);
    fresh.setQuantization(twoBits, twoBitParams, clipped);
    QCOMPARE(plot->xAxis->range(), fresh.plot()->xAxis->range());
}

// A press within the grab radius (at least 10 px) takes the handle; one three radii away pans.
void TestPlots::grabZone() {
    HistogramPlot view;
    [[maybe_unused]] const auto [tensor, spec] = showInt8(view);
    QCustomPlot *plot = view.plot();
    const int radius = view.grabRadiusPx();
    QVERIFY(radius >= 10);
    QSignalSpy dragged(&view, &HistogramPlot::thresholdsDragged);
    const QCPRange rangeBefore = plot->xAxis->range();

    const QPoint nearHandle = view.handlePosition(true) - QPoint(9, 0);
    QTest::mousePress(plot, Qt::LeftButton, {}, nearHandle);
    QTest::mouseMove(plot, nearHandle - QPoint(40, 0));
    QTest::mouseRelease(plot, Qt::LeftButton, {}, nearHandle - QPoint(40, 0));
    QCOMPARE(dragged.size(), 1);
    QCOMPARE(view.handlePosition(true).x(), nearHandle.x() - 40);
    QCOMPARE(plot->xAxis->range(), rangeBefore);

    const QPoint away = view.handlePosition(true) - QPoint(3 * radius, 0);
    QTest::mousePress(plot, Qt::LeftButton, {}, away);
    QTest::mouseMove(plot, away + QPoint(50, 0));
    QTest::mouseRelease(plot, Qt::LeftButton, {}, away + QPoint(50, 0));
    QCOMPARE(dragged.size(), 1);
    QVERIFY(plot->xAxis->range().lower < rangeBefore.lower);
}

void TestPlots::keyboardNudges_data() {
    QTest::addColumn<int>("scheme");
    QTest::addRow("symmetric") << int(Scheme::Symmetric);
    QTest::addRow("asymmetric") << int(Scheme::Asymmetric);
}

// With focus, ←/→ move the selected handle by one step s (Shift: 10 s) and commit each move.
void TestPlots::keyboardNudges() {
    QFETCH(int, scheme);
    const bool symmetric = Scheme(scheme) == Scheme::Symmetric;
    HistogramPlot view;
    auto tensor = makeTensor();
    const QuantSpec spec = makeSpec(8, Scheme(scheme));
    QuantParams params = paramsForTensor(spec, tensor->stats.min, tensor->stats.max);
    view.setTensor(tensor);
    view.setQuantization(spec, params, 0.0);
    showAndLayout(&view, {view.plot()});
    QCustomPlot *plot = view.plot();
    QCOMPARE(plot->focusPolicy(), Qt::StrongFocus);
    view.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&view));
    auto *markLow = plot->findChild<QCPItemRect *>(QStringLiteral("grabMarkLow"));
    auto *markHigh = plot->findChild<QCPItemRect *>(QStringLiteral("grabMarkHigh"));
    // The selected (upper) handle is outlined only while the plot has focus.
    plot->clearFocus();
    QCOMPARE(markHigh->pen().width(), 1);
    view.setFocus();
    QTRY_VERIFY(plot->hasFocus());
    QCOMPARE(markHigh->pen().width(), 2);
    QCOMPARE(markLow->pen().width(), 1);
    QSignalSpy finished(&view, &HistogramPlot::thresholdsDragFinished);
    const QCPRange range = plot->xAxis->range();
    QuantSpec current = spec;
    // Feeds the committed thresholds back, as the controller does.
    const auto apply = [&] {
        std::tie(current, params) =
            committed(current, finished.last().at(0).toDouble(), finished.last().at(1).toDouble());
        view.setQuantization(current, params, 0.0);
    };

    double s = params.scale;
    double hi = params.clipMax;
    double lo = params.clipMin;
    QTest::keyClick(plot, Qt::Key_Right);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.last().at(1).toDouble(), hi + s);
    QCOMPARE(finished.last().at(0).toDouble(), symmetric ? -(hi + s) : lo);
    apply();

    s = params.scale;
    hi = params.clipMax;
    QTest::keyClick(plot, Qt::Key_Right, Qt::ShiftModifier);
    QCOMPARE(finished.size(), 2);
    QCOMPARE(finished.last().at(1).toDouble(), hi + 10 * s);
    apply();
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QCOMPARE(plot->xAxis->range(), range);
    QCOMPARE(view.handlePosition(true).x(), qRound(plot->xAxis->coordToPixel(params.clipMax)));

    // ↓ selects the lower handle; ← moves it outward, mirrored when symmetric.
    s = params.scale;
    hi = params.clipMax;
    lo = params.clipMin;
    QTest::keyClick(plot, Qt::Key_Down);
    QCOMPARE(markLow->pen().width(), 2);
    QCOMPARE(markHigh->pen().width(), 1);
    QTest::keyClick(plot, Qt::Key_Left);
    QCOMPARE(finished.size(), 3);
    QCOMPARE(finished.last().at(0).toDouble(), lo - s);
    QCOMPARE(finished.last().at(1).toDouble(), symmetric ? -(lo - s) : hi);
    apply();

    // Without focus there is no outline; pressing a handle focuses the plot and selects it. A
    // click that does not move it commits nothing.
    plot->clearFocus();
    QCOMPARE(markLow->pen().width(), 1);
    const QPoint upper = view.handlePosition(true);
    QTest::mouseClick(plot, Qt::LeftButton, {}, upper);
    QTRY_VERIFY(plot->hasFocus());
    QCOMPARE(markHigh->pen().width(), 2);
    QCOMPARE(markLow->pen().width(), 1);
    QCOMPARE(finished.size(), 3);

    // The hover help names the keys.
    const QPoint centre(plot->width() / 2, plot->height() / 2);
    QHelpEvent help(QEvent::ToolTip, centre, plot->mapToGlobal(centre));
    QApplication::sendEvent(plot, &help);
    QTRY_VERIFY(QToolTip::isVisible());
    QVERIFY2(QToolTip::text().contains(QStringLiteral("←/→")), qPrintable(QToolTip::text()));
}

// Hover and click report the axis value under the mouse (for the Bits panel); a press on a handle
// and a pan report no pick, and a drag's moves report no hover.
void TestPlots::hoverAndClickReportValues() {
    HistogramPlot view;
    [[maybe_unused]] const auto [tensor, spec] = showInt8(view);
    QCustomPlot *plot = view.plot();
    QSignalSpy hovered(&view, &HistogramPlot::valueHovered);
    QSignalSpy picked(&view, &HistogramPlot::valuePicked);
    const int y = view.handlePosition(true).y() + 40;
    const QPoint centre(qRound(plot->xAxis->coordToPixel(0.0)), y);
    QTest::mouseMove(plot, centre);
    QTRY_VERIFY(!hovered.isEmpty());
    QCOMPARE(hovered.last().at(0).toDouble(), plot->xAxis->pixelToCoord(centre.x()));
    QCOMPARE(picked.size(), 0);

    const QPoint right = centre + QPoint(30, 0);
    QTest::mouseClick(plot, Qt::LeftButton, {}, right);
    QCOMPARE(picked.size(), 1);
    QCOMPARE(picked.last().at(0).toDouble(), plot->xAxis->pixelToCoord(right.x()));

    // A handle press and release picks nothing.
    const QPoint handle = view.handlePosition(true);
    QTest::mouseClick(plot, Qt::LeftButton, {}, handle);
    QCOMPARE(picked.size(), 1);
    // Nor does a pan; moves with the button held are not hovers.
    hovered.clear();
    QTest::mousePress(plot, Qt::LeftButton, {}, centre);
    QTest::mouseMove(plot, centre + QPoint(60, 0));
    QTest::mouseRelease(plot, Qt::LeftButton, {}, centre + QPoint(60, 0));
    QCOMPARE(picked.size(), 1);
    QCOMPARE(hovered.size(), 0);
    // Outside the plot area (the axis labels) nothing is reported.
    QTest::mouseMove(plot, QPoint(2, 2));
    QCOMPARE(hovered.size(), 0);
}

QTEST_MAIN(TestPlots)
#include "tst_plots.moc"
