#include "io/checkpointformats.h"
#include "io/checkpointreader.h"
#include "io/safetensorsreader.h"
#include "io/safetensorswriter.h"
#include "util/parallel.h"

#include <algorithm>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cstring>
#include <mutex>
#include <unistd.h>

using namespace qs;

Q_DECLARE_METATYPE(qs::DType)
Q_DECLARE_METATYPE(std::vector<float>)

namespace {

QByteArray le64(quint64 value) {
    QByteArray bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[i] = char((value >> (8 * i)) & 0xFF);
    return bytes;
}

// A safetensors file from raw header text and data, as a hostile writer might produce it.
QByteArray stFile(const QByteArray &header, const QByteArray &data = {}) {
    return le64(quint64(header.size())) + header + data;
}

// Header with one tensor "w".
QByteArray oneTensor(const QByteArray &fields) {
    return "{\"w\":{" + fields + "}}";
}

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes) {
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write fixture");
    return path;
}

std::vector<std::byte> toBytes(const QByteArray &raw) {
    std::vector<std::byte> bytes(std::size_t(raw.size()));
    std::memcpy(bytes.data(), raw.constData(), bytes.size());
    return bytes;
}

bool sameFloats(std::span<const float> actual, const std::vector<float> &expected) {
    if (actual.size() != expected.size())
        return false;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        if (std::memcmp(&actual[i], &expected[i], sizeof(float)) != 0) {
            qWarning("element %zu: got %.9g, expected %.9g", i, double(actual[i]), double(expected[i]));
            return false;
        }
    }
    return true;
}

std::shared_ptr<const SafetensorsReader> openOrFail(const QString &path) {
    auto reader = SafetensorsReader::open(path.toStdString());
    if (!reader)
        qWarning("%s", reader.error().c_str());
    return reader ? reader.value() : nullptr;
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void bf16BytesRoundToNearestEven();
    void storedTypes_data();
    void storedTypes();
    void zeroCopyWhenAligned();
    void unalignedDataIsCopied();
    void listingReadsNoData();
    void listingHugeSparseFile();
    void dataOrderAndAbsoluteOffsets();
    void metadataGapsScalarsAndEmpty();
    void cancelAndProgress();
    void badIndex();
    void malformed_data();
    void malformed();
    void writerPadsAndValidates();
    void openCheckpointErrors();
    void openCheckpointFindsFormat();

private:
    QTemporaryDir m_dir;
};

void TestSafetensors::roundTrip_data() {
    QTest::addColumn<DType>("dtype");
    QTest::addColumn<std::vector<float>>("input");
    QTest::addColumn<std::vector<float>>("expected");
    const float third = 1.0f / 3.0f;
    const std::vector<float> values{1.5f, -0.25f, 65504.0f, third, 0.0f, -2.0f, 1e-30f};
    QTest::addRow("F32") << DType::F32 << values << values;
    QTest::addRow("F64") << DType::F64 << values << values; // float -> double -> float is exact
    // F16: 1/3 = 1.0101...b * 2^-2, 10 mantissa bits 0101010101 (rest 0101.. < half) -> 1365/4096.
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa, 1.
    // 1 + 3*2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): 1.001953125.
    // 1e-30 is far below the smallest F16 subnormal (2^-24) and flushes to 0.
    QTest::addRow("F16") << DType::F16 << std::vector<float>{1.5f,           -0.25f,         65504.0f, third,
                                                             1.00048828125f, 1.00146484375f, 1e-30f}
                         << std::vector<float>{1.5f, -0.25f,       65504.0f, 0.333251953125f,
                                               1.0f, 1.001953125f, 0.0f};
    // BF16 keeps the top 16 bits of a float, rounding to nearest even:
    // 65504 = 1.9990234375 * 2^15 needs 11 bits; nearest 8-bit-significand values are 65280 and
    // 65536, and 65536 is nearer. 1/3 = 0x3EAAAAAB: the dropped half 0xAAAB > 0x8000 rounds up to
    // 0x3EAB = (1 + 43/128) / 4 = 171/512. 0x3F808000 (1.00390625) is the tie between 0x3F80 and
    // 0x3F81 -> even 0x3F80 = 1.0; 0x3F818000 (1.01171875) ties between 0x3F81 and 0x3F82 -> 0x3F82.
    QTest::addRow("BF16") << DType::BF16
                          << std::vector<float>{1.5f, -0.25f, 65504.0f, third, 1.00390625f, 1.01171875f}
                          << std::vector<float>{1.5f, -0.25f, 65536.0f, 0.333984375f, 1.0f, 1.015625f};
}

