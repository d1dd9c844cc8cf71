#include "statspanel.h"

#include "displayformat.h"
#include "figuretable.h"
#include "labelelider.h"
#include "plots/plotstyle.h"

#include "quant/scaledtype.h"

#include <QLabel>
#include <QVBoxLayout>

namespace qs::ui {

namespace {

using Figure = StatsPanel::Figure;

struct FigureText {
    const char *name;
    const char *meaning; // what it is and how it is computed exactly
};

constexpr std::array<FigureText, StatsPanel::kFigureCount> kFigureTexts = {{
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Scheme from"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Which layer of the plan decides this tensor's scheme: the default, the first "
                       "matching rule,\nthe ignore list (kept in its stored type) or its own override. "
                       "The toolbar edits the default,\nunless the tensor has an override.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Scale"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Step s between quantization levels, stored as float32, or rounded to the type "
                       "Scales names\n(\"· bf16\" after the value) before quantizing with it.\n"
                       "Symmetric: max(|lo|, |hi|) / ((qmax - qmin) / 2); narrow: "
                       "max(|lo|, |hi|) / qmax;\nasymmetric: (hi - lo) / (qmax - qmin).")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Zero point"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Integer z that represents 0.0 exactly.\n"
                       "Symmetric: 0; asymmetric: clamp(qmin - round(lo / s), qmin, qmax).")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Integer range"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "[qmin, qmax]: symmetric [-2^(b-1), 2^(b-1)-1], narrow "
                                             "[-(2^(b-1)-1), 2^(b-1)-1],\nasymmetric [0, 2^b-1].")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Clip range"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "[clip_min, clip_max]: the float range actually quantized.\n"
                       "Symmetric: ±max(|lo|, |hi|); asymmetric: [lo, hi] widened to include 0.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "MSE"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Mean squared error: mean of (x - Q(x))² over the finite values,\n"
                       "Q(x) = (clamp(round(x / s) + z, qmin, qmax) - z) · s.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "SQNR"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Signal-to-quantization-noise ratio: 10 · log10(Σx² / Σ(x - Q(x))²).\n"
                       "Higher is better; ∞ when the error is zero.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Max |error|"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Largest |x - Q(x)|: at most s / 2 inside the clip range,\n"
                                             "larger for clipped values.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Clipped"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Share of the values outside [clip_min, clip_max],\n"
                                             "which saturate to qmin or qmax.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Over / underflow"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Casts (f16, bf16) only: the values a real cast makes ±inf (overflow), and the "
                       "non-zero values\nit makes subnormal or zero (underflow).")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Values"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Number of finite values in the tensor (NaN and ±Inf excluded).")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "NaN / Inf"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Counts of NaN and ±Inf values; they are excluded from every "
                                             "other figure.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Min"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Smallest finite value.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Max"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Largest finite value.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Mean"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Mean of the finite values.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Std"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Population standard deviation of the finite values.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Format"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Format of the open checkpoint, recognised by the file's content.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Stored type"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Type of the stored values: safetensors' dtype names (F32, BF16, I8, …) for every "
                       "format,\nggml's names for GGUF block types (Q4_K, …). Every figure here is "
                       "computed on the values decoded to float32.")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Bits / weight"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Stored bits per value: stored bytes × 8 / values.\n"
                                             "Block types include their scales and minimums (Q4_K: 4.5).")},
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Distinct values"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Number of different finite values (-0 and +0 count once), counted exactly up "
                       "to 256:\nthe count stops at more than 256, as it only serves to flag quantized "
                       "tensors.\nA float tensor with at most 256 of them (what 8 bits can code) and "
                       "at least 16 values for each\n(values ≥ 16 × distinct) was most likely quantized "
                       "already.")},
}};

const QString kEstimateMark = QStringLiteral("≈ ");

// Why the badge shows: the stored type says so, or the values sit on few levels.
QString quantizedReason(const qs::TensorAnalysis &tensor) {
    const qs::TensorInfo &info = tensor.info();
    if (!info.storageType.empty())
        return StatsPanel::tr(
                   "Stored as %1 blocks (%2 bits per weight): quantized when the file was written.\n"
                   "Shown here decoded to float32.")
            .arg(toQString(info.storageType))
            .arg(info.bitsPerWeight(), 0, 'g', 4);
    if (!qs::isFloatingPoint(info.dtype))
        return StatsPanel::tr("Stored as %1 integers: already quantized data, shown as its integer values.")
            .arg(toQString(qs::dtypeName(info.dtype)));
    // The rule is core's (qs::TensorStats::alreadyQuantized): few levels, each used often, so a
    // small tensor that merely has few values is not flagged.
    return StatsPanel::tr(
               "Only %1 distinct values for %2 values: at most %3 (what 8 bits can code), and at least %4 "
               "values for each\n(%2 ≥ %4 × %1). The tensor was most likely quantized or fake-quantized "
               "already.\nQuantizing it again adds error unless the new levels include the old ones.")
        .arg(formatCount(tensor.stats.distinctValues.value_or(0)), formatCount(tensor.stats.count))
        .arg(qs::kQuantizedMaxDistinct)
        .arg(qs::kQuantizedMinValuesPerDistinct);
}

} // namespace

