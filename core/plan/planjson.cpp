#include "plan/planjson.h"
#include "export/compressedtensorsconfig.h"
#include "quant/scaledtype.h"
#include "util/textfile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <array>
#include <cmath>

namespace qs {

namespace {

// A plan holds a few hundred bytes per rule or override; anything this large is not one.
constexpr qint64 kMaxPlanBytes = qint64(16) << 20;

// "resolved" is what `export --to quantscope` adds for readers: each tensor's outcome. It is
// derived from the rest, so reading a plan skips it.
constexpr std::array<const char *, 8> kPlanKeys{"format", "version",         "default",   "rules",
                                                "ignore", "ignore_defaults", "overrides", "resolved"};
constexpr std::array<const char *, 9> kSchemeKeys{"format", "bits", "scheme",     "narrow",     "granularity",
                                                  "method", "clip", "clip_ratio", "scale_dtype"};
constexpr std::array<const char *, 2> kRuleKeys{"match", "scheme"};
constexpr const char *kKeep = "keep";

QString qstr(const std::string &s) {
    return QString::fromStdString(s);
}

std::string quoted(const QString &s) {
    return "\"" + s.toStdString() + "\"";
}

// A JSON value as it would appear in the file, for messages.
std::string jsonText(const QJsonValue &value) {
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2).toStdString();
}

template <std::size_t N>
Status checkKeys(const QJsonObject &object, const std::array<const char *, N> &known) {
    for (const QString &key : object.keys()) {
        if (std::find_if(known.begin(), known.end(),
                         [&key](const char *k) { return key == QLatin1String(k); }) != known.end())
            continue;
        std::string expected;
        for (const char *k : known)
            expected += (expected.empty() ? "" : ", ") + std::string(k);
        return Error{"unknown key " + quoted(key) + " (expected " + expected + ")"};
    }
    return {};
}

std::string formatNames() {
    std::string names;
    for (const FormatTraits &traits : numberFormats())
        names += (names.empty() ? "" : ", ") + std::string(traits.name);
    return names;
}

Status readFormat(PlanScheme &s, const QJsonValue &v) {
    const auto format = formatFromName(v.toString().toStdString());
    if (!v.isString() || !format)
        return Error{"unknown format " + jsonText(v) + " (one of " + formatNames() + ")"};
    s.format = *format;
    return {};
}

Status readBits(PlanScheme &s, const QJsonValue &v) {
    const double d = v.toDouble(std::nan(""));
    if (!v.isDouble() || std::floor(d) != d || d < kMinBits || d > kMaxBits)
        return Error{"bits must be an integer from " + std::to_string(kMinBits) + " to " +
                     std::to_string(kMaxBits) + ", not " + jsonText(v)};
    s.bits = int(d);
    return {};
}

Status readScheme(PlanScheme &s, const QJsonValue &v) {
    const auto scheme = schemeFromName(v.toString().toStdString());
    if (!v.isString() || !scheme)
        return Error{"scheme must be \"symmetric\" or \"asymmetric\", not " + jsonText(v)};
    s.scheme = *scheme;
    return {};
}

Status readNarrow(PlanScheme &s, const QJsonValue &v) {
    if (!v.isBool())
        return Error{"narrow must be true or false, not " + jsonText(v)};
    s.narrow = v.toBool();
    return {};
}

Status readGranularity(PlanScheme &s, const QJsonValue &v) {
    if (!v.isString())
        return Error{"granularity must be a string such as \"group:128\", not " + jsonText(v)};
    const Result<Granularity> granularity = parseGranularity(v.toString().toStdString());
    if (!granularity)
        return Error{granularity.error()};
    s.granularity = granularity.value();
    return {};
}

Status readMethod(PlanScheme &s, const QJsonValue &v) {
    if (!v.isString())
        return Error{"method must be a string such as \"mse\", not " + jsonText(v)};
    const Result<MethodChoice> choice = parseMethod(v.toString().toStdString());
    if (!choice)
        return Error{"method: " + choice.error()};
    s.method = choice->method;
    s.percentile = choice->percentile;
    return {};
}

Status readClip(PlanScheme &s, const QJsonValue &v) {
    const QJsonArray pair = v.toArray();
    if (!v.isArray() || pair.size() != 2 || !pair[0].isDouble() || !pair[1].isDouble())
        return Error{"clip must be [lo, hi] with two numbers, not " + jsonText(v)};
    s.clip = ClipRange{pair[0].toDouble(), pair[1].toDouble()};
    return {};
}

Status readClipRatio(PlanScheme &s, const QJsonValue &v) {
    if (!v.isDouble())
        return Error{"clip_ratio must be a number in (0, 1], not " + jsonText(v)};
    s.clipRatio = v.toDouble();
    return {};
}

Status readScaleDtype(PlanScheme &s, const QJsonValue &v) {
    const auto dtype = scaleDtypeFromName(v.toString().toStdString());
    if (!v.isString() || !dtype)
        return Error{"scale_dtype must be \"f32\", \"f16\" or \"bf16\", not " + jsonText(v)};
    s.scaleDtype = *dtype;
    return {};
}

Status readSchemeKey(PlanScheme &s, const QString &key, const QJsonValue &v) {
    using Reader = Status (*)(PlanScheme &, const QJsonValue &);
    constexpr std::array<Reader, 9> kReaders{readFormat, readBits,        readScheme,
                                             readNarrow, readGranularity, readMethod,
                                             readClip,   readClipRatio,   readScaleDtype};
    for (std::size_t i = 0; i < kSchemeKeys.size(); ++i)
        if (key == QLatin1String(kSchemeKeys[i]))
            return kReaders[i](s, v);
    return {};
}

Result<PlanScheme> schemeFromJson(const QJsonValue &value) {
    if (!value.isObject())
        return Error{"a scheme must be a JSON object, not " + jsonText(value)};
    const QJsonObject object = value.toObject();
    if (Status keys = checkKeys(object, kSchemeKeys); !keys)
        return Error{keys.error()};
    PlanScheme scheme;
    for (auto it = object.begin(); it != object.end(); ++it)
        if (Status read = readSchemeKey(scheme, it.key(), it.value()); !read)
            return Error{read.error()};
    if (Status values = checkSchemeValues(scheme); !values)
        return Error{values.error()};
    return scheme;
}

Result<NamePattern> patternFromJson(const QJsonValue &value) {
    if (!value.isString())
        return Error{"a pattern must be a string, not " + jsonText(value)};
    return NamePattern::parse(value.toString().toStdString());
}

Result<PlanRule> ruleFromJson(const QJsonObject &object) {
    if (Status keys = checkKeys(object, kRuleKeys); !keys)
        return Error{keys.error()};
    if (!object.contains(QLatin1String("match")))
        return Error{"match is missing"};
    if (!object.contains(QLatin1String("scheme")))
        return Error{"scheme is missing"};
    Result<NamePattern> pattern = patternFromJson(object.value(QLatin1String("match")));
    if (!pattern)
        return Error{"match: " + pattern.error()};
    const QJsonValue scheme = object.value(QLatin1String("scheme"));
    if (scheme.isString() && scheme.toString() == QLatin1String(kKeep))
        return Error{"a rule cannot keep tensors; add its pattern to \"ignore\" instead"};
    Result<PlanScheme> parsed = schemeFromJson(scheme);
    if (!parsed)
        return Error{"scheme: " + parsed.error()};
    return PlanRule{std::move(pattern).value(), std::move(parsed).value()};
}

Status readRules(const QJsonValue &value, QuantPlan &plan) {
    if (!value.isArray())
        return Error{"rules must be an array, not " + jsonText(value)};
    const QJsonArray rules = value.toArray();
    for (qsizetype i = 0; i < rules.size(); ++i) {
        std::string where = "rules[" + std::to_string(i) + "]";
        const QJsonValue match = rules[i].toObject().value(QLatin1String("match"));
        if (match.isString())
            where += " (" + match.toString().toStdString() + ")";
        if (!rules[i].isObject())
            return Error{where + ": a rule must be an object {\"match\": ..., \"scheme\": {...}}"};
        Result<PlanRule> rule = ruleFromJson(rules[i].toObject());
        if (!rule)
            return Error{where + ": " + rule.error()};
        plan.rules.push_back(std::move(rule).value());
    }
    return {};
}

Status readIgnore(const QJsonValue &value, QuantPlan &plan) {
    if (!value.isArray())
        return Error{"ignore must be an array of patterns, not " + jsonText(value)};
    const QJsonArray entries = value.toArray();
    for (qsizetype i = 0; i < entries.size(); ++i) {
        Result<NamePattern> pattern = patternFromJson(entries[i]);
        if (!pattern)
            return Error{"ignore[" + std::to_string(i) + "]: " + pattern.error()};
        plan.ignore.push_back(std::move(pattern).value());
    }
    return {};
}

Status readOverrides(const QJsonValue &value, QuantPlan &plan) {
    if (!value.isObject())
        return Error{"overrides must be an object of tensor names, not " + jsonText(value)};
    const QJsonObject overrides = value.toObject();
    for (auto it = overrides.begin(); it != overrides.end(); ++it) {
        const std::string name = it.key().toStdString();
        const std::string where = "overrides[\"" + name + "\"]";
        if (name.empty())
            return Error{"overrides: a tensor name must not be empty"};
        if (it.value().isString() && it.value().toString() == QLatin1String(kKeep)) {
            plan.overrides.emplace(name, PlanOverride::keepStored());
            continue;
        }
        if (!it.value().isObject())
            return Error{where + ": must be \"keep\" or a scheme object, not " + jsonText(it.value())};
        Result<PlanScheme> scheme = schemeFromJson(it.value());
        if (!scheme)
            return Error{where + ": " + scheme.error()};
        plan.overrides.emplace(name, PlanOverride{false, std::move(scheme).value()});
    }
    return {};
}

Status readHeader(const QJsonObject &root) {
    const QJsonValue format = root.value(QLatin1String("format"));
    if (format.isUndefined())
        return Error{"format is missing (expected \"" + std::string(kPlanFormat) + "\")"};
    if (format.toString() != QLatin1String(kPlanFormat))
        return Error{"format is " + jsonText(format) + ", expected \"" + kPlanFormat + "\"" +
                     (format.toString() == QLatin1String(kConfigFormat)
                          ? " (a configuration imports into a plan as overrides)"
                          : "")};
    const QJsonValue version = root.value(QLatin1String("version"));
    const std::string reads = "this program reads version " + std::to_string(kPlanVersion);
    if (version.isUndefined())
        return Error{"version is missing (" + reads + ")"};
    const double v = version.toDouble(std::nan(""));
    if (!version.isDouble() || std::floor(v) != v)
        return Error{"version must be an integer, not " + jsonText(version)};
    if (v != kPlanVersion)
        return Error{"version " + jsonText(version) + " is not supported (" + reads + ")"};
    return checkKeys(root, kPlanKeys);
}

Status readPlan(const QJsonObject &root, QuantPlan &plan) {
    if (Status header = readHeader(root); !header)
        return header;
    if (const QJsonValue d = root.value(QLatin1String("default")); !d.isUndefined()) {
        Result<PlanScheme> defaults = schemeFromJson(d);
        if (!defaults)
            return Error{"default: " + defaults.error()};
        plan.defaults = std::move(defaults).value();
    }
    if (const QJsonValue rules = root.value(QLatin1String("rules")); !rules.isUndefined())
        if (Status read = readRules(rules, plan); !read)
            return read;
    if (const QJsonValue ignore = root.value(QLatin1String("ignore")); !ignore.isUndefined())
        if (Status read = readIgnore(ignore, plan); !read)
            return read;
    if (const QJsonValue flag = root.value(QLatin1String("ignore_defaults")); !flag.isUndefined()) {
        if (!flag.isBool())
            return Error{"ignore_defaults must be true or false, not " + jsonText(flag)};
        plan.ignoreDefaults = flag.toBool();
    }
    if (const QJsonValue overrides = root.value(QLatin1String("overrides")); !overrides.isUndefined())
        if (Status read = readOverrides(overrides, plan); !read)
            return read;
    return validatePlan(plan);
}

QString latin(std::string_view text) {
    return QString::fromLatin1(text.data(), qsizetype(text.size()));
}

QJsonObject schemeToJson(const PlanScheme &s) {
    QJsonObject o;
    if (s.format)
        o.insert(QLatin1String("format"), latin(formatTraits(*s.format).name));
    if (s.bits)
        o.insert(QLatin1String("bits"), *s.bits);
    if (s.scheme)
        o.insert(QLatin1String("scheme"), latin(schemeName(*s.scheme)));
    if (s.narrow)
        o.insert(QLatin1String("narrow"), *s.narrow);
    if (s.granularity)
        o.insert(QLatin1String("granularity"), qstr(granularityName(*s.granularity)));
    if (s.method)
        o.insert(QLatin1String("method"), qstr(planMethodText(*s.method, s.percentile)));
    if (s.clip)
        o.insert(QLatin1String("clip"), QJsonArray{s.clip->lo, s.clip->hi});
    if (s.clipRatio)
        o.insert(QLatin1String("clip_ratio"), *s.clipRatio);
    if (s.scaleDtype)
        o.insert(QLatin1String("scale_dtype"), latin(scaleDtypeName(*s.scaleDtype)));
    return o;
}

} // namespace

