// A compressed-tensors quantization_config read back as a Quantscope plan, so opening a
// compressed-tensors model's config.json shows what its weight schemes do.

#include "export/compressedtensorsconfig.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace qs {

namespace {

constexpr const char *kLinear = "Linear";

std::string text(const QJsonValue &value) {
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2).toStdString();
}

QJsonValue key(const QJsonObject &object, const char *name) {
    return object.value(QLatin1String(name));
}

bool isNull(const QJsonValue &value) {
    return value.isUndefined() || value.isNull();
}

std::optional<std::int64_t> integer(const QJsonValue &value) {
    const double d = value.toDouble(std::nan(""));
    if (!value.isDouble() || std::floor(d) != d)
        return std::nullopt;
    return std::int64_t(d);
}

// A target or ignore entry: an exact module name, a `re:` pattern, or a module class name. Class
// names are CamelCase without dots ("Linear"); module names are dotted or lower case ("lm_head").
enum class TargetKind { Name, Regex, Class };

TargetKind targetKind(const std::string &target) {
    if (target.starts_with("re:"))
        return TargetKind::Regex;
    if (!target.empty() && target.find('.') == std::string::npos && target.front() >= 'A' &&
        target.front() <= 'Z')
        return TargetKind::Class;
    return TargetKind::Name;
}

// The body of a Quantscope `re:` pattern (matched against the whole tensor name) that selects the
// weights of the modules Python's re.match(expression, module) selects: re.match anchors only at
// the start, so the module may continue past the expression unless the expression ends in `$`.
std::string weightRegex(const std::string &expression) {
    std::string body = expression;
    const bool anchored = body.ends_with("$") && !body.ends_with("\\$");
    if (anchored)
        body.pop_back();
    return "(?:" + body + ")" + (anchored ? "" : ".*") + "\\.weight";
}

std::string exactWeightRegex(const std::string &module) {
    return QRegularExpression::escape(QString::fromStdString(module + ".weight")).toStdString();
}

Result<CalibMethod> observerMethod(const QJsonValue &value) {
    // observer null means minmax for static weights (QuantizationArgs' validator); the older and
    // newer spellings of the same two observers read the same.
    if (isNull(value))
        return CalibMethod::MinMax;
    const QString name = value.toString();
    if (name == QLatin1String("minmax") || name == QLatin1String("memoryless") ||
        name == QLatin1String("static_minmax") || name == QLatin1String("memoryless_minmax"))
        return CalibMethod::MinMax;
    if (name == QLatin1String("mse") || name == QLatin1String("memoryless_mse"))
        return CalibMethod::Mse;
    return Error{"observer " + text(value) + " has no Quantscope method (minmax or mse)"};
}

Status checkRuntimeKeys(const QJsonObject &args) {
    // Weights quantized at run time are not a stored scheme Quantscope can show.
    const QJsonValue dynamic = key(args, "dynamic");
    if (!isNull(dynamic) && !(dynamic.isBool() && !dynamic.toBool()))
        return Error{"dynamic " + text(dynamic) + ": dynamic weight quantization is not supported"};
    // actorder "weight" (alias "static") only orders GPTQ's solve: groups stay contiguous runs.
    // "group" (alias "dynamic", or true) permutes group membership through g_idx, which no
    // Quantscope granularity describes.
    const QJsonValue actorder = key(args, "actorder");
    if (isNull(actorder) || (actorder.isBool() && !actorder.toBool()))
        return {};
    const QString order = actorder.toString();
    if (order == QLatin1String("weight") || order == QLatin1String("static"))
        return {};
    return Error{"actorder " + text(actorder) + ": activation-ordered groups are not supported"};
}

