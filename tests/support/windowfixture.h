#pragma once

// What every main-window test process sets up first: test-mode paths, settings of its own in a
// temporary directory (test runs side by side must not share recent files or hints), and the
// demo checkpoint to open.

#include "io/democheckpoint.h"
#include "io/safetensorswriter.h"

#include <QCoreApplication>
#include <QFile>
#include <QSettings>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>

#include <map>
#include <string>
#include <vector>

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

/// storage.safetensors in dir (written once), with known metadata (general.architecture = llama,
/// general.name = tiny, license = MIT) and two 4096-value F32 tensors: "codes", (k mod 16 − 8) / 8,
/// the 16 levels 4-bit fake quantization leaves; "ramp", i / 4096 − 0.5, all different.
/// Returns its path, or an empty string (with a warning) on failure.
inline QString storageFixture(const QTemporaryDir &dir) {
    const QString path = dir.filePath(QStringLiteral("storage.safetensors"));
    if (QFile::exists(path))
        return path;
    std::vector<float> codes;
    std::vector<float> ramp;
    for (int i = 0; i < 4096; ++i) {
        codes.push_back(float((i % 16) - 8) * 0.125f);
        ramp.push_back(float(i) / 4096.0f - 0.5f);
    }
    const std::vector<qs::TensorBlob> tensors{
        {"codes", qs::DType::F32, {64, 64}, qs::encodeFloats(codes, qs::DType::F32)},
        {"ramp", qs::DType::F32, {4096}, qs::encodeFloats(ramp, qs::DType::F32)},
    };
    const std::map<std::string, std::string> metadata{
        {"general.architecture", "llama"}, {"general.name", "tiny"}, {"license", "MIT"}};
    const qs::Status written = qs::writeSafetensors(path.toStdString(), tensors, metadata);
    if (!written.ok()) {
        qWarning("%s", written.error().c_str());
        return {};
    }
    return path;
}

} // namespace qs::test
