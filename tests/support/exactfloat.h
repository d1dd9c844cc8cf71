#pragma once

// Bit-for-bit comparison of float results (NaN equals NaN, -0 differs from +0), for the format
// kernels' tests.

#include <QByteArray>
#include <QTest>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace qs::test {

inline bool identical(float a, float b) {
    return (std::isnan(a) && std::isnan(b)) ||
           std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

inline void compareExactly(const std::vector<float> &actual, const std::vector<float> &expected) {
    QCOMPARE(actual.size(), expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const QByteArray message = "value " + QByteArray::number(qulonglong(i)) + ": " +
                                   QByteArray::number(double(actual[i]), 'g', 10) +
                                   " != " + QByteArray::number(double(expected[i]), 'g', 10);
        QVERIFY2(identical(actual[i], expected[i]), message.constData());
    }
}

} // namespace qs::test