Result<Granularity> granularityOf(const QJsonObject &args, const QString &strategy) {
    const auto size = integer(key(args, "group_size"));
    if (strategy == QLatin1String("tensor"))
        return Granularity{};
    if (strategy == QLatin1String("channel"))
        return Granularity{Granularity::Kind::Channel, 0, 0, 0, 0};
    if (strategy == QLatin1String("group")) {
        if (!size || *size <= 0)
            return Error{"group_size " + text(key(args, "group_size")) +
                         ": strategy group needs a positive group_size"};
        return Granularity{Granularity::Kind::Group, 0, *size, 0, 0};
    }
    if (strategy == QLatin1String("block")) {
        // A list [rows, cols] in current releases, a "RxC" string in older ones.
        const QJsonValue block = key(args, "block_structure");
        std::vector<std::int64_t> dims;
        if (block.isArray())
            for (const QJsonValue &d : block.toArray())
                dims.push_back(integer(d).value_or(0));
        else if (block.isString())
            for (const QString &d : block.toString().split(QLatin1Char('x')))
                dims.push_back(d.toLongLong());
        if (dims.size() != 2 || dims[0] <= 0 || dims[1] <= 0)
            return Error{"block_structure " + text(block) + ": strategy block needs [rows, cols]"};
        return Granularity{Granularity::Kind::Block, 0, 0, dims[0], dims[1]};
    }
    return Error{"strategy \"" + strategy.toStdString() + "\" has no Quantscope weight granularity"};
}

// strategy, or what QuantizationArgs infers without one: tensor, group (group_size > 0) or
// channel (group_size -1).
QString strategyOf(const QJsonObject &args) {
    const QJsonValue strategy = key(args, "strategy");
    if (!isNull(strategy))
        return strategy.toString().toLower();
    const auto size = integer(key(args, "group_size"));
    if (!size)
        return QStringLiteral("tensor");
    return *size == -1 ? QStringLiteral("channel") : QStringLiteral("group");
}

Result<QuantSpec> floatSpec(const QJsonObject &args, int bits, const QString &strategy,
                            const std::string &format) {
    if (key(args, "symmetric").isBool() && !key(args, "symmetric").toBool())
        return Error{"symmetric false: float weights are symmetric"};
    QuantSpec spec;
    if (bits == 8) {
        const Result<Granularity> granularity = granularityOf(args, strategy);
        if (!granularity)
            return Error{granularity.error()};
        spec.format = NumberFormat::Fp8E4M3;
        spec.granularity = granularity.value();
        return spec;
    }
    const auto size = integer(key(args, "group_size")).value_or(0);
    if (bits == 4 && strategy == QLatin1String("tensor_group") && size == 16) {
        spec.format = NumberFormat::NvFp4;
        return spec;
    }
    // MXFP4 shares NVFP4's args but group 32 with power-of-two scales; only its format tells.
    if (bits == 4 && strategy == QLatin1String("group") && size == 32 &&
        (format.empty() || format == "mxfp4-pack-quantized")) {
        spec.format = NumberFormat::MxFp4;
        return spec;
    }
    return Error{
        "num_bits " + std::to_string(bits) + ", strategy \"" + strategy.toStdString() + "\", group_size " +
        std::to_string(size) +
        ": float weights read as fp8_e4m3 (8 bits), nvfp4 (4 bits, tensor_group 16) or mxfp4 (4 bits, "
        "group 32)"};
}

// The exact spec of one group's weights args; errors name the key.
Result<QuantSpec> specFromArgs(const QJsonObject &args, const std::string &format) {
    if (Status runtime = checkRuntimeKeys(args); !runtime)
        return Error{runtime.error()};
    const Result<CalibMethod> method = observerMethod(key(args, "observer"));
    if (!method)
        return Error{method.error()};
    const QJsonValue bitsValue = key(args, "num_bits");
    const auto bits = isNull(bitsValue) ? std::optional<std::int64_t>(8) : integer(bitsValue);
    if (!bits)
        return Error{"num_bits " + text(bitsValue) + " is not an integer"};
    const QString type =
        isNull(key(args, "type")) ? QStringLiteral("int") : key(args, "type").toString().toLower();
    const QString strategy = strategyOf(args);
    Result<QuantSpec> spec = Error{"type " + text(key(args, "type")) + " is neither \"int\" nor \"float\""};
    if (type == QLatin1String("float")) {
        spec = floatSpec(args, int(*bits), strategy, format);
        if (spec && method.value() == CalibMethod::Mse && spec->format != NumberFormat::Fp8E4M3)
            return Error{"observer \"mse\": Quantscope's " + std::string(formatTraits(spec->format).name) +
                         " has only the minmax range"};
    } else if (type == QLatin1String("int")) {
        if (*bits < kMinBits || *bits > 8)
            return Error{"num_bits " + std::to_string(*bits) + ": int weights have 2 to 8 bits"};
        const Result<Granularity> granularity = granularityOf(args, strategy);
        if (!granularity)
            return Error{granularity.error()};
        const QJsonValue symmetric = key(args, "symmetric");
        QuantSpec s = intSpec(int(*bits), symmetric.isBool() && !symmetric.toBool() ? Scheme::Asymmetric
                                                                                    : Scheme::Symmetric);
        s.granularity = granularity.value();
        spec = s;
    }
    if (!spec)
        return spec;
    QuantSpec out = spec.value();
    out.method = method.value();
    return out;
}

