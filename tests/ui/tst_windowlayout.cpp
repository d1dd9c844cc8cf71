// The main window's layout at the sizes people use (1024x700, 1400x900, 1920x1080) with long
// names, shards and extreme values: the Figures panel keeps every value in view, plot texts
// never overlap or leave their plot, and elided texts carry their whole text in a tooltip.

#include "analysiscontroller.h"
#include "figuretable.h"
#include "io/democheckpoint.h"
#include "io/safetensorswriter.h"
#include "labelelider.h"
#include "mainwindow.h"
#include "plots/errorplot.h"
#include "plots/histogramplot.h"
#include "plots/mappingplot.h"
#include "plottext.h"
#include "quantcontrols.h"
#include "statspanel.h"
#include "tensorbrowser.h"
#include "windowfixture.h"

#include <qcustomplot.h>

#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QRadioButton>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using qs::ui::AnalysisController;
using qs::ui::MainWindow;
using qs::ui::StatsPanel;

namespace {

constexpr int kTimeoutMs = 30000;

// The issue's tensor: a long dotted name with no place to wrap, 258 × 1 × 256 = 66,048 values.
const char *const kLongName = "model.feature_extractor.forward_basis_buffer";

std::vector<float> waveValues(int count) {
    std::vector<float> v;
    for (int i = 0; i < count; ++i)
        v.push_back(0.3f * float(std::sin(0.37 * i)) + 0.001f * float(i % 7));
    return v;
}

// Empty when the label shows its whole text, or a cut one (with "…") whose tooltip holds the
// whole text; else what is wrong.
QString elisionProblem(const QLabel *label) {
    const auto *elider = qs::ui::LabelElider::of(label);
    if (!elider)
        return QStringLiteral("no elider");
    const QString shown = elider->visibleText();
    const QString full = label->text();
    if (shown.isEmpty() || shown == QStringLiteral("…"))
        return QStringLiteral("nothing readable shown: \"%1\"").arg(shown);
    if (shown == full)
        return {};
    if (!shown.contains(QStringLiteral("…")))
        return QStringLiteral("cut without \"…\": \"%1\"").arg(shown);
    if (!label->toolTip().contains(full))
        return QStringLiteral("\"%1\" cut to \"%2\", tooltip \"%3\"").arg(full, shown, label->toolTip());
    return {};
}

// A plot's info line is whole (no tooltip), or cut after a whole " · " / ", " part with the
// whole text as tooltip; cut mid-text only when not even its first part fits.
QString segmentCutProblem(QLabel *label) {
    label->grab(); // paints it, as the screen would
    const QString shown = qs::ui::LabelElider::of(label)->visibleText();
    const QString full = label->text();
    if (shown == full)
        return label->toolTip().isEmpty() ? QString() : QStringLiteral("tooltip on a whole text");
    if (label->toolTip() != full)
        return QStringLiteral("tooltip \"%1\" for \"%2\"").arg(label->toolTip(), full);
    const QString kept = shown.chopped(1);
    if (!shown.endsWith(QStringLiteral("…")) || !full.startsWith(kept))
        return QStringLiteral("\"%1\" is not \"%2\" cut at its end").arg(shown, full);
    if (kept.endsWith(QStringLiteral(" · ")) || kept.endsWith(QStringLiteral(", ")))
        return {};
    const qsizetype dot = full.indexOf(QStringLiteral(" · "));
    const qsizetype comma = full.indexOf(QStringLiteral(", "));
    const qsizetype firstEnd = std::min(dot < 0 ? full.size() : dot + 3, comma < 0 ? full.size() : comma + 2);
    const QString firstPart = full.left(firstEnd) + QStringLiteral("…");
    if (label->fontMetrics().horizontalAdvance(firstPart) <= label->contentsRect().width())
        return QStringLiteral("\"%1\" cut mid-part although \"%2\" fits").arg(shown, firstPart);
    return {};
}

} // namespace

class TestWindowLayout : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void figuresVisibleInDock_data();
    void figuresVisibleInDock();
    void figuresAsPlainText();
    void figureNamesStayWhole();
    void alreadyQuantizedRuleExplained();
    void plotInfoCutAtParts();
    void plotTextsApart_data();
    void plotTextsApart();

private:
    void openDemo();
    void openStorageFixture();
    void openFixture(const QString &path);
    QString longNameFixture();
    QString shardedFixture();
    QString extremeFixture(const QString &kind);
    void resizeWindow(const QSize &size);

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
};

