#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "plots/mappingplot.h"
#include "plots/plotstyle.h"
#include "plottext.h"

#include "plottext.h"

#include "analysis/tensoranalyzer.h"
#include "calib/mseestimator.h"
#include "quant/quantizer.h"
#include "stats/errorstats.h"
#include "stats/tensorstats.h"

#include "plottext.h"

#include <QCheckBox>
#include <QDir>
#include <QPair>
#include <QLabel>
#include <QSignalSpy>
#include <QSplitter>
#include <QTest>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <cmath>
#include <random>

using namespace qs;
using namespace qs::ui;

namespace {

std::shared_ptr<const TensorAnalysis> analysisOf(std::vector<float> values) {
    TensorInfo info;
    info.name = "model.layers.0.self_attn.q_proj.weight";
    info.dtype = DType::BF16;
    info.shape = {std::int64_t(values.size())};
    auto analysis = std::make_shared<TensorAnalysis>();
    analysis->tensor = FloatTensor::fromVector(info, std::move(values));
    analysis->stats = *computeStats(analysis->tensor->values());
    return analysis;
}

// A weight-like tensor: a normal bulk (σ = 0.02) and 40 outliers out to ±0.15, mean 0.
std::shared_ptr<const TensorAnalysis> makeTensor(std::size_t n = 200000, unsigned seed = 7) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> bulk(0.0f, 0.02f);
    std::vector<float> values(n);
    for (float &v : values)
        v = bulk(rng);
    for (std::size_t i = 0; i < 40; ++i)
        values[i * (n / 40)] = (i % 2 ? 1.0f : -1.0f) * (0.08f + 0.0017f * float(i));
    return analysisOf(std::move(values));
}

// 1000 values evenly over [-0.04, 0.04], 10 at -0.09 and 30 at +0.09: known tails beyond ±0.05.
std::shared_ptr<const TensorAnalysis> makeTailTensor() {
    std::vector<float> values;
    for (int i = 0; i < 1000; ++i)
        values.push_back(-0.04f + 0.08f * float(i) / 999.0f);
    values.insert(values.end(), 10, -0.09f);
    values.insert(values.end(), 30, 0.09f);
    return analysisOf(std::move(values));
}

QuantSpec makeSpec(int bits, Scheme scheme, RangeMode mode = RangeMode::NonSaturating, double lo = 0,
                   double hi = 0) {
    QuantSpec spec;
    spec.bits = bits;
    spec.scheme = scheme;
    spec.rangeMode = mode;
    spec.clipLo = lo;
    spec.clipHi = hi;
    return spec;
}

template <typename T>
QList<T *> visibleChildren(QCustomPlot *plot, const QString &name) {
    QList<T *> visible;
    for (T *child : plot->findChildren<T *>(name))
        if (child->visible())
            visible.append(child);
    return visible;
}

// Shows a widget at a fixed size and lays its plots out so pixel mappings are valid.
void showAndLayout(QWidget *widget, const QList<QCustomPlot *> &plots) {
    widget->resize(900, 420);
    widget->show();
    QVERIFY(QTest::qWaitForWindowExposed(widget));
    for (QCustomPlot *plot : plots)
        plot->replot(QCustomPlot::rpImmediateRefresh);
}

// While developing, QUANTSCOPE_PLOT_GRABS=DIR saves what each test drew, for a human to look at.
void saveGrab(QWidget *widget, const QString &name) {
    const QString dir = qEnvironmentVariable("QUANTSCOPE_PLOT_GRABS");
    if (!dir.isEmpty())
        widget->grab().save(QDir(dir).filePath(name + QStringLiteral(".png")));
}

// One key value of the mapping plot: which axis it is on and where.
struct MappingKey {
    QString key;
    bool onFloatAxis;
    double value;
};

// The keys every mapping must label (UI.md): 0, clip_min, clip_max on the float axis, the tensor's
// min and max too when saturating; qmin, qmax and z on the integer axis.
std::vector<MappingKey> mappingKeys(double tensorMin, double tensorMax, const QuantSpec &spec,
                                    const QuantParams &params) {
    std::vector<MappingKey> keys = {{QStringLiteral("0"), true, 0.0},
                                    {QStringLiteral("clip_min"), true, params.clipMin},
                                    {QStringLiteral("clip_max"), true, params.clipMax},
                                    {QStringLiteral("qmin"), false, double(params.qmin)},
                                    {QStringLiteral("qmax"), false, double(params.qmax)},
                                    {QStringLiteral("z"), false, double(params.zeroPoint)}};
    if (spec.rangeMode == RangeMode::Saturating) {
        keys.push_back({QStringLiteral("min"), true, tensorMin});
        keys.push_back({QStringLiteral("max"), true, tensorMax});
    }
    return keys;
}

