#include "sessionfile.h"

#include "plan/planjson.h"
#include "util/textfile.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

namespace qs::ui {

namespace {

constexpr qint64 kMaxSessionBytes = qint64(32) << 20;

const QStringList kKeys = {QStringLiteral("format"),     QStringLiteral("version"),
                           QStringLiteral("checkpoint"), QStringLiteral("plan"),
                           QStringLiteral("imatrix"),    QStringLiteral("reference"),
                           QStringLiteral("selected"),   QStringLiteral("view")};
const QStringList kViewKeys = {QStringLiteral("group"), QStringLiteral("normalised"),
                               QStringLiteral("histogram_log"), QStringLiteral("error_log"),
                               QStringLiteral("window_state")};

qs::Status checkKeys(const QJsonObject &object, const QStringList &known, const std::string &where) {
    for (const QString &key : object.keys())
        if (!known.contains(key))
            return qs::Error{where + "unknown key \"" + key.toStdString() + "\""};
    return {};
}

qs::Result<QString> optionalString(const QJsonObject &object, const QString &key) {
    const QJsonValue value = object.value(key);
    if (value.isUndefined() || value.isNull())
        return QString();
    if (!value.isString())
        return qs::Error{key.toStdString() + " must be a string"};
    return value.toString();
}

qs::Status readView(const QJsonValue &value, SessionState &state) {
    if (value.isUndefined())
        return {};
    if (!value.isObject())
        return qs::Error{"view must be a JSON object"};
    const QJsonObject view = value.toObject();
    if (qs::Status keys = checkKeys(view, kViewKeys, "view: "); !keys)
        return keys;
    const QJsonValue group = view.value(QStringLiteral("group"));
    if (!group.isUndefined() &&
        (!group.isDouble() || group.toDouble() < 0 || group.toDouble() != double(qint64(group.toDouble()))))
        return qs::Error{"view: group must be a whole number ≥ 0"};
    state.group = qint64(group.toDouble(0));
    state.normalised = view.value(QStringLiteral("normalised")).toBool(false);
    state.histogramLog = view.value(QStringLiteral("histogram_log")).toBool(false);
    state.errorLog = view.value(QStringLiteral("error_log")).toBool(true);
    state.windowState =
        QByteArray::fromBase64(view.value(QStringLiteral("window_state")).toString().toLatin1());
    return {};
}

qs::Status readSession(const QJsonObject &root, SessionState &state) {
    if (qs::Status keys = checkKeys(root, kKeys, ""); !keys)
        return keys;
    if (root.value(QStringLiteral("format")).toString() != QLatin1String(kSessionFormat))
        return qs::Error{std::string("not a Quantscope session (format must be \"") + kSessionFormat + "\")"};
    if (root.value(QStringLiteral("version")).toInt(-1) != kSessionVersion)
        return qs::Error{"version must be " + std::to_string(kSessionVersion)};
    const QJsonValue checkpoint = root.value(QStringLiteral("checkpoint"));
    if (!checkpoint.isString() || checkpoint.toString().isEmpty())
        return qs::Error{"checkpoint must be the checkpoint's path"};
    state.checkpoint = checkpoint.toString();
    const QJsonValue plan = root.value(QStringLiteral("plan"));
    if (!plan.isObject())
        return qs::Error{"plan must be a plan object"};
    const std::string planText = QJsonDocument(plan.toObject()).toJson().toStdString();
    auto parsed = qs::planFromJson(planText, "plan");
    if (!parsed)
        return qs::Error{parsed.error()};
    state.plan = parsed.value();
    for (auto [key, target] : {std::pair{QStringLiteral("imatrix"), &state.importance},
                               std::pair{QStringLiteral("reference"), &state.reference},
                               std::pair{QStringLiteral("selected"), &state.selectedTensor}}) {
        auto text = optionalString(root, key);
        if (!text)
            return qs::Error{text.error()};
        *target = text.value();
    }
    return readView(root.value(QStringLiteral("view")), state);
}

QJsonValue stringOrNull(const QString &text) {
    return text.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(text);
}

} // namespace

std::string sessionToJson(const SessionState &state) {
    const QJsonObject plan =
        QJsonDocument::fromJson(QByteArray::fromStdString(qs::planToJson(state.plan))).object();
    QJsonObject view{{QStringLiteral("group"), double(state.group)},
                     {QStringLiteral("normalised"), state.normalised},
                     {QStringLiteral("histogram_log"), state.histogramLog},
                     {QStringLiteral("error_log"), state.errorLog},
                     {QStringLiteral("window_state"), QString::fromLatin1(state.windowState.toBase64())}};
    QJsonObject root{{QStringLiteral("format"), QLatin1String(kSessionFormat)},
                     {QStringLiteral("version"), kSessionVersion},
                     {QStringLiteral("checkpoint"), state.checkpoint},
                     {QStringLiteral("plan"), plan},
                     {QStringLiteral("imatrix"), stringOrNull(state.importance)},
                     {QStringLiteral("reference"), stringOrNull(state.reference)},
                     {QStringLiteral("selected"), stringOrNull(state.selectedTensor)},
                     {QStringLiteral("view"), view}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented).toStdString();
}

qs::Result<SessionState> sessionFromJson(const std::string &text, const std::string &source) {
    const auto root = qs::parseJsonObject(text, source, "a Quantscope session");
    if (!root)
        return qs::Error{root.error()};
    SessionState state;
    if (qs::Status read = readSession(root.value(), state); !read)
        return qs::Error{source + ": " + read.error()};
    return state;
}

qs::Status saveSession(const QString &path, const SessionState &state) {
    return qs::saveTextFile(path.toStdString(), sessionToJson(state));
}

qs::Result<SessionState> loadSession(const QString &path) {
    const auto text = qs::loadTextFile(path.toStdString(), kMaxSessionBytes, "a session");
    if (!text)
        return qs::Error{text.error()};
    return sessionFromJson(text.value(), path.toStdString());
}

} // namespace qs::ui