StatsPanel::StatsPanel(QWidget *parent)
    : QWidget(parent) {
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 8, 10, 8);
    layout->setSpacing(4);

    createTitle();
    m_subtitle = new QLabel(this);
    m_subtitle->setWordWrap(true);
    // A word too long to wrap (a path in an error) is cut rather than widening the panel.
    m_subtitle->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    layout->addWidget(m_title);
    layout->addWidget(m_subtitle);
    createBadge();
    layout->addWidget(m_badge, 0, Qt::AlignLeft);

    addSection(layout, tr("Plan"), {Figure::PlanSource});
    addSection(layout, tr("Mapping"),
               {Figure::Scale, Figure::ZeroPoint, Figure::IntegerRange, Figure::ClipRange});
    addSection(layout, tr("Error"),
               {Figure::Mse, Figure::Sqnr, Figure::MaxError, Figure::Clipped, Figure::CastOverflow});
    addSection(layout, tr("Values"),
               {Figure::Count, Figure::NanInf, Figure::Min, Figure::Max, Figure::Mean, Figure::Std});
    addSection(layout, tr("Storage"),
               {Figure::Format, Figure::StoredType, Figure::BitsPerWeight, Figure::DistinctValues});

    auto *legend = new QLabel(tr("<i>≈ italic</i>: estimated from the histogram while dragging; "
                                 "the exact pass replaces it."),
                              this);
    legend->setWordWrap(true);
    legend->setForegroundRole(QPalette::PlaceholderText);
    layout->addSpacing(6);
    layout->addWidget(legend);
    layout->addStretch(1);
    clear();
}

// A dotted name has no place to wrap: it is elided in the middle, keeping its distinctive ends.
void StatsPanel::createTitle() {
    m_title = new QLabel(this);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    LabelElider::install(m_title, ElideStyle::Middle);
}

void StatsPanel::createBadge() {
    m_badge = new QLabel(tr("◆ Already quantized"), this);
    m_badge->setObjectName(QStringLiteral("alreadyQuantizedBadge"));
    // Palette roles, not fixed colours, keep it readable on light and dark themes.
    m_badge->setStyleSheet(QStringLiteral("QLabel { border: 1px solid palette(highlight); border-radius: 4px;"
                                          " padding: 1px 6px; background: palette(alternate-base); }"));
    m_badge->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_badge->hide();
}

void StatsPanel::addSection(QVBoxLayout *layout, const QString &title,
                            std::initializer_list<Figure> figures) {
    auto *heading = new QLabel(title, this);
    QFont font = heading->font();
    font.setBold(true);
    heading->setFont(font);
    layout->addSpacing(8);
    layout->addWidget(heading);

    auto *table = new FigureTable(this);
    for (Figure figure : figures) {
        Row &row = m_rows[std::size_t(figure)];
        row.name = new QLabel(tr(kFigureTexts[std::size_t(figure)].name));
        row.value = new QLabel;
        row.value->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        row.value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        row.value->setObjectName(QStringLiteral("figure%1").arg(int(figure)));
        LabelElider::install(row.name, ElideStyle::Right);
        LabelElider::install(row.value, ElideStyle::Right);
        table->addRow(row.name, row.value);
    }
    layout->addWidget(table);
    m_sections.push_back({title, figures});
}

void StatsPanel::setFigure(Figure figure, const QString &text, bool estimate, const QString &note) {
    Row &row = m_rows[std::size_t(figure)];
    row.estimate = estimate;
    row.value->setText(estimate ? kEstimateMark + text : text);
    QFont font = row.value->font();
    font.setItalic(estimate);
    row.value->setFont(font);

    QString tip = note.isEmpty() ? tr(kFigureTexts[std::size_t(figure)].meaning) : note;
    if (estimate && !note.isEmpty())
        tip +=
            QStringLiteral("\n\n") + tr("Estimated in O(bins) from histograms of x / s weighted by s² while "
                                        "the ratio is dragged; the exact pass replaces it.");
    else if (estimate)
        tip += QStringLiteral("\n\n") + tr("Estimated in O(bins) from the %1-bin histogram while dragging; "
                                           "the exact pass over all values replaces it.")
                                            .arg(qs::kFineBins);
    else if (figure >= Figure::Mse && figure <= Figure::Clipped)
        tip +=
            QStringLiteral("\n\n") + tr("Exact: computed over all %1 values.").arg(formatCount(m_valueCount));
    LabelElider::of(row.value)->setDescription(tip);
    LabelElider::of(row.name)->setDescription(tip);
}

