#include "io/npyreader.h"

#include "io/dtypedecode.h"

#include <QFileInfo>
#include <QString>

#include <bit>
#include <new>

namespace qs {

namespace {

Error fileError(const std::string &path, const std::string &problem) {
    return Error{path + ": " + problem};
}

std::string tensorName(const std::string &path) {
    const QString base = QFileInfo(QString::fromStdString(path)).fileName();
    const QString name = base.endsWith(QStringLiteral(".npy"), Qt::CaseInsensitive) ? base.chopped(4) : base;
    return name.isEmpty() ? std::string("array") : name.toStdString();
}

Status checkDataSize(const NpyHeader &header, std::uint64_t available) {
    if (available == header.dataBytes)
        return {};
    return Error{"data size mismatch: shape " + npyShapeText(header.shape) + " of " +
                 std::string(dtypeName(header.dtype)) + " needs " + std::to_string(header.dataBytes) +
                 " bytes but " + std::to_string(available) + " follow the header"};
}

} // namespace

std::map<std::string, std::string> npyMetadata(const NpyHeader &header) {
    return {
        {"npy_version", std::to_string(header.majorVersion) + "." + std::to_string(header.minorVersion)},
        {"byte_order", header.bigEndian ? "big-endian" : "little-endian"},
        {"fortran_order", header.fortranOrder ? "True" : "False"},
    };
}

Result<std::shared_ptr<const FloatTensor>>
loadNpyTensor(const TensorInfo &info, const NpyHeader &header, std::span<const std::byte> data,
              std::shared_ptr<const void> keepAlive, const std::string &context, const RunControl &control) {
    if (control.canceled())
        return Error{"cancelled"};
    const auto count = std::size_t(info.elementCount());
    if (npyViewableInPlace(header, data.data())) {
        control.report(1.0);
        return FloatTensor::fromView(info, {reinterpret_cast<const float *>(data.data()), count},
                                     std::move(keepAlive));
    }
    std::vector<float> values;
    try {
        values.resize(count);
    } catch (const std::bad_alloc &) {
        return Error{context + ": tensor '" + info.name + "': not enough memory to decode " +
                     std::to_string(count) + " elements"};
    }
    if (!decodeNpyData(header, data, values, control))
        return Error{"cancelled"};
    return FloatTensor::fromVector(info, std::move(values));
}

Result<std::shared_ptr<const NpyReader>> NpyReader::open(const std::string &path) {
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return Error{mapped.error()};
    const std::span<const std::byte> file = mapped.value()->bytes();
    auto header = parseNpyHeader(file);
    if (!header)
        return fileError(path, header.error());
    const Status size = checkDataSize(header.value(), file.size() - header->dataOffset);
    if (!size)
        return fileError(path, size.error());

    auto reader = std::shared_ptr<NpyReader>(new NpyReader);
    reader->m_header = std::move(header).value();
    TensorInfo info;
    info.name = tensorName(path);
    info.dtype = reader->m_header.dtype;
    info.shape = reader->m_header.shape;
    info.byteOffset = reader->m_header.dataOffset;
    info.byteSize = reader->m_header.dataBytes;
    reader->m_tensors.push_back(std::move(info));
    reader->m_metadata = npyMetadata(reader->m_header);
    reader->m_file = std::move(mapped).value();
    return std::shared_ptr<const NpyReader>(std::move(reader));
}

bool NpyReader::probe(std::span<const std::byte> head, std::uint64_t) {
    return looksLikeNpy(head);
}

const std::string &NpyReader::path() const {
    return m_file->path();
}

Result<std::shared_ptr<const FloatTensor>> NpyReader::loadFloat(std::size_t index,
                                                                const RunControl &control) const {
    if (index >= m_tensors.size())
        return fileError(path(), "no tensor with index " + std::to_string(index) + " (the file has " +
                                     std::to_string(m_tensors.size()) + ")");
    const TensorInfo &info = m_tensors[index];
    const auto data = m_file->bytes().subspan(info.byteOffset, info.byteSize);
    return loadNpyTensor(info, m_header, data, m_file, path(), control);
}

Result<std::shared_ptr<const FloatTensor>> NpyReader::loadChunked(std::size_t index,
                                                                  const RunControl &control) const {
    if (index >= m_tensors.size() || control.canceled())
        return loadFloat(index, control);
    const TensorInfo &info = m_tensors[index];
    auto chunked = chunkedNpyTensor(info, m_header, m_file, std::size_t(info.byteOffset));
    if (!chunked)
        return loadFloat(index, control);
    control.report(1.0);
    return chunked;
}

std::shared_ptr<const FloatTensor> chunkedNpyTensor(const TensorInfo &info, const NpyHeader &header,
                                                    std::shared_ptr<const MappedFile> file,
                                                    std::size_t offset) {
    const std::byte *data = file->bytes().data() + offset;
    const bool nativeLittle = std::endian::native == std::endian::little && !header.bigEndian;
    if (npyViewableInPlace(header, data) || !nativeLittle || npyNeedsTranspose(header))
        return nullptr;
    return FloatTensor::fromMapped(info, std::move(file), offset, dtypeSize(info.dtype),
                                   littleEndianDecoder(info.dtype));
}

} // namespace qs
