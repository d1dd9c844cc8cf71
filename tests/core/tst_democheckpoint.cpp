#include "io/checkpointreader.h"
#include "io/democheckpoint.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace qs;

Q_DECLARE_METATYPE(qs::DType)
Q_DECLARE_METATYPE(std::vector<std::int64_t>)

namespace {

double populationStd(std::span<const float> values) {
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
    double sum = 0;
    for (float v : values)
        sum += (v - mean) * (v - mean);
    return std::sqrt(sum / double(values.size()));
}

double median(std::vector<float> values) {
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    return values[values.size() / 2];
}

// Largest |x| of each input channel (column) of a row-major [out, in] weight.
std::vector<float> columnAbsMax(std::span<const float> values, std::size_t columns) {
    std::vector<float> maxima(columns, 0.0f);
    for (std::size_t i = 0; i < values.size(); ++i)
        maxima[i % columns] = std::max(maxima[i % columns], std::abs(values[i]));
    return maxima;
}

QByteArray readAll(const QString &path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestDemoCheckpoint : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void layout_data();
    void layout();
    void inventory();
    void normsNearOne_data();
    void normsNearOne();
    void outlierChannels_data();
    void outlierChannels();
    void embeddingSpread();
    void deterministic();

private:
    std::shared_ptr<const FloatTensor> load(const std::string &name);

    QTemporaryDir m_dir;
    QString m_path;
    std::shared_ptr<const CheckpointReader> m_reader;
};

void TestDemoCheckpoint::initTestCase() {
    QVERIFY(m_dir.isValid());
    m_path = m_dir.filePath(QStringLiteral("demo.safetensors"));
    const Status written = writeDemoCheckpoint(m_path.toStdString());
    QVERIFY2(written.ok(), written.error().c_str());
    auto reader = openCheckpoint(m_path.toStdString());
    QVERIFY2(reader.ok(), reader.error().c_str());
    m_reader = reader.value();
}

std::shared_ptr<const FloatTensor> TestDemoCheckpoint::load(const std::string &name) {
    const auto &tensors = m_reader->tensors();
    const auto it =
        std::find_if(tensors.begin(), tensors.end(), [&](const TensorInfo &t) { return t.name == name; });
    if (it == tensors.end())
        return nullptr;
    auto tensor = m_reader->loadFloat(std::size_t(it - tensors.begin()));
    return tensor ? tensor.value() : nullptr;
}

// The layout promised to users: Hugging Face Llama names, hidden 512, MLP 1376, vocabulary 4096.
void TestDemoCheckpoint::layout_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<DType>("dtype");
    QTest::addColumn<std::vector<std::int64_t>>("shape");
    using Shape = std::vector<std::int64_t>;
    QTest::addRow("embedding") << "model.embed_tokens.weight" << DType::BF16 << Shape{4096, 512};
    QTest::addRow("q_proj F32 layer")
        << "model.layers.0.self_attn.q_proj.weight" << DType::F32 << Shape{512, 512};
    QTest::addRow("k_proj F16 layer")
        << "model.layers.1.self_attn.k_proj.weight" << DType::F16 << Shape{512, 512};
    QTest::addRow("o_proj") << "model.layers.3.self_attn.o_proj.weight" << DType::F16 << Shape{512, 512};
    QTest::addRow("gate_proj") << "model.layers.3.mlp.gate_proj.weight" << DType::BF16 << Shape{1376, 512};
    QTest::addRow("up_proj") << "model.layers.0.mlp.up_proj.weight" << DType::BF16 << Shape{1376, 512};
    QTest::addRow("down_proj") << "model.layers.2.mlp.down_proj.weight" << DType::BF16 << Shape{512, 1376};
    QTest::addRow("input norm") << "model.layers.0.input_layernorm.weight" << DType::F32 << Shape{512};
    QTest::addRow("post norm") << "model.layers.3.post_attention_layernorm.weight" << DType::F32
                               << Shape{512};
    QTest::addRow("final norm") << "model.norm.weight" << DType::F32 << Shape{512};
    QTest::addRow("lm_head") << "lm_head.weight" << DType::BF16 << Shape{4096, 512};
}

void TestDemoCheckpoint::layout() {
    QFETCH(QString, name);
    QFETCH(DType, dtype);
    QFETCH(std::vector<std::int64_t>, shape);
    const auto &tensors = m_reader->tensors();
    const auto it = std::find_if(tensors.begin(), tensors.end(),
                                 [&](const TensorInfo &t) { return t.name == name.toStdString(); });
    QVERIFY2(it != tensors.end(), qPrintable(name));
    QCOMPARE(it->dtype, dtype);
    QCOMPARE(it->shape, shape);
}

