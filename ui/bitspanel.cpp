#include "bitspanel.h"

#include "bitcells.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

namespace qs::ui {

namespace {

using Field = BitsPanel::Field;
using qs::FloatBits;
using qs::FloatKind;
using qs::FloatLayout;

// Longer exact expansions (float32 subnormals have over a hundred digits) would not fit a dock:
// they show rounded, and whole in the tooltip.
constexpr int kMaxExactChars = 30;
constexpr int kSignificantDigits = 9; // enough to tell float32 values apart

struct FieldText {
    Field field;
    const char *name;
};

constexpr std::array<FieldText, BitsPanel::kFieldCount> kFieldTexts = {{
    {Field::Code, QT_TRANSLATE_NOOP("qs::ui::BitsPanel", "code")},
    {Field::Sign, QT_TRANSLATE_NOOP("qs::ui::BitsPanel", "sign")},
    {Field::Exponent, QT_TRANSLATE_NOOP("qs::ui::BitsPanel", "exponent")},
    {Field::Mantissa, QT_TRANSLATE_NOOP("qs::ui::BitsPanel", "mantissa")},
    {Field::Value, QT_TRANSLATE_NOOP("qs::ui::BitsPanel", "value")},
    {Field::Kind, QT_TRANSLATE_NOOP("qs::ui::BitsPanel", "kind")},
    {Field::Below, QT_TRANSLATE_NOOP("qs::ui::BitsPanel", "below")},
    {Field::Above, QT_TRANSLATE_NOOP("qs::ui::BitsPanel", "above")},
    {Field::AbsoluteError, QT_TRANSLATE_NOOP("qs::ui::BitsPanel", "error")},
    {Field::RelativeError, QT_TRANSLATE_NOOP("qs::ui::BitsPanel", "relative")},
}};

QString layoutName(FloatLayout layout) {
    switch (layout) {
    case FloatLayout::F32:
        return QStringLiteral("FP32");
    case FloatLayout::F16:
        return QStringLiteral("F16");
    case FloatLayout::BF16:
        return QStringLiteral("BF16");
    case FloatLayout::E4M3:
        return QStringLiteral("E4M3");
    case FloatLayout::E5M2:
        return QStringLiteral("E5M2");
    case FloatLayout::E2M1:
        return QStringLiteral("E2M1");
    }
    return {};
}

QString layoutToolTip(FloatLayout layout) {
    switch (layout) {
    case FloatLayout::F16:
        return BitsPanel::tr("IEEE half precision: 5 exponent bits, 10 mantissa bits; max 65504");
    case FloatLayout::BF16:
        return BitsPanel::tr("bfloat16: float32's 8 exponent bits (its range), 7 mantissa bits");
    case FloatLayout::E4M3:
        return BitsPanel::tr("fp8_e4m3 (OCP E4M3FN), the elements of fp8_e4m3 and MXFP8: max 448, no "
                             "infinity");
    case FloatLayout::E5M2:
        return BitsPanel::tr("fp8_e5m2: F16's exponent with 2 mantissa bits; max 57344");
    case FloatLayout::E2M1:
        return BitsPanel::tr("FP4 e2m1, the elements of MXFP4 and NVFP4: ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}");
    case FloatLayout::F32:
        break;
    }
    return {};
}

// The exact decimal while it is short, else nine significant digits marked as rounded.
QString decimal(double x) {
    const QString exact = QString::fromStdString(qs::exactDecimal(x));
    if (exact.size() <= kMaxExactChars)
        return exact;
    return QStringLiteral("≈ ") + QString::number(x, 'g', kSignificantDigits);
}

QString powerOfTwo(int exponent) {
    return QStringLiteral("2^%1").arg(exponent);
}

QString hexCode(std::uint32_t code, int bits) {
    return QStringLiteral("0x") + QString::number(code, 16).toUpper().rightJustified((bits + 3) / 4, u'0');
}

std::optional<double> parseNumber(const QString &text) {
    bool ok = false;
    double x = QLocale::c().toDouble(text, &ok);
    if (!ok)
        x = QLocale().toDouble(text, &ok);
    return ok ? std::optional<double>(x) : std::nullopt;
}

} // namespace

BitsPanel::BitsPanel(QWidget *parent)
    : QWidget(parent) {
    createControls();
    refresh();
    showPinState();
}

void BitsPanel::createControls() {
    m_edit = new QLineEdit(this);
    m_edit->setObjectName(QStringLiteral("bitsValue"));
    m_edit->setPlaceholderText(tr("0.1, 1e-30, -65520 …"));
    m_edit->setToolTip(tr("Any number: it is rounded to float32 first, as a tensor holds it, then "
                          "encoded in the chosen format"));
    connect(m_edit, &QLineEdit::textEdited, this, &BitsPanel::onTextEdited);
    m_formatBox = new QComboBox(this);
    m_formatBox->setObjectName(QStringLiteral("bitsFormat"));
    for (FloatLayout layout : qs::floatLayouts()) {
        if (layout == FloatLayout::F32)
            continue;
        m_formatBox->addItem(layoutName(layout), int(layout));
        m_formatBox->setItemData(m_formatBox->count() - 1, layoutToolTip(layout), Qt::ToolTipRole);
    }
    m_formatBox->setToolTip(tr("The format to explain the value in; it follows the scheme's format when "
                               "that stores floats"));
    connect(m_formatBox, &QComboBox::activated, this,
            [this](int index) { setFormat(FloatLayout(m_formatBox->itemData(index).toInt())); });

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("&Value"), m_edit);
    form->addRow(tr("&Format"), m_formatBox);

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("bitsMessage"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #d55e00;"));
    m_message->hide();
    m_source = new QLabel(tr("Type a value, or hover the weight histogram."), this);
    m_source->setObjectName(QStringLiteral("bitsSource"));
    m_source->setWordWrap(true);
    m_pin = new QLabel(this);
    m_pin->setObjectName(QStringLiteral("bitsPin"));
    m_pin->setWordWrap(true);
    m_follow = new QPushButton(tr("Follow Mouse"), this);
    m_follow->setToolTip(tr("Unpin: the value follows the mouse over the histogram again"));
    connect(m_follow, &QPushButton::clicked, this, [this] { setPinned(false); });
    auto *pinRow = new QHBoxLayout;
    pinRow->addWidget(m_pin, 1);
    pinRow->addWidget(m_follow, 0, Qt::AlignTop);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_message);
    layout->addWidget(m_source);
    layout->addLayout(pinRow);
    layout->addWidget(createLegend());
    createSection(m_fp32, QStringLiteral("fp32"), int(Field::Kind) + 1);
    createSection(m_format, QStringLiteral("format"), kFieldCount);
    m_factsHeading = new QLabel(this);
    m_facts = new QLabel(this);
    m_facts->setObjectName(QStringLiteral("bitsFacts"));
    m_facts->setWordWrap(true);
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    for (QLabel *label : {m_fp32.heading, m_format.heading, m_factsHeading})
        label->setWordWrap(true);
    for (const Section *section : {&m_fp32, &m_format}) {
        layout->addWidget(section->heading);
        layout->addWidget(section->cells);
        layout->addLayout(section->form);
    }
    layout->addWidget(m_factsHeading);
    layout->addWidget(m_facts);
    layout->addStretch(1);
}