std::string planToJson(const QuantPlan &plan) {
    QJsonArray rules;
    for (const PlanRule &rule : plan.rules)
        rules.append(QJsonObject{{QLatin1String("match"), qstr(rule.pattern.text())},
                                 {QLatin1String("scheme"), schemeToJson(rule.scheme)}});
    QJsonArray ignore;
    for (const NamePattern &pattern : plan.ignore)
        ignore.append(qstr(pattern.text()));
    QJsonObject overrides;
    for (const auto &[name, override] : plan.overrides)
        overrides.insert(qstr(name), override.keep ? QJsonValue(QLatin1String(kKeep))
                                                   : QJsonValue(schemeToJson(override.scheme)));
    QJsonObject root;
    root.insert(QLatin1String("format"), QLatin1String(kPlanFormat));
    root.insert(QLatin1String("version"), kPlanVersion);
    root.insert(QLatin1String("default"), schemeToJson(plan.defaults));
    root.insert(QLatin1String("rules"), rules);
    root.insert(QLatin1String("ignore"), ignore);
    root.insert(QLatin1String("ignore_defaults"), plan.ignoreDefaults);
    root.insert(QLatin1String("overrides"), overrides);
    return QJsonDocument(root).toJson(QJsonDocument::Indented).toStdString();
}

