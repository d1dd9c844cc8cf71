#include "export/exporter.h"

#include <QFileInfo>
#include <QString>

#include <algorithm>
#include <map>

namespace qs {

// Each target's file pair defines one of these; the registry lists them in menu order.
const Exporter &quantscopePlanExporter();
const Exporter &compressedTensorsConfigExporter();
const Exporter &llamaCppTypesExporter();
const Exporter &aimetEncodingsExporter();
const Exporter &aimetLegacyEncodingsExporter();
const Exporter &csvTableExporter();
const Exporter &ggufExporter();
const Exporter &compressedTensorsWeightsExporter();
const Exporter &fakeQuantExporter();

namespace {

constexpr std::size_t kNamesPerReason = 4;

std::string canonicalPath(const std::string &path) {
    const QFileInfo info(QString::fromStdString(path));
    const QString canonical = info.canonicalFilePath();
    return canonical.isEmpty() ? std::string() : canonical.toStdString();
}

std::string joinNames(const std::vector<std::string> &names) {
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < kNamesPerReason; ++i)
        text += (i ? ", " : "") + names[i];
    if (names.size() > kNamesPerReason)
        text += ", and " + std::to_string(names.size() - kNamesPerReason) + " more";
    return text;
}

} // namespace

std::string_view exportCapabilityName(ExportCapability capability) {
    switch (capability) {
    case ExportCapability::Config:
        return "config";
    case ExportCapability::Weights:
        return "weights";
    case ExportCapability::Table:
        return "table";
    }
    return "config";
}

Status Exporter::checkInput(const CheckpointReader &) const {
    return {};
}

std::optional<std::string> Exporter::cannotExpressTensor(const TensorInfo &info,
                                                         const QuantSpec &spec) const {
    return cannotExpress(spec, info.shape);
}

std::vector<std::string> Exporter::outputPaths(const std::string &output) const {
    if (!outputIsFolder())
        return {output};
    std::vector<std::string> paths;
    const QString folder = QString::fromStdString(output);
    for (const std::string &file : outputFiles())
        paths.push_back(
            QFileInfo(folder + QLatin1Char('/') + QString::fromStdString(file)).filePath().toStdString());
    return paths;
}

Status Exporter::check(const ExportJob &job) const {
    if (!job.reader)
        return Error{"no checkpoint to export"};
    if (const Status input = checkInput(*job.reader); !input)
        return input;
    if (job.output.empty())
        return Error{"no output named"};

    // Refused tensors grouped by reason, in file order within each reason.
    std::map<std::string, std::vector<std::string>> refused;
    std::vector<std::string> reasons;
    for (const TensorInfo &info : job.reader->tensors()) {
        const TensorResolution resolution = resolve(job.plan, info.name, info.shape);
        if (!resolution.quantized())
            continue;
        const auto why = cannotExpressTensor(info, resolution.spec);
        if (!why)
            continue;
        auto [it, added] = refused.try_emplace(*why);
        if (added)
            reasons.push_back(*why);
        it->second.push_back(info.name);
    }
    if (!reasons.empty()) {
        std::string text = displayName() + " cannot express the plan: ";
        for (std::size_t i = 0; i < reasons.size(); ++i)
            text += (i ? "; " : "") + reasons[i] + " (" + joinNames(refused[reasons[i]]) + ")";
        return Error{text};
    }

    const std::vector<std::string> inputs = checkpointInputFiles(*job.reader);
    for (const std::string &path : outputPaths(job.output)) {
        const std::string canonical = canonicalPath(path);
        if (!canonical.empty() && std::find(inputs.begin(), inputs.end(), canonical) != inputs.end())
            return Error{path + " is the input checkpoint; refusing to overwrite it"};
    }
    return {};
}

std::vector<std::string> checkpointInputFiles(const CheckpointReader &reader) {
    std::vector<std::string> files;
    auto add = [&files](const std::string &path) {
        const std::string canonical = canonicalPath(path);
        if (!canonical.empty() && std::find(files.begin(), files.end(), canonical) == files.end())
            files.push_back(canonical);
    };
    add(reader.path());
    for (const std::string &path : reader.dataFiles())
        add(path);
    return files;
}

std::span<const Exporter *const> exporters() {
    static const std::vector<const Exporter *> all{
        &quantscopePlanExporter(), &compressedTensorsConfigExporter(),
        &aimetEncodingsExporter(), &aimetLegacyEncodingsExporter(),
        &llamaCppTypesExporter(),  &csvTableExporter(),
        &ggufExporter(),           &compressedTensorsWeightsExporter(),
        &fakeQuantExporter(),
    };
    return all;
}

const Exporter *findExporter(std::string_view id, bool weights) {
    for (const Exporter *exporter : exporters())
        if ((exporter->capability() == ExportCapability::Weights) == weights && exporter->id() == id)
            return exporter;
    return nullptr;
}

std::string exporterIds(bool weights) {
    std::string ids;
    for (const Exporter *exporter : exporters())
        if ((exporter->capability() == ExportCapability::Weights) == weights)
            ids += (ids.empty() ? "" : "|") + exporter->id();
    return ids;
}

} // namespace qs
