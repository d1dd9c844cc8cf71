#include "io/safetensorswriter.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QString>

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <set>

namespace qs {

namespace {

constexpr std::size_t kHeaderAlignment = 8;

template <typename T>
void appendLittleEndian(std::vector<std::byte> &out, T value) {
    auto raw = std::bit_cast<std::array<std::byte, sizeof(T)>>(value);
    if constexpr (std::endian::native == std::endian::big)
        std::reverse(raw.begin(), raw.end());
    out.insert(out.end(), raw.begin(), raw.end());
}

template <typename T>
std::vector<std::byte> encodeAs(std::span<const float> values) {
    std::vector<std::byte> out(values.size() * sizeof(T));
    for (std::size_t i = 0; i < values.size(); ++i) {
        auto raw = std::bit_cast<std::array<std::byte, sizeof(T)>>(static_cast<T>(values[i]));
        if constexpr (std::endian::native == std::endian::big)
            std::reverse(raw.begin(), raw.end());
        std::memcpy(out.data() + i * sizeof(T), raw.data(), sizeof(T));
    }
    return out;
}

QJsonArray toJsonArray(const std::vector<std::int64_t> &numbers) {
    QJsonArray array;
    for (std::int64_t n : numbers)
        array.append(qint64(n));
    return array;
}

// Byte count the shape needs, or nullopt if the shape is negative or overflows.
std::optional<std::uint64_t> expectedBytes(const TensorBlob &blob) {
    std::uint64_t bytes = dtypeSize(blob.dtype);
    for (std::int64_t dim : blob.shape) {
        if (dim < 0 || __builtin_mul_overflow(bytes, std::uint64_t(dim), &bytes))
            return std::nullopt;
    }
    return bytes;
}

Status validate(const std::string &path, const std::vector<TensorBlob> &tensors) {
    std::set<std::string> names;
    for (const TensorBlob &blob : tensors) {
        const std::string where = path + ": tensor '" + blob.name + "': ";
        if (blob.name == "__metadata__" || !names.insert(blob.name).second)
            return Error{where + "name is reserved or used twice"};
        const auto bytes = expectedBytes(blob);
        if (!bytes)
            return Error{where + "shape has a negative or overflowing dimension"};
        if (*bytes != blob.bytes.size())
            return Error{where + "has " + std::to_string(blob.bytes.size()) + " bytes but its shape needs " +
                         std::to_string(*bytes)};
    }
    return {};
}

QByteArray headerJson(const std::vector<TensorBlob> &tensors,
                      const std::map<std::string, std::string> &metadata) {
    QJsonObject header;
    std::int64_t offset = 0;
    for (const TensorBlob &blob : tensors) {
        const auto end = offset + std::int64_t(blob.bytes.size());
        header.insert(QString::fromStdString(blob.name),
                      QJsonObject{{QStringLiteral("dtype"), QString::fromUtf8(dtypeName(blob.dtype))},
                                  {QStringLiteral("shape"), toJsonArray(blob.shape)},
                                  {QStringLiteral("data_offsets"), toJsonArray({offset, end})}});
        offset = end;
    }
    if (!metadata.empty()) {
        QJsonObject meta;
        for (const auto &[key, value] : metadata)
            meta.insert(QString::fromStdString(key), QString::fromStdString(value));
        header.insert(QStringLiteral("__metadata__"), meta);
    }
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    // Spaces after the JSON keep the data section 8-byte aligned (8 + header length).
    const auto padding = (kHeaderAlignment - std::size_t(json.size()) % kHeaderAlignment) % kHeaderAlignment;
    json.append(qsizetype(padding), ' ');
    return json;
}

bool writeAll(QSaveFile &file, const void *data, std::size_t size) {
    return file.write(static_cast<const char *>(data), qint64(size)) == qint64(size);
}

} // namespace

std::vector<std::byte> encodeFloats(std::span<const float> values, DType dtype) {
    switch (dtype) {
    case DType::F32:
        return encodeAs<float>(values);
    case DType::F64:
        return encodeAs<double>(values);
    case DType::F16:
        return encodeAs<Eigen::half>(values);
    case DType::BF16:
        return encodeAs<Eigen::bfloat16>(values);
    default:
        return {};
    }
}

Status writeSafetensors(const std::string &path, const std::vector<TensorBlob> &tensors,
                        const std::map<std::string, std::string> &metadata) {
    const Status valid = validate(path, tensors);
    if (!valid)
        return valid;
    const QByteArray header = headerJson(tensors, metadata);
    std::vector<std::byte> length;
    appendLittleEndian(length, std::uint64_t(header.size()));

    QSaveFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::WriteOnly))
        return Error{path + ": cannot write: " + file.errorString().toStdString()};
    bool ok =
        writeAll(file, length.data(), length.size()) && writeAll(file, header.constData(), header.size());
    for (const TensorBlob &blob : tensors)
        ok = ok && writeAll(file, blob.bytes.data(), blob.bytes.size());
    if (!ok || !file.commit())
        return Error{path + ": cannot write: " + file.errorString().toStdString()};
    return {};
}

} // namespace qs