// Rows of a name and a value; a value too wide to sit beside its name (a long exact decimal in a
// narrow dock) goes on the line below it.
void BitsPanel::createSection(Section &section, const QString &prefix, int rows) {
    section.heading = new QLabel(this);
    section.cells = new BitCells(this);
    section.cells->setObjectName(prefix + QStringLiteral("Bits"));
    section.form = new QFormLayout;
    section.form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    section.form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    section.form->setVerticalSpacing(2);
    for (int row = 0; row < rows; ++row) {
        const char *name = kFieldTexts[std::size_t(row)].name;
        auto *value = new QLabel(this);
        value->setObjectName(prefix + QLatin1Char('_') + QString::fromLatin1(name));
        value->setWordWrap(true);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        section.form->addRow(tr(name), value);
        section.values[std::size_t(row)] = value;
    }
}

QWidget *BitsPanel::createLegend() {
    const auto swatch = [](const QColor &color, const QString &text) {
        return QStringLiteral("<span style='color:%1'>■</span>&nbsp;%2").arg(color.name(), text);
    };
    auto *legend = new QLabel(this);
    legend->setObjectName(QStringLiteral("bitsLegend"));
    legend->setWordWrap(true);
    legend->setText(swatch(BitCells::signColor(), tr("sign")) + QStringLiteral(" &nbsp; ") +
                    swatch(BitCells::exponentColor(), tr("exponent")) + QStringLiteral(" &nbsp; ") +
                    swatch(BitCells::mantissaColor(), tr("mantissa")) + QStringLiteral(" &nbsp; ") +
                    tr("(stronger: 1)"));
    legend->setToolTip(tr("value = (−1)^sign · 2^(exponent − bias) · (1 + mantissa / 2^M) for normal "
                          "codes;\nexponent field 0: (−1)^sign · 2^(1 − bias) · mantissa / 2^M "
                          "(subnormal)"));
    return legend;
}