void TestWindowLayout::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestWindowLayout::init() {
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler(
        [](QMessageBox::Icon, const QString &, const QString &text) { QWARN(qPrintable(text)); });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestWindowLayout::cleanup() {
    m_window.reset();
}

void TestWindowLayout::openDemo() {
    openFixture(m_demo);
}

void TestWindowLayout::openStorageFixture() {
    const QString path = qs::test::storageFixture(m_dir);
    QVERIFY(!path.isEmpty());
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    QVERIFY(m_window->openFile(path));
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
}

void TestWindowLayout::openFixture(const QString &path) {
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    QVERIFY(m_window->openFile(path));
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
    QCoreApplication::processEvents(); // pending layout requests
}

QString TestWindowLayout::longNameFixture() {
    const QString path = m_dir.filePath(QStringLiteral("longname.safetensors"));
    if (!QFile::exists(path)) {
        const std::vector<qs::TensorBlob> tensors{{kLongName,
                                                   qs::DType::F32,
                                                   {258, 1, 256},
                                                   qs::encodeFloats(waveValues(258 * 256), qs::DType::F32)}};
        const qs::Status written = qs::writeSafetensors(path.toStdString(), tensors);
        if (!written.ok())
            qWarning("%s", written.error().c_str());
    }
    return path;
}

// Two shards and a Hugging Face index naming them (as tests/core/tst_sharded.cpp writes it):
// the format then reads "safetensors (2 shards)".
QString TestWindowLayout::shardedFixture() {
    const QString index = m_dir.filePath(QStringLiteral("model.safetensors.index.json"));
    if (QFile::exists(index))
        return index;
    const auto shard = [this](const char *file, const char *tensor, std::int64_t rows) {
        const std::vector<qs::TensorBlob> tensors{
            {tensor,
             qs::DType::F32,
             {rows, 64},
             qs::encodeFloats(waveValues(int(rows) * 64), qs::DType::F32)}};
        return qs::writeSafetensors(m_dir.filePath(QString::fromLatin1(file)).toStdString(), tensors).ok();
    };
    const bool written =
        shard("model-00001-of-00002.safetensors", "model.layers.0.mlp.down_proj.weight", 128) &&
        shard("model-00002-of-00002.safetensors", "lm_head.weight", 96);
    QFile file(index);
    if (!written || !file.open(QIODevice::WriteOnly))
        return {};
    file.write(R"({"metadata": {"total_size": 57344}, "weight_map": {
        "model.layers.0.mlp.down_proj.weight": "model-00001-of-00002.safetensors",
        "lm_head.weight": "model-00002-of-00002.safetensors"}})");
    return index;
}

void TestWindowLayout::resizeWindow(const QSize &size) {
    m_window->resize(size);
    QTRY_COMPARE(m_window->size(), size);
    QCoreApplication::processEvents();
}

void TestWindowLayout::figuresVisibleInDock_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QSize>("size");
    for (const QSize size : {QSize(1024, 700), QSize(1400, 900), QSize(1920, 1080)}) {
        const QString name = QStringLiteral("%1x%2").arg(size.width()).arg(size.height());
        QTest::addRow("long name, %s", qPrintable(name)) << QStringLiteral("long") << size;
        QTest::addRow("2 shards, %s", qPrintable(name)) << QStringLiteral("sharded") << size;
    }
}