void TestSafetensors::roundTrip() {
    QFETCH(DType, dtype);
    QFETCH(std::vector<float>, input);
    QFETCH(std::vector<float>, expected);
    const QString path = m_dir.filePath(QStringLiteral("roundtrip.safetensors"));
    const std::vector<std::int64_t> shape{std::int64_t(input.size())};
    const Status written =
        writeSafetensors(path.toStdString(), {{"t", dtype, shape, encodeFloats(input, dtype)}});
    QVERIFY2(written.ok(), written.error().c_str());
    auto reader = openOrFail(path);
    QVERIFY(reader);
    QCOMPARE(reader->tensors().size(), std::size_t(1));
    QCOMPARE(reader->tensors()[0].dtype, dtype);
    QCOMPARE(reader->tensors()[0].shape, shape);
    auto tensor = reader->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    QVERIFY(sameFloats(tensor.value()->values(), expected));
}

void TestSafetensors::bf16BytesRoundToNearestEven() {
    // 1/3 as float is 0x3EAAAAAB; rounded to BF16 0x3EAB, stored little-endian.
    const float third = 1.0f / 3.0f;
    const std::vector<std::byte> bytes = encodeFloats({&third, 1}, DType::BF16);
    QCOMPARE(bytes, (std::vector<std::byte>{std::byte{0xAB}, std::byte{0x3E}}));
    // F16 of 1/3 is 0x3555 (see roundTrip); 65504 is the largest F16, 0x7BFF.
    const std::vector<float> values{third, 65504.0f};
    QCOMPARE(encodeFloats(values, DType::F16),
             (std::vector<std::byte>{std::byte{0x55}, std::byte{0x35}, std::byte{0xFF}, std::byte{0x7B}}));
    QVERIFY(encodeFloats(values, DType::I8).empty()); // not a float encoding
}

void TestSafetensors::storedTypes_data() {
    QTest::addColumn<DType>("dtype");
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<std::vector<float>>("expected");
    // Little-endian two's complement integers, hand-encoded.
    QTest::addRow("I8") << DType::I8 << QByteArray("\x80\xFF\x7F", 3) << std::vector<float>{-128, -1, 127};
    QTest::addRow("U8") << DType::U8 << QByteArray("\x00\xC8\xFF", 3) << std::vector<float>{0, 200, 255};
    QTest::addRow("I16") << DType::I16 << QByteArray("\x00\x80\xFF\xFF\x39\x30", 6) // 0x3039 = 12345
                         << std::vector<float>{-32768, -1, 12345};
    QTest::addRow("I32") << DType::I32 << QByteArray("\xFF\xFF\xFF\xFF\x40\x42\x0F\x00", 8) // 0x0F4240
                         << std::vector<float>{-1, 1000000};
    QTest::addRow("I64") << DType::I64
                         << QByteArray("\xFE\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x00\x00\x00\x00\x01\x00\x00\x00", 16)
                         << std::vector<float>{-2, 4294967296.0f}; // 2^32
    QTest::addRow("BOOL") << DType::BOOL << QByteArray("\x00\x01\x02", 3) << std::vector<float>{0, 1, 1};
    // Little-endian unsigned integers, hand-encoded; beyond 2^24 they round as a float conversion.
    QTest::addRow("U16") << DType::U16 << QByteArray("\xFF\xFF\x39\x30", 4) // 65535, 0x3039 = 12345
                         << std::vector<float>{65535, 12345};
    QTest::addRow("U32") << DType::U32 << QByteArray("\xFF\xFF\xFF\xFF\x01\x00\x00\x01", 8)
                         << std::vector<float>{4294967296.0f,
                                               16777216.0f}; // 2^32 - 1 → 2^32; 2^24 + 1 → 2^24
    QTest::addRow("U64") << DType::U64
                         << QByteArray("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x40\x42\x0F\x00\x00\x00\x00\x00", 16)
                         << std::vector<float>{18446744073709551616.0f, 1000000}; // 2^64 - 1 → 2^64
    // OCP FP8 goldens, as in tst_dtype.
    QTest::addRow("F8_E4M3") << DType::F8_E4M3 << QByteArray("\x38\x7E\xB0", 3)
                             << std::vector<float>{1, 448, -0.5f};
    QTest::addRow("F8_E5M2") << DType::F8_E5M2 << QByteArray("\x3C\x7B\xC0", 3)
                             << std::vector<float>{1, 57344, -2};
}

