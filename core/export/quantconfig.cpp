#include "export/quantconfig.h"

#include "io/dtype.h"
#include "quant/quantizer.h"
#include "util/textfile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QString>

#include <cmath>
#include <limits>

namespace qs {

namespace {

// A configuration holds a few hundred bytes per tensor; anything this large is not one.
constexpr qint64 kMaxConfigBytes = qint64(64) << 20;
// Integers beyond 2^53 do not survive a round trip through a JSON number.
constexpr double kMaxExactInteger = 9007199254740992.0;

QString qstr(const std::string &s) {
    return QString::fromStdString(s);
}

QJsonValue optionalNumber(const std::optional<double> &value) {
    if (!value || !std::isfinite(*value))
        return QJsonValue(QJsonValue::Null);
    return *value;
}

QJsonObject tensorToJson(const TensorConfig &t) {
    QJsonArray shape;
    for (std::int64_t d : t.shape)
        shape.append(qint64(d));
    QJsonObject o;
    o.insert(QStringLiteral("name"), qstr(t.name));
    o.insert(QStringLiteral("shape"), shape);
    o.insert(QStringLiteral("dtype"), qstr(t.dtype));
    o.insert(QStringLiteral("bits"), t.spec.bits);
    o.insert(QStringLiteral("scheme"), qstr(std::string(schemeName(t.spec.scheme))));
    o.insert(QStringLiteral("narrow"), t.spec.narrow);
    o.insert(QStringLiteral("range_mode"), qstr(std::string(rangeModeName(t.spec.rangeMode))));
    o.insert(QStringLiteral("clip_min"), t.params.clipMin);
    o.insert(QStringLiteral("clip_max"), t.params.clipMax);
    o.insert(QStringLiteral("qmin"), qint64(t.params.qmin));
    o.insert(QStringLiteral("qmax"), qint64(t.params.qmax));
    o.insert(QStringLiteral("scale"), double(t.params.scale));
    o.insert(QStringLiteral("zero_point"), qint64(t.params.zeroPoint));
    o.insert(QStringLiteral("mse"), t.mse);
    o.insert(QStringLiteral("sqnr_db"), optionalNumber(t.sqnrDb));
    return o;
}

// Reads the fields of one JSON object, remembering the first problem. Each getter returns a
// harmless default once a problem is recorded, so parsing code reads straight through.
class FieldReader {
public:
    FieldReader(const QJsonObject &object, std::string where)
        : m_object(object)
        , m_where(std::move(where)) {}

    bool ok() const { return m_problem.empty(); }
    const std::string &problem() const { return m_problem; }
    void fail(const std::string &field, const std::string &what) {
        if (ok())
            m_problem = m_where + "field \"" + field + "\" " + what;
    }