// The issue: a long dotted name (its title could not wrap) or the format "safetensors (2 shards)"
// widened the panel past the dock and pushed the values out of sight or cut their last digits.
void TestWindowLayout::figuresVisibleInDock() {
    QFETCH(QString, fixture);
    QFETCH(QSize, size);
    resizeWindow(size);
    const QString path = fixture == QStringLiteral("long") ? longNameFixture() : shardedFixture();
    QVERIFY(!path.isEmpty());
    openFixture(path);
    resizeWindow(size); // opening a file must not have grown the window either

    StatsPanel *stats = m_window->statsPanel();
    auto *dock = m_window->findChild<QDockWidget *>(QStringLiteral("statsDock"));
    QVERIFY(dock && dock->isVisible());
    QVERIFY(m_window->rect().contains(QRect(dock->mapTo(m_window.get(), QPoint()), dock->size())));
    auto *scroll = qobject_cast<QScrollArea *>(dock->widget());
    QVERIFY(scroll);
    const QRect visible(scroll->viewport()->mapTo(dock, QPoint()), scroll->viewport()->size());
    QVERIFY(dock->rect().contains(visible));

    const QLabel *title = stats->findChildren<QLabel *>().first();
    QVERIFY2(elisionProblem(title).isEmpty(), qPrintable(elisionProblem(title)));
    for (int i = 0; i < StatsPanel::kFigureCount; ++i) {
        // A name is never cut while the panel can hold it: the value moves below it instead
        // ("Scheme from" was cut to "Scheme…" beside "ignored: embedding · kept").
        const QLabel *name = stats->nameLabel(StatsPanel::Figure(i));
        if (name->isVisible() && name->sizeHint().width() < scroll->viewport()->width() - 16)
            QVERIFY2(!qs::ui::LabelElider::of(name)->isElided(),
                     qPrintable(QStringLiteral("name \"%1\" cut to \"%2\"")
                                    .arg(name->text(), qs::ui::LabelElider::of(name)->visibleText())));
        QLabel *value = stats->valueLabel(StatsPanel::Figure(i));
        const QString problem = elisionProblem(value);
        QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("figure %1: %2").arg(i).arg(problem)));
        scroll->ensureWidgetVisible(value, 0, 0);
        const QRect rect(value->mapTo(dock, QPoint()), value->size());
        QVERIFY2(
            visible.contains(rect),
            qPrintable(QStringLiteral("figure %1 \"%2\" at x %3..%4, y %5..%6; visible x %7..%8, y %9..%10")
                           .arg(i)
                           .arg(value->text())
                           .arg(rect.left())
                           .arg(rect.right())
                           .arg(rect.top())
                           .arg(rect.bottom())
                           .arg(visible.left())
                           .arg(visible.right())
                           .arg(visible.top())
                           .arg(visible.bottom())));
    }
    if (fixture == QStringLiteral("sharded"))
        QCOMPARE(stats->text(StatsPanel::Figure::Format), QStringLiteral("safetensors (2 shards)"));
}

// "Copy Figures" copies this: whole values even where the panel shows them cut.
// A row whose name and value do not fit side by side puts the value below the whole name; the
// table used to cut the name to a few letters first ("Scheme from" showed as "Scheme…" beside
// "ignored: embedding · kept" in a panel of ordinary width). Rows that fit stay on one line.
void TestWindowLayout::figureNamesStayWhole() {
    qs::ui::FigureTable table;
    auto *longName = new QLabel(QStringLiteral("Scheme from"));
    auto *longValue = new QLabel(QStringLiteral("ignored: embedding · kept"));
    auto *shortName = new QLabel(QStringLiteral("Scale"));
    auto *shortValue = new QLabel(QStringLiteral("0.0008042"));
    for (QLabel *label : {longName, longValue, shortName, shortValue})
        qs::ui::LabelElider::install(label, qs::ui::ElideStyle::Right);
    table.addRow(longName, longValue);
    table.addRow(shortName, shortValue);
    // Room for the value beside all but the last few pixels of the name.
    const int valueWidth = longValue->sizeHint().width();
    const int width = 8 + longName->sizeHint().width() - 10 + 12 + valueWidth;
    table.resize(width, table.heightForWidth(width));
    table.show();
    QVERIFY(QTest::qWaitForWindowExposed(&table));
    QCOMPARE(table.height(), table.heightForWidth(width));
    QVERIFY2(!qs::ui::LabelElider::of(longName)->isElided(),
             qPrintable(qs::ui::LabelElider::of(longName)->visibleText()));
    QVERIFY(longValue->y() >= longName->geometry().bottom()); // on a line of its own
    QVERIFY(!qs::ui::LabelElider::of(longValue)->isElided());
    QCOMPARE(shortValue->y(), shortName->y()); // side by side
    QVERIFY(shortName->geometry().right() < shortValue->geometry().left());
    QVERIFY(!qs::ui::LabelElider::of(shortName)->isElided());
}

