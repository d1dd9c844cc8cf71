#include "schemeinsights.h"

#include "analysis/methodcomparison.h"

#include "methodcomparer.h"
#include "plots/bitserrorchart.h"
#include "plots/channelrangeplot.h"
#include "plots/schemeheatmap.h"
#include "quant/groupquant.h"

#include <QPromise>
#include <QTabWidget>
#include <QVBoxLayout>

namespace qs::ui {

namespace {

struct ChannelRanges {
    std::vector<float> mins;
    std::vector<float> maxs;
};

// Along axis 0, the output channel, as per-channel quantization groups them.
ChannelRanges channelRangesOf(const qs::TensorAnalysis &tensor) {
    const auto grid =
        qs::ParamGrid::make(tensor.info().shape, qs::Granularity{qs::Granularity::Kind::Channel});
    if (!grid)
        return {};
    ChannelRanges ranges;
    for (const auto &[lo, hi] : qs::groupRanges(tensor.tensor->values(), grid.value())) {
        ranges.mins.push_back(lo);
        ranges.maxs.push_back(hi);
    }
    return ranges;
}

} // namespace

SchemeInsights::SchemeInsights(QWidget *parent)
    : QWidget(parent)
    , m_tabs(new QTabWidget)
    , m_channels(new ChannelRangePlot)
    , m_heatmap(new SchemeHeatmap)
    , m_bits(new BitsErrorChart)
    , m_methods(new MethodTable)
    , m_comparer(new MethodComparer(this)) {
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_channels, tr("Channels"));
    m_tabs->addTab(m_heatmap, tr("Heatmap"));
    m_tabs->addTab(m_bits, tr("Bits vs error"));
    m_tabs->addTab(m_methods, tr("Methods"));
    m_tabs->setTabToolTip(ChannelsTab, tr("The range of each output channel against the tensor's"));
    m_tabs->setTabToolTip(HeatmapTab, tr("Scale or error of each group of a grouped scheme"));
    m_tabs->setTabToolTip(BitsTab, tr("SQNR against bits per weight for every scheme on this tensor"));
    m_tabs->setTabToolTip(MethodsTab, tr("The calibration methods side by side"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs);

    connect(m_tabs, &QTabWidget::currentChanged, this, &SchemeInsights::refresh);
    connect(m_heatmap, &SchemeHeatmap::groupClicked, this, &SchemeInsights::groupClicked);
    connect(m_bits, &BitsErrorChart::schemeChosen, this, &SchemeInsights::schemeChosen);
    connect(m_bits, &BitsErrorChart::cancelRequested, this, &SchemeInsights::cancelComparison);
    connect(m_bits, &BitsErrorChart::recomputeRequested, this, &SchemeInsights::startComparison);
    connect(m_methods, &MethodTable::applyRequested, this, &SchemeInsights::applyRequested);
    connect(m_comparer, &MethodComparer::rowsChanged, this, &SchemeInsights::showMethodRows);
    connect(m_comparer, &MethodComparer::computingChanged, m_methods, &MethodTable::setComputing);
    m_bits->setBusy(false);
}

void SchemeInsights::setChannelRanges(std::vector<float> mins, std::vector<float> maxs) {
    m_channels->setRanges(std::move(mins), std::move(maxs));
}

void SchemeInsights::setGroupGrid(qint64 rows, qint64 groupsPerRow, std::vector<float> scales,
                                  std::vector<double> errors) {
    m_heatmap->setGrid(rows, groupsPerRow, std::move(scales), std::move(errors));
}

void SchemeInsights::setComparison(std::vector<qs::ComparisonRow> rows, const qs::QuantSpec &current) {
    m_bits->setRows(std::move(rows));
    m_bits->setCurrentSpec(current);
}

void SchemeInsights::setCurrentSpec(const qs::QuantSpec &spec) {
    m_bits->setCurrentSpec(spec);
}

void SchemeInsights::setMethodRows(std::vector<MethodRow> rows) {
    m_methods->setRows(std::move(rows));
}

void SchemeInsights::setTensor(std::shared_ptr<const qs::TensorAnalysis> tensor) {
    if (tensor == m_tensor)
        return;
    m_channelJob.cancel();
    m_comparisonJob.cancel();
    m_tensor = std::move(tensor);
    m_channels->clear();
    m_bits->clear();
    m_bits->setBusy(false);
    // Grids come with a scheme; the new tensor has none yet.
    m_heatmap->clear();
    m_methods->clear();
    m_comparer->setTensor(m_tensor);
    m_channelsStale = m_comparisonStale = bool(m_tensor);
    refresh();
}

void SchemeInsights::clear() {
    setTensor(nullptr);
}

void SchemeInsights::showEvent(QShowEvent *event) {
    QWidget::showEvent(event);
    refresh();
}

void SchemeInsights::hideEvent(QHideEvent *event) {
    QWidget::hideEvent(event);
    m_comparer->setWanted(MethodComparer::MethodsTab, false);
}

// Work only for what is on screen: a closed panel costs nothing while tensors are browsed.
void SchemeInsights::refresh() {
    m_comparer->setWanted(MethodComparer::MethodsTab, isVisible() && m_tabs->currentIndex() == MethodsTab);
    if (!m_tensor || !isVisible())
        return;
    if (m_channelsStale)
        startChannels();
    if (m_comparisonStale && m_tabs->currentIndex() == BitsTab)
        startComparison();
}

void SchemeInsights::setMethodSpec(const qs::QuantSpec &spec) {
    m_comparer->setSpec(spec);
}

namespace {

// compareMethods' rows as the table shows them.
std::vector<MethodRow> methodRowsOf(const std::vector<qs::MethodRow> &rows) {
    std::vector<MethodRow> out;
    out.reserve(rows.size());
    for (const qs::MethodRow &row : rows)
        out.push_back({row.spec, QString::fromStdString(row.label), row.clipLo, row.clipHi, row.mse,
                       row.sqnrDb, row.clippedFraction});
    return out;
}

} // namespace

void SchemeInsights::showMethodRows() {
    const auto rows = m_comparer->rows();
    m_methods->setRows(rows ? methodRowsOf(*rows) : std::vector<MethodRow>{});
    if (rows)
        Q_EMIT methodsShown();
}

void SchemeInsights::startChannels() {
    m_channelsStale = false;
    m_channelJob.run<ChannelRanges>(
        this, [tensor = m_tensor] { return channelRangesOf(*tensor); },
        [this](ChannelRanges ranges) {
            m_channels->setRanges(std::move(ranges.mins), std::move(ranges.maxs));
            Q_EMIT channelRangesShown();
        });
}

void SchemeInsights::startComparison() {
    if (!m_tensor)
        return;
    m_comparisonStale = false;
    using Rows = std::vector<qs::ComparisonRow>;
    m_comparisonJob.run<Rows>(
        this,
        [tensor = m_tensor](QPromise<Rows> &promise) {
            qs::RunControl control;
            control.isCanceled = [&promise] { return promise.isCanceled(); };
            Rows rows = qs::compareSchemes(tensor->tensor->values(), tensor->info().shape, control);
            if (!promise.isCanceled())
                promise.addResult(std::move(rows));
        },
        [this](Rows rows) {
            m_bits->setBusy(false);
            m_bits->setRows(std::move(rows));
            Q_EMIT comparisonShown();
        });
    m_bits->setBusy(true, tr("Comparing %n schemes…", nullptr, int(qs::comparisonSchemes().size())));
}

void SchemeInsights::cancelComparison() {
    if (!m_comparisonJob.isRunning())
        return;
    m_comparisonJob.cancel();
    m_bits->setCancelled();
}

// Tall enough for a plot with readable ticks when the dock opens.
QSize SchemeInsights::sizeHint() const {
    return QSize(800, 300);
}

bool SchemeInsights::isComparing() const {
    return m_comparisonJob.isRunning();
}

bool SchemeInsights::isComputing() const {
    return m_channelJob.isRunning() || m_comparisonJob.isRunning() || m_comparer->isComputing();
}

} // namespace qs::ui