void TestSafetensors::storedTypes() {
    QFETCH(DType, dtype);
    QFETCH(QByteArray, raw);
    QFETCH(std::vector<float>, expected);
    const QString path = m_dir.filePath(QStringLiteral("types.safetensors"));
    const TensorBlob blob{"t", dtype, {std::int64_t(expected.size())}, toBytes(raw)};
    QVERIFY(writeSafetensors(path.toStdString(), {blob}).ok());
    auto reader = openOrFail(path);
    QVERIFY(reader);
    auto tensor = reader->loadFloat(0);
    QVERIFY2(tensor.ok(), tensor.error().c_str());
    QVERIFY(sameFloats(tensor.value()->values(), expected));
}

void TestSafetensors::zeroCopyWhenAligned() {
    const QString path = m_dir.filePath(QStringLiteral("aligned.safetensors"));
    const std::vector<float> values{0.5f, -1.0f, 3.0f, 7.25f};
    QVERIFY(
        writeSafetensors(path.toStdString(), {{"t", DType::F32, {2, 2}, encodeFloats(values, DType::F32)}})
            .ok());
    auto reader = openOrFail(path);
    QVERIFY(reader);
    auto first = reader->loadFloat(0);
    auto second = reader->loadFloat(0);
    QVERIFY(first.ok() && second.ok());
    // Two loads returning the same address can only be views of the one mapping, not copies.
    QCOMPARE(first.value()->values().data(), second.value()->values().data());
    QVERIFY(sameFloats(first.value()->values(), values));
    // The view keeps the mapping alive after the reader is gone.
    const auto tensor = first.value();
    first = Error{"dropped"};
    second = Error{"dropped"};
    reader.reset();
    QVERIFY(sameFloats(tensor->values(), values));
}

void TestSafetensors::unalignedDataIsCopied() {
    // 8 + header length = 4k + 1: the data section starts off float alignment.
    QByteArray header = oneTensor("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]");
    while ((8 + header.size()) % 4 != 1)
        header += ' ';
    const float values[2] = {1.25f, -3.5f};
    const QByteArray data(reinterpret_cast<const char *>(values), sizeof values);
    const QString path = writeFile(m_dir, QStringLiteral("unaligned.safetensors"), stFile(header, data));
    auto reader = openOrFail(path);
    QVERIFY(reader);
    QCOMPARE(reader->tensors()[0].byteOffset % 4, std::uint64_t(1));
    auto first = reader->loadFloat(0);
    auto second = reader->loadFloat(0);
    QVERIFY(first.ok() && second.ok());
    QVERIFY(first.value()->values().data() != second.value()->values().data()); // two copies
    QVERIFY(sameFloats(first.value()->values(), {1.25f, -3.5f}));
}

void TestSafetensors::listingReadsNoData() {
    // Data bytes are garbage (NaN patterns and all): listing must not care.
    const QByteArray header = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[3,2],\"data_offsets\":[0,12]},"
                              "\"b\":{\"dtype\":\"I8\",\"shape\":[],\"data_offsets\":[12,13]}}";
    const QString path =
        writeFile(m_dir, QStringLiteral("garbage.safetensors"), stFile(header, QByteArray(13, char(0xFF))));
    auto reader = openOrFail(path);
    QVERIFY(reader);
    QCOMPARE(reader->tensors().size(), std::size_t(2));
    QCOMPARE(reader->tensors()[0].name, std::string("a"));
    QCOMPARE(reader->tensors()[0].shape, (std::vector<std::int64_t>{3, 2}));
    QCOMPARE(reader->tensors()[0].byteSize, std::uint64_t(12));
    QCOMPARE(reader->tensors()[1].elementCount(), std::int64_t(1)); // scalar
    QCOMPARE(reader->formatName(), std::string("safetensors"));
    QCOMPARE(reader->path(), path.toStdString());
}

