#include "planmemory.h"

#include "plan/planjson.h"

#include <QCryptographicHash>
#include <QSettings>
#include <QStringList>

namespace qs::ui {

namespace {

const QString kOrderKey = QStringLiteral("plans/order");

// Paths can hold any character; the settings key is their hash.
QString keyFor(const QString &path) {
    const QByteArray hash = QCryptographicHash::hash(path.toUtf8(), QCryptographicHash::Sha1).toHex();
    return QStringLiteral("plans/") + QString::fromLatin1(hash);
}

} // namespace

qs::QuantPlan rememberedPlan(const QString &path, const qs::QuantSpec &defaultScheme) {
    const QString text = QSettings().value(keyFor(path)).toString();
    if (!text.isEmpty()) {
        if (auto plan = qs::planFromJson(text.toStdString(), "remembered plan"))
            return plan.value();
    }
    qs::QuantPlan plan;
    plan.defaults = qs::planSchemeFromSpec(defaultScheme);
    plan.defaults.clip.reset();
    plan.defaults.clipRatio.reset();
    return plan;
}

void rememberPlan(const QString &path, const qs::QuantPlan &plan) {
    QSettings settings;
    const QString key = keyFor(path);
    QStringList order = settings.value(kOrderKey).toStringList();
    order.removeAll(key);
    order.prepend(key);
    while (order.size() > kPlanMemorySize)
        settings.remove(order.takeLast());
    settings.setValue(kOrderKey, order);
    settings.setValue(key, QString::fromStdString(qs::planToJson(plan)));
}

} // namespace qs::ui