std::string planSchemeToJson(const PlanScheme &scheme) {
    return QJsonDocument(schemeToJson(scheme)).toJson(QJsonDocument::Compact).toStdString();
}

Result<PlanScheme> planSchemeFromJson(const std::string &text) {
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray::fromStdString(text), &error);
    if (error.error != QJsonParseError::NoError)
        return Error{"not a JSON object: " + error.errorString().toStdString()};
    return schemeFromJson(document.isObject() ? QJsonValue(document.object()) : QJsonValue(QJsonValue::Null));
}

Result<QuantPlan> planFromJson(const std::string &json, const std::string &source) {
    const auto object = parseJsonObject(json, source, "a Quantscope plan");
    if (!object)
        return Error{object.error()};
    QuantPlan plan;
    if (Status read = readPlan(object.value(), plan); !read)
        return Error{source + ": " + read.error()};
    return plan;
}

Status savePlan(const std::string &path, const QuantPlan &plan) {
    return saveTextFile(path, planToJson(plan));
}

Result<QuantPlan> loadPlan(const std::string &path) {
    const auto text = loadTextFile(path, kMaxPlanBytes, "a plan");
    if (!text)
        return Error{text.error()};
    // A Hugging Face config.json with a quantization_config, or that block alone, reads as the
    // plan it describes; anything else is a plan file and gets the plan parser's errors.
    const QJsonObject root = QJsonDocument::fromJson(QByteArray::fromStdString(text.value())).object();
    if (const QJsonValue config = root.value(QLatin1String("quantization_config")); config.isObject())
        return planFromCompressedTensors(config.toObject(), path);
    if (root.contains(QLatin1String("config_groups")) || root.contains(QLatin1String("quant_method")))
        return planFromCompressedTensors(root, path);
    if (root.contains(QLatin1String("architectures")) || root.contains(QLatin1String("model_type")))
        return Error{path + ": a Hugging Face config.json without a quantization_config describes no plan"};
    return planFromJson(text.value(), path);
}

PlanOverrides configToOverrides(const QuantConfig &config) {
    PlanOverrides overrides;
    for (const TensorConfig &tensor : config.tensors) {
        QuantSpec spec = tensor.spec;
        spec.format = NumberFormat::Int;
        spec.granularity = {};
        spec.method = CalibMethod::MinMax;
        spec.clipRatio = 1.0;
        overrides.insert_or_assign(tensor.name, PlanOverride{false, planSchemeFromSpec(spec)});
    }
    return overrides;
}

} // namespace qs
