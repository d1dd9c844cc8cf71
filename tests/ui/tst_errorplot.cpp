#include "analysis/tensoranalyzer.h"
#include "calib/mseestimator.h"
#include "plots/errorplot.h"
#include "plots/plotstyle.h"
#include "quant/quantizer.h"
#include "stats/errorstats.h"

#include "plotfixtures.h"
#include "plottext.h"
#include <QCheckBox>
#include <QLabel>
#include <QSplitter>
#include <QToolTip>

#include <QSignalSpy>
#include <QTest>

#include <qcustomplot.h>

#include <cmath>

using namespace qs;
using namespace qs::ui;
using namespace qs::test;

namespace {

std::shared_ptr<const QuantAnalysis> exactOf(const std::shared_ptr<const TensorAnalysis> &tensor,
                                             const QuantSpec &spec) {
    return analyzeQuant(*tensor, spec).value();
}

// What AnalysisController::showEstimate hands the error plot while a handle moves.
void showEstimateOf(ErrorPlot &view, const std::shared_ptr<const TensorAnalysis> &tensor,
                    const QuantSpec &spec) {
    const QuantParams params = paramsForTensor(spec, tensor->stats.min, tensor->stats.max);
    view.setEstimate(tensor, spec, params, estimateError(tensor->stats, params).mse,
                     estimateErrorHistogram(tensor->stats, params));
}

// The controller's order: the estimate, then the exact pass for the same spec.
void showExactOf(ErrorPlot &view, const std::shared_ptr<const TensorAnalysis> &tensor,
                 const QuantSpec &spec) {
    showEstimateOf(view, tensor, spec);
    view.setQuantAnalysis(exactOf(tensor, spec));
}

void replotBoth(ErrorPlot &view) {
    view.histogramPlot()->replot(QCustomPlot::rpImmediateRefresh);
    view.curvePlot()->replot(QCustomPlot::rpImmediateRefresh);
}

// The line QCustomPlot draws through a graph's samples, in pixels, at key.
double linePixelAt(QCustomPlot *plot, const QCPGraph *graph, double key) {
    const auto data = graph->data();
    auto after = data->findBegin(key, false);
    if (after == data->constEnd())
        return std::numeric_limits<double>::quiet_NaN();
    if (after->key == key || after == data->constBegin())
        return plot->yAxis->coordToPixel(after->value);
    auto before = after - 1;
    const double x0 = plot->xAxis->coordToPixel(before->key);
    const double x1 = plot->xAxis->coordToPixel(after->key);
    const double t = (plot->xAxis->coordToPixel(key) - x0) / (x1 - x0);
    const double y0 = plot->yAxis->coordToPixel(before->value);
    return y0 + t * (plot->yAxis->coordToPixel(after->value) - y0);
}

// "" if the marker's point at key lies on graph's line (within 2 px), else what is off.
QString offCurve(QCustomPlot *plot, const QCPGraph *marker, const QCPGraph *graph, double key) {
    for (auto it = marker->data()->constBegin(); it != marker->data()->constEnd(); ++it) {
        if (it->key != key)
            continue;
        const double markerY = plot->yAxis->coordToPixel(it->value);
        const double lineY = linePixelAt(plot, graph, key);
        if (std::abs(markerY - lineY) <= 2.0)
            return QString();
        return QStringLiteral("marker at %1 is %2 px off %3")
            .arg(key)
            .arg(markerY - lineY)
            .arg(graph->objectName());
    }
    return QStringLiteral("no marker at %1").arg(key);
}

QuantSpec clipped(QuantSpec spec, double lo, double hi) {
    spec.rangeMode = RangeMode::Saturating;
    spec.clipLo = lo;
    spec.clipHi = hi;
    return spec;
}

} // namespace

class TestErrorPlot : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void errorPlotMarkers();
    void errorPlotFromExactPass();
    void errorPlotLayout_data();
    void errorPlotLayout();
    void errorPlotRangesStayWhileDragging();
    void errorPlotAsymmetricMarkersOnCurves();
};

