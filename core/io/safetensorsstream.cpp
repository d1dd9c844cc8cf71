#include "io/safetensorsstream.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QString>

#include <algorithm>
#include <array>
#include <bit>
#include <set>

namespace qs {

struct SafetensorsStream::Shard {
    std::string path;
    std::size_t begin = 0; // tensors [begin, end)
    std::size_t end = 0;
};

namespace {

constexpr std::size_t kHeaderAlignment = 8;
constexpr std::uint64_t kMaxTensorBytes = std::uint64_t(1) << 62;

QString qstr(const std::string &text) {
    return QString::fromStdString(text);
}

QJsonArray jsonNumbers(const std::vector<std::int64_t> &numbers) {
    QJsonArray array;
    for (std::int64_t n : numbers)
        array.append(qint64(n));
    return array;
}

std::string shardName(const QString &stem, std::size_t index, std::size_t count) {
    return QStringLiteral("%1-%2-of-%3.safetensors")
        .arg(stem)
        .arg(index + 1, 5, 10, QLatin1Char('0'))
        .arg(count, 5, 10, QLatin1Char('0'))
        .toStdString();
}

// Runs of whole tensors, each filled up to the limit (a larger tensor gets a shard of its own).
std::vector<std::pair<std::size_t, std::size_t>> shardRuns(const std::vector<StreamTensor> &tensors,
                                                           std::uint64_t limit) {
    std::vector<std::pair<std::size_t, std::size_t>> runs;
    std::uint64_t filled = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const std::uint64_t size = tensors[i].byteSize();
        if (runs.empty() || (filled > 0 && filled + size > limit)) {
            runs.emplace_back(i, i);
            filled = 0;
        }
        runs.back().second = i + 1;
        filled += size;
    }
    if (runs.empty())
        runs.emplace_back(0, 0);
    return runs;
}

Status validate(const std::vector<StreamTensor> &tensors) {
    std::set<std::string> names;
    for (const StreamTensor &t : tensors) {
        if (t.name == "__metadata__" || !names.insert(t.name).second)
            return Error{"tensor name '" + t.name + "' is reserved or used twice"};
        std::uint64_t bytes = dtypeSize(t.dtype);
        for (std::int64_t d : t.shape)
            if (d < 0 || __builtin_mul_overflow(bytes, std::uint64_t(d), &bytes) || bytes > kMaxTensorBytes)
                return Error{"tensor '" + t.name + "' has a negative or oversized shape"};
    }
    return {};
}

QByteArray headerBytes(std::span<const StreamTensor> tensors,
                       const std::map<std::string, std::string> &metadata) {
    QJsonObject header;
    std::uint64_t offset = 0;
    for (const StreamTensor &t : tensors) {
        const std::uint64_t end = offset + t.byteSize();
        header.insert(qstr(t.name),
                      QJsonObject{{QStringLiteral("dtype"), QString::fromUtf8(dtypeName(t.dtype))},
                                  {QStringLiteral("shape"), jsonNumbers(t.shape)},
                                  {QStringLiteral("data_offsets"), QJsonArray{qint64(offset), qint64(end)}}});
        offset = end;
    }
    if (!metadata.empty()) {
        QJsonObject meta;
        for (const auto &[key, value] : metadata)
            meta.insert(qstr(key), qstr(value));
        header.insert(QStringLiteral("__metadata__"), meta);
    }
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    // Spaces keep the data section 8-byte aligned, as the safetensors format recommends.
    json.append(
        qsizetype((kHeaderAlignment - std::size_t(json.size()) % kHeaderAlignment) % kHeaderAlignment), ' ');
    auto length = std::bit_cast<std::array<char, 8>>(std::uint64_t(json.size()));
    if constexpr (std::endian::native == std::endian::big)
        std::reverse(length.begin(), length.end());
    return QByteArray(length.data(), 8) + json;
}

Error fileError(const QSaveFile &file) {
    return Error{file.fileName().toStdString() + ": cannot write: " + file.errorString().toStdString()};
}

} // namespace

std::uint64_t StreamTensor::byteSize() const {
    std::uint64_t bytes = dtypeSize(dtype);
    for (std::int64_t d : shape)
        bytes *= std::uint64_t(d);
    return bytes;
}

Result<std::vector<std::string>> SafetensorsStream::plannedPaths(const std::string &target,
                                                                 const std::vector<StreamTensor> &tensors,
                                                                 std::uint64_t shardBytes) {
    if (const Status valid = validate(tensors); !valid)
        return Error{target + ": " + valid.error()};
    const auto runs = shardRuns(tensors, shardBytes);
    if (runs.size() == 1)
        return std::vector<std::string>{target};
    const QFileInfo info(qstr(target));
    QString stem = info.fileName();
    if (stem.endsWith(QStringLiteral(".safetensors")))
        stem.chop(12);
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < runs.size(); ++i)
        paths.push_back(info.dir().filePath(qstr(shardName(stem, i, runs.size()))).toStdString());
    paths.push_back(target + ".index.json");
    return paths;
}

