// AIMET encodings files (1.0.0 and 0.6.1): each planned tensor is quantized as Quantscope does,
// and its scales and zero points are written in AIMET's terms. The file is written as the tensors
// are done, so only one tensor's values and one tensor's parameters are held at a time.

#include "export/aimetencodings.h"

#include "quant/quantizer.h"
#include "quant/schemequant.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QString>

#include <charconv>
#include <cmath>

namespace qs {

namespace {

enum class AimetVersion { V1, V061 };

// The bit widths of AIMET's encoding specification start at 4; Quantscope's end at 16.
constexpr int kAimetMinBits = 4;

// One tensor's parameters in AIMET's terms.
struct AimetEncoding {
    int bits = 8;
    bool symmetric = true;
    Granularity::Kind kind = Granularity::Kind::Tensor;
    std::int64_t blockSize = 0;
    std::vector<float> scales;
    std::vector<std::int64_t> offsets; ///< negated zero points on the unsigned grid
};

// Shortest text that reads back as the same double: a float scale prints exactly.
QByteArray numberText(double value) {
    char text[32];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    return QByteArray(text, end - text);
}

QByteArray jsonString(const std::string &text) {
    const QByteArray array =
        QJsonDocument(QJsonArray{QString::fromStdString(text)}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);
}

std::optional<std::string> formatReason(const QuantSpec &spec) {
    const FormatTraits &traits = formatTraits(spec.format);
    const std::string name(traits.name);
    switch (traits.family) {
    case FormatFamily::Integer:
        return std::nullopt;
    case FormatFamily::Minifloat:
        return name + " has no AIMET encoding: AIMET's FLOAT encodings carry a bit width only, no scale";
    case FormatFamily::Microscaling:
        return name + " has no AIMET encoding: its elements are minifloats under shared block scales";
    case FormatFamily::Codebook:
        return name + " has no AIMET encoding: its levels are a codebook, not an integer grid";
    case FormatFamily::GgmlBlock:
        return name + " has no AIMET encoding: it is a llama.cpp block type";
    case FormatFamily::Cast:
        return name + " has no AIMET encoding: it is a cast with no scale or offset; keep the tensor in "
                      "float and let the runtime cast it";
    }
    return name + " has no AIMET encoding";
}

std::optional<std::string> blockReason(const QuantSpec &spec, const std::vector<std::int64_t> &shape,
                                       AimetVersion version) {
    const Granularity &g = spec.granularity;
    const std::string name = granularityName(g);
    if (version == AimetVersion::V061)
        return name + " has no AIMET 0.6.1 encoding (0.6.1 has no per-block form; use --to aimet)";
    if (g.kind == Granularity::Kind::Block && g.rows != 1)
        return name + " has no AIMET encoding: AIMET's blocks run along one axis (block:1xC is group:C)";
    std::int64_t trailing = 1; // AIMET's blocks run along dimension 1, Quantscope's along the flattened rows
    for (std::size_t d = 2; d < shape.size(); ++d)
        trailing *= shape[d];
    if (trailing != 1)
        return name + " has no AIMET encoding on a tensor of more than two dimensions";
    const std::int64_t block = g.kind == Granularity::Kind::Group ? g.size : g.cols;
    const std::int64_t cols = shape.empty() ? 1 : (shape.size() == 1 ? shape[0] : shape[1]);
    if (block <= 0 || cols % block != 0)
        return name + " has no AIMET encoding where a row is not a whole number of blocks";
    return std::nullopt;
}

std::optional<std::string> aimetReason(const QuantSpec &spec, const std::vector<std::int64_t> &shape,
                                       AimetVersion version) {
    if (auto reason = formatReason(spec))
        return reason;
    if (spec.method == CalibMethod::Hqq)
        return std::string("method hqq has no AIMET encoding: its zero points are floats, AIMET's offsets "
                           "integers");
    if (spec.bits < kAimetMinBits)
        return "int" + std::to_string(spec.bits) + " has no AIMET encoding: AIMET's bit widths start at " +
               std::to_string(kAimetMinBits);
    if (spec.scheme == Scheme::Symmetric && spec.narrow)
        return std::string("narrow symmetric has no AIMET encoding: AIMET's symmetric grid is "
                           "[-2^(b-1), 2^(b-1) - 1]");
    switch (spec.granularity.kind) {
    case Granularity::Kind::Tensor:
        return std::nullopt;
    case Granularity::Kind::Channel:
        if (spec.granularity.axis != 0)
            return granularityName(spec.granularity) +
                   " has no AIMET encoding: AIMET's channels are axis 0, the output channels";
        return std::nullopt;
    case Granularity::Kind::Group:
    case Granularity::Kind::Block:
        return blockReason(spec, shape, version);
    }
    return std::nullopt;
}

// Quantizes one tensor and keeps only its parameters; its values go when this returns.
Result<AimetEncoding> encodeTensor(const CheckpointReader &reader, std::size_t index, const QuantSpec &spec,
                                   const RunControl &control) {
    const TensorInfo &info = reader.tensors()[index];
    const auto values = reader.loadFloat(index, control);
    if (!values)
        return Error{values.error()};
    auto quantized = quantizeScheme(values.value()->values(), info.shape, spec, control);
    if (!quantized)
        return Error{info.name + ": " + quantized.error()};
    if (quantized->zeroPoints.size() != quantized->scales.size())
        return Error{info.name + ": no integer zero points to export"};
    AimetEncoding e;
    e.bits = spec.bits;
    e.symmetric = spec.scheme == Scheme::Symmetric;
    e.kind = spec.granularity.kind;
    e.blockSize = e.kind == Granularity::Kind::Block ? spec.granularity.cols : spec.granularity.size;
    // Codes q on [qmin, qmax] with x̂ = (q − z)·s are codes q − qmin on AIMET's unsigned grid with
    // x̂ = (u + offset)·s, offset = qmin − z.
    const std::int64_t qmin = integerRange(spec).first;
    for (float scale : quantized->scales)
        if (!std::isfinite(scale))
            return Error{info.name + ": a scale is not finite"};
    e.scales = std::move(quantized->scales);
    for (std::int64_t z : quantized->zeroPoints)
        e.offsets.push_back(qmin - z);
    return e;
}

QByteArray numberList(const AimetEncoding &e, bool scales) {
    QByteArray out = "[";
    for (std::size_t i = 0; i < e.scales.size(); ++i) {
        out += i ? ", " : "";
        out += scales ? numberText(double(e.scales[i])) : QByteArray::number(qint64(e.offsets[i]));
    }
    return out + "]";
}

const char *encodingType(Granularity::Kind kind) {
    switch (kind) {
    case Granularity::Kind::Tensor:
        return "PER_TENSOR";
    case Granularity::Kind::Channel:
        return "PER_CHANNEL";
    case Granularity::Kind::Group:
    case Granularity::Kind::Block:
        break;
    }
    return "PER_BLOCK";
}

QByteArray entryV1(const std::string &name, const AimetEncoding &e) {
    const QByteArray pad = "            ";
    QByteArray out = "        {\n";
    out += pad + "\"name\": " + jsonString(name) + ",\n";
    out += pad + "\"dtype\": \"INT\",\n";
    out += pad + "\"enc_type\": \"" + encodingType(e.kind) + "\",\n";
    out += pad + "\"bw\": " + QByteArray::number(e.bits) + ",\n";
    out += pad + "\"is_sym\": " + (e.symmetric ? "true" : "false") + ",\n";
    out += pad + "\"scale\": " + numberList(e, true) + ",\n";
    out += pad + "\"offset\": " + numberList(e, false);
    if (e.kind == Granularity::Kind::Group || e.kind == Granularity::Kind::Block)
        out += ",\n" + pad + "\"block_size\": " + QByteArray::number(qint64(e.blockSize));
    return out + "\n        }";
}

// One channel's encoding; min and max are the grid's ends, exact products in double.
QByteArray channelV061(const AimetEncoding &e, std::size_t i) {
    const double scale = e.scales[i];
    const double offset = double(e.offsets[i]);
    const double levels = std::ldexp(1.0, e.bits) - 1.0;
    return QByteArray("            {\"bitwidth\": ") + QByteArray::number(e.bits) + ", \"dtype\": \"int\", " +
           "\"is_symmetric\": \"" + (e.symmetric ? "True" : "False") +
           "\", \"max\": " + numberText((levels + offset) * scale) +
           ", \"min\": " + numberText(offset * scale) +
           ", \"offset\": " + QByteArray::number(qint64(e.offsets[i])) + ", \"scale\": " + numberText(scale) +
           "}";
}

QByteArray entryV061(const std::string &name, const AimetEncoding &e) {
    QByteArray out = "        " + jsonString(name) + ": [\n";
    for (std::size_t i = 0; i < e.scales.size(); ++i)
        out += channelV061(e, i) + (i + 1 < e.scales.size() ? ",\n" : "\n");
    return out + "        ]";
}

QByteArray fileHead(AimetVersion version) {
    if (version == AimetVersion::V1)
        return "{\n    \"version\": \"1.0.0\",\n    \"activation_encodings\": [],\n    \"param_encodings\": "
               "[";
    return "{\n    \"version\": \"0.6.1\",\n    \"activation_encodings\": {},\n    \"param_encodings\": {";
}

QByteArray fileTail(AimetVersion version, bool empty) {
    const QByteArray close = version == AimetVersion::V1 ? "]" : "}";
    return (empty ? close : "\n    " + close) + "\n}\n";
}

// Streams the entries into a QSaveFile; nothing appears at the path unless every tensor is done.
class EncodingsWriter {
public:
    EncodingsWriter(const ExportJob &job, AimetVersion version)
        : m_job(job)
        , m_version(version)
        , m_file(QString::fromStdString(job.output)) {
        for (const TensorInfo &t : job.reader->tensors())
            m_bytesTotal += t.byteSize;
    }

