#include "io/checkpointreader.h"

#include "io/checkpointformats.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>

namespace qs {

namespace {

std::string supportedList() {
    std::string names;
    for (const CheckpointFormat &format : checkpointFormats())
        names += (names.empty() ? "" : ", ") + format.name;
    return names;
}

bool matchesExtension(const CheckpointFormat &format, const QString &fileName) {
    for (const std::string &pattern : format.extensions) {
        const QString suffix = QString::fromStdString(pattern).remove(QLatin1Char('*'));
        if (fileName.endsWith(suffix, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

Result<QByteArray> readHead(const std::string &path, const QFileInfo &info) {
    if (!info.exists())
        return Error{path + ": no such file"};
    if (info.isDir())
        return Error{path + ": is a directory, not a checkpoint file"};
    if (!info.isFile()) // a FIFO or device would block or have no size to map
        return Error{path + ": not a regular file"};
    QFile file(info.filePath());
    if (!file.open(QIODevice::ReadOnly))
        return Error{path + ": cannot open: " + file.errorString().toStdString()};
    QByteArray head = file.read(qint64(kProbeBytes));
    if (head.isEmpty() && file.size() > 0)
        return Error{path + ": cannot read: " + file.errorString().toStdString()};
    return head;
}

} // namespace

Result<std::shared_ptr<const CheckpointReader>> openCheckpoint(const std::string &path) {
    const QFileInfo info(QString::fromStdString(path));
    const auto head = readHead(path, info);
    if (!head)
        return Error{head.error()};
    const std::span<const std::byte> bytes{reinterpret_cast<const std::byte *>(head->constData()),
                                           std::size_t(head->size())};
    for (const CheckpointFormat &format : checkpointFormats()) {
        if (format.probe(bytes, std::uint64_t(info.size())))
            return format.open(path);
    }
    // A damaged file that starts like a format gets that format's precise complaint; the one
    // its name suggests first (a broken zip named .npz is a broken npz, not a broken PyTorch file).
    const CheckpointFormat *named = nullptr;
    for (const CheckpointFormat &format : checkpointFormats()) {
        if (!named && matchesExtension(format, info.fileName()))
            named = &format;
    }
    if (named && named->claims(bytes, std::uint64_t(info.size())))
        return named->open(path);
    for (const CheckpointFormat &format : checkpointFormats()) {
        if (format.claims(bytes, std::uint64_t(info.size())))
            return format.open(path);
    }
    // The content claims nothing, whatever the name says.
    std::string message = path + ": not a recognised checkpoint (supported: " + supportedList() + ")";
    if (named)
        message += "; the name suggests " + named->name + ", but the content does not start like one";
    return Error{message};
}

} // namespace qs