void TestWindowLayout::figuresAsPlainText() {
    resizeWindow(QSize(1024, 700));
    openFixture(shardedFixture());
    openFixture(longNameFixture());
    StatsPanel *stats = m_window->statsPanel();
    const QStringList lines = stats->toPlainText().split(QLatin1Char('\n'));
    QCOMPARE(lines.value(0), QString::fromLatin1(kLongName));
    QCOMPARE(lines.value(1), QStringLiteral("F32 · 258 × 1 × 256"));
    for (const QString &heading : {QStringLiteral("Mapping"), QStringLiteral("Error"),
                                   QStringLiteral("Values"), QStringLiteral("Storage")}) {
        const qsizetype at = lines.indexOf(heading);
        QVERIFY2(at > 1 && lines[at - 1].isEmpty(), qPrintable(heading));
    }
    QStringList figures;
    for (const QString &line : lines)
        if (line.contains(QLatin1Char('\t')))
            figures << line;
    QCOMPARE(figures.size(), StatsPanel::kFigureCount);
    // The sections list the figures in the enum's order.
    for (int i = 0; i < StatsPanel::kFigureCount; ++i)
        QVERIFY2(figures[i].endsWith(QLatin1Char('\t') + stats->text(StatsPanel::Figure(i))),
                 qPrintable(figures[i]));
    // 258 · 1 · 256 = 66,048 float32 values: 32 bits each.
    QVERIFY(figures.contains(QStringLiteral("Values\t66,048")));
    QVERIFY(figures.contains(QStringLiteral("Format\tsafetensors")));
    QVERIFY(figures.contains(QStringLiteral("Stored type\tF32")));
    QVERIFY(figures.contains(QStringLiteral("Bits / weight\t32")));
    QVERIFY(figures.contains(QStringLiteral("Integer range\t-128 … 127")));
    QVERIFY(lines.last().isEmpty()); // ends with a newline

    openFixture(shardedFixture());
    QVERIFY(stats->toPlainText().contains(QStringLiteral("\nFormat\tsafetensors (2 shards)\n")));
}

// A float tensor is flagged only with at most 256 distinct values and at least 16 values for each.
void TestWindowLayout::alreadyQuantizedRuleExplained() {
    openStorageFixture();
    StatsPanel *stats = m_window->statsPanel();
    QVERIFY(!stats->quantizedBadge()->isHidden());
    // "codes": 4,096 values on 16 levels; 4,096 ≥ 16 · 16 = 256.
    const QString badge = stats->quantizedBadge()->toolTip();
    QVERIFY2(badge.contains(QStringLiteral("Only 16 distinct values for 4,096 values")), qPrintable(badge));
    QVERIFY2(badge.contains(QStringLiteral("at most 256")), qPrintable(badge));
    QVERIFY2(badge.contains(QStringLiteral("at least 16 values for each")), qPrintable(badge));
    QVERIFY2(badge.contains(QStringLiteral("4,096 ≥ 16 × 16")), qPrintable(badge));
    const QString distinct = stats->valueLabel(StatsPanel::Figure::DistinctValues)->toolTip();
    QVERIFY2(distinct.contains(QStringLiteral("at most 256")), qPrintable(distinct));
    QVERIFY2(distinct.contains(QStringLiteral("at least 16 values for each")), qPrintable(distinct));
    QVERIFY2(distinct.contains(QStringLiteral("values ≥ 16 × distinct")), qPrintable(distinct));
}

// The plots' dimmed info lines were cut mid-word ("…non-satur"); they now drop whole parts and
// keep following the plots' setText().
void TestWindowLayout::plotInfoCutAtParts() {
    resizeWindow(QSize(1024, 700));
    openDemo();
    auto *mapping = m_window->mappingPlot()->findChild<QLabel *>(QStringLiteral("mappingInfo"));
    QVERIFY(mapping);
    QList<QLabel *> infos{mapping};
    for (QLabel *label : m_window->histogramPlot()->findChildren<QLabel *>())
        if (qs::ui::LabelElider::of(label))
            infos << label;
    QCOMPARE(infos.size(), 2);
    for (QLabel *info : infos)
        QVERIFY2(segmentCutProblem(info).isEmpty(), qPrintable(segmentCutProblem(info)));

    // A narrower plot cuts more; a new spec's text replaces the old one, tooltip included.
    m_window->controls()->bitsBox()->setValue(4);
    QTRY_VERIFY_WITH_TIMEOUT(mapping->text().contains(QStringLiteral("4-bit")), kTimeoutMs);
    for (QLabel *info : infos)
        QVERIFY2(segmentCutProblem(info).isEmpty(), qPrintable(segmentCutProblem(info)));
    const QString full = QStringLiteral("s = 0.0123, z = 0 · 8-bit symmetric, non-saturating");
    mapping->setText(full);
    for (int width : {60, 200, 260, 400}) {
        mapping->setFixedWidth(width);
        QVERIFY2(segmentCutProblem(mapping).isEmpty(), qPrintable(segmentCutProblem(mapping)));
    }
    mapping->setFixedWidth(mapping->fontMetrics().horizontalAdvance(full) + 10);
    QCOMPARE(qs::ui::LabelElider::of(mapping)->visibleText(), full);
    mapping->grab();
    QVERIFY(mapping->toolTip().isEmpty());
}