void TestErrorPlot::errorPlotMarkers() {
    // A hand-made U-shaped sweep: 50 thresholds f = 0.02 … 1.0 of amax = 0.1, MSE minimal at
    // f = 0.6 (clip 0.06).
    auto analysis = std::make_shared<QuantAnalysis>();
    analysis->params = computeParams(makeSpec(8, Scheme::Symmetric), -0.1, 0.1);
    for (int i = 1; i <= 50; ++i) {
        const double f = i / 50.0;
        analysis->sweep.points.push_back({f, -0.1 * f, 0.1 * f, 1e-6 * (1 + 100 * (f - 0.6) * (f - 0.6))});
    }
    analysis->sweep.best = analysis->sweep.points[29];
    analysis->error.mse = analysis->sweep.points.back().mse;
    analysis->error.errorHistogram = Histogram{-0.0004, 0.0004, std::vector<std::int64_t>(64, 10)};

    ErrorPlot view;
    view.setQuantAnalysis(analysis);
    showAndLayout(&view, {view.histogramPlot(), view.curvePlot()});
    saveGrab(&view, QStringLiteral("error-handmade"));
    auto *curve = view.curvePlot()->findChild<QCPGraph *>(QStringLiteral("mseCurve"));
    QCOMPARE(curve->dataCount(), 50);
    auto *suggested = view.curvePlot()->findChild<QCPGraph *>(QStringLiteral("suggestedMarker"));
    QCOMPARE(suggested->dataCount(), 1);
    QCOMPARE(suggested->data()->at(0)->key, 0.06);
    auto *minMax = view.curvePlot()->findChild<QCPGraph *>(QStringLiteral("minMaxMarker"));
    QCOMPARE(minMax->data()->at(0)->key, 0.1);
    // Every marker has a legend entry, so none relies on colour alone.
    QCOMPARE(view.curvePlot()->legend->itemCount(), 4);

    auto *current = view.curvePlot()->findChild<QCPGraph *>(QStringLiteral("currentMarker"));
    QCOMPARE(current->data()->at(0)->key, analysis->params.clipMax);
    view.setCurrent(0.045, 2e-6);
    QCOMPARE(current->data()->at(0)->key, 0.045);
    QCOMPARE(current->data()->at(0)->value, 2e-6);
    auto *errors = view.histogramPlot()->findChild<QCPGraph *>(QStringLiteral("errorHistogram"));
    // 64 bins plus the closing edge of the last step.
    QCOMPARE(errors->dataCount(), 65);

    view.setQuantAnalysis(nullptr);
    QCOMPARE(curve->dataCount(), 0);
}

// The plots fed by the real exact pass and sweep on a weight-like tensor.
void TestErrorPlot::errorPlotFromExactPass() {
    auto tensor = makeTensor();
    const QuantSpec spec = makeSpec(4, Scheme::Symmetric);
    auto analysis = std::make_shared<QuantAnalysis>();
    analysis->spec = spec;
    analysis->params = paramsForTensor(spec, tensor->stats.min, tensor->stats.max);
    analysis->error = *computeError(tensor->tensor->values(), analysis->params, tensor->stats);
    analysis->sweep = sweepThresholds(tensor->stats, spec);
    ErrorPlot view;
    view.setQuantAnalysis(analysis);
    showAndLayout(&view, {view.histogramPlot(), view.curvePlot()});
    saveGrab(&view, QStringLiteral("error-4bit"));
    auto *curve = view.curvePlot()->findChild<QCPGraph *>(QStringLiteral("mseCurve"));
    QCOMPARE(std::size_t(curve->dataCount()), analysis->sweep.points.size());
    auto *suggested = view.curvePlot()->findChild<QCPGraph *>(QStringLiteral("suggestedMarker"));
    QCOMPARE(suggested->data()->at(0)->key, analysis->sweep.best.clipHi);
    // With outliers at 4 bits the suggested threshold clips (f < 1): the curve is a U.
    QVERIFY(analysis->sweep.best.fraction < 1.0);
}