// The first thing wrong with the mapping plot's labels, or an empty string: every key is named by
// exactly one visible label, which spans the key's value on its axis, prints that value (to the 3
// significant digits shown) and lies on the outer side of its axis; keys of equal value share a
// label ("clip_max = max"); no two texts overlap and none leaves the plot.
QString mappingLabelProblem(MappingPlot &view, double tensorMin, double tensorMax, const QuantSpec &spec,
                            const QuantParams &params) {
    QCustomPlot *plot = view.plot();
    plot->replot(QCustomPlot::rpImmediateRefresh);
    const std::vector<MappingKey> keys = mappingKeys(tensorMin, tensorMax, spec, params);
    for (const MappingKey &key : keys) {
        const QString name =
            key.onFloatAxis ? QStringLiteral("floatKeyLabel") : QStringLiteral("codeKeyLabel");
        QList<QCPItemText *> naming;
        for (QCPItemText *label : test::visibleTextItems(plot, name))
            if (label->property("keys").toStringList().contains(key.key))
                naming.append(label);
        if (naming.size() != 1)
            return QStringLiteral("%1 labels name %2").arg(naming.size()).arg(key.key);
        QCPItemText *label = naming.first();
        const QRectF rect = test::textRect(label);
        const QCPAxis *axis = key.onFloatAxis ? plot->xAxis2 : plot->xAxis;
        const double x = axis->coordToPixel(key.value);
        if (x < rect.left() || x > rect.right())
            return QStringLiteral("'%1' at x %2…%3 does not span %4 at x %5")
                .arg(label->text())
                .arg(rect.left())
                .arg(rect.right())
                .arg(key.key)
                .arg(x);
        const double printed = label->text().section(u'\n', 0, 0).toDouble();
        if (std::abs(printed - key.value) > 5e-3 * std::abs(key.value))
            return QStringLiteral("'%1' does not print %2 = %3").arg(label->text(), key.key).arg(key.value);
        const double axisY = plot->yAxis->coordToPixel(key.onFloatAxis ? 1.0 : 0.0);
        if (key.onFloatAxis ? rect.bottom() > axisY : rect.top() < axisY)
            return QStringLiteral("'%1' is on the inner side of its axis").arg(label->text());
        for (const MappingKey &other : keys) {
            const bool shared = label->property("keys").toStringList().contains(other.key);
            if (other.onFloatAxis == key.onFloatAxis && other.value == key.value && !shared)
                return QStringLiteral("%1 and %2 have one value but two labels").arg(key.key, other.key);
        }
    }
    if (const QString overlap = test::firstTextOverlap(plot); !overlap.isEmpty())
        return overlap;
    return test::firstTextOutside(plot);
}

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

} // namespace

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
    void mappingZeroPoint_data();
    void mappingZeroPoint();
    void mappingSaturation_data();
    void mappingSaturation();
    void mappingKeyLabels_data();
    void mappingKeyLabels();
    void mappingKeyLabelsFollowResize();
    void mappingWithoutFiniteValues();
    void errorPlotMarkers();
    void errorPlotFromExactPass();
    void followsPalette();
    void tailLabelsStayApart_data();
    void tailLabelsStayApart();
    void viewStaysAfterDrag_data();
    void viewStaysAfterDrag();
    void grabZone();
    void keyboardNudges_data();
    void keyboardNudges();
    void errorPlotLayout_data();
    void errorPlotLayout();
    void errorPlotRangesStayWhileDragging();
    void errorPlotAsymmetricMarkersOnCurves();
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
    auto tensor = makeTensor();
    const QuantSpec spec = makeSpec(8, Scheme::Symmetric);
    view.setTensor(tensor);
    view.setQuantization(spec, paramsForTensor(spec, tensor->stats.min, tensor->stats.max), 0.0);
    showAndLayout(&view, {view.plot()});
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

void TestPlots::mappingZeroPoint_data() {
    QTest::addColumn<int>("scheme");
    QTest::addColumn<qint64>("zeroPoint");
    QTest::addColumn<qint64>("qmin");
    QTest::addColumn<qint64>("qmax");
    // Tensor [-0.2, 1.0], 8 bits. Asymmetric: s = 1.2 / 255, z = 0 - round_half_even(-0.2 / s)
    // = -round(-42.5) = 42 on [0, 255]. Symmetric: z = 0 on [-128, 127].
    QTest::addRow("asymmetric") << int(Scheme::Asymmetric) << qint64(42) << qint64(0) << qint64(255);
    QTest::addRow("symmetric") << int(Scheme::Symmetric) << qint64(0) << qint64(-128) << qint64(127);
}

