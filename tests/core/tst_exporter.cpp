// The exporter registry: what every target shares (refusing a plan it cannot express, never
// writing over its input) and the Quantscope plan target, read back by loadPlan and by hand.

#include "clifixture.h"

#include "export/exporter.h"
#include "io/safetensorswriter.h"
#include "plan/planjson.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;

namespace {

// A target that can express everything but q4_k and nf4, and writes nothing.
class PickyExporter final : public Exporter {
public:
    std::string id() const override { return "picky"; }
    std::string displayName() const override { return "Picky"; }
    ExportCapability capability() const override { return ExportCapability::Config; }
    std::vector<std::string> outputFiles() const override { return {"txt"}; }
    std::string fileFilter() const override { return "Text (*.txt)"; }
    std::string schemesText() const override { return "all but q4_k and nf4"; }
    std::optional<std::string> cannotExpress(const QuantSpec &spec,
                                             const std::vector<std::int64_t> &) const override {
        if (spec.format == NumberFormat::Q4_K)
            return std::string("q4_k has no picky form");
        if (spec.format == NumberFormat::Nf4)
            return std::string("nf4 has no picky form");
        return std::nullopt;
    }
    Result<ExportOutcome> write(const ExportJob &) const override { return ExportOutcome{}; }
};

// A folder target with two files.
class FolderExporter final : public Exporter {
public:
    std::string id() const override { return "folder"; }
    std::string displayName() const override { return "Folder"; }
    ExportCapability capability() const override { return ExportCapability::Weights; }
    bool outputIsFolder() const override { return true; }
    std::vector<std::string> outputFiles() const override { return {"model.safetensors", "config.json"}; }
    std::string fileFilter() const override { return {}; }
    std::string schemesText() const override { return "every scheme"; }
    std::optional<std::string> cannotExpress(const QuantSpec &,
                                             const std::vector<std::int64_t> &) const override {
        return std::nullopt;
    }
    Result<ExportOutcome> write(const ExportJob &) const override { return ExportOutcome{}; }
};

std::vector<float> ramp(std::size_t n) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = float(i % 97) / 48.0f - 1.0f;
    return v;
}

PlanScheme formatOnly(NumberFormat format) {
    PlanScheme s;
    s.format = format;
    return s;
}

} // namespace

