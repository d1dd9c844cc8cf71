#include "statspanel.h"

#include "displayformat.h"
#include "plots/plotstyle.h"

#include <QFormLayout>
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
    {QT_TRANSLATE_NOOP("qs::ui::StatsPanel", "Scale"),
     QT_TRANSLATE_NOOP("qs::ui::StatsPanel",
                       "Step s between quantization levels, stored as float32.\n"
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
                       "Number of different finite values, counted exactly up to 65,536 (-0 and +0 "
                       "count once).\nAt most 256 (what 8 bits can code) means the tensor was most "
                       "likely quantized already.")},
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
    return StatsPanel::tr(
               "Only %1 distinct values (at most %2, what 8 bits can code): the tensor was most likely "
               "quantized\nor fake-quantized already. Quantizing it again adds error unless the new "
               "levels include the old ones.")
        .arg(formatCount(tensor.stats.distinctValues.value_or(0)))
        .arg(qs::kQuantizedMaxDistinct);
}

} // namespace

StatsPanel::StatsPanel(QWidget *parent)
    : QWidget(parent) {
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 8, 10, 8);
    layout->setSpacing(4);

    m_title = new QLabel(this);
    m_title->setWordWrap(true);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_subtitle = new QLabel(this);
    m_subtitle->setWordWrap(true);
    layout->addWidget(m_title);
    layout->addWidget(m_subtitle);
    createBadge();
    layout->addWidget(m_badge, 0, Qt::AlignLeft);

    addSection(layout, tr("Mapping"),
               {Figure::Scale, Figure::ZeroPoint, Figure::IntegerRange, Figure::ClipRange});
    addSection(layout, tr("Error"), {Figure::Mse, Figure::Sqnr, Figure::MaxError, Figure::Clipped});
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

void StatsPanel::createBadge() {
    m_badge = new QLabel(tr("◆ Already quantized"), this);
    m_badge->setObjectName(QStringLiteral("alreadyQuantizedBadge"));
    // Palette roles, not fixed colours, keep it readable on light and dark themes.
    m_badge->setStyleSheet(QStringLiteral("QLabel { border: 1px solid palette(highlight); border-radius: 4px;"
                                          " padding: 1px 6px; background: palette(alternate-base); }"));
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

    auto *form = new QFormLayout;
    form->setContentsMargins(8, 0, 0, 0);
    form->setHorizontalSpacing(12);
    form->setVerticalSpacing(3);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setLabelAlignment(Qt::AlignLeft);
    for (Figure figure : figures) {
        Row &row = m_rows[std::size_t(figure)];
        row.name = new QLabel(tr(kFigureTexts[std::size_t(figure)].name), this);
        row.value = new QLabel(this);
        row.value->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        row.value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        row.value->setObjectName(QStringLiteral("figure%1").arg(int(figure)));
        form->addRow(row.name, row.value);
    }
    layout->addLayout(form);
}

void StatsPanel::setFigure(Figure figure, const QString &text, bool estimate) {
    Row &row = m_rows[std::size_t(figure)];
    row.estimate = estimate;
    row.value->setText(estimate ? kEstimateMark + text : text);
    QFont font = row.value->font();
    font.setItalic(estimate);
    row.value->setFont(font);

    QString tip = tr(kFigureTexts[std::size_t(figure)].meaning);
    if (estimate)
        tip += QStringLiteral("\n\n") + tr("Estimated in O(bins) from the %1-bin histogram while dragging; "
                                           "the exact pass over all values replaces it.")
                                            .arg(qs::kFineBins);
    else if (figure >= Figure::Mse && figure <= Figure::Clipped)
        tip +=
            QStringLiteral("\n\n") + tr("Exact: computed over all %1 values.").arg(formatCount(m_valueCount));
    row.value->setToolTip(tip);
    row.name->setToolTip(tip);
}

void StatsPanel::clearFigures(std::initializer_list<Figure> figures) {
    for (Figure figure : figures)
        setFigure(figure, QStringLiteral("–"));
}

void StatsPanel::clear() {
    m_valueCount = 0;
    m_title->setText(tr("No tensor selected"));
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

void StatsPanel::setNotice(const QString &tensorName, const QString &notice) {
    clear();
    m_title->setText(tensorName);
    m_title->setToolTip(tensorName);
    m_subtitle->setText(notice);
}

void StatsPanel::setTensor(const qs::TensorAnalysis &tensor) {
    const qs::TensorInfo &info = tensor.info();
    const qs::TensorStats &stats = tensor.stats;
    m_valueCount = stats.count;
    m_title->setText(QString::fromStdString(info.name));
    m_title->setToolTip(QString::fromStdString(info.name));
    m_subtitle->setText(QString::fromStdString(info.typeName()) + QStringLiteral(" · ") +
                        formatShape(info.shape));
    setFigure(Figure::Count, formatCount(stats.count));
    setFigure(Figure::NanInf,
              formatCount(stats.nanCount) + QStringLiteral(" / ") + formatCount(stats.infCount));
    setFigure(Figure::Min, formatNumber(stats.min));
    setFigure(Figure::Max, formatNumber(stats.max));
    setFigure(Figure::Mean, formatNumber(stats.mean));
    setFigure(Figure::Std, formatNumber(stats.std));
    setStorage(tensor);
    clearFigures({Figure::Scale, Figure::ZeroPoint, Figure::IntegerRange, Figure::ClipRange, Figure::Mse,
                  Figure::Sqnr, Figure::MaxError, Figure::Clipped});
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

void StatsPanel::setParams(const qs::QuantParams &params) {
    setFigure(Figure::Scale, formatNumber(double(params.scale)));
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

QString StatsPanel::text(Figure figure) const {
    return m_rows[std::size_t(figure)].value->text();
}

QString StatsPanel::toPlainText() const {
    return m_title->text();
}

bool StatsPanel::isEstimate(Figure figure) const {
    return m_rows[std::size_t(figure)].estimate;
}

} // namespace qs::ui
