#include "io/mappedfile.h"

#include <algorithm>

#include <QFile>
#include <QString>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace qs {

namespace {

constexpr std::size_t kPopulateLimit = std::size_t(256) << 20;

} // namespace

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

void MappedFile::prepareSequentialRead(std::size_t offset, std::size_t size) const {
#if defined(__linux__)
    if (offset >= m_bytes.size() || size == 0)
        return;
    size = std::min(size, m_bytes.size() - offset);
    // madvise takes page-aligned starts; the mapping itself starts on a page.
    const auto page = std::size_t(sysconf(_SC_PAGESIZE));
    const std::size_t start = offset / page * page;
    void *address = const_cast<std::byte *>(m_bytes.data() + start);
    const std::size_t length = offset + size - start;
    madvise(address, length, MADV_SEQUENTIAL);
#if defined(MADV_POPULATE_READ)
    // Populating waits for the pages (from disk when cold) and cannot be cancelled: only for
    // tensors that take a moment at worst; larger ones only get read-ahead.
    if (length <= kPopulateLimit && madvise(address, length, MADV_POPULATE_READ) == 0)
        return;
#endif
    madvise(address, length, MADV_WILLNEED);
#else
    (void)offset;
    (void)size;
#endif
}

} // namespace qs
