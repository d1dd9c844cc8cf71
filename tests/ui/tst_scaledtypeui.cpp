// The Scales control end to end: choosing bf16 edits the plan's default (one undo step), the
// scheme is quantized with rounded scales and the figures change; formats with their own block
// scales disable the control.

#include "analysis/schemeanalysis.h"
#include "analysiscontroller.h"
#include "mainwindow.h"
#include "plan/planjson.h"
#include "planundo.h"
#include "schemecontrols.h"
#include "statspanel.h"
#include "tensorsession.h"
#include "windowfixture.h"
#include "windowsteps.h"

#include <QComboBox>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <bit>
#include <memory>

using qs::ui::AnalysisController;
using qs::ui::MainWindow;
using qs::ui::StatsPanel;

namespace {

constexpr int kTimeoutMs = 30000;
const char *const kProjection = "model.layers.0.self_attn.q_proj.weight";

} // namespace

class TestScaleDtypeUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void bf16ScalesEditPlanAndFigures();
    void disabledForBlockFormats();

private:
    void openAndSelect();
    // Picks an entry of a scheme-row combo as the user does and waits for its exact scheme figures.
    void activate(QComboBox *box, const QString &text);

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
};

void TestScaleDtypeUi::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestScaleDtypeUi::init() {
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler([](QMessageBox::Icon, const QString &, const QString &) {});
    m_window->setAskHandler([](const QString &, const QString &) { return QMessageBox::Discard; });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestScaleDtypeUi::cleanup() {
    m_window.reset();
    QSettings().remove(QStringLiteral("scheme"));
}

void TestScaleDtypeUi::openAndSelect() {
    QVERIFY(qs::test::openAndSelectTensor(*m_window, m_demo, kProjection, kTimeoutMs));
}

void TestScaleDtypeUi::activate(QComboBox *box, const QString &text) {
    const int index = box->findText(text);
    QVERIFY2(index >= 0, qPrintable(text));
    AnalysisController *controller = m_window->controller();
    box->setCurrentIndex(index);
    Q_EMIT box->activated(index);
    QTRY_VERIFY_WITH_TIMEOUT(controller->currentScheme() &&
                                 controller->currentScheme()->spec == controller->currentSpec() &&
                                 !m_window->statsPanel()->isEstimate(StatsPanel::Figure::Mse),
                             kTimeoutMs);
}

void TestScaleDtypeUi::bf16ScalesEditPlanAndFigures() {
    openAndSelect();
    qs::ui::SchemeControls *scheme = m_window->schemeControls();
    AnalysisController *controller = m_window->controller();
    activate(scheme->granularityBox(), QStringLiteral("group:128"));
    QCOMPARE(controller->currentSpec().scaleDtype, qs::ScaleDtype::F32);
    QVERIFY(scheme->scaleDtypeBox()->isEnabled());
    QCOMPARE(scheme->scaleDtypeBox()->currentText(), QStringLiteral("f32"));
    QVERIFY(scheme->scaleDtypeBox()->toolTip().contains(QStringLiteral("weight's dtype")));
    const QString mseF32 = m_window->statsPanel()->text(StatsPanel::Figure::Mse);

    activate(scheme->scaleDtypeBox(), QStringLiteral("bf16"));
    QCOMPARE(controller->currentSpec().scaleDtype, qs::ScaleDtype::BF16);
    // The plan's default takes the key, as one undo step.
    const qs::QuantPlan &plan = controller->session().plan();
    QCOMPARE(plan.defaults.scaleDtype, std::optional(qs::ScaleDtype::BF16));
    QVERIFY(
        QString::fromStdString(qs::planToJson(plan)).contains(QStringLiteral("\"scale_dtype\": \"bf16\"")));
    QUndoStack *stack = m_window->undo()->stack();
    QCOMPARE(stack->undoText(), QStringLiteral("Scales bf16"));
    // Every stored scale is a BF16 value (its low 16 bits zero), and the error includes the rounding.
    const auto shown = controller->currentScheme();
    QVERIFY(!shown->quantization.scales.empty());
    for (float s : shown->quantization.scales)
        QCOMPARE(std::bit_cast<std::uint32_t>(s) & 0xFFFFu, 0u);
    const QString mseBf16 = m_window->statsPanel()->text(StatsPanel::Figure::Mse);
    QVERIFY2(mseBf16 != mseF32, qPrintable(mseBf16));
    QVERIFY2(m_window->statsPanel()->text(StatsPanel::Figure::Scale).endsWith(QStringLiteral("· bf16")),
             qPrintable(m_window->statsPanel()->text(StatsPanel::Figure::Scale)));

    stack->undo();
    QCOMPARE(controller->currentSpec().scaleDtype, qs::ScaleDtype::F32);
    QCOMPARE(scheme->scaleDtypeBox()->currentText(), QStringLiteral("f32"));
    QCOMPARE(controller->session().plan().defaults.scaleDtype, std::optional(qs::ScaleDtype::F32));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->statsPanel()->text(StatsPanel::Figure::Mse), mseF32, kTimeoutMs);
}

void TestScaleDtypeUi::disabledForBlockFormats() {
    openAndSelect();
    qs::ui::SchemeControls *scheme = m_window->schemeControls();
    activate(scheme->granularityBox(), QStringLiteral("channel"));
    activate(scheme->scaleDtypeBox(), QStringLiteral("f16"));
    QCOMPARE(m_window->controller()->currentSpec().scaleDtype, qs::ScaleDtype::F16);
    // nf4 scales its blocks by their absmax: the control does not apply and says why, and the
    // spec goes back to f32 so that the plan stays valid.
    activate(scheme->formatBox(), QStringLiteral("nf4"));
    QCOMPARE(m_window->controller()->currentSpec().scaleDtype, qs::ScaleDtype::F32);
    QVERIFY(!scheme->scaleDtypeBox()->isEnabled());
    QVERIFY(scheme->scaleDtypeBox()->toolTip().contains(QStringLiteral("nf4")));
    QCOMPARE(m_window->controller()->session().plan().defaults.scaleDtype, std::nullopt);
}

QTEST_MAIN(TestScaleDtypeUi)
#include "tst_scaledtypeui.moc"