void BitsPanel::setValue(double x) {
    m_value = x;
    m_edit->setText(QString::number(x, 'g', kSignificantDigits));
    m_message->hide();
    refresh();
}

void BitsPanel::setFormat(qs::FloatLayout layout) {
    if (layout == FloatLayout::F32)
        return;
    const bool changed = layout != m_layout;
    m_layout = layout;
    m_formatBox->setCurrentIndex(m_formatBox->findData(int(layout)));
    refresh();
    if (changed)
        Q_EMIT formatChanged(layout);
}

void BitsPanel::followFormat(qs::NumberFormat format) {
    if (const auto layout = qs::elementLayout(format))
        setFormat(*layout);
}

void BitsPanel::setSource(const QString &text) {
    m_source->setText(text);
}

void BitsPanel::hoverValue(double x) {
    if (!m_pinned)
        setValue(x);
}

void BitsPanel::pickValue(double x) {
    setValue(x);
    setPinned(true);
}

void BitsPanel::setPinned(bool pinned) {
    m_pinned = pinned;
    showPinState();
}

void BitsPanel::showPinState() {
    m_pin->setText(m_pinned ? tr("<b>Pinned</b>: click the histogram again to pick another value.")
                            : tr("Follows the mouse over the histogram; a click pins the value."));
    m_follow->setEnabled(m_pinned);
}

// A typed value stays put: hovering the histogram would otherwise replace it at once.
void BitsPanel::onTextEdited(const QString &text) {
    const QString trimmed = text.trimmed();
    const auto x = parseNumber(trimmed);
    if (!x) {
        m_message->setText(trimmed.isEmpty() ? tr("Type a number, e.g. 0.1, 1e-30 or -65520.")
                                             : tr("“%1” is not a number: type one like 0.1, 1e-30 or "
                                                  "-65520.")
                                                   .arg(trimmed));
        m_message->show();
        return;
    }
    m_message->hide();
    m_value = *x;
    setPinned(true);
    refresh();
}

void BitsPanel::refresh() {
    const auto x = float(m_value);
    const FloatBits fp32 = qs::explainFloat(FloatLayout::F32, x);
    const FloatBits bits = qs::explainFloat(m_layout, x);
    m_fp32.heading->setText(tr("<b>FP32</b>: what the tensor holds"));
    m_format.heading->setText(tr("<b>%1</b>: as the format stores it").arg(layoutName(m_layout)));
    showBits(m_fp32, fp32);
    showBits(m_format, bits);
    if (std::isfinite(m_value) && double(x) != m_value)
        m_fp32.values[std::size_t(Field::Kind)]->setText(
            kindText(fp32) + tr(", the nearest float32 to %1").arg(QString::number(m_value, 'g', 17)));
    showNeighbours(bits);
    showFacts();
}