void TestErrorPlot::errorPlotLayout_data() {
    QTest::addColumn<QSize>("size");
    QTest::addColumn<QString>("shape");
    for (const QSize size :
         {QSize(250, 280), QSize(320, 300), QSize(500, 400), QSize(900, 600), QSize(700, 500)})
        for (const char *shape : {"bulk", "tails", "asymmetric tails", "narrow bulk"})
            QTest::addRow("%dx%d %s", size.width(), size.height(), shape)
                << size << QString::fromLatin1(shape);
}

// The ±s/2 labels stay inside the axis rect, apart, at every size and histogram shape, and
// the error histogram gets real height.
void TestErrorPlot::errorPlotLayout() {
    QFETCH(QSize, size);
    QFETCH(QString, shape);
    auto tensor = makeTensor();
    const double max = tensor->stats.max;
    QuantSpec spec = makeSpec(8, Scheme::Symmetric);
    if (shape == QLatin1String("tails")) // clipping squeezes ±s/2 to a sliver between long tails
        spec = clipped(makeSpec(4, Scheme::Symmetric), -0.1 * max, 0.1 * max);
    else if (shape == QLatin1String("asymmetric tails"))
        spec = clipped(makeSpec(6, Scheme::Asymmetric), 0.5 * tensor->stats.min, 0.2 * max);
    else if (shape == QLatin1String("narrow bulk")) // ±s/2 a few pixels apart
        spec = clipped(makeSpec(8, Scheme::Symmetric), -0.02 * max, 0.02 * max);
    ErrorPlot view;
    view.resize(size);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    showExactOf(view, tensor, spec);
    replotBoth(view);
    saveGrab(&view, QStringLiteral("error-layout-%1x%2-%3").arg(size.width()).arg(size.height()).arg(shape));
    QCOMPARE(view.splitter()->objectName(), QStringLiteral("errorSplitter"));
    QCOMPARE(view.splitter()->orientation(), Qt::Vertical);
    QCOMPARE(view.splitter()->indexOf(view.histogramPlot()), 0);
    QCOMPARE(view.splitter()->indexOf(view.curvePlot()), 1);
    for (QCustomPlot *plot : {view.histogramPlot(), view.curvePlot()}) {
        QVERIFY2(qs::test::firstTextOverlap(plot).isEmpty(), qPrintable(qs::test::firstTextOverlap(plot)));
        QVERIFY2(qs::test::firstTextOutside(plot).isEmpty(), qPrintable(qs::test::firstTextOutside(plot)));
    }
    // Inside the axis rect, off its frame, and beside (not across) the dashed lines.
    const QRectF frame = QRectF(view.histogramPlot()->axisRect()->rect()).adjusted(1, 1, -1, -1);
    const auto labels = visibleChildren<QCPItemText>(view.histogramPlot(), QStringLiteral("halfStepLabel"));
    QCOMPARE(labels.size(), 2);
    const double halfStep = double(exactOf(tensor, spec)->params.scale) / 2.0;
    for (QCPItemText *label : labels) {
        const QRectF box = QRectF(label->topLeft->pixelPosition(), label->bottomRight->pixelPosition());
        QVERIFY2(frame.contains(box), qPrintable(QStringLiteral("%1 at %2,%3 %4x%5")
                                                     .arg(label->text())
                                                     .arg(box.x())
                                                     .arg(box.y())
                                                     .arg(box.width())
                                                     .arg(box.height())));
        for (double x : {-halfStep, halfStep}) {
            const double px = view.histogramPlot()->xAxis->coordToPixel(x);
            QVERIFY2(px <= box.left() || px >= box.right(), qPrintable(label->text()));
        }
    }
    // The threshold axis' label, centred under the axis rect, fits the plot (axis labels are
    // not text items).
    QCPAxis *thresholdAxis = view.curvePlot()->xAxis;
    const double labelWidth =
        QFontMetrics(thresholdAxis->labelFont()).horizontalAdvance(thresholdAxis->label());
    const double centre = view.curvePlot()->axisRect()->rect().center().x();
    QVERIFY2(centre - labelWidth / 2 >= 0 && centre + labelWidth / 2 <= view.curvePlot()->width(),
             qPrintable(thresholdAxis->label()));
    // The legend takes at most two rows, even in the narrowest panel.
    QVERIFY2(view.curvePlot()->legend->rowCount() <= 2,
             qPrintable(QString::number(view.curvePlot()->legend->rowCount())));
    if (size.height() >= 500) {
        QVERIFY2(view.histogramPlot()->axisRect()->height() >= 100,
                 qPrintable(QString::number(view.histogramPlot()->axisRect()->height())));
        QVERIFY(view.curvePlot()->axisRect()->height() >= 100);
    }
}

