// File ▸ Export from the window: the menu lists every registered target, the Quantscope plan
// target writes what loadPlan reads back, a refused plan writes nothing, a cancelled export
// leaves nothing, a non-empty folder is asked about; File ▸ Export Plot covers every plot and
// the images are valid; the Model table exports as shown, as RFC 4180 CSV.

#include "analysiscontroller.h"
#include "export/exporter.h"
#include "exportrunner.h"
#include "mainwindow.h"
#include "modelpanel.h"
#include "modeltablemodel.h"
#include "plan/planjson.h"
#include "plotexport.h"
#include "plots/layerchart.h"
#include "quantcontrols.h"
#include "tablecsv.h"
#include "windowfixture.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QHeaderView>
#include <QImage>
#include <QLabel>
#include <QMap>
#include <QMenu>
#include <QProgressDialog>
#include <QPushButton>
#include <QSaveFile>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QXmlStreamReader>

#include <atomic>

using qs::ui::AnalysisController;
using qs::ui::MainWindow;

namespace {

constexpr int kTimeoutMs = 30000;

struct Message {
    QMessageBox::Icon icon;
    QString title;
    QString text;
};

// An export target the registry does not list: it refuses 4-bit int, and writes, blocks until
// cancelled, or fails, as the test asks.
class TestExporter final : public qs::Exporter {
public:
    enum class Mode { Write, BlockUntilCancelled, Fail };
    Mode mode = Mode::Write;
    bool folder = false;
    mutable std::atomic<bool> blocking{false};

    std::string id() const override { return "test"; }
    std::string displayName() const override { return "Test target"; }
    qs::ExportCapability capability() const override {
        return folder ? qs::ExportCapability::Weights : qs::ExportCapability::Config;
    }
    bool outputIsFolder() const override { return folder; }
    std::vector<std::string> outputFiles() const override {
        return folder ? std::vector<std::string>{"model.safetensors", "config.json"}
                      : std::vector<std::string>{"txt"};
    }
    std::string fileFilter() const override { return "Text (*.txt)"; }
    std::string schemesText() const override { return "int at any width but 4 bits"; }
    std::optional<std::string> cannotExpress(const qs::QuantSpec &spec,
                                             const std::vector<std::int64_t> &) const override {
        if (spec.format == qs::NumberFormat::Int && spec.bits == 4)
            return std::string("int4 has no test form");
        return std::nullopt;
    }

    qs::Result<qs::ExportOutcome> write(const qs::ExportJob &job) const override {
        if (mode == Mode::Fail)
            return qs::Error{"the test target always fails"};
        qs::ExportOutcome outcome;
        std::vector<std::unique_ptr<QSaveFile>> files;
        for (const std::string &path : outputPaths(job.output)) {
            files.push_back(std::make_unique<QSaveFile>(QString::fromStdString(path)));
            if (!files.back()->open(QIODevice::WriteOnly))
                return qs::Error{path + ": " + files.back()->errorString().toStdString()};
            files.back()->write("test export\n");
            outcome.written.push_back(path);
        }
        const std::size_t tensors = job.reader->tensors().size();
        for (std::size_t i = 0; mode == Mode::BlockUntilCancelled || i < tensors; ++i) {
            if (job.control.canceled())
                return qs::Error{"cancelled"}; // the save files discard their temporaries
            if (job.tensorDone && i < tensors)
                job.tensorDone(i);
            if (mode == Mode::BlockUntilCancelled) {
                blocking = true;
                QThread::msleep(20);
                if (i > 3000)
                    return qs::Error{"the test never cancelled"};
            }
        }
        for (const auto &file : files)
            if (!file->commit())
                return qs::Error{file->errorString().toStdString()};
        return outcome;
    }
};

QByteArray head(const QString &path, int bytes) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.read(bytes) : QByteArray();
}

// RFC 4180 records, written here rather than with the code under test.
QList<QStringList> parseCsv(const QString &text) {
    QList<QStringList> records;
    QStringList record;
    QString field;
    bool quoted = false;
    for (int i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < text.size() && text[i + 1] == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            record << std::exchange(field, QString());
        } else if (c == QLatin1Char('\r') && i + 1 < text.size() && text[i + 1] == QLatin1Char('\n')) {
            record << std::exchange(field, QString());
            records << std::exchange(record, QStringList());
            ++i;
        } else {
            field += c;
        }
    }
    return records;
}

QString statusMessage(MainWindow &window) {
    return window.statusBar()->currentMessage();
}

} // namespace