void BitsPanel::showBits(Section &section, const qs::FloatBits &bits) {
    const qs::FloatLayoutInfo &info = qs::floatLayoutInfo(bits.layout);
    section.cells->setBits(QString::fromStdString(bits.signBits), QString::fromStdString(bits.exponentBits),
                           QString::fromStdString(bits.mantissaBits));
    const auto set = [&section](Field field, const QString &text) {
        section.values[std::size_t(field)]->setText(text);
    };
    set(Field::Code, hexCode(bits.code, info.totalBits));
    set(Field::Sign, bits.sign ? tr("1 (−)") : tr("0 (+)"));
    set(Field::Exponent, exponentText(bits));
    set(Field::Mantissa, mantissaText(bits));
    set(Field::Value, decimal(bits.value));
    section.values[std::size_t(Field::Value)]->setToolTip(
        QString::fromStdString(qs::exactDecimal(bits.value)));
    set(Field::Kind, kindText(bits));
}

void BitsPanel::showNeighbours(const qs::FloatBits &bits) {
    const auto set = [this](Field field, const QString &text) {
        m_format.values[std::size_t(field)]->setText(text);
    };
    const auto neighbour = [&bits](const std::optional<double> &value, bool up) {
        if (value)
            return decimal(*value);
        if (bits.kind == FloatKind::NaN)
            return tr("none (NaN)");
        return up == !bits.sign ? tr("none: the largest magnitude") : tr("none");
    };
    set(Field::Below, neighbour(bits.below, false));
    set(Field::Above, neighbour(bits.above, true));
    set(Field::AbsoluteError, tr("%1 (value − x)").arg(QString::number(bits.absoluteError, 'g', 6)));
    const double relative = bits.relativeError;
    set(Field::RelativeError, std::isnan(relative) ? tr("–")
                                                   : tr("%1 (%2 %)")
                                                         .arg(QString::number(relative, 'g', 3),
                                                              QString::number(relative * 100.0, 'g', 3)));
}

QString BitsPanel::kindText(const qs::FloatBits &bits) const {
    const qs::FloatLayoutInfo &info = qs::floatLayoutInfo(bits.layout);
    switch (bits.kind) {
    case FloatKind::Zero:
        return bits.underflow ? tr("zero: underflow, |x| is at most half the smallest subnormal %1")
                                    .arg(decimal(info.minSubnormal))
                              : tr("zero");
    case FloatKind::Subnormal:
        return tr("subnormal: below the smallest normal %1, so fewer significant bits")
            .arg(decimal(info.minNormal));
    case FloatKind::Normal:
        return bits.overflow ? tr("saturated: |x| is beyond the largest finite %1, held there")
                                   .arg(decimal(info.maxFinite))
                             : tr("normal");
    case FloatKind::Infinity:
        return bits.overflow ? tr("infinity: overflow, |x| rounds past the largest finite %1")
                                   .arg(decimal(info.maxFinite))
                             : tr("infinity");
    case FloatKind::NaN:
        return tr("NaN");
    }
    return {};
}

QString BitsPanel::exponentText(const qs::FloatBits &bits) const {
    const qs::FloatLayoutInfo &info = qs::floatLayoutInfo(bits.layout);
    const QString field = QString::number(bits.exponentField);
    switch (bits.kind) {
    case FloatKind::Normal:
        return tr("%1 − bias %2 = %3").arg(field).arg(info.bias).arg(bits.exponent);
    case FloatKind::Subnormal:
        return tr("0: subnormal, 1 − bias %1 = %2").arg(info.bias).arg(bits.exponent);
    case FloatKind::Zero:
        return tr("0 (zero)");
    case FloatKind::Infinity:
        return tr("%1, all ones: infinity").arg(field);
    case FloatKind::NaN:
        return info.nan == qs::NanCoding::AllOnesOnly
                   ? tr("%1, all ones with mantissa all ones: NaN").arg(field)
                   : tr("%1, all ones: NaN").arg(field);
    }
    return field;
}

