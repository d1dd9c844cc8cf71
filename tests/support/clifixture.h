#pragma once

// What the quantscope-cli tests share: running the binary, and the checkpoints they read
// (model.safetensors, schemes.safetensors and a junk file), written once per test process.

#include "io/checkpointreader.h"
#include "io/safetensorswriter.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace qs::test {

struct Run {
    int exitCode = -1;
    bool crashed = true;
    QByteArray out;
    QByteArray err;
};

inline TensorBlob blob(std::string name, DType dtype, std::vector<std::int64_t> shape,
                       const std::vector<float> &values) {
    return {std::move(name), dtype, std::move(shape), encodeFloats(values, dtype)};
}

// A bell of 10 000 values in [-1, 1] plus one outlier at 40: a saturating range pays off.
inline std::vector<float> wideValues() {
    std::vector<float> v;
    for (int i = 0; i < 10000; ++i) {
        const double u = (i + 0.5) / 10000.0;
        v.push_back(float((u - 0.5) * 2.0 * std::abs(u - 0.5) * 2.0));
    }
    v.push_back(40.0f);
    return v;
}

// Little-endian int16 values 0, 1, ..., n - 1, as safetensors stores I16.
inline std::vector<std::byte> int16Ramp(int n) {
    std::vector<std::byte> bytes;
    for (int i = 0; i < n; ++i) {
        bytes.push_back(std::byte(i & 0xFF));
        bytes.push_back(std::byte((i >> 8) & 0xFF));
    }
    return bytes;
}

// 1000 values on 16 levels (k - 8) / 8, k = 0..15: already fake-quantized to 4 bits.
inline std::vector<float> sixteenLevels() {
    std::vector<float> v;
    for (int i = 0; i < 1000; ++i)
        v.push_back(float((i % 16) - 8) * 0.125f);
    return v;
}

// 70 000 values 1 + i / 2^20: all distinct (2^-20 exceeds float's 2^-23 spacing there).
inline std::vector<float> denseValues() {
    std::vector<float> v;
    for (int i = 0; i < 70000; ++i)
        v.push_back(1.0f + float(i) / 1048576.0f);
    return v;
}

// Rows [8, 256] whose spread grows eightfold from the first row to the last.
inline std::vector<float> unevenRows() {
    std::vector<float> v;
    for (int r = 0; r < 8; ++r)
        for (int c = 0; c < 256; ++c)
            v.push_back(float(std::sin(0.7 * c + r)) * 0.01f * float(1 + r));
    return v;
}

// A [2, 4] tensor whose groups of 2 have the absolute maxima 0.75, 1.5, 3 and 7.5: symmetric int4
// scales of 0.1, 0.2, 0.4 and 1.
inline const std::vector<float> kTwoByFour{0.75f, -0.3f, 1.5f, 0.45f, -3.0f, 1.0f, 7.5f, -2.0f};

// [2, 32]: one ggml block of 32 per row.
inline std::vector<float> twoBlocks() {
    std::vector<float> v;
    for (int i = 0; i < 64; ++i)
        v.push_back(float(std::cos(0.37 * i)) * (i < 32 ? 0.5f : 2.0f));
    return v;
}

inline QByteArray fileHash(const QString &path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256);
}

inline bool sameFloats(std::span<const float> a, std::span<const float> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](float x, float y) {
        return std::bit_cast<std::uint32_t>(x) == std::bit_cast<std::uint32_t>(y);
    });
}

// The binary from QUANTSCOPE_CLI and a directory of fixture checkpoints.
class CliTestBase : public QObject {
protected:
    // Call from initTestCase: finds the binary and writes the fixtures.
    void prepare() {
        m_cli = qEnvironmentVariable("QUANTSCOPE_CLI");
        QVERIFY2(!m_cli.isEmpty() && QFile::exists(m_cli),
                 "QUANTSCOPE_CLI must name the quantscope-cli binary");
        QVERIFY(m_dir.isValid());
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        const std::vector<TensorBlob> tensors{
            blob("tiny", DType::F32, {5}, {-1.9921875f, -0.5f, 0.0f, 0.0078125f, 0.0234375f}),
            blob("asym", DType::F32, {5}, {-1.0f, 0.0f, 0.5f, 1.5f, 2.0f}),
            blob("model.layers.0.matrix", DType::BF16, {2, 3}, {1, 2, 3, 4, 5, 6}),
            blob("special", DType::F32, {4}, {1.0f, nan, inf, -2.0f}),
            blob("wide", DType::F32, {10001}, wideValues()),
        };
        const Status written = writeSafetensors(file("model.safetensors").toStdString(), tensors);
        QVERIFY2(written.ok(), written.error().c_str());
        const std::vector<TensorBlob> schemes{
            blob("w24", DType::F32, {2, 4}, kTwoByFour),
            blob("w232", DType::F32, {2, 32}, twoBlocks()),
            blob("rows", DType::F32, {8, 256}, unevenRows()),
        };
        const Status schemesWritten = writeSafetensors(file("schemes.safetensors").toStdString(), schemes);
        QVERIFY2(schemesWritten.ok(), schemesWritten.error().c_str());
        QFile junk(file("junk.safetensors"));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("this is not a checkpoint at all, just some text");
    }

    Run run(const QStringList &args) const;
    QJsonObject runJson(const QStringList &args);
    QString file(const char *name) const { return m_dir.filePath(QLatin1String(name)); }
    QStringList analyzeSchemes(const char *tensor) const {
        return {QStringLiteral("analyze"), file("schemes.safetensors"), QStringLiteral("--tensor"),
                QLatin1String(tensor)};
    }

    QString m_cli;
    QTemporaryDir m_dir;
};

inline Run CliTestBase::run(const QStringList &args) const {
    QProcess process;
    process.start(m_cli, args);
    Run r;
    if (!process.waitForFinished(60000))
        return r;
    r.crashed = process.exitStatus() != QProcess::NormalExit;
    r.exitCode = process.exitCode();
    r.out = process.readAllStandardOutput();
    r.err = process.readAllStandardError();
    return r;
}

inline QJsonObject CliTestBase::runJson(const QStringList &args) {
    const Run r = run(args);
    [&] {
        QVERIFY2(!r.crashed && r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.isEmpty(), r.err.constData());
    }();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    [&] { QVERIFY2(error.error == QJsonParseError::NoError && doc.isObject(), r.out.constData()); }();
    return doc.object();
}

} // namespace qs::test