void TestSafetensors::listingHugeSparseFile() {
    // A 4 GiB tensor in a sparse file: opening and listing must not read or copy it.
    const QByteArray header =
        oneTensor("\"dtype\":\"F32\",\"shape\":[1073741824],\"data_offsets\":[0,4294967296]");
    QByteArray prefix = stFile(header);
    const QString path = writeFile(m_dir, QStringLiteral("huge.safetensors"), prefix);
    QFile file(path);
    if (!file.resize(prefix.size() + (qint64(1) << 32)))
        QSKIP("the temporary file system cannot hold a sparse 4 GiB file");
    auto reader = openOrFail(path);
    QVERIFY(reader);
    QCOMPARE(reader->tensors()[0].byteSize, std::uint64_t(1) << 32);
    QCOMPARE(reader->tensors()[0].elementCount(), std::int64_t(1) << 30);
    file.remove();
}

void TestSafetensors::dataOrderAndAbsoluteOffsets() {
    const QString path = m_dir.filePath(QStringLiteral("order.safetensors"));
    const std::vector<float> first{1.0f, 2.0f};
    const std::vector<float> second{3.0f};
    QVERIFY(writeSafetensors(path.toStdString(),
                             {{"z.first", DType::F32, {2}, encodeFloats(first, DType::F32)},
                              {"a.second", DType::F32, {1}, encodeFloats(second, DType::F32)}})
                .ok());
    auto reader = openOrFail(path);
    QVERIFY(reader);
    // The JSON object is keyed by name; the reader lists tensors in data order instead.
    QCOMPARE(reader->tensors()[0].name, std::string("z.first"));
    QCOMPARE(reader->tensors()[1].name, std::string("a.second"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray all = file.readAll();
    const TensorInfo &info = reader->tensors()[1];
    QCOMPARE(info.byteOffset, quint64(all.size()) - 4); // the last tensor ends the file
    float stored = 0;
    std::memcpy(&stored, all.constData() + info.byteOffset, sizeof stored);
    QCOMPARE(stored, 3.0f);
}

void TestSafetensors::metadataGapsScalarsAndEmpty() {
    // A gap of 4 unused bytes between the tensors is legal; so is an empty tensor.
    const QByteArray header = "{\"__metadata__\":{\"format\":\"pt\"},"
                              "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                              "\"e\":{\"dtype\":\"F16\",\"shape\":[0,5],\"data_offsets\":[8,8]}}";
    const float scalar = 42.0f;
    const QByteArray data = QByteArray(reinterpret_cast<const char *>(&scalar), 4) + QByteArray(4, 'x');
    auto reader = openOrFail(writeFile(m_dir, QStringLiteral("gaps.safetensors"), stFile(header, data)));
    QVERIFY(reader);
    QCOMPARE(reader->metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));
    QCOMPARE(reader->tensors().size(), std::size_t(2));
    auto scalarTensor = reader->loadFloat(0);
    QVERIFY(scalarTensor.ok());
    QVERIFY(sameFloats(scalarTensor.value()->values(), {42.0f}));
    auto empty = reader->loadFloat(1);
    QVERIFY(empty.ok());
    QCOMPARE(empty.value()->values().size(), std::size_t(0));
}

void TestSafetensors::cancelAndProgress() {
    const QString path = m_dir.filePath(QStringLiteral("progress.safetensors"));
    const std::vector<float> values(3 * kChunkSize + 5, 0.5f);
    QVERIFY(writeSafetensors(
                path.toStdString(),
                {{"t", DType::BF16, {std::int64_t(values.size())}, encodeFloats(values, DType::BF16)}})
                .ok());
    auto reader = openOrFail(path);
    QVERIFY(reader);

    RunControl cancelled;
    cancelled.isCanceled = [] { return true; };
    auto result = reader->loadFloat(0, cancelled);
    QVERIFY(!result.ok());
    QCOMPARE(result.error(), std::string("cancelled"));

    // Cancelled after the first chunk, on one thread: stops before the end.
    std::atomic<int> checks{0};
    RunControl midway;
    midway.threads = 1;
    midway.isCanceled = [&] { return ++checks > 2; };
    QCOMPARE(reader->loadFloat(0, midway).error(), std::string("cancelled"));

    std::mutex mutex;
    std::vector<double> reported;
    RunControl watched;
    watched.threads = 2;
    watched.progress = [&](double fraction) {
        std::lock_guard lock(mutex);
        reported.push_back(fraction);
    };
    auto tensor = reader->loadFloat(0, watched);
    QVERIFY(tensor.ok());
    QCOMPARE(reported.size(), std::size_t(4)); // one report per chunk of kChunkSize elements
    QCOMPARE(*std::max_element(reported.begin(), reported.end()), 1.0);
    QVERIFY(sameFloats(tensor.value()->values(), values));
}

void TestSafetensors::badIndex() {
    const QString path = m_dir.filePath(QStringLiteral("index.safetensors"));
    QVERIFY(writeSafetensors(path.toStdString(), {}).ok());
    auto reader = openOrFail(path);
    QVERIFY(reader);
    QVERIFY(reader->tensors().empty());
    auto result = reader->loadFloat(3);
    QVERIFY(!result.ok());
    QVERIFY(QString::fromStdString(result.error()).contains(QStringLiteral("index.safetensors")));
}

void TestSafetensors::malformed_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<qint64>("sparseSize"); // grow the file to this size (0: leave it)
    QTest::addColumn<QString>("keyword");
    QTest::addColumn<QString>("tensor"); // the tensor the error must name, if any
    const auto row = [](const char *name, const QByteArray &bytes, const char *keyword,
                        const char *tensor = "", qint64 sparseSize = 0) {
        QTest::addRow("%s", name) << bytes << sparseSize << QString::fromUtf8(keyword)
                                  << QString::fromUtf8(tensor);
    };
    const QByteArray f32x2 = "\"dtype\":\"F32\",\"shape\":[2],";
    const QByteArray data8(8, '\0');

    row("empty file", {}, "truncated");
    row("5 bytes", QByteArray("\x10\0\0\0\0", 5), "truncated");
    row("header length past end", le64(1000) + "{}", "past the end");
    row("header length 2^63", le64(quint64(1) << 63) + "{}", "past the end");
    row("header length over limit", le64(100'000'001) + "{", "limit", "", 8 + 100'000'001);
    row("empty header", le64(0), "not a JSON object");
    row("header is an array", stFile("[1, 2]"), "not a JSON object");
    row("header not JSON", stFile("{not json}"), "not valid");
    row("garbage after JSON", stFile("{} x"), "not valid");
    row("header not UTF-8", stFile("{\"w\xff\xfe\":{}}"), "UTF8");
    row("entry not object", stFile("{\"w\":5}"), "not a JSON object", "w");
    row("dtype missing", stFile(oneTensor("\"shape\":[1],\"data_offsets\":[0,4]")), "dtype", "w");
    row("dtype not string", stFile(oneTensor("\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]")), "dtype",
        "w");
    row("unknown dtype", stFile(oneTensor("\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]")),
        "unknown dtype 'F128'", "w");
    row("shape missing", stFile(oneTensor("\"dtype\":\"F32\",\"data_offsets\":[0,4]")), "shape", "w");
    row("shape not array", stFile(oneTensor("\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]")),
        "shape", "w");
    row("shape fractional", stFile(oneTensor("\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]")),
        "not an integer", "w");
    row("shape string", stFile(oneTensor("\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]")),
        "not a number", "w");
    row("shape negative", stFile(oneTensor("\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]")),
        "negative", "w");
    row("shape beyond 2^53",
        stFile(oneTensor("\"dtype\":\"U8\",\"shape\":[9007199254740993],\"data_offsets\":[0,1]")), "2^53",
        "w");
    row("shape 1e300", stFile(oneTensor("\"dtype\":\"U8\",\"shape\":[1e300],\"data_offsets\":[0,1]")), "2^53",
        "w");
    row("rank 17",
        stFile(oneTensor(
                   "\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]"),
               QByteArray(4, '\0')),
        "rank 17", "w");
    // 2^32 cubed = 2^96 elements.
    row("element count overflows",
        stFile(oneTensor(
            "\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]")),
        "overflow", "w");
    // 2^52 * 2^10 = 2^62 elements fit in 64 bits, times 8 bytes = 2^65 does not.
    row("byte count overflows",
        stFile(oneTensor("\"dtype\":\"F64\",\"shape\":[4503599627370496,1024],\"data_offsets\":[0,8]")),
        "overflow", "w");
    row("data_offsets missing", stFile(oneTensor("\"dtype\":\"F32\",\"shape\":[2]"), data8), "data_offsets",
        "w");
    row("data_offsets one value", stFile(oneTensor(f32x2 + "\"data_offsets\":[0]"), data8), "data_offsets",
        "w");
    row("data_offsets three values", stFile(oneTensor(f32x2 + "\"data_offsets\":[0,8,8]"), data8),
        "data_offsets", "w");
    row("data_offsets negative", stFile(oneTensor(f32x2 + "\"data_offsets\":[-8,0]"), data8), "negative",
        "w");
    row("data_offsets fractional", stFile(oneTensor(f32x2 + "\"data_offsets\":[0,8.5]"), data8),
        "not an integer", "w");
    row("data_offsets reversed", stFile(oneTensor(f32x2 + "\"data_offsets\":[8,0]"), data8), "reversed", "w");
    row("data_offsets out of range", stFile(oneTensor(f32x2 + "\"data_offsets\":[0,8]"), QByteArray(4, '\0')),
        "out of range", "w");
    // 2^51 F32 elements = 2^53 bytes: representable, but far beyond the file.
    row("absurd tensor size",
        stFile(oneTensor(
            "\"dtype\":\"F32\",\"shape\":[2251799813685248],\"data_offsets\":[0,9007199254740992]")),
        "out of range", "w");
    row("shape x dtype != span",
        stFile(oneTensor("\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]"), data8), "size mismatch",
        "w");
    row("overlapping tensors",
        stFile("{\"a\":{" + f32x2 + "\"data_offsets\":[0,8]},\"w\":{" + f32x2 + "\"data_offsets\":[4,12]}}",
               QByteArray(12, '\0')),
        "overlap", "w");
    row("metadata not object", stFile("{\"__metadata__\":5}"), "__metadata__");
    row("metadata value not string", stFile("{\"__metadata__\":{\"k\":1}}"), "__metadata__");
}