void TestDemoCheckpoint::inventory() {
    // Embedding, 4 layers of 2 norms + 4 attention + 3 MLP projections, final norm, head.
    QCOMPARE(m_reader->tensors().size(), std::size_t(1 + 4 * 9 + 2));
    QCOMPARE(m_reader->metadata(),
             (std::map<std::string, std::string>{{"format", "pt"}, {"generator", "quantscope demo"}}));
    QCOMPARE(m_reader->tensors().front().name, std::string("model.embed_tokens.weight")); // data order
    const qint64 size = QFile(m_path).size();
    QVERIFY2(size > 15'000'000 && size < 40'000'000, qPrintable(QString::number(size)));
}

void TestDemoCheckpoint::normsNearOne_data() {
    QTest::addColumn<QString>("name");
    QTest::addRow("layer 0 input") << "model.layers.0.input_layernorm.weight";
    QTest::addRow("layer 2 post-attention") << "model.layers.2.post_attention_layernorm.weight";
    QTest::addRow("final") << "model.norm.weight";
}

void TestDemoCheckpoint::normsNearOne() {
    QFETCH(QString, name);
    const auto tensor = load(name.toStdString());
    QVERIFY(tensor);
    const auto values = tensor->values();
    // Drawn as 1 + N(0, 0.05): the median sits at 1 and nearly all lie within 3 sigma.
    QVERIFY(std::abs(median({values.begin(), values.end()}) - 1.0) < 0.02);
    const auto near =
        std::count_if(values.begin(), values.end(), [](float v) { return std::abs(v - 1.0f) < 0.15f; });
    QVERIFY(double(near) / double(values.size()) > 0.95);
    // ...and a couple of gains stand far out, as in trained models.
    QVERIFY(*std::max_element(values.begin(), values.end()) > 2.0f);
}

void TestDemoCheckpoint::outlierChannels_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("columns");
    QTest::addRow("q_proj") << "model.layers.0.self_attn.q_proj.weight" << 512;
    QTest::addRow("o_proj F16") << "model.layers.3.self_attn.o_proj.weight" << 512;
    QTest::addRow("gate_proj") << "model.layers.1.mlp.gate_proj.weight" << 512;
    QTest::addRow("down_proj heavy tails") << "model.layers.2.mlp.down_proj.weight" << 1376;
}

void TestDemoCheckpoint::outlierChannels() {
    QFETCH(QString, name);
    QFETCH(int, columns);
    const auto tensor = load(name.toStdString());
    QVERIFY(tensor);
    const auto values = tensor->values();
    // Without outliers the largest of ~260k normal draws is about 5 std; channels scaled by 10-50
    // push it past 15 std even though they also widen the std.
    const double std = populationStd(values);
    const double absMax = std::abs(*std::max_element(
        values.begin(), values.end(), [](float a, float b) { return std::abs(a) < std::abs(b); }));
    QVERIFY2(absMax / std > 15.0, qPrintable(QString::number(absMax / std)));
    // The outliers sit in whole input channels, not scattered.
    const std::vector<float> maxima = columnAbsMax(values, std::size_t(columns));
    const double typical = median(maxima);
    const auto outliers =
        std::count_if(maxima.begin(), maxima.end(), [&](float m) { return m > 5.0 * typical; });
    QVERIFY2(outliers >= 1 && outliers <= 3, qPrintable(QString::number(outliers)));
}

void TestDemoCheckpoint::embeddingSpread() {
    const auto tensor = load("model.embed_tokens.weight");
    QVERIFY(tensor);
    // N(0, 0.02) over 2M draws: the sample std is within a fraction of a percent of 0.02.
    QVERIFY(std::abs(populationStd(tensor->values()) - 0.02) < 0.0005);
}

void TestDemoCheckpoint::deterministic() {
    const QString again = m_dir.filePath(QStringLiteral("again.safetensors"));
    const QString other = m_dir.filePath(QStringLiteral("other.safetensors"));
    QVERIFY(writeDemoCheckpoint(again.toStdString()).ok());
    QVERIFY(writeDemoCheckpoint(other.toStdString(), 7).ok());
    const QByteArray first = readAll(m_path);
    QVERIFY(!first.isEmpty());
    QVERIFY(first == readAll(again));
    const QByteArray different = readAll(other);
    QCOMPARE(different.size(), first.size()); // same layout...
    QVERIFY(different != first);              // ...other values
}

QTEST_GUILESS_MAIN(TestDemoCheckpoint)
#include "tst_democheckpoint.moc"
