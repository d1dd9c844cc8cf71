#include "quantcontrols.h"

#include <QAction>
#include <QButtonGroup>
#include <QCheckBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalBlocker>
#include <QSpinBox>

namespace qs::ui {

QuantControls::QuantControls(QWidget *parent)
    : QWidget(parent) {
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 0, 8, 0);
    layout->setSpacing(8);

    auto *bitsLabel = new QLabel(tr("&Bits"), this);
    m_bits = new QSpinBox(this);
    m_bits->setRange(qs::kMinBits, qs::kMaxBits);
    m_bits->setSuffix(tr(" bit"));
    m_bits->setToolTip(tr("Bit width b of the integers (2 to 16): 2^b quantization levels"));
    bitsLabel->setBuddy(m_bits);

    m_symmetric = new QRadioButton(tr("S&ymmetric"), this);
    m_symmetric->setToolTip(tr("Signed integers [-2^(b-1), 2^(b-1)-1], zero point 0,\n"
                               "scale = max(|lo|, |hi|) / ((qmax - qmin) / 2)"));
    m_asymmetric = new QRadioButton(tr("&Asymmetric"), this);
    m_asymmetric->setToolTip(tr("Unsigned integers [0, 2^b-1]; the range is widened to include 0,\n"
                                "scale = (hi - lo) / (qmax - qmin), zero point = qmin - round(lo / scale)"));
    m_narrow = new QCheckBox(tr("&Narrow range"), this);
    m_narrow->setToolTip(tr("Symmetric only (TensorRT's convention): qmin = -(2^(b-1)-1), so the range "
                            "is mirrored exactly;\nscale = max(|lo|, |hi|) / qmax"));
    auto *schemeGroup = new QButtonGroup(this);
    schemeGroup->addButton(m_symmetric);
    schemeGroup->addButton(m_asymmetric);

    m_nonSaturating = new QRadioButton(tr("N&on-saturating"), this);
    m_nonSaturating->setToolTip(tr("Quantize the tensor's whole range [min, max]: nothing is clipped"));
    m_saturating = new QRadioButton(tr("Sa&turating"), this);
    m_saturating->setToolTip(tr("Quantize [lo, hi] set by the histogram's handles: values beyond are "
                                "clipped to qmin / qmax,\nin exchange for a finer scale"));
    auto *rangeGroup = new QButtonGroup(this);
    rangeGroup->addButton(m_nonSaturating);
    rangeGroup->addButton(m_saturating);

    m_suggest = new QPushButton(tr("Use &suggested threshold"), this);
    m_suggest->setToolTip(tr("Switch to saturating with the clip threshold that minimises the "
                             "mean squared error\n(the minimum of the MSE-versus-threshold curve)"));

    layout->addWidget(bitsLabel);
    layout->addWidget(m_bits);
    layout->addWidget(createSeparator());
    layout->addWidget(m_symmetric);
    layout->addWidget(m_asymmetric);
    layout->addWidget(m_narrow);
    layout->addWidget(createSeparator());
    layout->addWidget(m_nonSaturating);
    layout->addWidget(m_saturating);
    layout->addWidget(m_suggest);

    setSpec(m_spec);
    connect(m_bits, &QSpinBox::valueChanged, this, &QuantControls::readControls);
    for (QAbstractButton *button :
         {static_cast<QAbstractButton *>(m_symmetric), static_cast<QAbstractButton *>(m_asymmetric),
          static_cast<QAbstractButton *>(m_narrow), static_cast<QAbstractButton *>(m_nonSaturating),
          static_cast<QAbstractButton *>(m_saturating)})
        connect(button, &QAbstractButton::toggled, this, [this, button](bool on) {
            // A radio pair toggles twice; react once, to the button that got checked.
            if (on || button == m_narrow)
                readControls();
        });
    connect(m_suggest, &QPushButton::clicked, this, &QuantControls::suggestRequested);
    createActions();
}

QAction *QuantControls::makeAction(const QString &text, const QKeySequence &shortcut, const QString &tip,
                                   std::function<void()> work) {
    auto *action = new QAction(text, this);
    action->setShortcut(shortcut);
    action->setToolTip(tip + QStringLiteral(" (") + shortcut.toString(QKeySequence::NativeText) +
                       QLatin1Char(')'));
    connect(action, &QAction::triggered, this, [this, work = std::move(work)] {
        if (isEnabled())
            work();
    });
    m_actions.append(action);
    return action;
}

