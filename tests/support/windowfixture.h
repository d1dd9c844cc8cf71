#pragma once

// What every main-window test process sets up first: test-mode paths, settings of its own in a
// temporary directory (test runs side by side must not share recent files or hints), and the
// demo checkpoint to open.

#include "io/democheckpoint.h"

#include <QCoreApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>

namespace qs::test {

/// Returns the demo checkpoint's path in dir, or an empty string (with a warning) on failure.
inline QString prepareWindowTest(const QTemporaryDir &dir) {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("Quantscope"));
    QCoreApplication::setApplicationName(QStringLiteral("Quantscope"));
    if (!dir.isValid())
        return {};
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope,
                       dir.filePath(QStringLiteral("settings")));
    QSettings().clear();
    const QString demo = dir.filePath(QStringLiteral("demo.safetensors"));
    const qs::Status written = qs::writeDemoCheckpoint(demo.toStdString());
    if (!written.ok()) {
        qWarning("%s", written.error().c_str());
        return {};
    }
    return demo;
}

} // namespace qs::test
