#include "analysis/analysisservice.h"
#include "analysis/tensoranalyzer.h"
#include "io/safetensorswriter.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace qs;

namespace {

using TensorPtr = std::shared_ptr<const TensorAnalysis>;
using QuantPtr = std::shared_ptr<const QuantAnalysis>;

// Tensor indices of the fixture.
constexpr std::size_t kSmall = 0;
constexpr std::size_t kLarge = 1;
// Large enough (16 MiB of F32) that a job is still running when the next request arrives.
constexpr std::size_t kLargeCount = std::size_t(1) << 22;
constexpr int kWaitMs = 20000;
// How long to keep listening for a result that must not come.
constexpr int kQuietMs = 300;

std::vector<float> wave(std::size_t n, float amplitude) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = amplitude * float(std::sin(0.37 * double(i)) + 0.01 * double(i % 97));
    return v;
}

TensorBlob blob(std::string name, const std::vector<float> &values) {
    return {std::move(name), DType::F32, {std::int64_t(values.size())}, encodeFloats(values, DType::F32)};
}

} // namespace

class TestAnalysisService : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void tensorMatchesSynchronous();
    void quantMatchesSynchronous_data();
    void quantMatchesSynchronous();
    void tensorWithQuantMatchesTwoRequests_data();
    void tensorWithQuantMatchesTwoRequests();
    void progressReported();
    void newerTensorRequestWins();
    void newerQuantRequestWins();
    void tensorRequestCancelsQuant();
    void cancelAllEmitsNothing();
    void badIndexFails();
    void destroyWhileRunning();

private:
    TensorPtr loadSync(std::size_t index);

    QTemporaryDir m_dir;
    std::shared_ptr<const CheckpointReader> m_reader;
};

void TestAnalysisService::initTestCase() {
    QVERIFY(m_dir.isValid());
    const std::string path = m_dir.filePath(QStringLiteral("model.safetensors")).toStdString();
    const Status written =
        writeSafetensors(path, {blob("small", wave(5000, 0.5f)), blob("large", wave(kLargeCount, 2.0f))});
    QVERIFY2(written.ok(), written.error().c_str());
    auto reader = openCheckpoint(path);
    QVERIFY2(reader.ok(), reader.error().c_str());
    m_reader = reader.value();
    qRegisterMetaType<TensorPtr>();
    qRegisterMetaType<QuantPtr>();
}

TensorPtr TestAnalysisService::loadSync(std::size_t index) {
    auto result = analyzeTensor(*m_reader, index);
    return result.ok() ? result.value() : nullptr;
}

void TestAnalysisService::tensorMatchesSynchronous() {
    AnalysisService service;
    service.setReader(m_reader);
    QSignalSpy ready(&service, &AnalysisService::tensorReady);
    QSignalSpy busy(&service, &AnalysisService::busyChanged);
    const quint64 generation = service.requestTensor(kSmall);
    QVERIFY(service.isBusy());
    QVERIFY(ready.wait(kWaitMs));
    QCOMPARE(ready.count(), 1);
    QCOMPARE(ready.at(0).at(0).value<quint64>(), generation);
    const TensorPtr got = ready.at(0).at(1).value<TensorPtr>();
    const TensorPtr want = loadSync(kSmall);
    QVERIFY(got && want);
    QCOMPARE(got->index, kSmall);
    QCOMPARE(got->info().name, std::string("small"));
    // The background job runs the same deterministic passes as the synchronous call.
    QCOMPARE(got->stats.count, want->stats.count);
    QCOMPARE(got->stats.min, want->stats.min);
    QCOMPARE(got->stats.max, want->stats.max);
    QCOMPARE(got->stats.mean, want->stats.mean);
    QCOMPARE(got->stats.std, want->stats.std);
    QCOMPARE(got->stats.histogram.counts, want->stats.histogram.counts);
    QVERIFY(!service.isBusy());
    QCOMPARE(busy.count(), 2); // true when the request started, false when it finished
    QCOMPARE(busy.at(0).at(0).toBool(), true);
    QCOMPARE(busy.at(1).at(0).toBool(), false);
}

void TestAnalysisService::quantMatchesSynchronous_data() {
    QTest::addColumn<QuantSpec>("spec");
    QTest::addRow("8-bit symmetric") << intSpec(8, Scheme::Symmetric, false, RangeMode::NonSaturating, 0, 0);
    QTest::addRow("4-bit asymmetric")
        << intSpec(4, Scheme::Asymmetric, false, RangeMode::NonSaturating, 0, 0);
    QTest::addRow("3-bit narrow clipped")
        << intSpec(3, Scheme::Symmetric, true, RangeMode::Saturating, -0.3, 0.2);
}

