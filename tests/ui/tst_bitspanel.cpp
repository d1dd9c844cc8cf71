#include "analysiscontroller.h"
#include "bitspanel.h"
#include "displayformat.h"
#include "mainwindow.h"
#include "plots/histogramplot.h"
#include "schemecontrols.h"
#include "shortcutsdialog.h"
#include "statspanel.h"

#include "analysis/analysisresult.h"
#include "quant/halffloat.h"
#include "windowfixture.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QDockWidget>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <bit>
#include <cmath>
#include <memory>

using qs::FloatLayout;
using qs::ui::AnalysisController;
using qs::ui::BitsPanel;
using qs::ui::MainWindow;
using Field = BitsPanel::Field;
using Side = BitsPanel::Side;

namespace {

constexpr int kTimeoutMs = 30000;

QString hex32(float x) {
    return QStringLiteral("0x") +
           QString::number(std::bit_cast<std::uint32_t>(x), 16).toUpper().rightJustified(8, u'0');
}

void type(BitsPanel &panel, const QString &text) {
    panel.valueEdit()->clear();
    QTest::keyClicks(panel.valueEdit(), text);
}

} // namespace

class TestBitsPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void typedPointOne();
    void tinyValueInF16AndBf16();
    void invalidInputKeepsValue();
    void formatFollowsScheme();
    void hoverFollowsUntilPicked();
    void explainsFormat();
    void hoverHistogramInWindow();
    void windowFollowsSchemeFormat();
    void dockRemembered();
    void castFiguresInWords();

private:
    void openWindow();
    QPoint histogramPixel(double x) const;

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
};

void TestBitsPanel::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

// 0.1 typed: float32 0x3DCCCCCD (sign 0, exponent 123, mantissa 0x4CCCCD); F16 0x2E66 =
// 2^(11 − 15) · (1 + 0x266/1024) = 0.0999755859375 (IEEE 754 binary16, by hand).
void TestBitsPanel::typedPointOne() {
    BitsPanel panel;
    panel.setFormat(FloatLayout::F16);
    type(panel, QStringLiteral("0.1"));
    QCOMPARE(panel.value(), 0.1);
    QVERIFY(panel.isPinned()); // a typed value is not replaced by the next hover
    QCOMPARE(panel.text(Field::Code, Side::Fp32), QStringLiteral("0x3DCCCCCD"));
    QVERIFY(panel.text(Field::Exponent, Side::Fp32).startsWith(QStringLiteral("123 − bias 127 = -4")));
    QVERIFY(panel.text(Field::Mantissa, Side::Fp32).startsWith(QStringLiteral("0x4CCCCD")));
    QCOMPARE(panel.text(Field::Value, Side::Fp32), QStringLiteral("0.100000001490116119384765625"));
    QVERIFY(panel.text(Field::Kind, Side::Fp32).contains(QStringLiteral("nearest float32 to 0.1")));

    QCOMPARE(panel.text(Field::Code), QStringLiteral("0x2E66"));
    QCOMPARE(panel.text(Field::Sign), QStringLiteral("0 (+)"));
    QCOMPARE(panel.text(Field::Exponent), QStringLiteral("11 − bias 15 = -4"));
    QVERIFY2(panel.text(Field::Mantissa).startsWith(QStringLiteral("0x266 = 614: 1 + 614/1024")),
             qPrintable(panel.text(Field::Mantissa)));
    QCOMPARE(panel.bitsText(Side::Format), QStringLiteral("0 01011 1001100110"));
    QCOMPARE(panel.bitsText(Side::Fp32), QStringLiteral("0 01111011 10011001100110011001101"));
    QCOMPARE(panel.text(Field::Value), QStringLiteral("0.0999755859375"));
    QCOMPARE(panel.text(Field::Kind), QStringLiteral("normal"));
    // Neighbours 1637/16384 and 1639/16384; error 0.0999755859375 − 0.100000001490116… .
    QCOMPARE(panel.text(Field::Below), QStringLiteral("0.09991455078125"));
    QCOMPARE(panel.text(Field::Above), QStringLiteral("0.10003662109375"));
    QVERIFY(panel.text(Field::AbsoluteError).startsWith(QStringLiteral("-2.44156e-05")));
    QVERIFY(panel.text(Field::RelativeError).startsWith(QStringLiteral("-0.000244")));
}