void QuantControls::createActions() {
    makeAction(tr("&More Bits"), QKeySequence(Qt::CTRL | Qt::Key_Up), tr("One more bit"), [this] {
        if (m_bits->isEnabled())
            m_bits->stepUp();
    });
    makeAction(tr("&Fewer Bits"), QKeySequence(Qt::CTRL | Qt::Key_Down), tr("One bit fewer"), [this] {
        if (m_bits->isEnabled())
            m_bits->stepDown();
    });
    makeAction(tr("S&ymmetric / Asymmetric"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A),
               tr("Switch between symmetric and asymmetric"), [this] {
                   if (m_symmetric->isEnabled())
                       (m_symmetric->isChecked() ? m_asymmetric : m_symmetric)->setChecked(true);
               });
    makeAction(tr("&Non-saturating / Saturating"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T),
               tr("Switch between the whole range and the clip thresholds"), [this] {
                   if (m_saturating->isEnabled())
                       (m_saturating->isChecked() ? m_nonSaturating : m_saturating)->setChecked(true);
               });
    makeAction(tr("Use &Suggested Threshold"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_G),
               tr("Clip at the threshold with the smallest estimated MSE"), [this] {
                   if (m_suggest->isEnabled())
                       m_suggest->click();
               });
}

QWidget *QuantControls::createSeparator() {
    auto *line = new QFrame(this);
    line->setFrameShape(QFrame::VLine);
    line->setFrameShadow(QFrame::Sunken);
    return line;
}

void QuantControls::setSpec(const qs::QuantSpec &spec) {
    m_spec = spec;
    const QSignalBlocker blockBits(m_bits);
    const QSignalBlocker blockSym(m_symmetric);
    const QSignalBlocker blockAsym(m_asymmetric);
    const QSignalBlocker blockNarrow(m_narrow);
    const QSignalBlocker blockNonSat(m_nonSaturating);
    const QSignalBlocker blockSat(m_saturating);
    m_bits->setValue(spec.bits);
    m_symmetric->setChecked(spec.scheme == qs::Scheme::Symmetric);
    m_asymmetric->setChecked(spec.scheme == qs::Scheme::Asymmetric);
    m_narrow->setChecked(spec.narrow);
    m_nonSaturating->setChecked(spec.rangeMode == qs::RangeMode::NonSaturating);
    m_saturating->setChecked(spec.rangeMode == qs::RangeMode::Saturating);
    updateEnabled();
}

void QuantControls::readControls() {
    m_spec.bits = m_bits->value();
    m_spec.scheme = m_asymmetric->isChecked() ? qs::Scheme::Asymmetric : qs::Scheme::Symmetric;
    // Narrow range is a symmetric convention; an asymmetric spec never carries it.
    m_spec.narrow = m_spec.scheme == qs::Scheme::Symmetric && m_narrow->isChecked();
    m_spec.rangeMode = m_saturating->isChecked() ? qs::RangeMode::Saturating : qs::RangeMode::NonSaturating;
    updateEnabled();
    Q_EMIT specEdited(m_spec);
}

void QuantControls::updateEnabled() {
    const qs::FormatTraits &traits = qs::formatTraits(m_spec.format);
    const QString format = QString::fromUtf8(traits.name.data(), qsizetype(traits.name.size()));
    const QString notInt = tr("Does not apply to %1: its elements have a fixed format").arg(format);
    for (QWidget *widget : {static_cast<QWidget *>(m_bits), static_cast<QWidget *>(m_symmetric),
                            static_cast<QWidget *>(m_asymmetric)})
        setApplies(widget, traits.takesBits, notInt);
    setApplies(m_narrow, traits.takesBits && m_symmetric->isChecked(),
               traits.takesBits ? tr("Narrow range is a symmetric convention") : notInt);
    const bool perTensorInt = traits.takesBits && m_spec.granularity.kind == qs::Granularity::Kind::Tensor;
    const QString notPerTensor =
        traits.family == qs::FormatFamily::Cast
            ? tr("Does not apply to %1: a cast has no scale and no range to clip").arg(format)
        : traits.fixedBlock > 0 ? tr("Does not apply to %1: each block scales to its own maximum").arg(format)
                                : tr("A fixed clip range applies per tensor only: with groups, drag a handle "
                                     "to set the clip ratio");
    setApplies(m_nonSaturating, perTensorInt, notPerTensor);
    setApplies(m_saturating, perTensorInt, notPerTensor);
    setApplies(m_suggest, !qs::ownsGrouping(traits),
               traits.family == qs::FormatFamily::Cast
                   ? tr("Does not apply to %1: a cast has no scale and no range to clip").arg(format)
                   : tr("Does not apply to %1: each block scales to its own maximum").arg(format));
}

// A control that does not apply is disabled and says why; its own tooltip returns with it.
void QuantControls::setApplies(QWidget *widget, bool applies, const QString &why) {
    if (!m_tips.contains(widget))
        m_tips.insert(widget, widget->toolTip());
    widget->setEnabled(applies);
    widget->setToolTip(applies ? m_tips.value(widget) : why);
}

} // namespace qs::ui