// While a handle moves the error histogram follows from the estimate (marked as such), and
// neither plot's x axis jumps, during the drag or when the exact pass lands.
void TestErrorPlot::errorPlotRangesStayWhileDragging() {
    auto tensor = makeTensor();
    const double min = tensor->stats.min;
    const double max = tensor->stats.max;
    const QuantSpec start = makeSpec(4, Scheme::Asymmetric);
    ErrorPlot view;
    view.resize(700, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    showExactOf(view, tensor, start);
    replotBoth(view);
    QVERIFY(!view.showsEstimate());
    auto *bars = view.histogramPlot()->findChild<QCPGraph *>(QStringLiteral("errorHistogram"));
    const auto beyondHalfStep = [&](double halfStep) {
        double mass = 0.0;
        for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it)
            if (std::abs(it->key) > 1.5 * halfStep && it->value >= 1.0)
                mass += it->value;
        return mass;
    };
    QCOMPARE(beyondHalfStep(double(exactOf(tensor, start)->params.scale) / 2.0), 0.0);

    // The upper handle dragged in to 40 %, then 30 %, of max: clipping tails appear at once.
    QuantSpec dragged = clipped(start, min, 0.4 * max);
    showEstimateOf(view, tensor, dragged);
    replotBoth(view);
    QVERIFY(view.showsEstimate());
    QVERIFY(!view.findChild<QLabel *>(QStringLiteral("estimateNote"))->text().isEmpty());
    dragged.clipHi = 0.3 * max;
    showEstimateOf(view, tensor, dragged);
    replotBoth(view);
    const double halfStep = double(paramsForTensor(dragged, min, max).scale) / 2.0;
    QVERIFY(beyondHalfStep(halfStep) > 0.0);
    const QCPRange histogramRange = view.histogramPlot()->xAxis->range();
    const QCPRange curveRange = view.curvePlot()->xAxis->range();
    saveGrab(&view, QStringLiteral("error-dragging"));

    // The release: the exact pass for the same thresholds keeps both ranges.
    view.setQuantAnalysis(exactOf(tensor, dragged));
    replotBoth(view);
    saveGrab(&view, QStringLiteral("error-released"));
    QVERIFY(!view.showsEstimate());
    QVERIFY(view.findChild<QLabel *>(QStringLiteral("estimateNote"))->text().isEmpty());
    QCOMPARE(view.histogramPlot()->xAxis->range().lower, histogramRange.lower);
    QCOMPARE(view.histogramPlot()->xAxis->range().upper, histogramRange.upper);
    QCOMPARE(view.curvePlot()->xAxis->range().lower, curveRange.lower);
    QCOMPARE(view.curvePlot()->xAxis->range().upper, curveRange.upper);

    // Dragged past max: the curve axis widens to keep the marker in view.
    showEstimateOf(view, tensor, clipped(start, min, 1.3 * max));
    QVERIFY(view.curvePlot()->xAxis->range().upper >= 1.3 * max);
    // Another tensor fits afresh.
    auto other = makeTailTensor();
    showEstimateOf(view, other, start);
    QVERIFY(view.histogramPlot()->xAxis->range() != histogramRange);
}