void StatsPanel::clearFigures(std::initializer_list<Figure> figures) {
    for (Figure figure : figures)
        setFigure(figure, QStringLiteral("–"));
}

// The tensor's name, whole in the tooltip.
void StatsPanel::setTitle(const QString &title) {
    m_title->setText(title);
    LabelElider::of(m_title)->setDescription(title);
}

void StatsPanel::clear() {
    m_valueCount = 0;
    m_title->setText(tr("No tensor selected"));
    LabelElider::of(m_title)->setDescription(QString());
    m_subtitle->clear();
    m_badge->hide();
    for (int i = 0; i < kFigureCount; ++i)
        setFigure(Figure(i), QStringLiteral("–"));
    if (!m_format.isEmpty())
        setFigure(Figure::Format, m_format);
}

void StatsPanel::setFormat(const QString &format) {
    m_format = format;
    setFigure(Figure::Format, format.isEmpty() ? QStringLiteral("–") : format);
}

void StatsPanel::setPlanSource(const QString &text, const QString &note) {
    setFigure(Figure::PlanSource, text.isEmpty() ? QStringLiteral("–") : text, false, note);
}

void StatsPanel::setNotice(const QString &tensorName, const QString &notice) {
    clear();
    setTitle(tensorName);
    m_subtitle->setText(notice);
    m_subtitle->setToolTip(notice);
}

void StatsPanel::setTensor(const qs::TensorAnalysis &tensor) {
    const qs::TensorInfo &info = tensor.info();
    const qs::TensorStats &stats = tensor.stats;
    m_valueCount = stats.count;
    setTitle(QString::fromStdString(info.name));
    m_subtitle->setText(QString::fromStdString(info.typeName()) + QStringLiteral(" · ") +
                        formatShape(info.shape));
    m_subtitle->setToolTip(QString());
    setFigure(Figure::Count, formatCount(stats.count));
    setFigure(Figure::NanInf,
              formatCount(stats.nanCount) + QStringLiteral(" / ") + formatCount(stats.infCount));
    setFigure(Figure::Min, formatNumber(stats.min));
    setFigure(Figure::Max, formatNumber(stats.max));
    setFigure(Figure::Mean, formatNumber(stats.mean));
    setFigure(Figure::Std, formatNumber(stats.std));
    setStorage(tensor);
    clearFigures({Figure::Scale, Figure::ZeroPoint, Figure::IntegerRange, Figure::ClipRange, Figure::Mse,
                  Figure::Sqnr, Figure::MaxError, Figure::Clipped, Figure::CastOverflow});
}

void StatsPanel::setStorage(const qs::TensorAnalysis &tensor) {
    const qs::TensorInfo &info = tensor.info();
    const std::optional<std::int64_t> &distinct = tensor.stats.distinctValues;
    setFigure(Figure::StoredType, toQString(info.typeName()));
    setFigure(Figure::BitsPerWeight,
              info.elementCount() > 0 ? QString::number(info.bitsPerWeight(), 'g', 4) : QStringLiteral("–"));
    setFigure(Figure::DistinctValues,
              distinct ? formatCount(*distinct) : tr("> %1").arg(formatCount(qs::kDistinctValuesCap)));
    m_badge->setVisible(tensor.alreadyQuantized());
    m_badge->setToolTip(quantizedReason(tensor));
}

void StatsPanel::setScaleDtype(qs::ScaleDtype dtype) {
    m_scaleDtype = dtype;
}

// The scale with the type it is stored in, when that is not float32.
QString StatsPanel::scaleText(const QString &scale) const {
    if (m_scaleDtype == qs::ScaleDtype::F32 || scale == QStringLiteral("–"))
        return scale;
    return scale + QStringLiteral(" · ") + toQString(qs::scaleDtypeName(m_scaleDtype));
}

void StatsPanel::setParams(const qs::QuantParams &params) {
    setFigure(Figure::Scale, scaleText(formatNumber(double(params.scale))));
    setFigure(Figure::ZeroPoint, QString::number(params.zeroPoint));
    setFigure(Figure::IntegerRange,
              QString::number(params.qmin) + QStringLiteral(" … ") + QString::number(params.qmax));
    setFigure(Figure::ClipRange,
              formatNumber(params.clipMin) + QStringLiteral(" … ") + formatNumber(params.clipMax));
}