QString BitsPanel::mantissaText(const qs::FloatBits &bits) const {
    const qs::FloatLayoutInfo &info = qs::floatLayoutInfo(bits.layout);
    const QString hex = hexCode(bits.mantissaField, info.mantissaBits);
    if (bits.kind != FloatKind::Normal && bits.kind != FloatKind::Subnormal)
        return hex;
    const double fraction = std::ldexp(double(bits.mantissaField), -info.mantissaBits);
    const int lead = bits.kind == FloatKind::Normal ? 1 : 0;
    return tr("%1 = %2: %3 + %2/%4 = %5")
        .arg(hex)
        .arg(bits.mantissaField)
        .arg(lead)
        .arg(std::uint64_t(1) << info.mantissaBits)
        .arg(decimal(lead + fraction));
}

void BitsPanel::showFacts() {
    const qs::FloatLayoutInfo &info = qs::floatLayoutInfo(m_layout);
    m_factsHeading->setText(tr("<b>About %1</b>").arg(layoutName(m_layout)));
    QStringList lines;
    lines << tr("1 sign, %1 exponent and %2 mantissa bits; bias %3.")
                 .arg(info.exponentBits)
                 .arg(info.mantissaBits)
                 .arg(info.bias);
    lines << tr("Largest finite: %1.").arg(decimal(info.maxFinite));
    lines << tr("Smallest normal: %1 = %2.").arg(powerOfTwo(1 - info.bias), decimal(info.minNormal));
    lines << tr("Smallest subnormal: %1 = %2 (exponent field 0: no implicit leading 1, so precision "
                "fades towards 0).")
                 .arg(powerOfTwo(1 - info.bias - info.mantissaBits), decimal(info.minSubnormal));
    lines << tr("Precision: %1 mantissa bits, 2^%1 steps from one power of two to the next (a step "
                "is 2^-%1 ≈ %2 % of the lower one).")
                 .arg(info.mantissaBits)
                 .arg(QString::number(std::ldexp(100.0, -info.mantissaBits), 'g', 3));
    switch (info.nan) {
    case qs::NanCoding::ExponentAllOnes:
        lines << tr("Exponent all ones: ±infinity (mantissa 0) or NaN.");
        break;
    case qs::NanCoding::AllOnesOnly:
        lines << tr("No infinity; only S.1111.111 is NaN, the rest of the top exponent holds values.");
        break;
    case qs::NanCoding::None:
        lines << tr("No infinity and no NaN: every code is a value.");
        break;
    }
    lines << (info.outOfRange == qs::OutOfRange::Infinity
                  ? tr("Beyond the largest finite value (plus half a step) a cast gives ±infinity.")
                  : tr("Out of range saturates: beyond ±%1 the encoder gives ±%1.")
                        .arg(decimal(info.maxFinite)));
    m_facts->setText(lines.join(QLatin1Char('\n')));
}

QString BitsPanel::text(Field field, Side side) const {
    const Section &section = side == Side::Fp32 ? m_fp32 : m_format;
    const QLabel *label = section.values[std::size_t(field)];
    return label ? label->text() : QString();
}

QString BitsPanel::bitsText(Side side) const {
    return (side == Side::Fp32 ? m_fp32 : m_format).cells->text();
}

QString BitsPanel::sourceText() const {
    return m_source->text();
}

QString BitsPanel::pinText() const {
    return m_pin->text();
}

QString BitsPanel::factsText() const {
    return m_facts->text();
}

QString BitsPanel::message() const {
    return m_message->isVisibleTo(this) ? m_message->text() : QString();
}

} // namespace qs::ui