    Result<ExportOutcome> run() {
        if (!m_file.open(QIODevice::WriteOnly))
            return fileError("cannot write");
        if (const Status written = put(fileHead(m_version)); !written)
            return Error{written.error()};
        const auto &tensors = m_job.reader->tensors();
        for (std::size_t i = 0; i < tensors.size(); ++i)
            if (const Status done = tensor(i); !done)
                return abandon(done.error());
        if (const Status written = put(fileTail(m_version, m_outcome.quantized == 0)); !written)
            return Error{written.error()};
        if (!m_file.commit())
            return fileError("cannot save");
        m_outcome.written.push_back(m_job.output);
        return m_outcome;
    }

private:
    Status tensor(std::size_t index) {
        if (m_job.control.canceled())
            return Error{"cancelled"};
        const TensorInfo &info = m_job.reader->tensors()[index];
        const TensorResolution resolution = resolve(m_job.plan, info.name, info.shape);
        if (resolution.quantized()) {
            const auto encoding = encodeTensor(*m_job.reader, index, resolution.spec, m_job.control);
            if (!encoding)
                return Error{encoding.error()};
            const QByteArray entry = m_version == AimetVersion::V1 ? entryV1(info.name, encoding.value())
                                                                   : entryV061(info.name, encoding.value());
            if (const Status written = put((m_outcome.quantized ? ",\n" : "\n") + entry); !written)
                return written;
            ++m_outcome.quantized;
        } else {
            ++m_outcome.copied;
        }
        finished(index, info);
        return {};
    }

