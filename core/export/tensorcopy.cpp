#include "export/tensorcopy.h"

#include "export/exporter.h"
#include "io/safetensorswriter.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <string_view>

namespace qs {

namespace {

// Pieces of this many bytes keep a copy's memory bounded without slowing it down.
constexpr std::size_t kCopyPiece = std::size_t(8) << 20;

bool startsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool losslessFromFloat32(DType dtype) {
    return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

} // namespace

TensorCopier::TensorCopier(const CheckpointReader &reader)
    : m_reader(reader)
    , m_dataFiles(reader.dataFiles()) {
    const std::string format = reader.formatName();
    m_rawFormat = startsWith(format, "safetensors") || startsWith(format, "GGUF");
}

bool TensorCopier::rawBytes(const TensorInfo &info) const {
    return m_rawFormat && info.storageType.empty() && info.fileIndex < m_dataFiles.size() &&
           info.byteSize == std::uint64_t(info.elementCount()) * dtypeSize(info.dtype);
}

std::optional<std::string> TensorCopier::cannotCopy(const TensorInfo &info) const {
    if (rawBytes(info))
        return std::nullopt;
    if (!info.storageType.empty())
        return "it is stored as " + info.storageType + ", which safetensors cannot hold";
    if (!losslessFromFloat32(info.dtype))
        return std::string(dtypeName(info.dtype)) + " from a " + m_reader.formatName() +
               " checkpoint cannot be copied without loss (only F32, F16 and BF16)";
    return std::nullopt;
}

Result<std::span<const std::byte>> TensorCopier::storedBytes(const TensorInfo &info) {
    auto it = m_mapped.find(info.fileIndex);
    if (it == m_mapped.end()) {
        auto mapped = MappedFile::open(m_dataFiles[info.fileIndex]);
        if (!mapped)
            return Error{mapped.error()};
        it = m_mapped.emplace(info.fileIndex, std::move(mapped).value()).first;
    }
    const std::span<const std::byte> bytes = it->second->bytes();
    if (info.byteOffset > bytes.size() || info.byteSize > bytes.size() - info.byteOffset)
        return Error{it->second->path() + ": tensor '" + info.name + "' lies outside the file"};
    return bytes.subspan(std::size_t(info.byteOffset), std::size_t(info.byteSize));
}

Status TensorCopier::copy(std::size_t index, SafetensorsStream &out, const RunControl &control) {
    const TensorInfo &info = m_reader.tensors()[index];
    if (const auto why = cannotCopy(info))
        return Error{"tensor '" + info.name + "': " + *why};
    if (!rawBytes(info)) {
        const auto loaded = m_reader.loadFloat(index, control);
        if (!loaded)
            return Error{loaded.error()};
        return out.append(encodeFloats(loaded.value()->values(), info.dtype));
    }
    const auto bytes = storedBytes(info);
    if (!bytes)
        return Error{bytes.error()};
    for (std::size_t done = 0; done < bytes->size(); done += kCopyPiece) {
        if (control.canceled())
            return Error{"cancelled"};
        if (const Status ok = out.append(bytes->subspan(done, std::min(kCopyPiece, bytes->size() - done)));
            !ok)
            return ok;
    }
    return {};
}

DType scaleDtypeFor(DType weightDtype) {
    return weightDtype == DType::BF16 || weightDtype == DType::F16 ? weightDtype : DType::F32;
}

ScaleDtype specScaleDtypeFor(DType weightDtype) {
    switch (scaleDtypeFor(weightDtype)) {
    case DType::BF16:
        return ScaleDtype::BF16;
    case DType::F16:
        return ScaleDtype::F16;
    default:
        return ScaleDtype::F32;
    }
}

Result<ExportOutcome> streamWeights(const ExportJob &job, SafetensorsStream &out, TensorCopier &copier,
                                    const std::vector<std::optional<QuantSpec>> &specs,
                                    const WriteQuantized &writeQuantized) {
    const std::vector<TensorInfo> &tensors = job.reader->tensors();
    std::uint64_t total = 0;
    for (const TensorInfo &info : tensors)
        total += std::max<std::uint64_t>(info.byteSize, 1);
    ExportOutcome outcome;
    std::uint64_t done = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (job.control.canceled())
            return Error{"cancelled"};
        const Status written =
            specs[i] ? writeQuantized(i, *specs[i], out) : copier.copy(i, out, job.control);
        if (!written)
            return Error{written.error()};
        (specs[i] ? outcome.quantized : outcome.copied) += 1;
        done += std::max<std::uint64_t>(tensors[i].byteSize, 1);
        job.control.report(double(done) / double(total));
        if (job.tensorDone)
            job.tensorDone(i);
    }
    if (job.control.canceled())
        return Error{"cancelled"};
    auto committed = out.commit();
    if (!committed)
        return Error{committed.error()};
    outcome.written = std::move(committed).value();
    return outcome;
}

Status checkNotInput(const CheckpointReader &reader, const std::vector<std::string> &paths) {
    const std::vector<std::string> inputs = checkpointInputFiles(reader);
    for (const std::string &path : paths) {
        const QString canonical = QFileInfo(QString::fromStdString(path)).canonicalFilePath();
        if (!canonical.isEmpty() &&
            std::find(inputs.begin(), inputs.end(), canonical.toStdString()) != inputs.end())
            return Error{path + " is part of the input checkpoint; refusing to overwrite it"};
    }
    return {};
}

OutputFolder::OutputFolder(const std::string &folder) {
    QString path = QDir::cleanPath(QFileInfo(QString::fromStdString(folder)).absoluteFilePath());
    std::vector<std::string> missing;
    while (!QFileInfo::exists(path) && !QDir(path).isRoot()) {
        missing.insert(missing.begin(), path.toStdString());
        path = QFileInfo(path).path();
    }
    for (const std::string &dir : missing) {
        if (!QDir().mkdir(QString::fromStdString(dir))) {
            m_status = Error{folder + ": cannot create the folder"};
            return;
        }
        m_created.push_back(dir);
    }
    if (!QFileInfo(QString::fromStdString(folder)).isDir())
        m_status = Error{folder + " is not a folder"};
}

OutputFolder::~OutputFolder() {
    for (auto it = m_created.rbegin(); it != m_created.rend(); ++it)
        QDir().rmdir(QString::fromStdString(*it)); // fails, as meant, when not empty
}

} // namespace qs