void TestPlots::mappingZeroPoint() {
    QFETCH(int, scheme);
    QFETCH(qint64, zeroPoint);
    QFETCH(qint64, qmin);
    QFETCH(qint64, qmax);
    MappingPlot view;
    const QuantSpec spec = makeSpec(8, Scheme(scheme));
    const QuantParams params = paramsForTensor(spec, -0.2, 1.0);
    QCOMPARE(params.zeroPoint, zeroPoint);
    view.setMapping(-0.2, 1.0, spec, params);
    showAndLayout(&view, {view.plot()});
    saveGrab(&view, QStringLiteral("mapping-%1").arg(QString::fromUtf8(schemeName(Scheme(scheme)))));

    auto *zero = view.plot()->findChild<QCPItemLine *>(QStringLiteral("zeroPointLine"));
    QVERIFY(zero && zero->visible());
    // Starts at 0 on the float axis (top), ends at z on the integer axis (bottom).
    QCOMPARE(zero->start->keyAxis(), view.plot()->xAxis2);
    QCOMPARE(zero->start->coords().x(), 0.0);
    QCOMPARE(zero->end->keyAxis(), view.plot()->xAxis);
    QCOMPARE(zero->end->coords().x(), double(zeroPoint));
    QCOMPARE(zero->end->pixelPosition().x(), view.plot()->xAxis->coordToPixel(double(zeroPoint)));
    QCOMPARE(zero->end->pixelPosition().y(), view.plot()->yAxis->coordToPixel(0.0));
    // clip_min → qmin and clip_max → qmax.
    auto *low = view.plot()->findChild<QCPItemLine *>(QStringLiteral("clipMinLine"));
    auto *high = view.plot()->findChild<QCPItemLine *>(QStringLiteral("clipMaxLine"));
    QCOMPARE(low->start->coords().x(), params.clipMin);
    QCOMPARE(low->end->coords().x(), double(qmin));
    QCOMPARE(high->start->coords().x(), params.clipMax);
    QCOMPARE(high->end->coords().x(), double(qmax));
    // The integer axis is labelled with its ends and the zero point.
    QStringList ticks;
    for (QCPItemText *label : test::visibleTextItems(view.plot(), QStringLiteral("codeKeyLabel")))
        ticks << label->text();
    QVERIFY(std::any_of(ticks.begin(), ticks.end(),
                        [&](const QString &t) { return t.startsWith(QString::number(zeroPoint)); }));
}

void TestPlots::mappingSaturation_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<bool>("saturated");
    QTest::addRow("non-saturating") << int(RangeMode::NonSaturating) << false;
    QTest::addRow("saturating") << int(RangeMode::Saturating) << true;
}

void TestPlots::mappingSaturation() {
    QFETCH(int, mode);
    QFETCH(bool, saturated);
    MappingPlot view;
    // Tensor [-1, 1]; saturating at ±0.5 leaves [-1, -0.5) and (0.5, 1] beyond the clip range.
    const QuantSpec spec = makeSpec(4, Scheme::Symmetric, RangeMode(mode), -0.5, 0.5);
    const QuantParams params = paramsForTensor(spec, -1.0, 1.0);
    view.setMapping(-1.0, 1.0, spec, params);
    showAndLayout(&view, {view.plot()});
    saveGrab(&view, QStringLiteral("mapping-%1").arg(QString::fromUtf8(rangeModeName(RangeMode(mode)))));
    auto *high = view.plot()->findChild<QCPCurve *>(QStringLiteral("saturatedHigh"));
    auto *low = view.plot()->findChild<QCPCurve *>(QStringLiteral("saturatedLow"));
    QCOMPARE(high->data()->isEmpty(), !saturated);
    QCOMPARE(low->data()->isEmpty(), !saturated);
    if (saturated) {
        // The wedge's bottom corner is qmax = 7: every value above 0.5 lands there.
        bool hasCorner = false;
        for (const QCPCurveData &point : *high->data())
            hasCorner |= point.key == 7.0 && point.value == 0.0;
        QVERIFY(hasCorner);
    }
    // Sample values with their codes, each one consistent with the quantizer.
    const auto labels = visibleChildren<QCPItemText>(view.plot(), QStringLiteral("sampleLabel"));
    QVERIFY(labels.size() >= 3 && labels.size() <= 5);
}