    void finished(std::size_t index, const TensorInfo &info) {
        m_bytesDone += info.byteSize;
        m_job.control.report(m_bytesTotal ? double(m_bytesDone) / double(m_bytesTotal) : 1.0);
        if (m_job.tensorDone)
            m_job.tensorDone(index);
    }

    Status put(const QByteArray &bytes) {
        if (m_file.write(bytes) != bytes.size())
            return fileError("cannot write");
        return {};
    }

    Error fileError(const char *what) {
        const std::string text = m_job.output + ": " + what + ": " + m_file.errorString().toStdString();
        m_file.cancelWriting();
        return Error{text};
    }

    Error abandon(const std::string &message) {
        m_file.cancelWriting();
        return Error{message};
    }

    const ExportJob &m_job;
    AimetVersion m_version;
    QSaveFile m_file;
    ExportOutcome m_outcome;
    std::uint64_t m_bytesDone = 0;
    std::uint64_t m_bytesTotal = 0;
};

class AimetExporter final : public Exporter {
public:
    explicit AimetExporter(AimetVersion version)
        : m_version(version) {}

    std::string id() const override { return m_version == AimetVersion::V1 ? "aimet" : "aimet-0.6.1"; }
    std::string displayName() const override {
        return m_version == AimetVersion::V1 ? "AIMET encodings 1.0.0" : "AIMET encodings 0.6.1";
    }
    ExportCapability capability() const override { return ExportCapability::Config; }
    std::vector<std::string> outputFiles() const override { return {"json"}; }
    std::string fileFilter() const override { return "AIMET encodings (*.encodings *.json)"; }
    std::string schemesText() const override {
        return m_version == AimetVersion::V1
                   ? "int, 4 to 16 bits, symmetric or asymmetric, per tensor, per channel (axis 0) or "
                     "per block along rows (group:G, block:1xG)"
                   : "int, 4 to 16 bits, symmetric or asymmetric, per tensor or per channel (axis 0)";
    }
    std::optional<std::string> cannotExpress(const QuantSpec &spec,
                                             const std::vector<std::int64_t> &shape) const override {
        return aimetReason(spec, shape, m_version);
    }
    Result<ExportOutcome> write(const ExportJob &job) const override {
        EncodingsWriter writer(job, m_version);
        return writer.run();
    }

private:
    AimetVersion m_version;
};

} // namespace

const Exporter &aimetEncodingsExporter() {
    static const AimetExporter exporter(AimetVersion::V1);
    return exporter;
}

const Exporter &aimetLegacyEncodingsExporter() {
    static const AimetExporter exporter(AimetVersion::V061);
    return exporter;
}

} // namespace qs