// One tensor a file: "tiny" spreads over ±1e-30 (subnormal-adjacent float32 scales, long tick
// labels), "huge" over ±3e4 with outliers at ±6e4.
QString TestWindowLayout::extremeFixture(const QString &kind) {
    const QString path = m_dir.filePath(kind + QStringLiteral(".safetensors"));
    if (QFile::exists(path))
        return path;
    std::vector<float> values = waveValues(256 * 64);
    const float scale = kind == QStringLiteral("tiny") ? 1e-30f : 1e5f;
    for (float &v : values)
        v *= scale;
    if (kind == QStringLiteral("huge")) {
        values[17] = 6e4f;
        values[4000] = -5.5e4f;
    }
    const std::vector<qs::TensorBlob> tensors{{kind.toStdString() + ".weight",
                                               qs::DType::F32,
                                               {256, 64},
                                               qs::encodeFloats(values, qs::DType::F32)}};
    const qs::Status written = qs::writeSafetensors(path.toStdString(), tensors);
    if (!written.ok())
        qWarning("%s", written.error().c_str());
    return path;
}

void TestWindowLayout::plotTextsApart_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QSize>("size");
    QTest::addColumn<bool>("asymmetric4bit");
    for (const QSize size : {QSize(1024, 700), QSize(1400, 900), QSize(1920, 1080)})
        for (const char *fixture : {"demo", "long", "tiny", "huge"})
            for (bool asymmetric : {false, true})
                QTest::addRow("%s %dx%d %s", fixture, size.width(), size.height(),
                              asymmetric ? "4-bit asymmetric suggested" : "8-bit symmetric")
                    << QString::fromLatin1(fixture) << size << asymmetric;
}

// Every text item of every plot in the window stays apart from the others and inside its plot,
// whatever the size, the name's length or the values' magnitude.
void TestWindowLayout::plotTextsApart() {
    QFETCH(QString, fixture);
    QFETCH(QSize, size);
    QFETCH(bool, asymmetric4bit);
    resizeWindow(size);
    const QString path = fixture == QStringLiteral("demo")   ? m_demo
                         : fixture == QStringLiteral("long") ? longNameFixture()
                                                             : extremeFixture(fixture);
    openFixture(path);
    if (asymmetric4bit) {
        QSignalSpy exact(m_window->controller(), &AnalysisController::exactShown);
        m_window->controls()->asymmetricButton()->click();
        m_window->controls()->bitsBox()->setValue(4);
        QTRY_VERIFY_WITH_TIMEOUT(!exact.isEmpty() && m_window->controller()->currentSpec().bits == 4,
                                 kTimeoutMs);
        exact.clear();
        m_window->controls()->suggestButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(!exact.isEmpty() && m_window->controller()->currentSpec().rangeMode ==
                                                         qs::RangeMode::Saturating,
                                 kTimeoutMs);
    }
    QCoreApplication::processEvents();
    const QList<QCustomPlot *> plots = m_window->findChildren<QCustomPlot *>();
    QVERIFY(plots.size() >= 4);
    for (QCustomPlot *plot : plots) {
        if (!plot->isVisible())
            continue;
        plot->replot(QCustomPlot::rpImmediateRefresh);
        const QString overlap = qs::test::firstTextOverlap(plot);
        QVERIFY2(overlap.isEmpty(), qPrintable(plot->objectName() + QStringLiteral(": ") + overlap));
        const QString outside = qs::test::firstTextOutside(plot);
        QVERIFY2(outside.isEmpty(), qPrintable(plot->objectName() + QStringLiteral(": ") + outside));
    }
}

QTEST_MAIN(TestWindowLayout)
#include "tst_windowlayout.moc"