void TestAnalysisService::quantMatchesSynchronous() {
    QFETCH(QuantSpec, spec);
    const TensorPtr tensor = loadSync(kSmall);
    QVERIFY(tensor);
    AnalysisService service;
    service.setReader(m_reader);
    QSignalSpy ready(&service, &AnalysisService::quantReady);
    const quint64 generation = service.requestQuant(tensor, spec);
    QVERIFY(ready.wait(kWaitMs));
    QCOMPARE(ready.count(), 1);
    QCOMPARE(ready.at(0).at(0).value<quint64>(), generation);
    const QuantPtr got = ready.at(0).at(1).value<QuantPtr>();
    const auto want = analyzeQuant(*tensor, spec);
    QVERIFY(got && want.ok());
    QVERIFY(got->spec == spec);
    QVERIFY(got->params == want.value()->params);
    QCOMPARE(got->error.mse, want.value()->error.mse);
    QCOMPARE(got->error.sqnrDb, want.value()->error.sqnrDb);
    QCOMPARE(got->error.maxAbsError, want.value()->error.maxAbsError);
    QCOMPARE(got->error.clippedCount, want.value()->error.clippedCount);
    QCOMPARE(got->sweep.best.clipHi, want.value()->sweep.best.clipHi);
}

void TestAnalysisService::tensorWithQuantMatchesTwoRequests_data() {
    quantMatchesSynchronous_data();
}

// One job for the window's per-tensor view: the statistics, then the exact pass of the spec
// the statistics give, both emitted with one generation and equal to the two requests' results
// (the error pass rides on the statistics' second read: computeStatsAndError's promise).
void TestAnalysisService::tensorWithQuantMatchesTwoRequests() {
    QFETCH(QuantSpec, spec);
    AnalysisService service;
    service.setReader(m_reader);
    QSignalSpy tensorReady(&service, &AnalysisService::tensorReady);
    QSignalSpy quantReady(&service, &AnalysisService::quantReady);
    double seenMin = 0.0;
    const quint64 generation =
        service.requestTensorWithQuant(kSmall, spec.method, [spec, &seenMin](const TensorStats &stats) {
            seenMin = stats.min;
            return spec;
        });
    QVERIFY(quantReady.wait(kWaitMs));
    QCOMPARE(tensorReady.count(), 1);
    QCOMPARE(quantReady.count(), 1);
    QCOMPARE(tensorReady.at(0).at(0).value<quint64>(), generation);
    QCOMPARE(quantReady.at(0).at(0).value<quint64>(), generation);
    const TensorPtr tensor = tensorReady.at(0).at(1).value<TensorPtr>();
    const QuantPtr quant = quantReady.at(0).at(1).value<QuantPtr>();
    const TensorPtr wantTensor = loadSync(kSmall);
    QVERIFY(tensor && quant && wantTensor);
    QCOMPARE(seenMin, wantTensor->stats.min);
    QCOMPARE(tensor->stats.std, wantTensor->stats.std);
    QCOMPARE(tensor->stats.histogram.counts, wantTensor->stats.histogram.counts);
    const auto want = analyzeQuant(*wantTensor, spec);
    QVERIFY(want.ok());
    QVERIFY(quant->spec == spec);
    QVERIFY(quant->params == want.value()->params);
    QCOMPARE(quant->error.mse, want.value()->error.mse);
    QCOMPARE(quant->error.sqnrDb, want.value()->error.sqnrDb);
    QCOMPARE(quant->error.maxAbsError, want.value()->error.maxAbsError);
    QCOMPARE(quant->error.clippedCount, want.value()->error.clippedCount);
    QCOMPARE(quant->error.errorHistogram.counts, want.value()->error.errorHistogram.counts);
    QCOMPARE(quant->sweep.best.clipHi, want.value()->sweep.best.clipHi);
    QVERIFY(!service.isBusy());
}

void TestAnalysisService::progressReported() {
    AnalysisService service;
    service.setReader(m_reader);
    QSignalSpy ready(&service, &AnalysisService::tensorReady);
    QSignalSpy progress(&service, &AnalysisService::progressChanged);
    service.requestTensor(kLarge);
    QVERIFY(ready.wait(kWaitMs));
    QVERIFY(progress.count() >= 1);
    for (const QList<QVariant> &args : progress) {
        QVERIFY(args.at(0).toInt() >= 0 && args.at(0).toInt() <= 100);
        QCOMPARE(args.at(1).toString(), QStringLiteral("Loading large")); // names the tensor
    }
}

