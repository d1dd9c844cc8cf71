#include "npywriter.h"

#include <QSaveFile>

#include <algorithm>
#include <bit>
#include <cstring>

namespace qs::cli {

namespace {

// NumPy aligns the data to 64 bytes: magic (6) + version (2) + length (2) + header.
constexpr qsizetype kAlignment = 64;
constexpr qsizetype kPreambleBytes = 10;
constexpr qsizetype kMaxHeaderBytes = 65535; // format 1.0 stores the length in two bytes
constexpr qsizetype kValuesPerWrite = 1 << 16;

QByteArray shapeTuple(const std::vector<std::int64_t> &shape) {
    QByteArray tuple("(");
    for (std::size_t i = 0; i < shape.size(); ++i)
        tuple += QByteArray::number(qint64(shape[i])) + (i + 1 < shape.size() ? ", " : "");
    return tuple + (shape.size() == 1 ? ",)" : ")");
}

QByteArray header(const std::vector<std::int64_t> &shape) {
    QByteArray dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeTuple(shape) + ", }";
    const qsizetype padded = (kPreambleBytes + dict.size() + 1 + kAlignment - 1) / kAlignment * kAlignment;
    dict += QByteArray(padded - kPreambleBytes - dict.size() - 1, ' ') + '\n';
    QByteArray out("\x93NUMPY\x01\x00", 8);
    out += char(dict.size() & 0xFF);
    out += char((dict.size() >> 8) & 0xFF);
    return out + dict;
}

// The values as little-endian bytes, whatever the machine's order.
bool writeValues(QSaveFile &file, std::span<const float> values) {
    for (std::size_t begin = 0; begin < values.size(); begin += std::size_t(kValuesPerWrite)) {
        const std::size_t n = std::min(values.size() - begin, std::size_t(kValuesPerWrite));
        QByteArray bytes(qsizetype(n * sizeof(float)), Qt::Uninitialized);
        std::memcpy(bytes.data(), values.data() + begin, n * sizeof(float));
        if constexpr (std::endian::native == std::endian::big)
            for (qsizetype i = 0; i < bytes.size(); i += 4) {
                std::swap(bytes[i], bytes[i + 3]);
                std::swap(bytes[i + 1], bytes[i + 2]);
            }
        if (file.write(bytes) != bytes.size())
            return false;
    }
    return true;
}

} // namespace

std::optional<QString> writeNpyFloat32(const QString &path, std::span<const float> values,
                                       const std::vector<std::int64_t> &shape) {
    const QByteArray head = header(shape);
    if (head.size() - kPreambleBytes > kMaxHeaderBytes)
        return QStringLiteral("%1: the shape has too many dimensions for a .npy header").arg(path);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    if (file.write(head) != head.size() || !writeValues(file, values) || !file.commit())
        return QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    return std::nullopt;
}

} // namespace qs::cli