Result<std::vector<std::string>> stringList(const QJsonValue &value, const std::string &where) {
    if (!value.isArray())
        return Error{where + " must be a list of strings, not " + text(value)};
    std::vector<std::string> list;
    for (const QJsonValue &item : value.toArray()) {
        if (!item.isString() || item.toString().isEmpty())
            return Error{where + ": " + text(item) + " is not a module name or pattern"};
        list.push_back(item.toString().toStdString());
    }
    return list;
}

// group_0, group_1, ..., group_10 in their numeric order (QJsonObject sorts keys as text).
std::vector<QString> groupOrder(const QJsonObject &groups) {
    const QStringList keys = groups.keys();
    std::vector<QString> names(keys.begin(), keys.end());
    auto number = [](const QString &name) {
        const qsizetype underscore = name.lastIndexOf(QLatin1Char('_'));
        bool ok = false;
        const int n = name.mid(underscore + 1).toInt(&ok);
        return ok ? n : -1;
    };
    std::stable_sort(names.begin(), names.end(), [&](const QString &a, const QString &b) {
        return std::pair(number(a), a) < std::pair(number(b), b);
    });
    return names;
}

struct Builder {
    QuantPlan plan;
    std::vector<std::string> ruleBodies; ///< each rule's regex, for the catch-all ignore
    std::optional<PlanScheme> linear;    ///< the scheme of the "Linear" class target
    std::vector<std::pair<std::string, PlanScheme>> exact;

    Status addPattern(std::vector<NamePattern> &list, const std::string &body) {
        Result<NamePattern> pattern = NamePattern::parse("re:" + body);
        if (!pattern)
            return Error{pattern.error()};
        list.push_back(std::move(pattern).value());
        return {};
    }

    Status addTarget(const std::string &target, const PlanScheme &scheme, const std::string &where) {
        switch (targetKind(target)) {
        case TargetKind::Regex: {
            const std::string body = weightRegex(target.substr(3));
            Result<NamePattern> pattern = NamePattern::parse("re:" + body);
            if (!pattern)
                return Error{where + ": " + pattern.error()};
            plan.rules.push_back({std::move(pattern).value(), scheme});
            ruleBodies.push_back(body);
            return {};
        }
        case TargetKind::Class:
            if (target != kLinear)
                return Error{where + ": \"" + target +
                             "\" is a module class; Quantscope maps only \"Linear\""};
            if (linear)
                return Error{where + ": \"Linear\" is targeted by two groups"};
            linear = scheme;
            return {};
        case TargetKind::Name:
            if (std::any_of(exact.begin(), exact.end(), [&](const auto &e) { return e.first == target; }))
                return Error{where + ": \"" + target + "\" is targeted by two groups"};
            exact.emplace_back(target, scheme);
            return {};
        }
        return {};
    }

    Status addGroup(const QString &name, const QJsonValue &value, const std::string &topFormat) {
        const std::string where = "config_groups." + name.toStdString();
        if (!value.isObject())
            return Error{where + " must be an object, not " + text(value)};
        const QJsonObject group = value.toObject();
        // Activations are quantized at run time and leave the stored weights as they are.
        const QJsonValue weights = key(group, "weights");
        if (isNull(weights))
            return {};
        if (!weights.isObject())
            return Error{where + ".weights must be an object, not " + text(weights)};
        const QJsonValue groupFormat = key(group, "format");
        const std::string format = groupFormat.isString() ? groupFormat.toString().toStdString() : topFormat;
        const Result<QuantSpec> spec = specFromArgs(weights.toObject(), format);
        if (!spec)
            return Error{where + ".weights." + spec.error()};
        const auto targets = stringList(key(group, "targets"), where + ".targets");
        if (!targets)
            return Error{targets.error()};
        const PlanScheme scheme = planSchemeFromSpec(spec.value());
        for (std::size_t i = 0; i < targets->size(); ++i)
            if (Status added =
                    addTarget(targets.value()[i], scheme, where + ".targets[" + std::to_string(i) + "]");
                !added)
                return added;
        return {};
    }