void TestSafetensors::malformed() {
    QFETCH(QByteArray, bytes);
    QFETCH(qint64, sparseSize);
    QFETCH(QString, keyword);
    QFETCH(QString, tensor);
    QTemporaryDir dir;
    const QString path = writeFile(dir, QStringLiteral("broken.safetensors"), bytes);
    if (sparseSize > 0 && !QFile(path).resize(sparseSize))
        QSKIP("cannot grow the fixture to its sparse size");
    const auto reader = SafetensorsReader::open(path.toStdString());
    QVERIFY(!reader.ok());
    const QString error = QString::fromStdString(reader.error());
    QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
    QVERIFY2(error.contains(keyword, Qt::CaseInsensitive), qPrintable(error));
    if (!tensor.isEmpty())
        QVERIFY2(error.contains(QLatin1Char('\'') + tensor + QLatin1Char('\'')), qPrintable(error));
    // The generic entry point reports the same problem for a file that starts like safetensors (a
    // header length that fits the file, or '{' after it); one too short to tell is no
    // recognised checkpoint.
    const auto generic = openCheckpoint(path.toStdString());
    QVERIFY(!generic.ok());
    QFile raw(path);
    QVERIFY(raw.open(QIODevice::ReadOnly));
    const QByteArray head = raw.read(4096);
    const std::span<const std::byte> start(reinterpret_cast<const std::byte *>(head.constData()),
                                           std::size_t(head.size()));
    if (checkpointFormats().front().claims(start, std::uint64_t(raw.size())))
        QCOMPARE(QString::fromStdString(generic.error()), error);
    else
        QVERIFY2(QString::fromStdString(generic.error())
                     .startsWith(path + QStringLiteral(": not a recognised checkpoint")),
                 generic.error().c_str());
}