    QJsonValue value(const char *field) {
        const QJsonValue v = m_object.value(QLatin1String(field));
        if (v.isUndefined())
            fail(field, "is missing");
        return v;
    }
    std::string string(const char *field) {
        const QJsonValue v = value(field);
        if (!v.isUndefined() && !v.isString())
            fail(field, "must be a string");
        return v.toString().toStdString();
    }
    bool boolean(const char *field) {
        const QJsonValue v = value(field);
        if (!v.isUndefined() && !v.isBool())
            fail(field, "must be true or false");
        return v.toBool();
    }
    double number(const char *field) {
        const QJsonValue v = value(field);
        if (!v.isUndefined() && !(v.isDouble() && std::isfinite(v.toDouble())))
            fail(field, "must be a finite number");
        return v.toDouble();
    }
    std::int64_t integer(const char *field, std::int64_t lo, std::int64_t hi) {
        const QJsonValue v = value(field);
        if (v.isUndefined())
            return lo;
        const double d = v.toDouble(std::numeric_limits<double>::quiet_NaN());
        if (!v.isDouble() || !(std::floor(d) == d) || d < double(lo) || d > double(hi)) {
            fail(field, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
            return lo;
        }
        return std::int64_t(d);
    }

private:
    const QJsonObject &m_object;
    std::string m_where;
    std::string m_problem;
};

std::vector<std::int64_t> readShape(FieldReader &fields, const QJsonValue &value) {
    std::vector<std::int64_t> shape;
    if (value.isUndefined())
        return shape;
    if (!value.isArray()) {
        fields.fail("shape", "must be an array of non-negative integers");
        return shape;
    }
    for (const QJsonValue &d : value.toArray()) {
        const double x = d.toDouble(-1.0);
        if (!d.isDouble() || !(std::floor(x) == x) || x < 0 || x > kMaxExactInteger) {
            fields.fail("shape", "must be an array of non-negative integers");
            return {};
        }
        shape.push_back(std::int64_t(x));
    }
    return shape;
}

QuantSpec readSpec(FieldReader &fields) {
    QuantSpec spec;
    spec.bits = int(fields.integer("bits", kMinBits, kMaxBits));
    const std::string scheme = fields.string("scheme");
    if (auto s = schemeFromName(scheme))
        spec.scheme = *s;
    else
        fields.fail("scheme", "must be \"symmetric\" or \"asymmetric\", not \"" + scheme + "\"");
    spec.narrow = fields.boolean("narrow");
    if (spec.narrow && spec.scheme == Scheme::Asymmetric)
        fields.fail("narrow", "must be false for the asymmetric scheme");
    const std::string range = fields.string("range_mode");
    if (auto r = rangeModeFromName(range))
        spec.rangeMode = *r;
    else
        fields.fail("range_mode", "must be \"non-saturating\" or \"saturating\", not \"" + range + "\"");
    return spec;
}

QuantParams readParams(FieldReader &fields, const QuantSpec &spec) {
    constexpr std::int64_t kIntLimit = std::int64_t(1) << 32;
    QuantParams p;
    p.bits = spec.bits;
    p.clipMin = fields.number("clip_min");
    p.clipMax = fields.number("clip_max");
    if (fields.ok() && p.clipMin > p.clipMax)
        fields.fail("clip_min", "must not exceed clip_max");
    p.qmin = fields.integer("qmin", -kIntLimit, kIntLimit);
    p.qmax = fields.integer("qmax", -kIntLimit, kIntLimit);
    if (fields.ok() && std::pair(p.qmin, p.qmax) != integerRange(spec))
        fields.fail("qmin", "and qmax do not match bits, scheme and narrow");
    const double scale = fields.number("scale");
    if (fields.ok() && !(scale > 0.0 && scale <= std::numeric_limits<float>::max()))
        fields.fail("scale", "must be a positive float32 number");
    p.scale = float(scale);
    p.zeroPoint = fields.integer("zero_point", -kIntLimit, kIntLimit);
    if (fields.ok() && (p.zeroPoint < p.qmin || p.zeroPoint > p.qmax))
        fields.fail("zero_point", "must lie in [qmin, qmax]");
    return p;
}

std::optional<TensorConfig> readTensor(FieldReader &fields) {
    TensorConfig t;
    t.name = fields.string("name");
    if (fields.ok() && t.name.empty())
        fields.fail("name", "must not be empty");
    t.shape = readShape(fields, fields.value("shape"));
    t.dtype = fields.string("dtype");
    if (fields.ok() && !dtypeFromName(t.dtype))
        fields.fail("dtype", "names an unknown dtype \"" + t.dtype + "\"");
    t.spec = readSpec(fields);
    t.params = readParams(fields, t.spec);
    t.spec.clipLo = t.params.clipMin;
    t.spec.clipHi = t.params.clipMax;
    t.mse = fields.number("mse");
    if (fields.ok() && t.mse < 0.0)
        fields.fail("mse", "must not be negative");
    const QJsonValue sqnr = fields.value("sqnr_db");
    if (!sqnr.isNull())
        t.sqnrDb = fields.number("sqnr_db");
    if (!fields.ok())
        return std::nullopt;
    return t;
}

Status readHeader(const QJsonObject &root, const std::string &source, QuantConfig &config) {
    FieldReader fields(root, source + ": ");
    const std::string format = fields.string("format");
    if (fields.ok() && format != kConfigFormat)
        fields.fail("format", "is \"" + format + "\", expected \"" + kConfigFormat + "\"");
    const std::int64_t version = fields.integer("version", 1, std::numeric_limits<int>::max());
    if (fields.ok() && version > kConfigVersion)
        fields.fail("version", "is " + std::to_string(version) + "; this program reads version " +
                                   std::to_string(kConfigVersion));
    config.checkpoint = fields.string("checkpoint");
    const QJsonValue tensors = fields.value("tensors");
    if (fields.ok() && !tensors.isArray())
        fields.fail("tensors", "must be an array");
    if (!fields.ok())
        return Error{fields.problem()};
    return {};
}

} // namespace

std::string configToJson(const QuantConfig &config) {
    QJsonArray tensors;
    for (const TensorConfig &t : config.tensors)
        tensors.append(tensorToJson(t));
    QJsonObject root;
    root.insert(QStringLiteral("format"), QLatin1String(kConfigFormat));
    root.insert(QStringLiteral("version"), kConfigVersion);
    root.insert(QStringLiteral("checkpoint"), qstr(config.checkpoint));
    root.insert(QStringLiteral("tensors"), tensors);
    return QJsonDocument(root).toJson(QJsonDocument::Indented).toStdString();
}

Result<QuantConfig> configFromJson(const std::string &json, const std::string &source) {
    const auto object = parseJsonObject(json, source, "a Quantscope configuration");
    if (!object)
        return Error{object.error()};
    const QJsonObject &root = object.value();
    QuantConfig config;
    if (Status header = readHeader(root, source, config); !header)
        return Error{header.error()};

    const QJsonArray tensors = root.value(QStringLiteral("tensors")).toArray();
    QSet<QString> names;
    for (qsizetype i = 0; i < tensors.size(); ++i) {
        const std::string where = source + ": tensors[" + std::to_string(i) + "]";
        if (!tensors[i].isObject())
            return Error{where + " is not a JSON object"};
        const QJsonObject entry = tensors[i].toObject();
        const QString name = entry.value(QStringLiteral("name")).toString();
        FieldReader fields(entry, where + (name.isEmpty() ? "" : " (\"" + name.toStdString() + "\")") + ": ");
        std::optional<TensorConfig> tensor = readTensor(fields);
        if (!tensor)
            return Error{fields.problem()};
        if (names.contains(name))
            return Error{where + ": tensor \"" + tensor->name + "\" appears more than once"};
        names.insert(name);
        config.tensors.push_back(std::move(*tensor));
    }
    return config;
}

Status saveConfig(const std::string &path, const QuantConfig &config) {
    return saveTextFile(path, configToJson(config));
}

Result<QuantConfig> loadConfig(const std::string &path) {
    const auto text = loadTextFile(path, kMaxConfigBytes, "a configuration");
    if (!text)
        return Error{text.error()};
    return configFromJson(text.value(), path);
}

} // namespace qs
