// The Quantscope plan as an export target: the versioned plan file, plus each tensor's resolved
// outcome under "resolved" for readers (loadPlan skips it).

#include "export/exporter.h"
#include "plan/planjson.h"
#include "quant/schemequant.h"
#include "util/textfile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace qs {

namespace {

QString qstr(const std::string &text) {
    return QString::fromStdString(text);
}

std::string keepText(KeepReason reason) {
    switch (reason) {
    case KeepReason::OneDimensional:
        return "1-D (norm or bias)";
    case KeepReason::Embedding:
        return "embedding";
    case KeepReason::OutputHead:
        return "output head";
    case KeepReason::UserIgnore:
        return "ignore pattern";
    case KeepReason::OverrideKeep:
        return "override";
    case KeepReason::None:
        break;
    }
    return {};
}

QJsonObject resolvedJson(const QuantPlan &plan, const TensorInfo &info) {
    const TensorResolution r = resolve(plan, info.name, info.shape);
    QJsonArray shape;
    for (std::int64_t d : info.shape)
        shape.append(qint64(d));
    QJsonObject o{{QStringLiteral("shape"), shape},
                  {QStringLiteral("dtype"), qstr(info.typeName())},
                  {QStringLiteral("decided_by"), qstr(resolutionText(plan, r))}};
    if (r.kept()) {
        o.insert(QStringLiteral("keep"), qstr(keepText(r.keep)));
    } else if (!r.skipped.empty()) {
        o.insert(QStringLiteral("skipped"), qstr(r.skipped));
    } else {
        const QJsonDocument scheme =
            QJsonDocument::fromJson(QByteArray::fromStdString(planSchemeToJson(planSchemeFromSpec(r.spec))));
        o.insert(QStringLiteral("scheme"), scheme.object());
        o.insert(QStringLiteral("bits_per_weight"), schemeBitsPerWeight(r.spec, info.shape));
    }
    return o;
}

class PlanExporter final : public Exporter {
public:
    std::string id() const override { return "quantscope"; }
    std::string displayName() const override { return "Quantscope plan"; }
    ExportCapability capability() const override { return ExportCapability::Config; }
    std::vector<std::string> outputFiles() const override { return {"json"}; }
    std::string fileFilter() const override { return "Quantscope plan (*.json)"; }
    std::string schemesText() const override { return "every scheme"; }
    std::optional<std::string> cannotExpress(const QuantSpec &,
                                             const std::vector<std::int64_t> &) const override {
        return std::nullopt;
    }

    Result<ExportOutcome> write(const ExportJob &job) const override {
        QJsonObject root = QJsonDocument::fromJson(QByteArray::fromStdString(planToJson(job.plan))).object();
        QJsonObject resolved;
        ExportOutcome outcome;
        for (std::size_t i = 0; i < job.reader->tensors().size(); ++i) {
            if (job.control.canceled())
                return Error{"cancelled"};
            const TensorInfo &info = job.reader->tensors()[i];
            const QJsonObject tensor = resolvedJson(job.plan, info);
            (tensor.contains(QStringLiteral("scheme")) ? outcome.quantized : outcome.copied) += 1;
            resolved.insert(qstr(info.name), tensor);
            if (job.tensorDone)
                job.tensorDone(i);
        }
        root.insert(QStringLiteral("resolved"), resolved);
        const std::string text = QJsonDocument(root).toJson(QJsonDocument::Indented).toStdString();
        if (const Status saved = saveTextFile(job.output, text); !saved)
            return Error{saved.error()};
        outcome.written.push_back(job.output);
        return outcome;
    }
};

} // namespace

const Exporter &quantscopePlanExporter() {
    static const PlanExporter exporter;
    return exporter;
}

} // namespace qs
