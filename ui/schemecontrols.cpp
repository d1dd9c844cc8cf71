#include "schemecontrols.h"

#include "schemepresets.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>

#include <array>

namespace qs::ui {

namespace {

constexpr std::array<std::int64_t, 4> kGroupSizes = {32, 64, 128, 256};

QString text(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

QString formatTip(const qs::FormatTraits &traits) {
    switch (traits.family) {
    case qs::FormatFamily::Integer:
        return SchemeControls::tr("Integers of the chosen bit width with a scale (and zero point) per group");
    case qs::FormatFamily::Minifloat:
        return SchemeControls::tr("8-bit floats scaled so each group's max |x| is the largest finite value");
    case qs::FormatFamily::Microscaling:
        return SchemeControls::tr("Fixed blocks of %1 along each row share a scale").arg(traits.fixedBlock);
    case qs::FormatFamily::Codebook:
        return SchemeControls::tr("16 fixed codes times each block's absmax, blocks of %1")
            .arg(traits.fixedBlock);
    case qs::FormatFamily::GgmlBlock:
        return SchemeControls::tr("llama.cpp's block type, %1 bits per weight, encoded as its reference "
                                  "quantizer does")
            .arg(traits.fixedBitsPerWeight);
    }
    return {};
}

QComboBox *labelled(QWidget *parent, QHBoxLayout *layout, const QString &label, const QString &tip) {
    auto *name = new QLabel(label, parent);
    auto *box = new QComboBox(parent);
    box->setToolTip(tip);
    box->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    name->setBuddy(box);
    layout->addWidget(name);
    layout->addWidget(box);
    return box;
}

} // namespace

SchemeControls::SchemeControls(QWidget *parent)
    : QWidget(parent) {
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 0, 8, 0);
    layout->setSpacing(6);
    m_preset = labelled(this, layout, tr("&Preset"), tr("A scheme as a deployment tool applies it"));
    m_preset->setObjectName(QStringLiteral("presetBox"));
    m_format = labelled(this, layout, tr("&Format"), tr("The number format of the quantized values"));
    m_format->setObjectName(QStringLiteral("formatBox"));
    m_granularity = labelled(this, layout, tr("&Granularity"), QString());
    m_granularity->setObjectName(QStringLiteral("granularityBox"));
    m_method = labelled(this, layout, tr("&Method"),
                        tr("How each group's range is found (min-max, or a calibration method)"));
    m_method->setObjectName(QStringLiteral("methodBox"));
    layout->addStretch(1);
    fillPresets();
    fillFormats();
    fillGranularities();
    fillMethods();
    setSpec(m_spec);
    connect(m_preset, &QComboBox::activated, this, &SchemeControls::onPresetActivated);
    for (QComboBox *box : {m_format, m_granularity, m_method})
        connect(box, &QComboBox::activated, this, &SchemeControls::readControls);
}

void SchemeControls::fillPresets() {
    m_preset->addItem(tr("Custom"), QString());
    for (const SchemePreset &preset : schemePresets()) {
        m_preset->addItem(preset.name, preset.key);
        m_preset->setItemData(m_preset->count() - 1, preset.description, Qt::ToolTipRole);
    }
}

void SchemeControls::fillFormats() {
    for (const qs::FormatTraits &traits : qs::numberFormats()) {
        m_format->addItem(text(traits.name), int(traits.format));
        m_format->setItemData(m_format->count() - 1, formatTip(traits), Qt::ToolTipRole);
    }
}

void SchemeControls::fillGranularities() {
    const auto add = [this](const QString &label, const qs::Granularity &g) {
        m_granularity->addItem(label, QString::fromStdString(qs::granularityName(g)));
    };
    add(tr("per tensor"), {});
    qs::Granularity channel;
    channel.kind = qs::Granularity::Kind::Channel;
    add(tr("per channel"), channel);
    for (std::int64_t size : kGroupSizes) {
        qs::Granularity group;
        group.kind = qs::Granularity::Kind::Group;
        group.size = size;
        add(tr("group %1").arg(size), group);
    }
}

void SchemeControls::fillMethods() {
    for (qs::CalibMethod method : qs::calibMethods())
        m_method->addItem(text(qs::methodName(method)), int(method));
}

// A granularity not in the list (from an imported configuration) gets an entry of its own.
void SchemeControls::showGranularity(const qs::Granularity &granularity) {
    const QString name = QString::fromStdString(qs::granularityName(granularity));
    int index = m_granularity->findData(name);
    if (index < 0) {
        m_granularity->addItem(name, name);
        index = m_granularity->count() - 1;
    }
    m_granularity->setCurrentIndex(index);
}

void SchemeControls::setSpec(const qs::QuantSpec &spec) {
    m_spec = spec;
    const QSignalBlocker blockPreset(m_preset);
    const QSignalBlocker blockFormat(m_format);
    const QSignalBlocker blockGranularity(m_granularity);
    const QSignalBlocker blockMethod(m_method);
    const auto preset = presetMatching(spec);
    m_preset->setCurrentIndex(std::max(0, m_preset->findData(preset ? preset->key : QString())));
    m_format->setCurrentIndex(m_format->findData(int(spec.format)));
    showGranularity(spec.granularity);
    m_method->setCurrentIndex(m_method->findData(int(spec.method)));
    updateEnabled();
}

bool SchemeControls::choosePreset(const QString &key) {
    const int index = m_preset->findData(key);
    if (index <= 0)
        return false;
    m_preset->setCurrentIndex(index);
    onPresetActivated(index);
    return true;
}

void SchemeControls::onPresetActivated(int index) {
    const auto preset = presetByKey(m_preset->itemData(index).toString());
    if (!preset) {
        setSpec(m_spec); // "Custom" is what the controls say, not something to apply
        return;
    }
    Q_EMIT presetChosen(preset->spec, preset->key, preset->name);
}

void SchemeControls::readControls() {
    m_spec.format = qs::NumberFormat(m_format->currentData().toInt());
    const auto granularity = qs::parseGranularity(m_granularity->currentData().toString().toStdString());
    if (granularity)
        m_spec.granularity = granularity.value();
    m_spec.method = qs::CalibMethod(m_method->currentData().toInt());
    Q_EMIT schemeEdited(m_spec);
}

void SchemeControls::updateEnabled() {
    const qs::FormatTraits &traits = qs::formatTraits(m_spec.format);
    const bool ownBlocks = traits.fixedBlock > 0;
    m_granularity->setEnabled(!ownBlocks);
    m_granularity->setToolTip(
        ownBlocks ? tr("%1 carries its own blocks of %2: the granularity does not apply")
                        .arg(text(traits.name))
                        .arg(traits.fixedBlock)
                  : tr("Which values share a scale: the whole tensor, each output channel (row), or "
                       "runs of G values along each row"));
}

} // namespace qs::ui
