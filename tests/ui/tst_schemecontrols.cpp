// The scheme row's editing: any granularity typed as --granularity spells it (applied, or refused
// with the reason and nothing changed), channel axes offered by the tensor's rank, the
// percentile's P, one undo step each, the settings that bring them back, and a row that fits
// the window at 1024x700 and 1920x1080.

#include "analysis/schemeanalysis.h"
#include "analysiscontroller.h"
#include "mainwindow.h"
#include "planundo.h"
#include "schemecontrols.h"
#include "schemesettings.h"
#include "tensorbrowser.h"
#include "tensorsession.h"
#include "windowfixture.h"
#include "windowsteps.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>

#include <algorithm>

using qs::ui::AnalysisController;
using qs::ui::MainWindow;
using qs::ui::SchemeControls;

namespace {

constexpr int kTimeoutMs = 30000;
// [512, 1376]: rows and columns tell the granularities apart.
const char *const kDownProjection = "model.layers.0.mlp.down_proj.weight";
// [512]: a vector.
const char *const kNorm = "model.layers.0.input_layernorm.weight";

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) {
    return (a + b - 1) / b;
}

} // namespace

class TestSchemeControls : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void typedGranularityApplies_data();
    void typedGranularityApplies();
    void invalidGranularityRefused_data();
    void invalidGranularityRefused();
    void channelAxesFollowRank();
    void fp8BlockPreset();
    void percentileApplies();
    void percentileDisabledSaysWhy();
    void schemeRemembered();
    void settingsRoundTrip();
    void rowFitsWindow_data();
    void rowFitsWindow();

private:
    void makeWindow();
    void openAndSelect(const char *name);
    void typeGranularity(const QString &text);
    void waitForScheme();
    std::size_t tensorIndex(const char *name) const;
    SchemeControls *controls() const { return m_window->schemeControls(); }

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
    QStringList m_messages;
};