void TestAnalysisService::newerTensorRequestWins() {
    AnalysisService service;
    service.setReader(m_reader);
    QSignalSpy ready(&service, &AnalysisService::tensorReady);
    QSignalSpy failed(&service, &AnalysisService::failed);
    const quint64 first = service.requestTensor(kLarge);
    const quint64 second = service.requestTensor(kSmall);
    QVERIFY(second > first);
    QVERIFY(ready.wait(kWaitMs));
    QVERIFY(!ready.wait(kQuietMs)); // the first request's result never arrives
    QCOMPARE(ready.count(), 1);
    QCOMPARE(ready.at(0).at(0).value<quint64>(), second);
    QCOMPARE(ready.at(0).at(1).value<TensorPtr>()->index, kSmall);
    QCOMPARE(failed.count(), 0); // a cancelled job is silent, not a failure
}

void TestAnalysisService::newerQuantRequestWins() {
    const TensorPtr tensor = loadSync(kLarge);
    QVERIFY(tensor);
    AnalysisService service;
    service.setReader(m_reader);
    QSignalSpy ready(&service, &AnalysisService::quantReady);
    // A drag: many requests in a row, each making the previous one stale.
    QuantSpec spec = intSpec(8, Scheme::Symmetric, false, RangeMode::Saturating, -1.0, 1.0);
    quint64 last = 0;
    for (int i = 1; i <= 10; ++i) {
        spec.clipHi = 0.1 * i;
        last = service.requestQuant(tensor, spec);
    }
    QVERIFY(ready.wait(kWaitMs));
    QVERIFY(!ready.wait(kQuietMs));
    QCOMPARE(ready.count(), 1);
    QCOMPARE(ready.at(0).at(0).value<quint64>(), last);
    QCOMPARE(ready.at(0).at(1).value<QuantPtr>()->spec.clipHi, spec.clipHi);
}

void TestAnalysisService::tensorRequestCancelsQuant() {
    const TensorPtr tensor = loadSync(kLarge);
    QVERIFY(tensor);
    AnalysisService service;
    service.setReader(m_reader);
    QSignalSpy quantReady(&service, &AnalysisService::quantReady);
    QSignalSpy tensorReady(&service, &AnalysisService::tensorReady);
    service.requestQuant(tensor, QuantSpec{});
    service.requestTensor(kSmall); // the quant result belongs to a tensor no longer shown
    QVERIFY(tensorReady.wait(kWaitMs));
    QVERIFY(!quantReady.wait(kQuietMs));
    QCOMPARE(quantReady.count(), 0);
}

void TestAnalysisService::cancelAllEmitsNothing() {
    const TensorPtr tensor = loadSync(kLarge);
    QVERIFY(tensor);
    AnalysisService service;
    service.setReader(m_reader);
    QSignalSpy tensorReady(&service, &AnalysisService::tensorReady);
    QSignalSpy quantReady(&service, &AnalysisService::quantReady);
    QSignalSpy failed(&service, &AnalysisService::failed);
    QSignalSpy busy(&service, &AnalysisService::busyChanged);
    service.requestTensor(kLarge);
    service.requestQuant(tensor, QuantSpec{});
    QVERIFY(service.isBusy());
    service.cancelAll();
    QVERIFY(!service.isBusy());
    QTest::qWait(kQuietMs * 2);
    QCOMPARE(tensorReady.count() + quantReady.count() + failed.count(), 0);
    QVERIFY(busy.count() >= 2);
    QCOMPARE(busy.last().at(0).toBool(), false);
}

void TestAnalysisService::badIndexFails() {
    AnalysisService service;
    service.setReader(m_reader);
    QSignalSpy failed(&service, &AnalysisService::failed);
    const quint64 generation = service.requestTensor(99);
    QVERIFY(failed.wait(kWaitMs));
    QCOMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<quint64>(), generation);
    const QString message = failed.at(0).at(1).toString();
    // The message names the file it was about.
    QVERIFY2(message.contains(QStringLiteral("model.safetensors")), qPrintable(message));
}

void TestAnalysisService::destroyWhileRunning() {
    QSignalSpy *ready = nullptr;
    {
        AnalysisService service;
        service.setReader(m_reader);
        ready = new QSignalSpy(&service, &AnalysisService::tensorReady);
        service.requestTensor(kLarge);
        service.requestTensor(kLarge); // one retired job and one current, both awaited
    }
    // The destructor waited for both jobs: nothing can still arrive.
    QTest::qWait(kQuietMs);
    QCOMPARE(ready->count(), 0);
    delete ready;
}

QTEST_GUILESS_MAIN(TestAnalysisService)
#include "tst_analysisservice.moc"