class TestExportUi : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void menuListsEveryTarget();
    void planTargetReadsBack();
    void refusedPlanWritesNothing();
    void cancelLeavesNothing();
    void failureShownInMessage();
    void nonEmptyFolderAsksFirst();
    void plotMenuCoversEveryPlot();
    void plotImagesValid_data();
    void plotImagesValid();
    void csvFieldQuoting_data();
    void csvFieldQuoting();
    void modelTableAsShown();

private:
    void openDemo();
    void setDefaultBits(int bits);
    QStringList leftovers(const QString &dir) const;

    QTemporaryDir m_dir;
    QString m_demo;
    std::unique_ptr<MainWindow> m_window;
    QList<Message> m_messages;
    QStringList m_asked;
    QMessageBox::StandardButton m_answer = QMessageBox::Cancel;
};

void TestExportUi::initTestCase() {
    m_demo = qs::test::prepareWindowTest(m_dir);
    QVERIFY(!m_demo.isEmpty());
}

void TestExportUi::init() {
    m_messages.clear();
    m_asked.clear();
    m_window = std::make_unique<MainWindow>();
    m_window->setMessageHandler([this](QMessageBox::Icon icon, const QString &title, const QString &text) {
        m_messages.append({icon, title, text});
    });
    m_window->setAskHandler([this](const QString &, const QString &text) {
        m_asked << text;
        return m_answer;
    });
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestExportUi::cleanup() {
    m_window.reset();
}

void TestExportUi::openDemo() {
    QSignalSpy shown(m_window->controller(), &AnalysisController::exactShown);
    QVERIFY(m_window->openFile(m_demo));
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), kTimeoutMs);
}

void TestExportUi::setDefaultBits(int bits) {
    m_window->controls()->bitsBox()->setValue(bits);
    QCOMPARE(m_window->controller()->session().defaultSpec().bits, bits);
}

// Files other than the ones a test put there: a temporary a save left behind would show here.
QStringList TestExportUi::leftovers(const QString &dir) const {
    return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot);
}