void TestSchemeControls::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestSchemeControls::init() {
    m_messages.clear();
    makeWindow();
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestSchemeControls::makeWindow() {
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler(
        [this](QMessageBox::Icon, const QString &title, const QString &text) { m_messages << title + text; });
    m_window->setAskHandler([](const QString &, const QString &) { return QMessageBox::Discard; });
}

void TestSchemeControls::cleanup() {
    m_window.reset();
    QSettings().remove(QStringLiteral("scheme"));
}

std::size_t TestSchemeControls::tensorIndex(const char *name) const {
    return qs::test::tensorIndexOf(*m_window, name);
}

void TestSchemeControls::openAndSelect(const char *name) {
    QVERIFY2(qs::test::openAndSelectTensor(*m_window, m_demo, name, kTimeoutMs), name);
}

// As the user does it: select the box's text, type, press Enter.
void TestSchemeControls::typeGranularity(const QString &text) {
    QLineEdit *edit = controls()->granularityBox()->lineEdit();
    QVERIFY(edit);
    edit->setFocus();
    edit->selectAll();
    QTest::keyClicks(edit, text);
    QTest::keyClick(edit, Qt::Key_Return);
}

// The exact scheme analysis of the spec on screen.
void TestSchemeControls::waitForScheme() {
    AnalysisController *controller = m_window->controller();
    QTRY_VERIFY_WITH_TIMEOUT(controller->currentScheme() &&
                                 controller->currentScheme()->spec == controller->currentSpec(),
                             kTimeoutMs);
}

void TestSchemeControls::typedGranularityApplies_data() {
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QString>("shown");
    QTest::addColumn<QList<qint64>>("grid");
    // The parameter grid's shape for [512, 1376], as ParamGrid documents it: [rows, groups per
    // row] for groups, [channels] along the axis, [tile rows, tile columns] for blocks.
    QTest::addRow("group:96") << QStringLiteral("group:96") << QStringLiteral("group:96")
                              << QList<qint64>{512, ceilDiv(1376, 96)};
    QTest::addRow("channel:1") << QStringLiteral("channel:1") << QStringLiteral("channel:1")
                               << QList<qint64>{1376};
    QTest::addRow("block:64x64") << QStringLiteral("block:64x64") << QStringLiteral("block:64x64")
                                 << QList<qint64>{512 / 64, ceilDiv(1376, 64)};
    // Spaces and capitals are forgiven; channel:0 is plain channel.
    QTest::addRow("spaced") << QStringLiteral(" Group: 200 ") << QStringLiteral("group:200")
                            << QList<qint64>{512, ceilDiv(1376, 200)};
    QTest::addRow("channel:0") << QStringLiteral("channel:0") << QStringLiteral("channel")
                               << QList<qint64>{512};
}

void TestSchemeControls::typedGranularityApplies() {
    QFETCH(QString, typed);
    QFETCH(QString, shown);
    QFETCH(QList<qint64>, grid);
    openAndSelect(kDownProjection);
    AnalysisController *controller = m_window->controller();
    const qs::QuantSpec original = controller->currentSpec();
    QCOMPARE(original.granularity.kind, qs::Granularity::Kind::Tensor);
    QUndoStack *stack = m_window->undo()->stack();
    const int steps = stack->count();
    typeGranularity(typed);
    QCOMPARE(QString::fromStdString(qs::granularityName(controller->currentSpec().granularity)), shown);
    QCOMPARE(controls()->granularityBox()->currentText(), shown);
    QCOMPARE(stack->count(), steps + 1);
    QCOMPARE(stack->undoText(), QStringLiteral("Granularity ") + shown);
    waitForScheme();
    const std::vector<std::int64_t> &shape = controller->currentScheme()->grid.shape();
    QCOMPARE(QList<qint64>(shape.begin(), shape.end()), grid);
    // Undo brings per tensor back, in the spec and the box.
    stack->undo();
    QCOMPARE(controller->currentSpec(), original);
    QCOMPARE(controls()->granularityBox()->currentText(), QStringLiteral("tensor"));
    QVERIFY(!controller->currentScheme());
    stack->redo();
    QCOMPARE(controls()->granularityBox()->currentText(), shown);
    QVERIFY(m_messages.isEmpty());
}

void TestSchemeControls::invalidGranularityRefused_data() {
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QString>("message");
    // parseGranularity's words, and checkScheme's for an axis past the rank of [512, 1376].
    QTest::addRow("group:0") << QStringLiteral("group:0")
                             << QStringLiteral("the group size must be a whole number above 0");
    QTest::addRow("block:3") << QStringLiteral("block:3")
                             << QStringLiteral("a block is ROWSxCOLS, both whole numbers above 0");
    QTest::addRow("channel:5") << QStringLiteral("channel:5")
                               << QStringLiteral("needs an axis below the tensor's rank 2");
    QTest::addRow("words") << QStringLiteral("rows") << QStringLiteral("unknown granularity");
}

void TestSchemeControls::invalidGranularityRefused() {
    QFETCH(QString, typed);
    QFETCH(QString, message);
    openAndSelect(kDownProjection);
    AnalysisController *controller = m_window->controller();
    typeGranularity(QStringLiteral("group:128"));
    waitForScheme();
    const qs::QuantSpec before = controller->currentSpec();
    const auto schemeBefore = controller->currentScheme();
    const int steps = m_window->undo()->stack()->count();
    const qs::QuantSpec defaultBefore = controller->session().defaultSpec();
    typeGranularity(typed);
    QVERIFY2(m_window->statusBar()->currentMessage().contains(message),
             qPrintable(m_window->statusBar()->currentMessage()));
    QCOMPARE(controller->currentSpec(), before);
    QCOMPARE(controller->currentScheme(), schemeBefore);
    QCOMPARE(controls()->granularityBox()->currentText(), QStringLiteral("group:128"));
    QCOMPARE(m_window->undo()->stack()->count(), steps);
    // Nor does the refused scheme become the default the next tensor opens with.
    QCOMPARE(controller->session().defaultSpec(), defaultBefore);
    QVERIFY(m_messages.isEmpty());
}

// channel:AXIS for every axis of the tensor on screen, none past it.
void TestSchemeControls::channelAxesFollowRank() {
    openAndSelect(kDownProjection);
    QComboBox *box = controls()->granularityBox();
    QVERIFY(box->findText(QStringLiteral("channel")) >= 0);
    QVERIFY(box->findText(QStringLiteral("channel:1")) >= 0);
    QCOMPARE(box->findText(QStringLiteral("channel:2")), -1);
    for (const QString &common :
         {QStringLiteral("tensor"), QStringLiteral("group:32"), QStringLiteral("group:64"),
          QStringLiteral("group:128"), QStringLiteral("group:256"), QStringLiteral("block:128x128")})
        QVERIFY2(box->findText(common) >= 0, qPrintable(common));
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    m_window->browser()->selectTensor(tensorIndex(kNorm));
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
    QVERIFY(box->findText(QStringLiteral("channel")) >= 0);
    QCOMPARE(box->findText(QStringLiteral("channel:1")), -1);
}

// FP8 block-wise is one preset away, and the box shows its tiles.
void TestSchemeControls::fp8BlockPreset() {
    openAndSelect(kDownProjection);
    QVERIFY(controls()->choosePreset(QStringLiteral("fp8_block")));
    waitForScheme();
    const qs::QuantSpec &spec = m_window->controller()->currentSpec();
    QCOMPARE(spec.format, qs::NumberFormat::Fp8E4M3);
    QCOMPARE(controls()->granularityBox()->currentText(), QStringLiteral("block:128x128"));
    const std::vector<std::int64_t> &shape = m_window->controller()->currentScheme()->grid.shape();
    QCOMPARE(shape, (std::vector<std::int64_t>{512 / 128, ceilDiv(1376, 128)}));
    QVERIFY(controls()->presetBox()->currentText().contains(QStringLiteral("FP8 block")));
}

// P is applied on Enter, not per key; the exact pass clips where P says (and is shown, not
// dropped for carrying the clip it found); undo restores 99.99.
void TestSchemeControls::percentileApplies() {
    openAndSelect(kDownProjection);
    AnalysisController *controller = m_window->controller();
    QComboBox *method = controls()->methodBox();
    const int percentile = method->findText(QStringLiteral("percentile"));
    method->setCurrentIndex(percentile);
    Q_EMIT method->activated(percentile);
    QCOMPARE(controller->currentSpec().method, qs::CalibMethod::Percentile);
    const qs::QuantSpec atDefault = controller->currentSpec();
    QCOMPARE(atDefault.percentile, qs::kDefaultPercentile);
    QDoubleSpinBox *box = controls()->percentileBox();
    QVERIFY(box->isEnabled());
    QCOMPARE(box->text(), QStringLiteral("P 99.99"));
    const std::size_t index = tensorIndex(kDownProjection);
    QTRY_VERIFY_WITH_TIMEOUT(controller->session().exact(index) &&
                                 controller->session().exact(index)->spec.method ==
                                     qs::CalibMethod::Percentile,
                             kTimeoutMs);
    const auto wide = controller->session().exact(index);
    const int steps = m_window->undo()->stack()->count();

    box->setFocus();
    box->selectAll();
    QTest::keyClicks(box, QStringLiteral("99.9"));
    QCOMPARE(controller->currentSpec(), atDefault); // typing alone applies nothing
    QTest::keyClick(box, Qt::Key_Return);
    QCOMPARE(controller->currentSpec().percentile, 99.9);
    QCOMPARE(m_window->undo()->stack()->count(), steps + 1);
    QCOMPARE(m_window->undo()->stack()->undoText(), QStringLiteral("Method percentile:99.9"));
    QTRY_VERIFY_WITH_TIMEOUT(controller->session().exact(index) &&
                                 controller->session().exact(index)->spec.percentile == 99.9,
                             kTimeoutMs);
    // Symmetric: the clip is the P-th percentile of |x|, so a lower P clips closer in.
    const auto narrow = controller->session().exact(index);
    QVERIFY2(narrow->params.clipMax < wide->params.clipMax,
             qPrintable(QStringLiteral("%1 vs %2").arg(narrow->params.clipMax).arg(wide->params.clipMax)));
    QVERIFY(narrow->error.clippedFraction > wide->error.clippedFraction);
    // The result is the spec resolved to that clip; it answers P 99.9, not P 99.99.
    QCOMPARE(narrow->spec.rangeMode, qs::RangeMode::Saturating);
    QVERIFY(qs::ui::answersSpec(*narrow, controller->currentSpec()));
    QVERIFY(!qs::ui::answersSpec(*narrow, atDefault));
    // An export writes the clip the method found, as a fixed clip an import gives back.
    const qs::QuantConfig config = controller->session().toConfig();
    const auto exported = std::find_if(config.tensors.begin(), config.tensors.end(),
                                       [](const qs::TensorConfig &t) { return t.name == kDownProjection; });
    QVERIFY(exported != config.tensors.end());
    QCOMPARE(exported->spec.rangeMode, qs::RangeMode::Saturating);
    QCOMPARE(exported->params.clipMax, narrow->params.clipMax);

    m_window->undo()->stack()->undo();
    QCOMPARE(controller->currentSpec(), atDefault);
    QCOMPARE(box->text(), QStringLiteral("P 99.99"));
    QVERIFY(m_messages.isEmpty());
}

void TestSchemeControls::percentileDisabledSaysWhy() {
    openAndSelect(kDownProjection);
    QDoubleSpinBox *box = controls()->percentileBox();
    QCOMPARE(m_window->controller()->currentSpec().method, qs::CalibMethod::MinMax);
    QVERIFY(!box->isEnabled());
    QVERIFY(box->toolTip().contains(QStringLiteral("percentile method only")));
    // Formats with their own blocks: the granularity box is disabled with the reason.
    QVERIFY(controls()->choosePreset(QStringLiteral("mxfp4")));
    QVERIFY(!controls()->granularityBox()->isEnabled());
    QVERIFY(controls()->granularityBox()->toolTip().contains(QStringLiteral("own blocks of 32")));
    QVERIFY(controls()->choosePreset(QStringLiteral("w4a16")));
    QVERIFY(controls()->granularityBox()->isEnabled());
    QVERIFY(controls()->granularityBox()->toolTip().contains(QStringLiteral("group:96")));
}

// A typed granularity and a chosen P are what the next run starts from.
void TestSchemeControls::schemeRemembered() {
    openAndSelect(kDownProjection);
    typeGranularity(QStringLiteral("group:96"));
    QCOMPARE(m_window->controller()->currentSpec().granularity.size, std::int64_t(96));
    QVERIFY(m_window->close());
    makeWindow();
    qs::QuantSpec spec = m_window->controller()->session().defaultSpec();
    QCOMPARE(spec.granularity.kind, qs::Granularity::Kind::Group);
    QCOMPARE(spec.granularity.size, std::int64_t(96));
    QCOMPARE(controls()->granularityBox()->currentText(), QStringLiteral("group:96"));

    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    openAndSelect(kDownProjection);
    typeGranularity(QStringLiteral("tensor"));
    QComboBox *method = controls()->methodBox();
    const int percentile = method->findText(QStringLiteral("percentile"));
    method->setCurrentIndex(percentile);
    Q_EMIT method->activated(percentile);
    controls()->percentileBox()->setValue(99.5);
    QCOMPARE(m_window->controller()->currentSpec().percentile, 99.5);
    QVERIFY(m_window->close());
    makeWindow();
    spec = m_window->controller()->session().defaultSpec();
    QCOMPARE(spec.method, qs::CalibMethod::Percentile);
    QCOMPARE(spec.percentile, 99.5);
    QCOMPARE(spec.granularity.kind, qs::Granularity::Kind::Tensor);
    QCOMPARE(controls()->percentileBox()->text(), QStringLiteral("P 99.5"));
    QVERIFY(controls()->percentileBox()->isEnabled());
}

// Every field of a custom scheme comes back as saved; a preset's P too; nothing saved changes
// nothing.
void TestSchemeControls::settingsRoundTrip() {
    QTemporaryDir dir;
    QSettings settings(dir.filePath(QStringLiteral("round.ini")), QSettings::IniFormat);
    const qs::QuantSpec fallback;
    QCOMPARE(qs::ui::restoredScheme(settings, fallback), fallback);

    qs::QuantSpec custom = qs::intSpec(5, qs::Scheme::Asymmetric);
    custom.granularity = qs::parseGranularity("block:64x32").value();
    custom.method = qs::CalibMethod::Hqq;
    custom.percentile = 99.25;
    qs::ui::saveScheme(settings, custom);
    QCOMPARE(qs::ui::restoredScheme(settings, fallback), custom);

    qs::QuantSpec narrow = qs::intSpec(6, qs::Scheme::Symmetric, true);
    narrow.granularity = qs::parseGranularity("channel:1").value();
    qs::ui::saveScheme(settings, narrow);
    QCOMPARE(qs::ui::restoredScheme(settings, fallback), narrow);

    qs::QuantSpec fp8;
    fp8.format = qs::NumberFormat::Fp8E4M3;
    fp8.granularity = qs::parseGranularity("block:128x128").value();
    fp8.percentile = 99.0;
    qs::ui::saveScheme(settings, fp8);
    QCOMPARE(settings.value(QStringLiteral("scheme/preset")).toString(), QStringLiteral("fp8_block"));
    QCOMPARE(qs::ui::restoredScheme(settings, fallback), fp8);

    // Hand-edited nonsense keeps the fallback's values.
    settings.setValue(QStringLiteral("scheme/preset"), QString());
    settings.setValue(QStringLiteral("scheme/granularity"), QStringLiteral("group:0"));
    settings.setValue(QStringLiteral("scheme/percentile"), 170.0);
    settings.setValue(QStringLiteral("scheme/bits"), 99);
    const qs::QuantSpec restored = qs::ui::restoredScheme(settings, fallback);
    QCOMPARE(restored.granularity, fallback.granularity);
    QCOMPARE(restored.percentile, fallback.percentile);
    QCOMPARE(restored.bits, fallback.bits);
}

void TestSchemeControls::rowFitsWindow_data() {
    QTest::addColumn<QSize>("size");
    QTest::addRow("1024x700") << QSize(1024, 700);
    QTest::addRow("1920x1080") << QSize(1920, 1080);
}

// Every control of the scheme row in view, as wide as it asks (the preset box as its longest
// name), apart from its neighbours, with a long typed granularity and the longest P (kept while
// minmax is chosen): nothing clipped, nothing folded into the toolbar's overflow menu.
void TestSchemeControls::rowFitsWindow() {
    QFETCH(QSize, size);
    openAndSelect(kDownProjection);
    QComboBox *method = controls()->methodBox();
    const int percentile = method->findText(QStringLiteral("percentile"));
    method->setCurrentIndex(percentile);
    Q_EMIT method->activated(percentile);
    controls()->percentileBox()->setValue(99.999);
    const int minmax = method->findText(QStringLiteral("minmax"));
    method->setCurrentIndex(minmax);
    Q_EMIT method->activated(minmax);
    typeGranularity(QStringLiteral("block:1024x1024"));
    QCOMPARE(m_window->controller()->currentSpec().granularity.rows, std::int64_t(1024));
    m_window->resize(size);
    QTRY_COMPARE(m_window->size(), size);
    QCoreApplication::processEvents();
    auto *bar = qobject_cast<QToolBar *>(controls()->parentWidget());
    QVERIFY(bar);
    for (const QToolButton *button :
         bar->findChildren<QToolButton *>(QStringLiteral("qt_toolbar_ext_button")))
        QVERIFY2(!button->isVisible(), "the scheme row overflows its toolbar");
    const QRect row = controls()->rect();
    QVERIFY(controls()->isVisible());
    QVERIFY2(controls()->geometry().right() <= bar->contentsRect().right(), "the row runs past the toolbar");
    QList<QWidget *> widgets;
    for (QWidget *child : controls()->findChildren<QWidget *>(Qt::FindDirectChildrenOnly))
        if (child->isVisible())
            widgets << child;
    QVERIFY(widgets.size() >= 9); // four labels, four combos, P
    for (QWidget *widget : widgets) {
        const QString name = widget->objectName() + QLatin1Char(' ') + widget->metaObject()->className();
        QVERIFY2(row.contains(widget->geometry()), qPrintable(name + QStringLiteral(" leaves the row")));
        QVERIFY2(widget->width() >= widget->sizeHint().width(),
                 qPrintable(name + QStringLiteral(" is narrower than it needs")));
        for (QWidget *other : widgets)
            QVERIFY2(other == widget || !widget->geometry().intersects(other->geometry()),
                     qPrintable(name + QStringLiteral(" overlaps ") + other->metaObject()->className()));
    }
    // The longest P and the typed granularity read whole in their line edits.
    QCOMPARE(controls()->percentileBox()->text(), QStringLiteral("P 99.999"));
    QCOMPARE(controls()->granularityBox()->currentText(), QStringLiteral("block:1024x1024"));
    const QList<QLineEdit *> edits = controls()->findChildren<QLineEdit *>();
    QCOMPARE(edits.size(), 2);
    for (const QLineEdit *edit : edits) {
        const int room = edit->width() - edit->textMargins().left() - edit->textMargins().right();
        QVERIFY2(room > edit->fontMetrics().horizontalAdvance(edit->text()),
                 qPrintable(QStringLiteral("\"%1\" clipped in %2 px").arg(edit->text()).arg(edit->width())));
    }
}

QTEST_MAIN(TestSchemeControls)
#include "tst_schemecontrols.moc"