Result<std::unique_ptr<SafetensorsStream>>
SafetensorsStream::open(const std::string &target, std::vector<StreamTensor> tensors,
                        std::uint64_t shardBytes, const std::map<std::string, std::string> &metadata) {
    const auto paths = plannedPaths(target, tensors, shardBytes);
    if (!paths)
        return Error{paths.error()};
    std::unique_ptr<SafetensorsStream> stream(new SafetensorsStream);
    const auto runs = shardRuns(tensors, shardBytes);
    for (std::size_t i = 0; i < runs.size(); ++i)
        stream->m_shards.push_back({paths.value()[i], runs[i].first, runs[i].second});
    if (runs.size() > 1)
        stream->m_indexPath = paths.value().back();
    stream->m_tensors = std::move(tensors);
    stream->m_metadata = metadata;
    if (const Status started = stream->startShard(0); !started)
        return Error{started.error()};
    return stream;
}

Status SafetensorsStream::startShard(std::size_t shard) {
    const Shard &s = m_shards[shard];
    auto file = std::make_unique<QSaveFile>(qstr(s.path));
    file->setDirectWriteFallback(false);
    if (!file->open(QIODevice::WriteOnly))
        return fileError(*file);
    const QByteArray header = headerBytes(std::span(m_tensors).subspan(s.begin, s.end - s.begin), m_metadata);
    if (file->write(header) != header.size())
        return fileError(*file);
    m_files.push_back(std::move(file));
    return {};
}

std::vector<std::string> SafetensorsStream::paths() const {
    std::vector<std::string> all;
    for (const Shard &s : m_shards)
        all.push_back(s.path);
    if (!m_indexPath.empty())
        all.push_back(m_indexPath);
    all.insert(all.end(), m_extraPaths.begin(), m_extraPaths.end());
    return all;
}

Status SafetensorsStream::advance() {
    // Empty tensors complete without bytes, so move past every finished one.
    while (m_tensor < m_tensors.size() && m_tensorWritten == m_tensors[m_tensor].byteSize()) {
        ++m_tensor;
        m_tensorWritten = 0;
        const std::size_t shard = m_files.size() - 1;
        if (m_tensor == m_shards[shard].end && shard + 1 < m_shards.size()) {
            if (!m_files.back()->flush())
                return fileError(*m_files.back());
            if (const Status next = startShard(shard + 1); !next)
                return next;
        }
    }
    return {};
}

Status SafetensorsStream::append(std::span<const std::byte> bytes) {
    if (const Status moved = advance(); !moved)
        return moved;
    while (!bytes.empty()) {
        if (m_tensor >= m_tensors.size())
            return Error{m_shards.back().path + ": more bytes than the declared tensors hold"};
        const StreamTensor &t = m_tensors[m_tensor];
        const std::uint64_t room = t.byteSize() - m_tensorWritten;
        const std::size_t piece = std::size_t(std::min<std::uint64_t>(room, bytes.size()));
        QSaveFile &file = *m_files.back();
        if (file.write(reinterpret_cast<const char *>(bytes.data()), qint64(piece)) != qint64(piece))
            return Error{fileError(file).message + " (tensor '" + t.name + "')"};
        bytes = bytes.subspan(piece);
        m_tensorWritten += piece;
        if (const Status moved = advance(); !moved)
            return moved;
    }
    return {};
}

Status SafetensorsStream::addFile(const std::string &path, const QByteArray &content) {
    auto file = std::make_unique<QSaveFile>(qstr(path));
    file->setDirectWriteFallback(false);
    if (!file->open(QIODevice::WriteOnly) || file->write(content) != content.size())
        return fileError(*file);
    m_extraFiles.push_back(std::move(file));
    m_extraPaths.push_back(path);
    return {};
}

QByteArray SafetensorsStream::indexJson() const {
    QJsonObject weightMap;
    std::uint64_t total = 0;
    for (const Shard &s : m_shards) {
        const QString file = QFileInfo(qstr(s.path)).fileName();
        for (std::size_t i = s.begin; i < s.end; ++i) {
            weightMap.insert(qstr(m_tensors[i].name), file);
            total += m_tensors[i].byteSize();
        }
    }
    const QJsonObject root{
        {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("total_size"), qint64(total)}}},
        {QStringLiteral("weight_map"), weightMap}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

Result<std::vector<std::string>> SafetensorsStream::commit() {
    if (const Status moved = advance(); !moved)
        return Error{moved.error()};
    if (m_tensor != m_tensors.size())
        return Error{m_shards.back().path + ": tensor '" + m_tensors[m_tensor].name + "' is incomplete"};
    if (!m_indexPath.empty()) {
        auto index = std::make_unique<QSaveFile>(qstr(m_indexPath));
        index->setDirectWriteFallback(false);
        const QByteArray json = indexJson();
        if (!index->open(QIODevice::WriteOnly) || index->write(json) != json.size())
            return fileError(*index);
        m_extraFiles.insert(m_extraFiles.begin(), std::move(index));
    }
    std::vector<QSaveFile *> all;
    for (auto &file : m_files)
        all.push_back(file.get());
    for (auto &file : m_extraFiles)
        all.push_back(file.get());
    // Flush everything first, so that a full disk shows before any file is renamed into place.
    for (QSaveFile *file : all)
        if (!file->flush())
            return fileError(*file);
    std::vector<std::string> committed;
    for (QSaveFile *file : all) {
        if (!file->commit()) {
            const Error error = fileError(*file);
            for (const std::string &path : committed)
                QFile::remove(qstr(path));
            return error;
        }
        committed.push_back(file->fileName().toStdString());
    }
    m_files.clear();
    m_extraFiles.clear();
    return paths();
}

SafetensorsStream::~SafetensorsStream() = default;

} // namespace qs
