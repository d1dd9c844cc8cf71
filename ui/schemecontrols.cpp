#include "schemecontrols.h"

#include "schemepresets.h"

#include "quant/scaledtype.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>

#include <array>
#include <cmath>

namespace qs::ui {

namespace {

constexpr std::array<std::int64_t, 4> kGroupSizes = {32, 64, 128, 256};
// FP8 block-wise (DeepSeek-V3, compressed-tensors FP8_BLOCK) scales 128 × 128 tiles.
constexpr std::int64_t kBlockSide = 128;
// Below 50 the asymmetric clip's lower percentile would pass its upper one.
constexpr double kMinPercentile = 50.0;
constexpr double kMaxPercentile = 100.0;
constexpr int kPercentileDecimals = 3;
// "block:128x128" and a few more characters typed beside it.
constexpr int kGranularityChars = 14;

QString text(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

QString granularityText(const qs::Granularity &granularity) {
    return QString::fromStdString(qs::granularityName(granularity));
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
    case qs::FormatFamily::Cast:
        return traits.format == qs::NumberFormat::F16
                   ? SchemeControls::tr("A cast to IEEE half precision, no scale: 16 bits, max 65504, "
                                        "below 6.1e-5 subnormal")
                   : SchemeControls::tr("A cast to bfloat16, no scale: 16 bits, FP32's range with 8 "
                                        "significant bits");
    }
    return {};
}

// What a listed granularity means, for its tooltip in the list.
QString granularityTip(const qs::Granularity &g) {
    switch (g.kind) {
    case qs::Granularity::Kind::Tensor:
        return SchemeControls::tr("One scale for the whole tensor");
    case qs::Granularity::Kind::Channel:
        return g.axis == 0
                   ? SchemeControls::tr("One scale per output channel: each slice along axis 0 (a row)")
                   : SchemeControls::tr("One scale per slice along axis %1").arg(g.axis);
    case qs::Granularity::Kind::Group:
        return SchemeControls::tr("One scale per run of %1 values along each row").arg(g.size);
    case qs::Granularity::Kind::Block:
        return SchemeControls::tr("One scale per %1 × %2 tile of the [rows, columns] view (FP8 block-wise)")
            .arg(g.rows)
            .arg(g.cols);
    }
    return {};
}

// P with the digits it has: 99.99, not 99.990. Qt sizes a spin box for its minimum and maximum
// ("50", "100"); P has up to three decimals more.
class PercentileBox : public QDoubleSpinBox {
public:
    using QDoubleSpinBox::QDoubleSpinBox;
    QString textFromValue(double value) const override {
        return locale().toString(value, 'f', QLocale::FloatingPointShortest);
    }
    QSize sizeHint() const override { return widened(QDoubleSpinBox::sizeHint()); }
    QSize minimumSizeHint() const override { return widened(QDoubleSpinBox::minimumSizeHint()); }

private:
    QSize widened(QSize size) const {
        const QFontMetrics metrics = fontMetrics();
        const QString longest = textFromValue(kMaxPercentile - std::pow(10.0, -decimals()));
        size.rwidth() += std::max(0, metrics.horizontalAdvance(longest) -
                                         metrics.horizontalAdvance(textFromValue(kMaxPercentile)));
        return size;
    }
};

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
    m_granularity = labelled(
        this, layout, tr("&Granularity"),
        tr("Which values share a scale: the whole tensor, each slice along a channel axis, runs of G "
           "values along each row, or R × C tiles.\nPick one, or type tensor, channel:AXIS, group:G or "
           "block:RxC (e.g. group:96, channel:1, block:64x64) and press Enter"));
    m_granularity->setObjectName(QStringLiteral("granularityBox"));
    m_method = labelled(this, layout, tr("&Method"),
                        tr("How each group's range is found (min-max, or a calibration method)"));
    m_method->setObjectName(QStringLiteral("methodBox"));
    m_percentile = new PercentileBox(this);
    m_percentile->setObjectName(QStringLiteral("percentileBox"));
    layout->addWidget(m_percentile);
    m_scaleDtype = labelled(
        this, layout, tr("Sca&les"),
        tr("The type each scale is stored in; the scale is rounded to it before the values are "
           "quantized with it,\nand the zero point follows from the rounded scale.\n"
           "compressed-tensors stores scales in the weight's dtype; choose the weight's dtype to see "
           "the error the deployed model gets.\nf32 (the default) is the unrounded scale."));
    m_scaleDtype->setObjectName(QStringLiteral("scaleDtypeBox"));
    layout->addStretch(1);
    fillPresets();
    fillFormats();
    fillGranularities();
    fillMethods();
    fillScaleDtypes();
    setSpec(m_spec);
    connect(m_preset, &QComboBox::activated, this, &SchemeControls::onPresetActivated);
    connect(m_granularity, &QComboBox::activated, this, &SchemeControls::onGranularityActivated);
    connect(m_granularity->lineEdit(), &QLineEdit::editingFinished, this,
            &SchemeControls::onGranularityTyped);
    connect(m_percentile, &QDoubleSpinBox::valueChanged, this, &SchemeControls::onPercentileChanged);
    for (QComboBox *box : {m_format, m_method, m_scaleDtype})
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

// The list spells granularities as --granularity does, so what is typed and what is listed read
// alike; any other is typed. A fixed width keeps the bar still as entries come and go.
void SchemeControls::fillGranularities() {
    m_granularity->setEditable(true);
    m_granularity->setInsertPolicy(QComboBox::NoInsert); // typed text is applied, not listed
    m_granularity->setCompleter(nullptr);                // an inline completion would fight "group:96"
    m_granularity->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_granularity->setMinimumContentsLength(kGranularityChars);
    m_granularity->lineEdit()->setPlaceholderText(tr("group:G"));
    m_granularity->lineEdit()->setMaxLength(40);
    const QSignalBlocker blocker(m_granularity);
    m_granularity->clear();
    const auto add = [this](const qs::Granularity &g) {
        m_granularity->addItem(granularityText(g), granularityText(g));
        m_granularity->setItemData(m_granularity->count() - 1, granularityTip(g), Qt::ToolTipRole);
    };
    add({});
    qs::Granularity channel;
    channel.kind = qs::Granularity::Kind::Channel;
    for (channel.axis = 0; channel.axis < std::max(m_rank, 1); ++channel.axis)
        add(channel);
    qs::Granularity group;
    group.kind = qs::Granularity::Kind::Group;
    for (std::int64_t size : kGroupSizes) {
        group.size = size;
        add(group);
    }
    qs::Granularity tile;
    tile.kind = qs::Granularity::Kind::Block;
    tile.rows = kBlockSide;
    tile.cols = kBlockSide;
    add(tile);
    m_listedGranularities = m_granularity->count();
}

void SchemeControls::fillMethods() {
    for (qs::CalibMethod method : qs::calibMethods())
        m_method->addItem(text(qs::methodName(method)), int(method));
    m_percentile->setRange(kMinPercentile, kMaxPercentile);
    m_percentile->setDecimals(kPercentileDecimals);
    m_percentile->setSingleStep(0.01);
    m_percentile->setPrefix(tr("P "));
    m_percentile->setValue(qs::kDefaultPercentile);
    m_percentile->setKeyboardTracking(false); // applied on Enter or leaving the box, not per key
    m_percentile->setAccessibleName(tr("Percentile P"));
    m_percentile->setToolTip(tr("The percentile method's P (50 to 100): symmetric clips |x| at its P-th "
                                "percentile,\nasymmetric x at the (100 − P)-th and P-th; applied on Enter"));
}

void SchemeControls::fillScaleDtypes() {
    for (qs::ScaleDtype dtype : {qs::ScaleDtype::F32, qs::ScaleDtype::F16, qs::ScaleDtype::BF16})
        m_scaleDtype->addItem(text(qs::scaleDtypeName(dtype)), int(dtype));
    m_scaleDtype->setItemData(0, tr("float32: the scale as computed"), Qt::ToolTipRole);
    m_scaleDtype->setItemData(1, tr("float16: 11 significant bits, largest 65504"), Qt::ToolTipRole);
    m_scaleDtype->setItemData(2, tr("bfloat16: 8 significant bits, float32's range"), Qt::ToolTipRole);
}

// A granularity not in the list (typed, imported, from the Scheme panel) gets the one entry
// after the listed ones.
void SchemeControls::showGranularity(const qs::Granularity &granularity) {
    const QString name = granularityText(granularity);
    while (m_granularity->count() > m_listedGranularities)
        m_granularity->removeItem(m_granularity->count() - 1);
    int index = m_granularity->findData(name);
    if (index < 0) {
        m_granularity->addItem(name, name);
        index = m_granularity->count() - 1;
    }
    m_granularity->setCurrentIndex(index);
    m_granularity->setEditText(name);
}

void SchemeControls::setSpec(const qs::QuantSpec &spec) {
    m_spec = spec;
    const QSignalBlocker blockPreset(m_preset);
    const QSignalBlocker blockFormat(m_format);
    const QSignalBlocker blockGranularity(m_granularity);
    const QSignalBlocker blockEdit(m_granularity->lineEdit());
    const QSignalBlocker blockMethod(m_method);
    const QSignalBlocker blockPercentile(m_percentile);
    const QSignalBlocker blockScaleDtype(m_scaleDtype);
    const auto preset = presetMatching(spec);
    m_preset->setCurrentIndex(std::max(0, m_preset->findData(preset ? preset->key : QString())));
    m_format->setCurrentIndex(m_format->findData(int(spec.format)));
    showGranularity(spec.granularity);
    m_method->setCurrentIndex(m_method->findData(int(spec.method)));
    m_scaleDtype->setCurrentIndex(m_scaleDtype->findData(int(spec.scaleDtype)));
    // Under another method the box keeps the last P, which percentile takes up again: a plan
    // stores P only with the percentile method.
    if (spec.method == qs::CalibMethod::Percentile)
        m_percentile->setValue(spec.percentile);
    updateEnabled();
}

void SchemeControls::setTensorRank(int rank) {
    if (rank == m_rank)
        return;
    m_rank = rank;
    fillGranularities();
    const QSignalBlocker block(m_granularity);
    showGranularity(m_spec.granularity);
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

void SchemeControls::onGranularityActivated(int index) {
    const auto granularity = qs::parseGranularity(m_granularity->itemData(index).toString().toStdString());
    if (!granularity)
        return;
    qs::QuantSpec spec = m_spec;
    spec.granularity = granularity.value();
    edit(spec);
}

// Enter or leaving the box: the text is applied if it is a granularity, else the box says why
// (through inputRejected) and shows what is applied. Whether it fits the tensor is the
// controller's to check, as for any other edit.
void SchemeControls::onGranularityTyped() {
    const QString typed = m_granularity->currentText().trimmed().toLower().remove(QLatin1Char(' '));
    const auto granularity = qs::parseGranularity(typed.toStdString());
    if (typed.isEmpty() || !granularity || granularity.value() == m_spec.granularity) {
        if (!typed.isEmpty() && !granularity)
            Q_EMIT inputRejected(QString::fromStdString(granularity.error()));
        setSpec(m_spec);
        return;
    }
    qs::QuantSpec spec = m_spec;
    spec.granularity = granularity.value();
    edit(spec);
}

void SchemeControls::onPercentileChanged(double percentile) {
    if (percentile == m_spec.percentile || m_spec.method != qs::CalibMethod::Percentile)
        return;
    qs::QuantSpec spec = m_spec;
    spec.percentile = percentile;
    edit(spec);
}

void SchemeControls::readControls() {
    qs::QuantSpec spec = m_spec;
    spec.format = qs::NumberFormat(m_format->currentData().toInt());
    spec.method = qs::CalibMethod(m_method->currentData().toInt());
    if (spec.method == qs::CalibMethod::Percentile)
        spec.percentile = m_percentile->value();
    spec.scaleDtype = qs::ScaleDtype(m_scaleDtype->currentData().toInt());
    if (!scaleDtypeApplies(spec))
        spec.scaleDtype = qs::ScaleDtype::F32; // block formats and hqq keep their own scales
    edit(spec);
}

bool SchemeControls::scaleDtypeApplies(const qs::QuantSpec &spec) {
    return qs::scaleDtypeApplies(spec.format) && spec.method != qs::CalibMethod::Hqq;
}

// The receiver shows the spec it applies, or the previous one when it refuses this.
void SchemeControls::edit(const qs::QuantSpec &spec) {
    m_spec = spec;
    updateEnabled();
    Q_EMIT schemeEdited(spec);
}

void SchemeControls::updateEnabled() {
    const qs::FormatTraits &traits = qs::formatTraits(m_spec.format);
    const bool cast = traits.family == qs::FormatFamily::Cast;
    const bool ownBlocks = qs::ownsGrouping(traits);
    setApplies(m_granularity, !ownBlocks,
               cast ? tr("%1 is a cast with no scale: the granularity does not apply").arg(text(traits.name))
                    : tr("%1 carries its own blocks of %2: the granularity does not apply")
                          .arg(text(traits.name))
                          .arg(traits.fixedBlock));
    setApplies(m_method, !cast, tr("%1 is a cast: there is no range to calibrate").arg(text(traits.name)));
    setApplies(m_percentile, m_spec.method == qs::CalibMethod::Percentile,
               tr("P applies to the percentile method only: choose percentile under Method"));
    setApplies(
        m_scaleDtype, scaleDtypeApplies(m_spec),
        cast ? tr("%1 is a cast with no scale: the scale type does not apply").arg(text(traits.name))
        : ownBlocks
            ? tr("%1 stores its own block scales: the scale type does not apply").arg(text(traits.name))
            : tr("HQQ keeps float32 scales and float zero points: the scale type does not apply"));
}

// A control that does not apply is disabled and says why; its own tooltip returns with it.
void SchemeControls::setApplies(QWidget *widget, bool applies, const QString &why) {
    if (!m_tips.contains(widget))
        m_tips.insert(widget, widget->toolTip());
    widget->setEnabled(applies);
    widget->setToolTip(applies ? m_tips.value(widget) : why);
}

} // namespace qs::ui
