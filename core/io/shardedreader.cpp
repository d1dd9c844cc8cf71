#include "io/shardedreader.h"

#include "io/checkpointformats.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QString>

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>

namespace qs {

namespace {

const QString kWeightMap = QStringLiteral("weight_map");

Error indexError(const std::string &path, const std::string &problem) {
    return Error{path + ": " + problem};
}

Result<QJsonObject> readIndex(const std::string &path) {
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        return Error{"cannot open: " + file.errorString().toStdString()};
    if (std::uint64_t(file.size()) > ShardedReader::kMaxIndexBytes)
        return Error{"index of " + std::to_string(file.size()) + " bytes exceeds the limit of " +
                     std::to_string(ShardedReader::kMaxIndexBytes) + " bytes"};
    const QByteArray text = file.readAll();
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(text, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Error{"index is not valid JSON: " + parseError.errorString().toStdString() + " at byte " +
                     std::to_string(parseError.offset)};
    if (!document.isObject())
        return Error{"index is not a JSON object"};
    return document.object();
}

// Shards must stay inside the index's directory: no absolute paths, no ".." components.
Status checkShardName(const std::string &name) {
    if (name.empty())
        return Error{"has an empty shard file name"};
    if (name.find('\0') != std::string::npos)
        return Error{"shard name contains a NUL byte"};
    const QString text = QString::fromStdString(name);
    if (name[0] == '/' || name[0] == '\\' || QDir::isAbsolutePath(text) || text.contains(QLatin1Char(':')))
        return Error{"shard '" + name + "' is an absolute path; shards must lie beside the index"};
    const QStringList parts =
        QString(text).replace(QLatin1Char('\\'), QLatin1Char('/')).split(QLatin1Char('/'));
    if (parts.contains(QStringLiteral("..")))
        return Error{"shard '" + name + "' escapes the index's directory with '..'"};
    return {};
}

struct WeightMap {
    std::vector<std::string> shardNames;                      ///< distinct, sorted
    std::vector<std::map<std::string, bool>> tensorsPerShard; ///< name -> seen in the shard
};

Result<WeightMap> parseWeightMap(const QJsonObject &index) {
    const QJsonValue value = index.value(kWeightMap);
    if (!value.isObject())
        return Error{"\"weight_map\" is missing or not a JSON object"};
    const QJsonObject map = value.toObject();
    if (std::size_t(map.size()) > ShardedReader::kMaxEntries)
        return Error{"weight_map has " + std::to_string(map.size()) + " entries, more than the limit of " +
                     std::to_string(ShardedReader::kMaxEntries)};
    std::map<std::string, std::map<std::string, bool>> byShard;
    for (auto it = map.begin(); it != map.end(); ++it) {
        if (!it.value().isString())
            return Error{"weight_map entry '" + it.key().toStdString() + "' is not a string"};
        const std::string shard = it.value().toString().toStdString();
        const Status name = checkShardName(shard);
        if (!name)
            return Error{"weight_map entry '" + it.key().toStdString() + "' " + name.error()};
        byShard[shard][it.key().toStdString()] = false;
    }
    WeightMap parsed;
    for (auto &[shard, tensors] : byShard) {
        parsed.shardNames.push_back(shard);
        parsed.tensorsPerShard.push_back(std::move(tensors));
    }
    return parsed;
}

std::string jsonText(const QJsonValue &value) {
    if (value.isString())
        return value.toString().toStdString();
    if (value.isDouble()) {
        const double number = value.toDouble();
        if (std::floor(number) == number && std::abs(number) < 9.0e15)
            return std::to_string(std::int64_t(number));
        return QString::number(number, 'g', 17).toStdString();
    }
    if (value.isBool())
        return value.toBool() ? "true" : "false";
    if (value.isNull())
        return "null";
    const QJsonDocument document =
        value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
    return document.toJson(QJsonDocument::Compact).toStdString();
}

std::map<std::string, std::string> parseMetadata(const QJsonObject &index) {
    std::map<std::string, std::string> metadata;
    const QJsonObject object = index.value(QStringLiteral("metadata")).toObject();
    for (auto it = object.begin(); it != object.end(); ++it)
        metadata[it.key().toStdString()] = jsonText(it.value());
    return metadata;
}

// An index naming an index (itself, say) would recurse without end: refuse it by content.
Status checkNotAnIndex(const QString &shardPath) {
    QFile file(shardPath);
    if (!file.open(QIODevice::ReadOnly))
        return {}; // openCheckpoint reports why
    const QByteArray head = file.read(qint64(kProbeBytes));
    const std::span<const std::byte> bytes{reinterpret_cast<const std::byte *>(head.constData()),
                                           std::size_t(head.size())};
    if (ShardedReader::probe(bytes, std::uint64_t(file.size())))
        return Error{"is itself a shard index; shards must be checkpoint files"};
    return {};
}

Result<std::shared_ptr<const CheckpointReader>> openShard(const QDir &directory, const std::string &name) {
    const QString shardPath = directory.filePath(QString::fromStdString(name));
    const QFileInfo info(shardPath);
    if (!info.exists())
        return Error{"shard '" + name + "' is missing (expected at " + shardPath.toStdString() + ")"};
    const Status notIndex = checkNotAnIndex(shardPath);
    if (!notIndex)
        return Error{"shard '" + name + "' " + notIndex.error()};
    auto reader = openCheckpoint(shardPath.toStdString());
    if (!reader)
        return Error{"shard '" + name + "': " + reader.error()};
    return reader;
}

// Set while this thread opens an index's shards. The content check above misses an index whose
// "weight_map" lies past the probed head but reached by its extension; this catches any nesting.
thread_local bool t_openingShards = false;

class NestingGuard {
public:
    NestingGuard() { t_openingShards = true; }
    ~NestingGuard() { t_openingShards = false; }
    NestingGuard(const NestingGuard &) = delete;
    NestingGuard &operator=(const NestingGuard &) = delete;
};

} // namespace

Result<std::shared_ptr<const ShardedReader>> ShardedReader::open(const std::string &path) {
    if (t_openingShards)
        return indexError(path, "is a shard index used as a shard; shards must be checkpoint files");
    const NestingGuard guard;
    const auto index = readIndex(path);
    if (!index)
        return indexError(path, index.error());
    auto weightMap = parseWeightMap(index.value());
    if (!weightMap)
        return indexError(path, weightMap.error());
    WeightMap &map = weightMap.value();
    const QDir directory = QFileInfo(QString::fromStdString(path)).absoluteDir();

    auto reader = std::shared_ptr<ShardedReader>(new ShardedReader);
    reader->m_path = path;
    reader->m_metadata = parseMetadata(index.value());
    for (std::size_t s = 0; s < map.shardNames.size(); ++s) {
        auto shard = openShard(directory, map.shardNames[s]);
        if (!shard)
            return indexError(path, shard.error());
        const std::vector<TensorInfo> &shardTensors = shard.value()->tensors();
        std::map<std::string, bool> &expected = map.tensorsPerShard[s];
        for (std::size_t t = 0; t < shardTensors.size(); ++t) {
            const auto listed = expected.find(shardTensors[t].name);
            if (listed == expected.end() || listed->second)
                continue; // not in the index (or a repeated name): the index defines the model
            listed->second = true;
            TensorInfo info = shardTensors[t];
            info.fileIndex = s;
            reader->m_tensors.push_back(std::move(info));
            reader->m_shardTensor.push_back(t);
        }
        for (const auto &[name, found] : expected) {
            if (!found)
                return indexError(path, "tensor '" + name + "' is listed in shard '" + map.shardNames[s] +
                                            "' but that shard does not hold it");
        }
        reader->m_shards.push_back(std::move(shard).value());
    }
    return std::shared_ptr<const ShardedReader>(std::move(reader));
}

bool ShardedReader::probe(std::span<const std::byte> head, std::uint64_t fileSize) {
    if (fileSize > kMaxIndexBytes)
        return false;
    const std::string_view text(reinterpret_cast<const char *>(head.data()), head.size());
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && text[first] == '{' &&
           text.find("\"weight_map\"") != std::string_view::npos;
}

std::string ShardedReader::formatName() const {
    if (m_shards.empty())
        return "shard index (no shards)";
    const std::size_t n = m_shards.size();
    return m_shards.front()->formatName() + " (" + std::to_string(n) + (n == 1 ? " shard)" : " shards)");
}

std::vector<std::string> ShardedReader::shardPaths() const {
    std::vector<std::string> paths;
    for (const auto &shard : m_shards)
        paths.push_back(shard->path());
    return paths;
}

Result<std::shared_ptr<const FloatTensor>> ShardedReader::loadFloat(std::size_t index,
                                                                    const RunControl &control) const {
    return load(index, control, &CheckpointReader::loadFloat);
}

Result<std::shared_ptr<const FloatTensor>> ShardedReader::loadChunked(std::size_t index,
                                                                      const RunControl &control) const {
    return load(index, control, &CheckpointReader::loadChunked);
}

Result<std::shared_ptr<const FloatTensor>> ShardedReader::load(std::size_t index, const RunControl &control,
                                                               ShardLoad shardLoad) const {
    if (index >= m_tensors.size())
        return indexError(m_path, "no tensor with index " + std::to_string(index) + " (the model has " +
                                      std::to_string(m_tensors.size()) + ")");
    const TensorInfo &info = m_tensors[index];
    auto tensor = (m_shards[info.fileIndex].get()->*shardLoad)(m_shardTensor[index], control);
    if (!tensor)
        return Error{tensor.error()};
    // Re-labelled with this model's info (its fileIndex); the values stay where the shard put them.
    return FloatTensor::relabeled(std::move(tensor).value(), info);
}

} // namespace qs