    Status addIgnore(const std::vector<std::string> &entries) {
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const std::string where = "ignore[" + std::to_string(i) + "]";
            const std::string &entry = entries[i];
            const TargetKind kind = targetKind(entry);
            if (kind == TargetKind::Class)
                return Error{where + ": \"" + entry +
                             "\" is a module class; Quantscope matches tensor names only"};
            const std::string body =
                kind == TargetKind::Regex ? weightRegex(entry.substr(3)) : exactWeightRegex(entry);
            if (Status added = addPattern(plan.ignore, body); !added)
                return Error{where + ": " + added.error()};
        }
        return {};
    }

    bool ignored(const std::string &tensor) const {
        return std::any_of(plan.ignore.begin(), plan.ignore.end(),
                           [&](const NamePattern &p) { return p.matches(tensor); });
    }

    // Exact targets beat rules in compressed-tensors as overrides do here, but `ignore` beats
    // every target there while overrides beat the ignore list here: leave out ignored ones.
    void finish() {
        for (const auto &[module, scheme] : exact)
            if (!ignored(module + ".weight"))
                plan.overrides.emplace(module + ".weight", PlanOverride{false, scheme});
        if (linear) {
            const std::string body = ".*\\.weight";
            plan.rules.push_back({NamePattern::parse("re:" + body).value(), *linear});
            ruleBodies.push_back(body);
            // The default ignore list keeps lm_head.weight, which is a Linear.
            if (!ignored("lm_head.weight") && !plan.overrides.contains("lm_head.weight"))
                plan.overrides.emplace("lm_head.weight", PlanOverride{false, *linear});
        }
        plan.ignoreDefaults = linear.has_value();
        // What no target selects stays as stored.
        if (ruleBodies.empty()) {
            plan.ignore.push_back(NamePattern::parse("*").value());
            return;
        }
        std::string alternatives;
        for (const std::string &body : ruleBodies)
            alternatives += (alternatives.empty() ? "" : "|") + body;
        plan.ignore.push_back(NamePattern::parse("re:(?!(?:" + alternatives + ")$).*").value());
    }
};

Status readTopLevel(const QJsonObject &config) {
    const QJsonValue method = key(config, "quant_method");
    if (!isNull(method) && method.toString() != QLatin1String("compressed-tensors"))
        return Error{"quant_method " + text(method) + " is not \"compressed-tensors\""};
    // Transforms rotate the weights before they are quantized: the scheme then applies to
    // weights this checkpoint does not hold.
    const QJsonValue transform = key(config, "transform_config");
    if (!isNull(transform) && !(transform.isObject() && transform.toObject().isEmpty()))
        return Error{"transform_config: transformed (rotated) weights are not supported"};
    if (!key(config, "config_groups").isObject())
        return Error{"config_groups must be an object of groups, not " + text(key(config, "config_groups"))};
    // kv_cache_scheme quantizes the attention cache and sparsity_config how zeros are stored:
    // neither changes a weight's quantization grid, so both are left out of the plan.
    return {};
}

} // namespace

Result<QuantPlan> planFromCompressedTensors(const QJsonObject &quantizationConfig,
                                            const std::string &source) {
    const std::string prefix = source + ": quantization_config: ";
    if (Status top = readTopLevel(quantizationConfig); !top)
        return Error{prefix + top.error()};
    const QJsonValue topFormat = key(quantizationConfig, "format");
    const QJsonObject groups = key(quantizationConfig, "config_groups").toObject();
    Builder builder;
    for (const QString &name : groupOrder(groups))
        if (Status added = builder.addGroup(name, groups.value(name), topFormat.toString().toStdString());
            !added)
            return Error{prefix + added.error()};
    if (const QJsonValue ignore = key(quantizationConfig, "ignore"); !isNull(ignore)) {
        const auto entries = stringList(ignore, "ignore");
        if (!entries)
            return Error{prefix + entries.error()};
        if (Status added = builder.addIgnore(entries.value()); !added)
            return Error{prefix + added.error()};
    }
    builder.finish();
    if (Status valid = validatePlan(builder.plan); !valid)
        return Error{prefix + valid.error()};
    return std::move(builder.plan);
}

} // namespace qs
