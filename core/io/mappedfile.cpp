#include "io/mappedfile.h"

#include <QFile>
#include <QString>

namespace qs {

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string &path) {
    auto mapped = std::shared_ptr<MappedFile>(new MappedFile);
    mapped->m_path = path;
    mapped->m_file = std::make_unique<QFile>(QString::fromStdString(path));
    if (!mapped->m_file->open(QIODevice::ReadOnly))
        return Error{path + ": cannot open: " + mapped->m_file->errorString().toStdString()};
    const qint64 size = mapped->m_file->size();
    if (size == 0)
        return std::shared_ptr<const MappedFile>(mapped);
    uchar *data = mapped->m_file->map(0, size);
    if (!data)
        return Error{path + ": cannot map into memory: " + mapped->m_file->errorString().toStdString()};
    mapped->m_bytes = {reinterpret_cast<const std::byte *>(data), std::size_t(size)};
    return std::shared_ptr<const MappedFile>(mapped);
}

MappedFile::~MappedFile() = default; // QFile unmaps on destruction

} // namespace qs