class TestExporter : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::shared_ptr<const CheckpointReader> m_reader;
    QString m_model;

    QString path(const char *name) const { return m_dir.filePath(QLatin1String(name)); }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        std::vector<TensorBlob> tensors;
        for (int i = 0; i < 6; ++i)
            tensors.push_back(test::blob("model.layers." + std::to_string(i) + ".mlp.down_proj.weight",
                                         DType::F32, {4, 256}, ramp(1024)));
        tensors.push_back(test::blob("model.norm.weight", DType::F32, {256}, ramp(256)));
        tensors.push_back(test::blob("lm_head.weight", DType::F32, {4, 256}, ramp(1024)));
        m_model = path("model.safetensors");
        QVERIFY(writeSafetensors(m_model.toStdString(), tensors).ok());
        auto opened = openCheckpoint(m_model.toStdString());
        QVERIFY2(opened.ok(), opened.error().c_str());
        m_reader = opened.value();
    }

    void registryFindsByKind() {
        const Exporter *plan = findExporter("quantscope", false);
        QVERIFY(plan);
        QCOMPARE(plan->capability(), ExportCapability::Config);
        QVERIFY(!findExporter("quantscope", true)); // not a weights target
        QVERIFY(!findExporter("no-such-target", false));
        QVERIFY(exporterIds(false).find("quantscope") != std::string::npos);
        for (const Exporter *exporter : exporters()) {
            QVERIFY(!exporter->id().empty());
            QVERIFY(!exporter->outputFiles().empty());
            QCOMPARE(findExporter(exporter->id(), exporter->capability() == ExportCapability::Weights),
                     exporter);
        }
    }

    // Refused tensors are grouped by reason, a few named per reason; kept tensors are never
    // asked about, so the norm and the head (default ignores) do not count.
    void checkNamesRefusedTensors() {
        const PickyExporter picky;
        ExportJob job;
        job.reader = m_reader.get();
        job.output = path("out.txt").toStdString();
        job.plan.defaults = formatOnly(NumberFormat::Q4_K);
        job.plan.overrides["model.layers.5.mlp.down_proj.weight"] = {false, formatOnly(NumberFormat::Nf4)};
        const Status status = picky.check(job);
        QVERIFY(!status.ok());
        const QString text = QString::fromStdString(status.error());
        QVERIFY2(text.startsWith(QLatin1String("Picky cannot express the plan: q4_k has no picky form (")),
                 qPrintable(text));
        // Five q4_k tensors: four named, then the count of the rest.
        QVERIFY2(text.contains(QLatin1String("model.layers.3.mlp.down_proj.weight, and 1 more)")),
                 qPrintable(text));
        QVERIFY2(
            text.contains(QLatin1String("; nf4 has no picky form (model.layers.5.mlp.down_proj.weight)")),
            qPrintable(text));
        QVERIFY(!text.contains(QLatin1String("lm_head")));
        QVERIFY(!text.contains(QLatin1String("model.norm")));

        job.plan.defaults = formatOnly(NumberFormat::Q8_0);
        job.plan.overrides.clear();
        QVERIFY2(picky.check(job).ok(), picky.check(job).error().c_str());
    }

    void checkRefusesToOverwriteInput() {
        const PickyExporter picky;
        ExportJob job;
        job.reader = m_reader.get();
        job.output = m_model.toStdString();
        const Status same = picky.check(job);
        QVERIFY(!same.ok());
        QVERIFY2(QString::fromStdString(same.error()).contains(QLatin1String("refusing to overwrite")),
                 same.error().c_str());
        // The same file through another spelling of its path.
        job.output = (m_dir.path() + QStringLiteral("/./model.safetensors")).toStdString();
        QVERIFY(!picky.check(job).ok());

        // A folder target writing model.safetensors into the input's own folder.
        const FolderExporter folder;
        job.output = m_dir.path().toStdString();
        QVERIFY(!folder.check(job).ok());
        QVERIFY(QDir().mkpath(path("elsewhere")));
        job.output = path("elsewhere").toStdString();
        QVERIFY2(folder.check(job).ok(), folder.check(job).error().c_str());
        QCOMPARE(folder.outputPaths(job.output).size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(folder.outputPaths(job.output)[1]), path("elsewhere/config.json"));
    }

    // The plan target's file is a plan loadPlan reads back unchanged, plus "resolved": every
    // tensor's outcome, checked here against resolve() by hand.
    void planTargetRoundTrips() {
        const Exporter *exporter = findExporter("quantscope", false);
        QVERIFY(exporter);
        ExportJob job;
        job.reader = m_reader.get();
        job.output = path("plan.json").toStdString();
        job.plan.defaults.bits = 4;
        job.plan.defaults.granularity = Granularity{Granularity::Kind::Group, 0, 128};
        auto rule = NamePattern::parse("*.layers.1.*");
        QVERIFY(rule.ok());
        job.plan.rules.push_back({rule.value(), formatOnly(NumberFormat::Q8_0)});
        job.plan.overrides["model.layers.2.mlp.down_proj.weight"] = PlanOverride::keepStored();
        std::vector<std::size_t> done;
        job.tensorDone = [&done](std::size_t index) { done.push_back(index); };
        QVERIFY(exporter->check(job).ok());
        const auto outcome = exporter->write(job);
        QVERIFY2(outcome.ok(), outcome.error().c_str());
        QCOMPARE(outcome->written, std::vector<std::string>{job.output});
        QCOMPARE(outcome->quantized, 5); // six layers, one kept by its override
        QCOMPARE(outcome->copied, 3);
        QCOMPARE(done.size(), m_reader->tensors().size());

        const auto back = loadPlan(job.output);
        QVERIFY2(back.ok(), back.error().c_str());
        QVERIFY(back.value() == job.plan);

        QFile file(QString::fromStdString(job.output));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject resolved =
            QJsonDocument::fromJson(file.readAll()).object().value(QLatin1String("resolved")).toObject();
        QCOMPARE(resolved.size(), qsizetype(m_reader->tensors().size()));
        const QJsonObject layer1 =
            resolved.value(QLatin1String("model.layers.1.mlp.down_proj.weight")).toObject();
        QCOMPARE(layer1.value(QLatin1String("decided_by")).toString(),
                 QStringLiteral("rule 1: *.layers.1.*"));
        QCOMPARE(layer1.value(QLatin1String("scheme")).toObject().value(QLatin1String("format")).toString(),
                 QStringLiteral("q8_0"));
        QCOMPARE(layer1.value(QLatin1String("bits_per_weight")).toDouble(), 8.5); // 34 bytes per 32
        const QJsonObject layer0 =
            resolved.value(QLatin1String("model.layers.0.mlp.down_proj.weight")).toObject();
        QCOMPARE(
            layer0.value(QLatin1String("scheme")).toObject().value(QLatin1String("granularity")).toString(),
            QStringLiteral("group:128"));
        QCOMPARE(layer0.value(QLatin1String("scheme")).toObject().value(QLatin1String("bits")).toInt(), 4);
        QCOMPARE(resolved.value(QLatin1String("model.layers.2.mlp.down_proj.weight"))
                     .toObject()
                     .value(QLatin1String("keep"))
                     .toString(),
                 QStringLiteral("override"));
        QCOMPARE(resolved.value(QLatin1String("model.norm.weight"))
                     .toObject()
                     .value(QLatin1String("keep"))
                     .toString(),
                 QStringLiteral("1-D (norm or bias)"));
    }

    void cancelledWriteLeavesNothing() {
        const Exporter *exporter = findExporter("quantscope", false);
        ExportJob job;
        job.reader = m_reader.get();
        job.output = path("cancelled.json").toStdString();
        job.control.isCanceled = [] { return true; };
        const auto outcome = exporter->write(job);
        QVERIFY(!outcome.ok());
        QCOMPARE(QString::fromStdString(outcome.error()), QStringLiteral("cancelled"));
        QVERIFY(!QFile::exists(path("cancelled.json")));
    }

    // export and quantize through the CLI: exit 0 with the files named, 2 for what the command
    // line or the target refuses, 1 for an input that cannot be read; one error line each.
    void cliExitStatuses() {
        const QString cli = qEnvironmentVariable("QUANTSCOPE_CLI");
        QVERIFY2(QFile::exists(cli), "QUANTSCOPE_CLI must name the quantscope-cli binary");
        auto run = [&cli](const QStringList &args) {
            QProcess process;
            process.start(cli, args);
            process.waitForFinished(60000);
            return std::pair{process.exitCode(), QString::fromUtf8(process.readAllStandardError() +
                                                                   process.readAllStandardOutput())};
        };
        const QString out = path("cli-plan.json");
        auto [ok, okText] =
            run({QStringLiteral("export"), m_model, QStringLiteral("--to"), QStringLiteral("quantscope"),
                 QStringLiteral("-o"), out, QStringLiteral("--bits"), QStringLiteral("4")});
        QCOMPARE(ok, 0);
        QVERIFY2(okText.contains(QStringLiteral("wrote ") + out), qPrintable(okText));
        const auto plan = loadPlan(out.toStdString());
        QVERIFY2(plan.ok(), plan.error().c_str());
        QCOMPARE(plan->defaults.bits, std::optional<int>(4));

        const struct {
            QStringList args;
            int status;
            const char *says;
        } cases[] = {
            {{QStringLiteral("export"), m_model, QStringLiteral("-o"), out}, 2, "export needs --to"},
            {{QStringLiteral("export"), m_model, QStringLiteral("--to"), QStringLiteral("quantscope")},
             2,
             "needs -o OUT"},
            {{QStringLiteral("quantize"), m_model, QStringLiteral("--to"), QStringLiteral("quantscope"),
              QStringLiteral("-o"), out},
             2,
             "quantize cannot write \"quantscope\""},
            {{QStringLiteral("export"), m_model, QStringLiteral("--to"), QStringLiteral("quantscope"),
              QStringLiteral("-o"), m_model},
             2,
             "refusing to overwrite it"},
            {{QStringLiteral("export"), path("missing.safetensors"), QStringLiteral("--to"),
              QStringLiteral("quantscope"), QStringLiteral("-o"), out},
             1,
             "missing.safetensors"},
        };
        for (const auto &c : cases) {
            const auto [status, text] = run(c.args);
            QVERIFY2(status == c.status,
                     qPrintable(c.args.join(QLatin1Char(' ')) + QStringLiteral(": ") + text));
            QVERIFY2(text.startsWith(QLatin1String("error: ")) && text.contains(QLatin1String(c.says)),
                     qPrintable(text));
            QCOMPARE(text.count(QLatin1Char('\n')), 1);
        }
    }
};

QTEST_GUILESS_MAIN(TestExporter)
#include "tst_exporter.moc"