// One entry per registered target, under its capability's section, named and explained by the
// target; all disabled until a checkpoint is open.
void TestExportUi::menuListsEveryTarget() {
    QMenu *menu = m_window->exportMenu();
    QVERIFY(menu);
    QList<QAction *> entries;
    for (QAction *action : menu->actions())
        if (!action->isSeparator())
            entries << action;
    QCOMPARE(entries.size(), qsizetype(qs::exporters().size()) + 1); // + the Model table
    for (QAction *action : entries)
        QVERIFY2(!action->isEnabled(), qPrintable(action->text()));
    openDemo();
    for (QAction *action : entries)
        QVERIFY2(action->isEnabled(), qPrintable(action->text()));

    const QMap<qs::ExportCapability, QString> sections{
        {qs::ExportCapability::Config, QStringLiteral("Configs")},
        {qs::ExportCapability::Weights, QStringLiteral("Quantized Weights")},
        {qs::ExportCapability::Table, QStringLiteral("Table")}};
    for (const qs::Exporter *exporter : qs::exporters()) {
        const QString name = QString::fromStdString(exporter->displayName());
        QString section;
        QAction *found = nullptr;
        for (QAction *action : menu->actions()) {
            if (action->isSeparator())
                section = action->text();
            else if (action->text() == name + QStringLiteral("…"))
                found = action;
            if (found)
                break;
        }
        QVERIFY2(found, qPrintable(name));
        QCOMPARE(section, sections.value(exporter->capability()));
        QVERIFY2(found->toolTip().contains(QString::fromStdString(exporter->schemesText()).toHtmlEscaped()),
                 qPrintable(found->toolTip()));
        QVERIFY2(found->toolTip().contains(QString::fromStdString(exporter->id())),
                 qPrintable(found->toolTip()));
    }
    QAction *plan = nullptr;
    for (QAction *action : entries)
        if (action->data().toString() == QLatin1String("quantscope"))
            plan = action;
    QVERIFY(plan);
    QCOMPARE(plan->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
}

// The Quantscope plan target writes a file whose plan is the window's; the export actions are
// disabled while it runs, and the status bar names the file.
void TestExportUi::planTargetReadsBack() {
    openDemo();
    setDefaultBits(6);
    const qs::Exporter *exporter = qs::findExporter("quantscope", false);
    QVERIFY(exporter);
    const QString path = m_dir.filePath(QStringLiteral("plan-export.json"));
    QFile::remove(path);
    QSignalSpy exported(m_window.get(), &MainWindow::targetExported);
    QVERIFY(m_window->exportTargetTo(*exporter, path));
    for (QAction *action : m_window->exportMenu()->actions())
        QVERIFY2(action->isSeparator() || !action->isEnabled(), qPrintable(action->text()));
    QVERIFY(!m_window->exportTargetTo(*exporter, path)); // one at a time
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
    QVERIFY(exported.first().at(1).toBool());
    QVERIFY(m_messages.isEmpty());
    const auto plan = qs::loadPlan(path.toStdString());
    QVERIFY2(plan.ok(), plan.error().c_str());
    QCOMPARE(plan.value(), m_window->controller()->session().plan());
    QCOMPARE(plan->defaults.bits, std::optional<int>(6));
    QVERIFY2(statusMessage(*m_window).contains(QDir::toNativeSeparators(path)),
             qPrintable(statusMessage(*m_window)));
    for (QAction *action : m_window->exportMenu()->actions())
        QVERIFY2(action->isSeparator() || action->isEnabled(), qPrintable(action->text()));
}

// A plan the target cannot express is refused before any dialog, with the reason and the
// tensors; nothing is written.
void TestExportUi::refusedPlanWritesNothing() {
    openDemo();
    setDefaultBits(4);
    TestExporter exporter;
    const QString dir = m_dir.filePath(QStringLiteral("refused"));
    QVERIFY(QDir().mkpath(dir));
    const QString path = dir + QStringLiteral("/out.txt");
    QVERIFY(!m_window->exportTargetTo(exporter, path));
    QCOMPARE(m_messages.size(), 1);
    const QString text = m_messages.first().text;
    QVERIFY2(text.contains(QStringLiteral("int4 has no test form")), qPrintable(text));
    const auto planned = m_window->controller()->session().planned();
    QVERIFY(!planned.empty());
    const QString first =
        QString::fromStdString(m_window->controller()->session().tensors()[planned[0]].name);
    QVERIFY2(text.contains(first), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Nothing was written")), qPrintable(text));
    QVERIFY(!m_window->exportRunner()->isRunning());
    QVERIFY(leftovers(dir).isEmpty());

    // The menu's way refuses before the file dialog: a dialog would be closed and fail the test.
    bool dialogShown = false;
    QTimer guard;
    connect(&guard, &QTimer::timeout, this, [&dialogShown] {
        if (QWidget *modal = QApplication::activeModalWidget()) {
            dialogShown = true;
            modal->close();
        }
    });
    guard.start(200);
    m_window->exportTargetWithDialog(exporter);
    QVERIFY(!dialogShown);
    QCOMPARE(m_messages.size(), 2);
    QCOMPARE(m_messages.last().text, text);
}

// Cancel in the progress dialog stops the worker; no file, no temporary, a status message.
void TestExportUi::cancelLeavesNothing() {
    openDemo();
    TestExporter exporter;
    exporter.mode = TestExporter::Mode::BlockUntilCancelled;
    const QString dir = m_dir.filePath(QStringLiteral("cancel"));
    QVERIFY(QDir().mkpath(dir));
    const QString path = dir + QStringLiteral("/out.txt");
    QSignalSpy exported(m_window.get(), &MainWindow::targetExported);
    QVERIFY(m_window->exportTargetTo(exporter, path));
    QTRY_VERIFY_WITH_TIMEOUT(exporter.blocking, kTimeoutMs);
    QProgressDialog *progress = m_window->exportRunner()->progressDialog();
    QVERIFY(progress);
    QTRY_VERIFY_WITH_TIMEOUT(progress->isVisible(), kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(progress->labelText().contains(QStringLiteral("Tensor ")), kTimeoutMs);
    QVERIFY2(progress->labelText().contains(QStringLiteral("Test target")),
             qPrintable(progress->labelText()));
    QVERIFY(!QFile::exists(path)); // the target is renamed into place only on success
    auto *cancel = progress->findChild<QPushButton *>();
    QVERIFY(cancel);
    QTest::mouseClick(cancel, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
    QVERIFY(!exported.first().at(1).toBool());
    QVERIFY(m_messages.isEmpty());
    QVERIFY(!QFile::exists(path));
    QVERIFY2(leftovers(dir).isEmpty(), qPrintable(leftovers(dir).join(QLatin1Char(' '))));
    QVERIFY2(statusMessage(*m_window).contains(QStringLiteral("cancelled")),
             qPrintable(statusMessage(*m_window)));
    QVERIFY(!m_window->exportRunner()->isRunning());
}

void TestExportUi::failureShownInMessage() {
    openDemo();
    TestExporter exporter;
    exporter.mode = TestExporter::Mode::Fail;
    const QString path = m_dir.filePath(QStringLiteral("failed.txt"));
    QSignalSpy exported(m_window.get(), &MainWindow::targetExported);
    QVERIFY(m_window->exportTargetTo(exporter, path));
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
    QVERIFY(!exported.first().at(1).toBool());
    QCOMPARE(m_messages.size(), 1);
    QCOMPARE(m_messages.first().title, QStringLiteral("Export Failed"));
    QVERIFY2(m_messages.first().text.contains(QStringLiteral("the test target always fails")),
             qPrintable(m_messages.first().text));
    QVERIFY(!QFile::exists(path));
}

// A folder target asks before writing into a folder that holds files, naming those it replaces.
void TestExportUi::nonEmptyFolderAsksFirst() {
    openDemo();
    TestExporter exporter;
    exporter.folder = true;
    const QString dir = m_dir.filePath(QStringLiteral("folder"));
    QVERIFY(QDir().mkpath(dir));
    QFile existing(dir + QStringLiteral("/config.json"));
    QVERIFY(existing.open(QIODevice::WriteOnly));
    existing.write("previous");
    existing.close();

    m_answer = QMessageBox::Cancel;
    QVERIFY(!m_window->exportTargetTo(exporter, dir));
    QCOMPARE(m_asked.size(), 1);
    QVERIFY2(m_asked.first().contains(QStringLiteral("config.json")), qPrintable(m_asked.first()));
    QVERIFY2(!m_asked.first().contains(QStringLiteral("model.safetensors")), qPrintable(m_asked.first()));
    QCOMPARE(head(dir + QStringLiteral("/config.json"), 100), QByteArray("previous"));
    QVERIFY(!QFile::exists(dir + QStringLiteral("/model.safetensors")));

    m_answer = QMessageBox::Yes;
    QSignalSpy exported(m_window.get(), &MainWindow::targetExported);
    QVERIFY(m_window->exportTargetTo(exporter, dir));
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kTimeoutMs);
    QVERIFY(exported.first().at(1).toBool());
    QCOMPARE(head(dir + QStringLiteral("/config.json"), 100), QByteArray("test export\n"));
    QVERIFY(QFile::exists(dir + QStringLiteral("/model.safetensors")));
    QVERIFY2(statusMessage(*m_window).contains(QStringLiteral("model.safetensors, config.json")),
             qPrintable(statusMessage(*m_window)));

    // An empty folder is written without a question.
    const QString empty = m_dir.filePath(QStringLiteral("empty-folder"));
    QVERIFY(QDir().mkpath(empty));
    QVERIFY(m_window->exportTargetTo(exporter, empty));
    QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 2, kTimeoutMs);
    QCOMPARE(m_asked.size(), 2);
}

// File ▸ Export Plot names every plot of the window; those not on screen are disabled until
// their panel shows them.
void TestExportUi::plotMenuCoversEveryPlot() {
    openDemo();
    QMenu *menu = m_window->findChild<QMenu *>(QStringLiteral("exportPlotMenu"));
    QVERIFY(menu);
    QStringList titles;
    for (QAction *action : menu->actions())
        if (!action->isSeparator())
            titles << action->text();
    for (const char *title :
         {"Weight Histogram…", "Mapping…", "Error Histogram…", "MSE Against Threshold…", "Error by Layer…",
          "Range per Channel…", "Group Heatmap…", "SQNR Against Bits per Weight…"})
        QVERIFY2(titles.contains(QString::fromUtf8(title)), qPrintable(titles.join(QLatin1Char('|'))));

    auto action = [menu](const QString &text) {
        for (QAction *a : menu->actions())
            if (a->text() == text)
                return a;
        return static_cast<QAction *>(nullptr);
    };
    m_window->modelDock()->hide();
    Q_EMIT menu->aboutToShow();
    QVERIFY(action(QStringLiteral("Weight Histogram…"))->isEnabled());
    QVERIFY(!action(QStringLiteral("Error by Layer…"))->isEnabled());
    QVERIFY2(action(QStringLiteral("Error by Layer…"))->toolTip().contains(QStringLiteral("Model panel")),
             qPrintable(action(QStringLiteral("Error by Layer…"))->toolTip()));
    m_window->modelDock()->show();
    QTRY_VERIFY(m_window->modelPanel()->layerChart()->plot()->isVisible());
    Q_EMIT menu->aboutToShow();
    QVERIFY(action(QStringLiteral("Error by Layer…"))->isEnabled());
}

void TestExportUi::plotImagesValid_data() {
    QTest::addColumn<QString>("suffix");
    for (const char *suffix : {"png", "svg", "pdf"})
        QTest::addRow("%s", suffix) << QString::fromLatin1(suffix);
}

// The layer chart, which the Export Plot menu newly offers, saves as valid images: PNG at twice
// the plot's size (the export's device-pixel ratio), SVG as XML with an <svg> root, PDF with its
// header.
void TestExportUi::plotImagesValid() {
    QFETCH(QString, suffix);
    openDemo();
    m_window->modelDock()->show();
    QCustomPlot *plot = m_window->modelPanel()->layerChart()->plot();
    QTRY_VERIFY(plot->isVisible() && plot->width() > 0);
    const QString path = m_dir.filePath(QStringLiteral("layers.") + suffix);
    QFile::remove(path);
    const QString error = qs::ui::savePlotImage(plot, path);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(QFileInfo(path).size() > 100);
    if (suffix == QLatin1String("png")) {
        const QImage image(path);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), plot->size() * 2);
    } else if (suffix == QLatin1String("svg")) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QXmlStreamReader xml(&file);
        QVERIFY(xml.readNextStartElement());
        QCOMPARE(xml.name().toString(), QStringLiteral("svg"));
        while (!xml.atEnd())
            xml.readNext();
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    } else {
        QCOMPARE(head(path, 5), QByteArray("%PDF-"));
    }
}