// 1e-30 is below half of F16's smallest subnormal 2^-24: zero. BF16 has float32's exponent range:
// 0x0DA2, a normal number (float32 0x0DA24260 rounded to its top 16 bits).
void TestBitsPanel::tinyValueInF16AndBf16() {
    BitsPanel panel;
    panel.setFormat(FloatLayout::F16);
    type(panel, QStringLiteral("1e-30"));
    QCOMPARE(panel.text(Field::Code), QStringLiteral("0x0000"));
    QVERIFY2(panel.text(Field::Kind).startsWith(QStringLiteral("zero: underflow")),
             qPrintable(panel.text(Field::Kind)));
    QCOMPARE(panel.text(Field::Value), QStringLiteral("0"));
    QVERIFY(panel.text(Field::RelativeError).startsWith(QStringLiteral("-1 ")));
    panel.setFormat(FloatLayout::BF16);
    QCOMPARE(panel.formatBox()->currentText(), QStringLiteral("BF16"));
    QCOMPARE(panel.text(Field::Code), QStringLiteral("0x0DA2"));
    QCOMPARE(panel.text(Field::Kind), QStringLiteral("normal"));
    QCOMPARE(panel.text(Field::Exponent), QStringLiteral("27 − bias 127 = -100"));
    // -65520 overflows F16 to −infinity (65520 = 65504 + half a step of 32).
    panel.setFormat(FloatLayout::F16);
    type(panel, QStringLiteral("-65520"));
    QCOMPARE(panel.text(Field::Code), QStringLiteral("0xFC00"));
    QVERIFY(panel.text(Field::Kind).startsWith(QStringLiteral("infinity: overflow")));
    QCOMPARE(panel.text(Field::Above), QStringLiteral("-65504"));
}

void TestBitsPanel::invalidInputKeepsValue() {
    BitsPanel panel;
    type(panel, QStringLiteral("0.5"));
    QVERIFY(panel.message().isEmpty());
    // Each key press is read: "12abc" would show 12, then say what is wrong with "12a".
    type(panel, QStringLiteral("abc"));
    QVERIFY(panel.message().contains(QStringLiteral("“abc” is not a number")));
    QCOMPARE(panel.value(), 0.5);
    QCOMPARE(panel.text(Field::Value), QStringLiteral("0.5"));
    type(panel, QString());
    QVERIFY(!panel.message().isEmpty());
    type(panel, QStringLiteral("inf"));
    QVERIFY(panel.message().isEmpty());
    QVERIFY(std::isinf(panel.value()));
    QVERIFY(panel.text(Field::Kind).startsWith(QStringLiteral("infinity")));
}

// Schemes storing float elements set the format (fp8_e4m3 and mxfp8: E4M3, mxfp4 and nvfp4:
// E2M1, f16, bf16); int, nf4 and ggml's types leave the user's choice.
void TestBitsPanel::formatFollowsScheme() {
    BitsPanel panel;
    QSignalSpy changed(&panel, &BitsPanel::formatChanged);
    const int e5m2 = panel.formatBox()->findText(QStringLiteral("E5M2"));
    panel.formatBox()->setCurrentIndex(e5m2);
    Q_EMIT panel.formatBox()->activated(e5m2); // the user's choice
    QCOMPARE(panel.format(), FloatLayout::E5M2);
    panel.followFormat(qs::NumberFormat::Int);
    QCOMPARE(panel.format(), FloatLayout::E5M2);
    panel.followFormat(qs::NumberFormat::MxFp4);
    QCOMPARE(panel.format(), FloatLayout::E2M1);
    QCOMPARE(panel.formatBox()->currentText(), QStringLiteral("E2M1"));
    panel.followFormat(qs::NumberFormat::Nf4);
    QCOMPARE(panel.format(), FloatLayout::E2M1);
    panel.followFormat(qs::NumberFormat::MxFp8);
    QCOMPARE(panel.format(), FloatLayout::E4M3);
    panel.followFormat(qs::NumberFormat::BF16);
    QCOMPARE(panel.format(), FloatLayout::BF16);
    QCOMPARE(changed.size(), 4);
}

void TestBitsPanel::hoverFollowsUntilPicked() {
    BitsPanel panel;
    QVERIFY(!panel.isPinned());
    panel.hoverValue(1.0);
    QCOMPARE(panel.value(), 1.0);
    QCOMPARE(panel.valueEdit()->text(), QStringLiteral("1"));
    panel.pickValue(2.0);
    QVERIFY(panel.isPinned());
    QVERIFY(panel.pinText().contains(QStringLiteral("Pinned")));
    panel.hoverValue(3.0);
    QCOMPARE(panel.value(), 2.0);
    panel.pickValue(4.0); // the next click picks another value
    QCOMPARE(panel.value(), 4.0);
    panel.setPinned(false);
    panel.hoverValue(5.0);
    QCOMPARE(panel.value(), 5.0);
}