void TestSafetensors::writerPadsAndValidates() {
    const QString path = m_dir.filePath(QStringLiteral("padded.safetensors"));
    const std::vector<float> one{1.0f};
    QVERIFY(writeSafetensors(path.toStdString(), {{"a", DType::F16, {1}, encodeFloats(one, DType::F16)}},
                             {{"k", "v"}})
                .ok());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray all = file.readAll();
    quint64 headerSize = 0;
    for (int i = 7; i >= 0; --i)
        headerSize = (headerSize << 8) | quint8(all[i]);
    QCOMPARE(headerSize % 8, quint64(0));
    QCOMPARE(quint64(all.size()), 8 + headerSize + 2);
    QCOMPARE(all.at(8), '{');

    const auto mismatch =
        writeSafetensors(path.toStdString(), {{"w", DType::F32, {3}, std::vector<std::byte>(8)}});
    QVERIFY(!mismatch.ok());
    QVERIFY2(QString::fromStdString(mismatch.error()).contains(QStringLiteral("'w'")),
             mismatch.error().c_str());
    const auto duplicate =
        writeSafetensors(path.toStdString(), {{"w", DType::U8, {1}, std::vector<std::byte>(1)},
                                              {"w", DType::U8, {1}, std::vector<std::byte>(1)}});
    QVERIFY(!duplicate.ok());
    // A failed write leaves the previous file in place.
    QVERIFY(openOrFail(path));
}