// The user report: clip labels vanished within 64 px of the "0" label (clip_min when saturating
// at ±max, clip_max at the default window width). Every key label must show at every width.
void TestPlots::mappingKeyLabels_data() {
    QTest::addColumn<double>("tensorMin");
    QTest::addColumn<double>("tensorMax");
    QTest::addColumn<int>("bits");
    QTest::addColumn<int>("scheme");
    QTest::addColumn<bool>("narrow");
    QTest::addColumn<int>("mode");
    QTest::addColumn<double>("clipLo");
    QTest::addColumn<double>("clipHi");
    QTest::addColumn<QSize>("size");
    struct Case {
        const char *name;
        double tensorMin;
        double tensorMax;
        int bits;
        Scheme scheme;
        bool narrow;
        RangeMode mode;
        double clipLo;
        double clipHi;
    };
    constexpr auto sym = Scheme::Symmetric;
    constexpr auto asym = Scheme::Asymmetric;
    constexpr auto full = RangeMode::NonSaturating;
    constexpr auto sat = RangeMode::Saturating;
    // The demo checkpoint's embed_tokens range [-0.1006, 0.1025] and the asymmetric [-0.2, 1.0] of
    // mappingZeroPoint (z = 42), at each bit width; then the saturating cases of the report, z close
    // to either end, z on qmin with 0 = clip_min, and very large and very small values.
    const Case cases[] = {
        {"sym8", -0.1006, 0.1025, 8, sym, false, full, 0, 0},
        {"sym8 narrow", -0.1006, 0.1025, 8, sym, true, full, 0, 0},
        {"asym8", -0.2, 1.0, 8, asym, false, full, 0, 0},
        {"sym2", -0.1006, 0.1025, 2, sym, false, full, 0, 0},
        {"asym4", -0.2, 1.0, 4, asym, false, full, 0, 0},
        {"sym16", -0.1006, 0.1025, 16, sym, false, full, 0, 0},
        {"asym16", -0.2, 1.0, 16, asym, false, full, 0, 0},
        {"sym8 saturating at max", -0.1006, 0.1025, 8, sym, false, sat, -0.1025, 0.1025},
        {"asym8 saturating at min and max", -0.2, 1.0, 8, asym, false, sat, -0.2, 1.0},
        {"sym8 saturating at 2 %", -0.1006, 0.1025, 8, sym, false, sat, -0.00205, 0.00205},
        {"asym8 saturating at 2 %", -0.2, 1.0, 8, asym, false, sat, -0.004, 0.02},
        {"sym4 saturating at 2 %", -0.1006, 0.1025, 4, sym, false, sat, -0.00205, 0.00205},
        {"asym8 z near qmin", -0.01, 1.0, 8, asym, false, full, 0, 0},
        {"asym8 z near qmax", -1.0, 0.01, 8, asym, false, full, 0, 0},
        {"asym8 z at qmin", 0.0, 1.0, 8, asym, false, full, 0, 0},
        {"asym4 saturating z near qmax", -1.0, 0.2, 4, asym, false, sat, -0.9, 0.05},
        {"sym8 large values", -1234.5, 5678.9, 8, sym, false, full, 0, 0},
        {"asym8 tiny values", -3.1e-6, 7.4e-6, 8, asym, false, full, 0, 0},
    };
    const QSize sizes[] = {{300, 250}, {450, 300}, {550, 340}, {900, 420}};
    for (const Case &c : cases)
        for (const QSize &size : sizes)
            QTest::addRow("%s %dx%d", c.name, size.width(), size.height())
                << c.tensorMin << c.tensorMax << c.bits << int(c.scheme) << c.narrow << int(c.mode)
                << c.clipLo << c.clipHi << size;
}

void TestPlots::mappingKeyLabels() {
    QFETCH(double, tensorMin);
    QFETCH(double, tensorMax);
    QFETCH(int, bits);
    QFETCH(int, scheme);
    QFETCH(bool, narrow);
    QFETCH(int, mode);
    QFETCH(double, clipLo);
    QFETCH(double, clipHi);
    QFETCH(QSize, size);
    QuantSpec spec = makeSpec(bits, Scheme(scheme), RangeMode(mode), clipLo, clipHi);
    spec.narrow = narrow;
    const QuantParams params = paramsForTensor(spec, tensorMin, tensorMax);
    MappingPlot view;
    view.setMapping(tensorMin, tensorMax, spec, params);
    view.resize(size);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCOMPARE(view.plot()->width(), size.width());
    const QString problem = mappingLabelProblem(view, tensorMin, tensorMax, spec, params);
    saveGrab(&view, QStringLiteral("mapping-labels-%1").arg(QString::fromUtf8(QTest::currentDataTag())));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    // The plot fits its window: nothing asked for more height than the rows need.
    QCOMPARE(view.height(), size.height());
    // Samples give way to key labels, but at least one shows how a value rounds.
    const auto samples = test::visibleTextItems(view.plot(), QStringLiteral("sampleLabel"));
    QVERIFY(!samples.isEmpty());
    QCOMPARE(visibleChildren<QCPItemLine>(view.plot(), QStringLiteral("sampleLine")).size(), samples.size());
}