// The facts come from the formats' definitions: F16 bias 15, max 65504, 2^-14, 2^-24; E4M3
// bias 7, max 448 and saturating in Quantscope's encoder.
void TestBitsPanel::explainsFormat() {
    BitsPanel panel;
    panel.setFormat(FloatLayout::F16);
    QString facts = panel.factsText();
    for (const char *part : {"5 exponent and 10 mantissa bits; bias 15", "Largest finite: 65504",
                             "2^-14 = 0.00006103515625", "2^-24 = 5.9604644775390625e-8", "±infinity"})
        QVERIFY2(facts.contains(QString::fromUtf8(part)), part);
    panel.setFormat(FloatLayout::E4M3);
    facts = panel.factsText();
    for (const char *part : {"bias 7", "Largest finite: 448", "saturates", "S.1111.111 is NaN"})
        QVERIFY2(facts.contains(QString::fromUtf8(part)), part);
    panel.setFormat(FloatLayout::E2M1);
    QVERIFY(panel.factsText().contains(QStringLiteral("Largest finite: 6.")));
}

void TestBitsPanel::openWindow() {
    m_window = std::make_unique<MainWindow>();
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    QVERIFY(m_window->openFile(m_demo));
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
}

// Mid-height of the plot area at value x.
QPoint TestBitsPanel::histogramPixel(double x) const {
    QCustomPlot *plot = m_window->histogramPlot()->plot();
    const QRect area = plot->axisRect()->rect();
    return QPoint(int(std::lround(plot->xAxis->coordToPixel(x))), area.center().y());
}

// The GUI test: with the Bits panel open, hovering the histogram shows the value under
// the mouse; a click pins it until the next click.
void TestBitsPanel::hoverHistogramInWindow() {
    openWindow();
    QVERIFY(!m_window->bitsDock()->isVisible());
    QTest::keyClick(m_window.get(), Qt::Key_B, Qt::ControlModifier | Qt::ShiftModifier);
    QTRY_VERIFY(m_window->bitsDock()->isVisible());
    QVERIFY(m_window->bitsAction()->isChecked());
    QCOMPARE(m_window->showShortcuts()->keysFor(QStringLiteral("Bits Panel")),
             QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_B).toString(QKeySequence::NativeText));

    BitsPanel *panel = m_window->bitsPanel();
    QCustomPlot *plot = m_window->histogramPlot()->plot();
    // The dock takes its width from the plots in a later layout pass, and the exact figures now
    // come with the tensor's load, so nothing else waits for it: read the histogram's pixels
    // only once its plot area and range hold still across event loop turns.
    QRect lastArea;
    QCPRange lastRange;
    QTRY_VERIFY([&] {
        const QRect area = plot->axisRect()->rect();
        const QCPRange now = plot->xAxis->range();
        const bool still = area == lastArea && now == lastRange;
        lastArea = area;
        lastRange = now;
        return still;
    }());
    const QCPRange range = plot->xAxis->range();
    const QPoint hover = histogramPixel(range.lower + 0.3 * range.size());
    const double hovered = plot->xAxis->pixelToCoord(hover.x());
    QTest::mouseMove(plot, hover);
    QTRY_COMPARE(panel->value(), hovered);
    QVERIFY(!panel->isPinned());
    QCOMPARE(panel->text(Field::Code, Side::Fp32), hex32(float(hovered)));
    QCOMPARE(panel->bitsText(Side::Fp32).remove(u' ').size(), 32);
    QCOMPARE(panel->text(Field::Sign, Side::Fp32),
             hovered < 0 ? QStringLiteral("1 (−)") : QStringLiteral("0 (+)"));
    // The demo's first tensor is int per tensor: the format stays F16, whose code is the top half
    // of the float32 code for these normal values, rounded: within one of it.
    QCOMPARE(panel->format(), FloatLayout::F16);
    QVERIFY(panel->sourceText().contains(QStringLiteral("weights")));
    QVERIFY(!panel->text(Field::Below).isEmpty() && !panel->text(Field::Above).isEmpty());

    // A click pins the value under it; later hovers leave it.
    const QPoint pick = histogramPixel(range.lower + 0.6 * range.size());
    const double picked = plot->xAxis->pixelToCoord(pick.x());
    QTest::mouseClick(plot, Qt::LeftButton, {}, pick);
    QCOMPARE(panel->value(), picked);
    QVERIFY(panel->isPinned());
    QVERIFY(panel->pinText().contains(QStringLiteral("click the histogram again")));
    QTest::mouseMove(plot, hover);
    QCOMPARE(panel->value(), picked);
    QCOMPARE(panel->text(Field::Code, Side::Fp32), hex32(float(picked)));
    // The next click picks again.
    QTest::mouseClick(plot, Qt::LeftButton, {}, hover);
    QCOMPARE(panel->value(), hovered);
}