void TestSafetensors::openCheckpointErrors() {
    const std::string missing = m_dir.filePath(QStringLiteral("missing.safetensors")).toStdString();
    auto result = openCheckpoint(missing);
    QVERIFY(!result.ok());
    QCOMPARE(result.error(), missing + ": no such file");

    const std::string directory = m_dir.path().toStdString();
    result = openCheckpoint(directory);
    QVERIFY(!result.ok());
    QVERIFY2(result.error().starts_with(directory + ": ") &&
                 result.error().find("directory") != std::string::npos,
             result.error().c_str());

    if (QFile::exists(QStringLiteral("/dev/null"))) { // a device would have nothing to map
        result = openCheckpoint("/dev/null");
        QVERIFY(!result.ok());
        QCOMPARE(result.error(), std::string("/dev/null: not a regular file"));
    }

    const QString text = writeFile(m_dir, QStringLiteral("notes.txt"), "hello, not a checkpoint");
    result = openCheckpoint(text.toStdString());
    QVERIFY(!result.ok());
    // The full list of formats in the message is checked in tst_checkpointformats.
    QVERIFY2(result.error().starts_with(text.toStdString() + ": not a recognised checkpoint (supported: ") &&
                 result.error().find("safetensors") != std::string::npos,
             result.error().c_str());

    if (::geteuid() != 0) { // root reads anything
        const QString locked = writeFile(m_dir, QStringLiteral("locked.safetensors"), stFile("{}"));
        QFile::setPermissions(locked, QFileDevice::WriteOwner);
        result = openCheckpoint(locked.toStdString());
        QVERIFY(!result.ok());
        QVERIFY2(result.error().starts_with(locked.toStdString() + ": cannot open"), result.error().c_str());
    }
}

void TestSafetensors::openCheckpointFindsFormat() {
    const auto &formats = checkpointFormats();
    const auto entry = std::find_if(formats.begin(), formats.end(),
                                    [](const CheckpointFormat &f) { return f.name == "safetensors"; });
    QVERIFY(entry != formats.end());
    QCOMPARE(entry->extensions, std::vector<std::string>{"*.safetensors"});
    // Recognised by content, whatever the name.
    const QString path = m_dir.filePath(QStringLiteral("model.bin"));
    const std::vector<float> values{2.0f};
    QVERIFY(writeSafetensors(path.toStdString(), {{"t", DType::F32, {1}, encodeFloats(values, DType::F32)}})
                .ok());
    auto reader = openCheckpoint(path.toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    QCOMPARE(reader.value()->formatName(), std::string("safetensors"));
    QCOMPARE(reader.value()->tensors().size(), std::size_t(1));
}

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