// Asymmetric: one curve per end, each through its current marker, also while one end moves.
void TestErrorPlot::errorPlotAsymmetricMarkersOnCurves() {
    auto tensor = makeTensor();
    const double min = tensor->stats.min;
    const double max = tensor->stats.max;
    const QuantSpec spec = clipped(makeSpec(4, Scheme::Asymmetric), 0.7 * min, 0.5 * max);
    ErrorPlot view;
    view.resize(900, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    showExactOf(view, tensor, spec);
    replotBoth(view);
    saveGrab(&view, QStringLiteral("error-asymmetric"));
    QCustomPlot *plot = view.curvePlot();
    auto *lower = plot->findChild<QCPGraph *>(QStringLiteral("mseLowerCurve"));
    auto *upper = plot->findChild<QCPGraph *>(QStringLiteral("mseUpperCurve"));
    auto *joint = plot->findChild<QCPGraph *>(QStringLiteral("mseCurve"));
    auto *current = plot->findChild<QCPGraph *>(QStringLiteral("currentMarker"));
    auto *suggested = plot->findChild<QCPGraph *>(QStringLiteral("suggestedMarker"));
    QVERIFY(lower->visible() && upper->visible() && !joint->visible());
    QCOMPARE(current->dataCount(), 2);
    QVERIFY2(offCurve(plot, current, lower, spec.clipLo).isEmpty(),
             qPrintable(offCurve(plot, current, lower, spec.clipLo)));
    QVERIFY2(offCurve(plot, current, upper, spec.clipHi).isEmpty(),
             qPrintable(offCurve(plot, current, upper, spec.clipHi)));
    // The suggested pair marks both ends. The legend names the curve and the three markers;
    // the axis label tells the dashed clip_min curve apart.
    QCOMPARE(suggested->dataCount(), 2);
    QCOMPARE(plot->legend->itemCount(), 4);
    QVERIFY(plot->legend->hasItemWithPlottable(upper));
    QVERIFY(plot->xAxis->label().contains(QStringLiteral("clip_min (dashed)")));
    QCOMPARE(lower->pen().style(), Qt::DashLine);

    // The upper handle moves: its curve (clip_min held) still holds and carries the marker;
    // the lower curve was drawn for the old clip_max and is dimmed, without a marker.
    const QuantSpec moved = clipped(spec, spec.clipLo, 0.35 * max);
    showEstimateOf(view, tensor, moved);
    replotBoth(view);
    QCOMPARE(current->dataCount(), 1);
    QVERIFY2(offCurve(plot, current, upper, moved.clipHi).isEmpty(),
             qPrintable(offCurve(plot, current, upper, moved.clipHi)));
    QVERIFY(lower->pen().color().alpha() < upper->pen().color().alpha());
    view.setQuantAnalysis(exactOf(tensor, moved));
    replotBoth(view);
    QCOMPARE(current->dataCount(), 2);
    QVERIFY(offCurve(plot, current, lower, moved.clipLo).isEmpty());
    QVERIFY(offCurve(plot, current, upper, moved.clipHi).isEmpty());
    QCOMPARE(lower->pen().color().alpha(), upper->pen().color().alpha());

    // Symmetric keeps the one curve.
    showExactOf(view, tensor, makeSpec(4, Scheme::Symmetric));
    QVERIFY(joint->visible() && !lower->visible() && !upper->visible());
    QCOMPARE(plot->legend->itemCount(), 4);
    QVERIFY(plot->legend->hasItemWithPlottable(joint));
}

QTEST_MAIN(TestErrorPlot)
#include "tst_errorplot.moc"