void TestBitsPanel::windowFollowsSchemeFormat() {
    openWindow();
    BitsPanel *panel = m_window->bitsPanel();
    panel->setFormat(FloatLayout::BF16);
    QComboBox *format = m_window->schemeControls()->formatBox();
    const auto choose = [&](const QString &name) {
        const int index = format->findText(name);
        QVERIFY2(index >= 0, qPrintable(name));
        format->setCurrentIndex(index);
        Q_EMIT format->activated(index);
    };
    choose(QStringLiteral("fp8_e4m3"));
    QCOMPARE(m_window->controller()->currentSpec().format, qs::NumberFormat::Fp8E4M3);
    QCOMPARE(panel->format(), FloatLayout::E4M3);
    QVERIFY(panel->sourceText().contains(QStringLiteral("fp8_e4m3")));
    choose(QStringLiteral("mxfp4"));
    QCOMPARE(panel->format(), FloatLayout::E2M1);
    // With the normalised view the histogram shows x / s, the elements the format encodes.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->controller()->currentScheme() != nullptr, kTimeoutMs);
    m_window->controller()->setNormalisedView(true);
    QVERIFY2(panel->sourceText().contains(QStringLiteral("value / scale")), qPrintable(panel->sourceText()));
    // int stores no floats: the last format stays.
    choose(QStringLiteral("int"));
    QCOMPARE(panel->format(), FloatLayout::E2M1);
    QVERIFY(panel->sourceText().contains(QStringLiteral("your choice")));
}

// The dock's visibility is part of the window state saved on close and restored at start.
void TestBitsPanel::dockRemembered() {
    openWindow();
    m_window->bitsAction()->trigger();
    QVERIFY(m_window->bitsDock()->isVisible());
    QVERIFY(m_window->close());
    m_window = std::make_unique<MainWindow>();
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QVERIFY(m_window->bitsDock()->isVisible());
    QVERIFY(m_window->bitsAction()->isChecked());
    m_window->bitsAction()->trigger();
    QVERIFY(!m_window->bitsDock()->isVisible());
    m_window.reset();
}

// With f16 chosen, the Figures panel names the cast's range and its overflow and underflow in
// words, the counts equal castSaturating's over the tensor on screen, and Bits follows F16.
void TestBitsPanel::castFiguresInWords() {
    openWindow();
    QComboBox *format = m_window->schemeControls()->formatBox();
    const int index = format->findText(QStringLiteral("f16"));
    QVERIFY(index >= 0);
    format->setCurrentIndex(index);
    Q_EMIT format->activated(index);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->controller()->currentScheme() &&
                                 m_window->controller()->currentScheme()->spec.format ==
                                     qs::NumberFormat::F16,
                             kTimeoutMs);
    QCOMPARE(m_window->bitsPanel()->format(), FloatLayout::F16);
    const auto tensor = m_window->controller()->currentAnalysis();
    QVERIFY(tensor);
    const std::span<const float> x = tensor->tensor->values();
    std::vector<float> cast(x.size());
    qs::CastCounts counts;
    qs::castSaturating(qs::HalfFormat::F16, x, cast, counts);
    qs::ui::StatsPanel *stats = m_window->statsPanel();
    QCOMPARE(stats->text(qs::ui::StatsPanel::Figure::ClipRange), QStringLiteral("±65504, then ±inf"));
    QCOMPARE(stats->text(qs::ui::StatsPanel::Figure::CastOverflow),
             QStringLiteral("%1 / %2").arg(qs::ui::formatCount(counts.overflow),
                                           qs::ui::formatCount(counts.underflow)));
    QVERIFY(counts.underflow > 0); // the demo's small weights: some fall below 2^-14
    QCOMPARE(stats->text(qs::ui::StatsPanel::Figure::Scale), QStringLiteral("none (a cast)"));
    QVERIFY(!m_window->schemeControls()->findChild<QComboBox *>(QStringLiteral("methodBox"))->isEnabled());
}

QTEST_MAIN(TestBitsPanel)
#include "tst_bitspanel.moc"