// Shrinking the window re-lays the labels out without a new mapping; merged labels read as such.
void TestPlots::mappingKeyLabelsFollowResize() {
    // Saturating at ±max: clip_max is max itself (one label), clip_min = -0.1025 sits 2 px from
    // min = -0.1006, and z = qmin on the integer axis cannot happen (symmetric), so check both
    // merges on an asymmetric [0, 1] mapping too: clip_min = 0 and z = qmin = 0.
    const QuantSpec spec = makeSpec(8, Scheme::Symmetric, RangeMode::Saturating, -0.1025, 0.1025);
    const QuantParams params = paramsForTensor(spec, -0.1006, 0.1025);
    QCOMPARE(params.clipMax, 0.1025);
    MappingPlot view;
    view.setMapping(-0.1006, 0.1025, spec, params);
    view.resize(900, 420);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    for (const QSize size : {QSize(900, 420), QSize(300, 250), QSize(450, 300)}) {
        view.resize(size);
        QTRY_COMPARE(view.plot()->width(), size.width());
        const QString problem = mappingLabelProblem(view, -0.1006, 0.1025, spec, params);
        QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("%1 px: %2").arg(size.width()).arg(problem)));
    }
    QStringList texts;
    for (QCPItemText *label : test::visibleTextItems(view.plot(), QStringLiteral("floatKeyLabel")))
        texts << label->text();
    QVERIFY2(texts.contains(QStringLiteral("0.102\nclip_max = max")), qPrintable(texts.join(u'|')));

    const QuantSpec asym = makeSpec(8, Scheme::Asymmetric);
    const QuantParams fromZero = paramsForTensor(asym, 0.0, 1.0);
    // [0, 1] on [0, 255]: z = 0 - round(0 / s) = 0 = qmin, and clip_min = 0.
    QCOMPARE(fromZero.zeroPoint, fromZero.qmin);
    view.setMapping(0.0, 1.0, asym, fromZero);
    const QString problem = mappingLabelProblem(view, 0.0, 1.0, asym, fromZero);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    texts.clear();
    for (const QString &name : {QStringLiteral("floatKeyLabel"), QStringLiteral("codeKeyLabel")})
        for (QCPItemText *label : test::visibleTextItems(view.plot(), name))
            texts << label->text();
    QVERIFY2(texts.contains(QStringLiteral("0\nqmin = z")), qPrintable(texts.join(u'|')));
    QVERIFY2(texts.contains(QStringLiteral("0\nclip_min")), qPrintable(texts.join(u'|')));
}

// An empty or all-NaN tensor (no finite min / max) still shows its mapping, with every key label.
void TestPlots::mappingWithoutFiniteValues() {
    const QuantSpec spec = makeSpec(8, Scheme::Symmetric);
    const QuantParams params = computeParams(spec, -1.0, 1.0);
    MappingPlot view;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    view.setMapping(nan, nan, spec, params);
    view.resize(450, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QString problem = mappingLabelProblem(view, params.clipMin, params.clipMax, spec, params);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

void TestPlots::errorPlotMarkers() {
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
void TestPlots::errorPlotFromExactPass() {
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
    auto tensor = makeTensor();
    const QuantSpec spec = makeSpec(8, Scheme(scheme));
    view.setTensor(tensor);
    view.setQuantization(spec, paramsForTensor(spec, tensor->stats.min, tensor->stats.max), 0.0);
    showAndLayout(&view, {view.plot()});
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
    auto tensor = makeTensor();
    const QuantSpec spec = makeSpec(8, Scheme::Symmetric);
    view.setTensor(tensor);
    view.setQuantization(spec, paramsForTensor(spec, tensor->stats.min, tensor->stats.max), 0.0);
    showAndLayout(&view, {view.plot()});
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

void TestPlots::errorPlotLayout_data() {
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
void TestPlots::errorPlotLayout() {
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
void TestPlots::errorPlotRangesStayWhileDragging() {
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
void TestPlots::errorPlotAsymmetricMarkersOnCurves() {
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

QTEST_MAIN(TestPlots)
#include "tst_plots.moc"