void TestExportUi::csvFieldQuoting_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("field");
    // RFC 4180 §2: fields with commas, quotes or line breaks are quoted; quotes are doubled.
    QTest::addRow("plain") << QStringLiteral("q_proj 4096 × 4096") << QStringLiteral("q_proj 4096 × 4096");
    QTest::addRow("comma") << QStringLiteral("a,b") << QStringLiteral("\"a,b\"");
    QTest::addRow("quote") << QStringLiteral("say \"hi\"") << QStringLiteral("\"say \"\"hi\"\"\"");
    QTest::addRow("newline") << QStringLiteral("a\nb") << QStringLiteral("\"a\nb\"");
    QTest::addRow("empty") << QString() << QString();
}

void TestExportUi::csvFieldQuoting() {
    QFETCH(QString, text);
    QFETCH(QString, field);
    QCOMPARE(qs::ui::csvField(text), field);
}

// The CSV holds what the table shows: filtered and sorted rows, visible columns in their
// on-screen order, each cell's text.
void TestExportUi::modelTableAsShown() {
    openDemo();
    qs::ui::ModelPanel *panel = m_window->modelPanel();
    QTableView *view = panel->view();
    panel->setFilterText(QStringLiteral("mlp"));
    view->sortByColumn(qs::ui::ModelTableModel::Params, Qt::DescendingOrder);
    view->horizontalHeader()->moveSection(qs::ui::ModelTableModel::Stored, 0); // dragged first
    const QAbstractItemModel *shown = view->model();
    QVERIFY(shown->rowCount() > 1);
    QVERIFY(shown->rowCount() < panel->model()->rowCount());

    const QString path = m_dir.filePath(QStringLiteral("table.csv"));
    QVERIFY(m_window->exportTableTo(path));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(file.readAll());
    QVERIFY(text.endsWith(QStringLiteral("\r\n")));
    const QList<QStringList> records = parseCsv(text);
    QCOMPARE(records.size(), shown->rowCount() + 1);

    QStringList header;
    QList<int> columns;
    for (int visual = 0; visual < view->horizontalHeader()->count(); ++visual) {
        const int logical = view->horizontalHeader()->logicalIndex(visual);
        if (!view->isColumnHidden(logical)) {
            columns << logical;
            header << shown->headerData(logical, Qt::Horizontal).toString();
        }
    }
    QVERIFY(columns.size() < qs::ui::ModelTableModel::ColumnCount); // the reference columns hide
    QCOMPARE(records.first(), header);
    QCOMPARE(records.first().first(), QStringLiteral("Stored"));
    for (int row : {0, shown->rowCount() - 1}) {
        QStringList cells;
        for (int column : columns)
            cells << shown->index(row, column).data().toString();
        QCOMPARE(records[row + 1], cells);
    }
    // Sorted by parameters, largest first; every row passes the filter.
    const int nameColumn = int(columns.indexOf(qs::ui::ModelTableModel::Name));
    for (int row = 1; row < records.size(); ++row)
        QVERIFY2(records[row][nameColumn].contains(QStringLiteral("mlp")),
                 qPrintable(records[row][nameColumn]));
    const qint64 first = shown->index(0, qs::ui::ModelTableModel::Params).data(Qt::UserRole).toLongLong();
    const qint64 last =
        shown->index(shown->rowCount() - 1, qs::ui::ModelTableModel::Params).data(Qt::UserRole).toLongLong();
    QVERIFY(first >= last);
}

QTEST_MAIN(TestExportUi)
#include "tst_exportui.moc"
