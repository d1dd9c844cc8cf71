#include "util/textfile.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSaveFile>

namespace qs {

namespace {

QString qstr(const std::string &s) {
    return QString::fromStdString(s);
}

std::string mebibytes(std::int64_t bytes) {
    return std::to_string(bytes / (1024 * 1024)) + " MiB";
}

} // namespace

Status saveTextFile(const std::string &path, const std::string &text) {
    QSaveFile file(qstr(path));
    if (!file.open(QIODevice::WriteOnly))
        return Error{path + ": cannot write: " + file.errorString().toStdString()};
    if (file.write(text.data(), qint64(text.size())) != qint64(text.size())) {
        file.cancelWriting();
        return Error{path + ": cannot write: " + file.errorString().toStdString()};
    }
    if (!file.commit())
        return Error{path + ": cannot save: " + file.errorString().toStdString()};
    return {};
}

Result<std::string> loadTextFile(const std::string &path, std::int64_t maxBytes, const std::string &what) {
    QFile file(qstr(path));
    if (!file.open(QIODevice::ReadOnly))
        return Error{path + ": cannot open: " + file.errorString().toStdString()};
    if (file.size() > maxBytes)
        return Error{path + ": " + std::to_string(file.size()) + " bytes is too large for " + what +
                     " (the limit is " + mebibytes(maxBytes) + ")"};
    // Read one byte past the limit, so a file that grows or lies about its size is caught too.
    const QByteArray bytes = file.read(maxBytes + 1);
    if (bytes.size() > maxBytes)
        return Error{path + ": too large for " + what + " (the limit is " + mebibytes(maxBytes) + ")"};
    return bytes.toStdString();
}

Result<QJsonObject> parseJsonObject(const std::string &text, const std::string &source,
                                    const std::string &what) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(text), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Error{source + ": not valid JSON at byte " + std::to_string(parseError.offset) + ": " +
                     parseError.errorString().toStdString()};
    if (!doc.isObject())
        return Error{source + ": not " + what + " (the top level is not a JSON object)"};
    return doc.object();
}

} // namespace qs
