#include "plots/mappingplot.h"
#include "plots/plotstyle.h"
#include "quant/quantizer.h"

#include "plotfixtures.h"
#include "plottext.h"
#include <QLabel>

#include <QSignalSpy>
#include <QTest>

#include <qcustomplot.h>

#include <cmath>
#include <map>

using namespace qs;
using namespace qs::ui;
using namespace qs::test;

namespace {

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

} // namespace

class TestMappingPlot : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void mappingZeroPoint_data();
    void mappingZeroPoint();
    void mappingSaturation_data();
    void mappingSaturation();
    void mappingKeyLabels_data();
    void mappingKeyLabels();
    void mappingKeyLabelsFollowResize();
    void mappingWithoutFiniteValues();
    void levelCodesNameTheAxisEnds();
};

void TestMappingPlot::mappingZeroPoint_data() {
    QTest::addColumn<int>("scheme");
    QTest::addColumn<qint64>("zeroPoint");
    QTest::addColumn<qint64>("qmin");
    QTest::addColumn<qint64>("qmax");
    // Tensor [-0.2, 1.0], 8 bits. Asymmetric: s = 1.2 / 255, z = 0 - round_half_even(-0.2 / s)
    // = -round(-42.5) = 42 on [0, 255]. Symmetric: z = 0 on [-128, 127].
    QTest::addRow("asymmetric") << int(Scheme::Asymmetric) << qint64(42) << qint64(0) << qint64(255);
    QTest::addRow("symmetric") << int(Scheme::Symmetric) << qint64(0) << qint64(-128) << qint64(127);
}

void TestMappingPlot::mappingZeroPoint() {
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

void TestMappingPlot::mappingSaturation_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<bool>("saturated");
    QTest::addRow("non-saturating") << int(RangeMode::NonSaturating) << false;
    QTest::addRow("saturating") << int(RangeMode::Saturating) << true;
}

void TestMappingPlot::mappingSaturation() {
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
void TestMappingPlot::mappingKeyLabels_data() {
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

void TestMappingPlot::mappingKeyLabels() {
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
void TestMappingPlot::mappingKeyLabelsFollowResize() {
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
void TestMappingPlot::mappingWithoutFiniteValues() {
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

// A scheme's levels with their stored codes: the code axis' ends name the codes of the lowest and
// highest level (here a Q4_0 block whose d is negative, so nibble 15 is the lowest level), the
// caption says so, and a resize redraws them. Without codes the ends are positions 0 and n - 1.
void TestMappingPlot::levelCodesNameTheAxisEnds() {
    std::vector<double> levels;
    for (int k = 0; k < 16; ++k)
        levels.push_back(-0.1 + 0.0125 * k);
    const MappingPlot::EndCodes codes{QStringLiteral("15"), QStringLiteral("0")};
    MappingPlot view;
    view.resize(700, 320);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const auto endTexts = [&view] {
        std::map<double, QString> ends; // by position on the code axis
        for (QCPItemText *label : test::visibleTextItems(view.plot(), QStringLiteral("codeKeyLabel")))
            ends[label->position->pixelPosition().x()] = label->text();
        QStringList texts;
        for (const auto &[x, text] : ends)
            texts << text;
        return texts;
    };
    const auto caption = [&view] {
        QStringList texts;
        for (QCPItemText *label : test::visibleTextItems(view.plot(), QStringLiteral("mappingFormula")))
            texts << label->text();
        return texts.join(u'|');
    };
    view.setLevels(levels, -0.1, 0.09, QStringLiteral("q4_0 · group 3"), codes);
    QCOMPARE(endTexts(), (QStringList{QStringLiteral("15"), QStringLiteral("0")}));
    QVERIFY2(caption().contains(QStringLiteral("stored as its code")), qPrintable(caption()));
    QVERIFY(view.plot()->toolTip().contains(QStringLiteral("lowest level (15)")));
    view.resize(520, 300);
    QTRY_COMPARE(view.plot()->width(), 520);
    QCOMPARE(endTexts(), (QStringList{QStringLiteral("15"), QStringLiteral("0")}));

    view.setLevels(levels, -0.1, 0.09, QStringLiteral("q4_0 · group 3"));
    QCOMPARE(endTexts(), (QStringList{QStringLiteral("0"), QStringLiteral("15")}));
    QVERIFY2(caption().contains(QStringLiteral("its index")), qPrintable(caption()));

    // A float format's bits are codes, not integers: the title says so, and an int mapping after
    // it says integer again.
    auto *title = view.findChild<QLabel *>(QStringLiteral("mappingTitle"));
    QVERIFY(title);
    QCOMPARE(title->text(), QStringLiteral("Mapping float → integer"));
    view.setLevels(levels, -0.1, 0.09, QStringLiteral("fp8_e4m3 · group 0"),
                   MappingPlot::EndCodes{QStringLiteral("0xFE"), QStringLiteral("0x7E"), true});
    QCOMPARE(title->text(), QStringLiteral("Mapping float → code"));
    QCOMPARE(endTexts(), (QStringList{QStringLiteral("0xFE"), QStringLiteral("0x7E")}));
    const QuantSpec spec = makeSpec(8, Scheme::Symmetric);
    view.setMapping(-1.0, 1.0, spec, computeParams(spec, -1.0, 1.0));
    QCOMPARE(title->text(), QStringLiteral("Mapping float → integer"));
}

QTEST_MAIN(TestMappingPlot)
#include "tst_mappingplot.moc"
