#include "quant/granularity.h"
#include "quant/numberformat.h"

#include <QTest>

#include <set>

using namespace qs;

Q_DECLARE_METATYPE(std::vector<std::int64_t>)

// Granularity names and the parameter grid: which elements share a scale.
class TestGranularity : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parseAndName_data();
    void parseAndName();
    void badNames_data();
    void badNames();
    void gridShapes_data();
    void gridShapes();
    void runsMatchGroupOf_data();
    void runsMatchGroupOf();
    void channelAxisPastRank();
    void formatTable();
};

void TestGranularity::parseAndName_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("name"); // how it is written back
    QTest::addRow("tensor") << "tensor"
                            << "tensor";
    QTest::addRow("channel") << "channel"
                             << "channel";
    QTest::addRow("channel:0") << "channel:0"
                               << "channel";
    QTest::addRow("channel:1") << "channel:1"
                               << "channel:1";
    QTest::addRow("group:128") << "group:128"
                               << "group:128";
    QTest::addRow("block:16x8") << "block:16x8"
                                << "block:16x8";
}

void TestGranularity::parseAndName() {
    QFETCH(QString, text);
    QFETCH(QString, name);
    const auto parsed = parseGranularity(text.toStdString());
    QVERIFY2(parsed.ok(), parsed.error().c_str());
    QCOMPARE(QString::fromStdString(granularityName(parsed.value())), name);
}

void TestGranularity::badNames_data() {
    QTest::addColumn<QString>("text");
    for (const char *bad : {"", "group", "group:0", "group:-4", "group:12a", "block:16", "block:0x4",
                            "block:4x", "channel:", "channel:-1", "channel:x", "channels", "per-tensor"})
        QTest::addRow("%s", bad) << QString::fromLatin1(bad);
}

void TestGranularity::badNames() {
    QFETCH(QString, text);
    const auto parsed = parseGranularity(text.toStdString());
    QVERIFY(!parsed.ok());
    // The error quotes the value and lists what is accepted.
    QVERIFY2(QString::fromStdString(parsed.error()).contains(QLatin1Char('\'') + text + QLatin1Char('\'')),
             parsed.error().c_str());
    QVERIFY2(parsed.error().find("group:G") != std::string::npos, parsed.error().c_str());
}

void TestGranularity::gridShapes_data() {
    QTest::addColumn<std::vector<std::int64_t>>("shape");
    QTest::addColumn<QString>("granularity");
    QTest::addColumn<std::vector<std::int64_t>>("grid");
    using V = std::vector<std::int64_t>;
    QTest::addRow("tensor") << V{4, 6} << "tensor" << V{1};
    QTest::addRow("channel of a matrix") << V{4, 6} << "channel" << V{4};
    QTest::addRow("channel:1 of a matrix") << V{4, 6} << "channel:1" << V{6};
    QTest::addRow("channel:1 of a conv") << V{8, 3, 3, 3} << "channel:1" << V{3};
    // 6 columns in groups of 4: 2 per row, the second one short.
    QTest::addRow("group with a short tail") << V{4, 6} << "group:4" << V{4, 2};
    // Rank above 2 is [dim0, product of the rest]: [8, 27] in groups of 9.
    QTest::addRow("group of a conv") << V{8, 3, 3, 3} << "group:9" << V{8, 3};
    QTest::addRow("group of a vector") << V{10} << "group:4" << V{1, 3};
    QTest::addRow("blocks") << V{5, 6} << "block:2x4" << V{3, 2};
    QTest::addRow("scalar") << V{} << "group:4" << V{1, 1};
}

void TestGranularity::gridShapes() {
    QFETCH(std::vector<std::int64_t>, shape);
    QFETCH(QString, granularity);
    QFETCH(std::vector<std::int64_t>, grid);
    const auto g = parseGranularity(granularity.toStdString());
    QVERIFY(g.ok());
    const auto made = ParamGrid::make(shape, g.value());
    QVERIFY2(made.ok(), made.error().c_str());
    QCOMPARE(made->shape(), grid);
    std::int64_t groups = 1;
    for (std::int64_t n : grid)
        groups *= n;
    QCOMPARE(made->groupCount(), groups);
}

void TestGranularity::runsMatchGroupOf_data() {
    gridShapes_data();
}

// Every element lies in exactly one group's runs, the one groupOf names, and runs are contiguous
// index ranges in increasing order.
void TestGranularity::runsMatchGroupOf() {
    QFETCH(std::vector<std::int64_t>, shape);
    QFETCH(QString, granularity);
    const auto grid = ParamGrid::make(shape, parseGranularity(granularity.toStdString()).value());
    QVERIFY(grid.ok());
    std::vector<std::int64_t> owner(std::size_t(grid->elementCount()), -1);
    for (std::int64_t g = 0; g < grid->groupCount(); ++g) {
        std::int64_t previousEnd = -1;
        std::int64_t size = 0;
        grid->forEachRun(g, [&](std::int64_t begin, std::int64_t end) {
            QVERIFY(begin < end && begin > previousEnd);
            previousEnd = end;
            for (std::int64_t i = begin; i < end; ++i) {
                QCOMPARE(owner[std::size_t(i)], std::int64_t(-1));
                owner[std::size_t(i)] = g;
                QCOMPARE(grid->groupOf(i), g);
            }
            size += end - begin;
        });
        QCOMPARE(grid->groupSize(g), size);
    }
    for (std::int64_t o : owner)
        QVERIFY(o >= 0);
}

void TestGranularity::channelAxisPastRank() {
    const auto grid = ParamGrid::make({4, 6}, parseGranularity("channel:2").value());
    QVERIFY(!grid.ok());
    QVERIFY2(grid.error().find("rank 2") != std::string::npos, grid.error().c_str());
    QVERIFY(!ParamGrid::make({}, parseGranularity("channel").value()).ok());
}

// The table the CLI and GUI list: names round-trip, fixed blocks and ggml's bits per weight
// (block bytes × 8 / 256 for the K types: Q4_K 144 bytes → 4.5, Q6_K 210 bytes → 6.5625).
void TestGranularity::formatTable() {
    std::set<std::string_view> names;
    for (const FormatTraits &traits : numberFormats()) {
        QVERIFY(names.insert(traits.name).second);
        QCOMPARE(formatFromName(traits.name), std::optional<NumberFormat>(traits.format));
        QCOMPARE(formatTraits(traits.format).name, traits.name);
        QVERIFY(traits.takesBits == (traits.format == NumberFormat::Int));
    }
    QVERIFY(!formatFromName("Q4_K")); // --format takes lower case
    QCOMPARE(formatTraits(NumberFormat::Q4_K).fixedBlock, std::int64_t(256));
    QCOMPARE(formatTraits(NumberFormat::Q4_K).fixedBitsPerWeight, 144 * 8 / 256.0);
    QCOMPARE(formatTraits(NumberFormat::Q6_K).fixedBitsPerWeight, 210 * 8 / 256.0);
    QCOMPARE(formatTraits(NumberFormat::Q8_0).fixedBitsPerWeight, 34 * 8 / 32.0);
    QCOMPARE(formatTraits(NumberFormat::NvFp4).fixedBlock, std::int64_t(16));
    QVERIFY(!formatTraits(NumberFormat::Nf4).blockAlongRows);
}

QTEST_GUILESS_MAIN(TestGranularity)
#include "tst_granularity.moc"