void StatsPanel::setEstimate(const qs::QuantParams &params, const qs::ErrorEstimate &estimate,
                             double maxAbsError) {
    setParams(params);
    setFigure(Figure::Mse, formatNumber(estimate.mse), true);
    setFigure(Figure::Sqnr, estimate.sqnrDb ? formatDb(*estimate.sqnrDb) : QStringLiteral("∞ dB"), true);
    setFigure(Figure::MaxError, formatNumber(maxAbsError), true);
    setFigure(Figure::Clipped, formatPercent(estimate.clippedFraction), true);
}

void StatsPanel::setExact(const qs::QuantAnalysis &analysis) {
    setParams(analysis.params);
    const qs::ErrorStats &error = analysis.error;
    setFigure(Figure::Mse, formatNumber(error.mse));
    setFigure(Figure::Sqnr, error.sqnrDb ? formatDb(*error.sqnrDb) : QStringLiteral("∞ dB"));
    setFigure(Figure::MaxError, formatNumber(error.maxAbsError));
    setFigure(Figure::Clipped, formatPercent(error.clippedFraction) + QStringLiteral(" (") +
                                   formatCount(error.clippedCount) + QLatin1Char(')'));
}

void StatsPanel::setScheme(const SchemeFigures &f) {
    setFigure(Figure::Scale, scaleText(f.scale), false,
              tr("The selected group's scale: its step (int), the factor of its codes (FP8, NF4's absmax, "
                 "MX and NVFP4's block scale) or its effective sub-block scale (llama.cpp).\nInt and FP8 "
                 "scales are rounded to the type Scales names (shown after the value unless float32)."));
    setFigure(Figure::ZeroPoint, f.zeroPoint, false,
              tr("The selected group's zero point (asymmetric int), or for llama.cpp's types with a min "
                 "(Q4_1, Q5_1, Q2_K, Q4_K, Q5_K) the value of code 0: m, or -dmin · m of the sub-block."));
    setFigure(Figure::IntegerRange, f.grid, false,
              tr("The format, its grid and the bits per weight with scales."));
    setFigure(Figure::ClipRange, f.clip, f.estimate,
              tr("The clip ratio ρ: each group's min-max range scaled by ρ; the selected group's range."));
    const QString error = tr("Over all finite values of the tensor, x̂ what the scheme dequantizes to.");
    setFigure(Figure::Mse, formatNumber(f.mse), f.estimate, tr("Mean of (x − x̂)². ") + error);
    setFigure(Figure::Sqnr, f.sqnrDb ? formatDb(*f.sqnrDb) : QStringLiteral("∞ dB"), f.estimate,
              tr("10 · log10(Σx² / Σ(x − x̂)²). ") + error);
    setFigure(Figure::MaxError, f.maxAbsError ? formatNumber(*f.maxAbsError) : QStringLiteral("–"), false,
              tr("Largest |x − x̂|. ") + error);
    if (f.cast) {
        setCastFigures(f);
        return;
    }
    setFigure(Figure::Clipped, formatPercent(f.clippedFraction), f.estimate,
              tr("Share of values beyond their group's outermost level (int, FP8)."));
    setFigure(Figure::CastOverflow, QStringLiteral("–"));
}

// A cast has no scale: its range is the type's, and what leaves it overflows.
void StatsPanel::setCastFigures(const SchemeFigures &f) {
    const QString max = QString::number(f.castMax, 'g', 9);
    const QString words =
        tr("Overflow: values a real cast makes ±inf. The error figures count them at ±%1, the largest "
           "finite value, and as clipped.\nUnderflow: non-zero values the cast makes subnormal or zero "
           "(fewer significant bits, or lost).")
            .arg(max);
    setFigure(Figure::ClipRange, tr("±%1, then ±inf").arg(max), false,
              tr("The largest finite value of the type. A value rounding beyond it overflows: a real cast "
                 "gives ±inf, the figures here count it at ±%1.")
                  .arg(max));
    setFigure(Figure::Clipped, formatPercent(f.clippedFraction), false,
              tr("Share of values that overflow. ") + words);
    setFigure(Figure::CastOverflow,
              formatCount(f.cast->overflow) + QStringLiteral(" / ") + formatCount(f.cast->underflow), false,
              words);
}

QString StatsPanel::text(Figure figure) const {
    return m_rows[std::size_t(figure)].value->text();
}

bool StatsPanel::isEstimate(Figure figure) const {
    return m_rows[std::size_t(figure)].estimate;
}

QString StatsPanel::toPlainText() const {
    QStringList lines{m_title->text()};
    if (!m_subtitle->text().isEmpty())
        lines << m_subtitle->text();
    if (!m_badge->isHidden())
        lines << m_badge->text();
    for (const Section &section : m_sections) {
        lines << QString() << section.title;
        for (Figure figure : section.figures) {
            const Row &row = m_rows[std::size_t(figure)];
            lines << row.name->text() + QLatin1Char('\t') + row.value->text();
        }
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

} // namespace qs::ui
