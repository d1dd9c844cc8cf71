#include "democheckpointfile.h"

#include "io/democheckpoint.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace qs::ui {

qs::Result<QString> ensureDemoCheckpoint() {
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
    if (dir.isEmpty() || !QDir().mkpath(dir))
        return qs::Error{"cannot create the cache directory " + dir.toStdString() +
                         " for the demo checkpoint"};
    QString version = QCoreApplication::applicationVersion();
    if (version.isEmpty())
        version = QStringLiteral("dev");
    const QString path = dir + QStringLiteral("/demo-") + version + QStringLiteral(".safetensors");
    if (QFileInfo::exists(path))
        return path;
    const qs::Status written = qs::writeDemoCheckpoint(path.toStdString());
    if (!written)
        return qs::Error{written.error()};
    return path;
}

} // namespace qs::ui
