#include "schemeinsights.h"

#include "analysis/methodcomparison.h"

#include "plots/bitserrorchart.h"
#include "plots/channelrangeplot.h"
#include "plots/schemeheatmap.h"
#include "quant/groupquant.h"

#include <QFutureWatcher>
#include <QPromise>
#include <QTabWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

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

// True if watcher's result is the newest request's and is there; the job is idle afterwards.
template <typename T>
bool SchemeInsights::finishes(Job &job, QFutureWatcher<T> *watcher, quint64 generation) {
    if (job.watcher != watcher || job.generation != generation)
        return false;
    job.watcher = nullptr;
    job.future = {};
    watcher->deleteLater(); // we are inside its signal
    return !watcher->isCanceled() && watcher->future().resultCount() > 0;
}

SchemeInsights::SchemeInsights(QWidget *parent)
    : QWidget(parent)
    , m_tabs(new QTabWidget)
    , m_channels(new ChannelRangePlot)
    , m_heatmap(new SchemeHeatmap)
    , m_bits(new BitsErrorChart)
    , m_methods(new MethodTable) {
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
    m_bits->setBusy(false);
}

SchemeInsights::~SchemeInsights() {
    for (Job *job : {&m_channelJob, &m_comparisonJob, &m_methodJob}) {
        retire(*job);
        for (QFuture<void> &future : job->retired)
            future.waitForFinished();
    }
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
    retire(m_channelJob);
    retire(m_comparisonJob);
    retire(m_methodJob);
    m_tensor = std::move(tensor);
    m_channels->clear();
    m_bits->clear();
    m_bits->setBusy(false);
    // Grids and methods come with a scheme; the new tensor has none of them yet.
    m_heatmap->clear();
    m_methods->clear();
    m_channelsStale = m_comparisonStale = bool(m_tensor);
    m_methodsStale = bool(m_tensor) && m_methodSpec.has_value();
    refresh();
}

void SchemeInsights::clear() {
    setTensor(nullptr);
}

void SchemeInsights::showEvent(QShowEvent *event) {
    QWidget::showEvent(event);
    refresh();
}

// Work only for what is on screen: a closed panel costs nothing while tensors are browsed.
void SchemeInsights::refresh() {
    if (!m_tensor || !isVisible())
        return;
    if (m_channelsStale)
        startChannels();
    if (m_comparisonStale && m_tabs->currentIndex() == BitsTab)
        startComparison();
    if (m_methodsStale && m_tabs->currentIndex() == MethodsTab)
        startMethods();
}

void SchemeInsights::setMethodSpec(const qs::QuantSpec &spec) {
    // The methods' rows depend on the format, bits, scheme and granularity, not on the range.
    qs::QuantSpec base = spec;
    base.method = qs::CalibMethod::MinMax;
    base.rangeMode = qs::RangeMode::NonSaturating;
    base.clipLo = base.clipHi = 0.0;
    base.clipRatio = 1.0;
    if (m_methodSpec == base)
        return;
    retire(m_methodJob);
    m_methodSpec = base;
    m_methods->clear();
    m_methodsStale = bool(m_tensor);
    refresh();
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

void SchemeInsights::startMethods() {
    if (!m_tensor || !m_methodSpec)
        return;
    retire(m_methodJob);
    m_methodsStale = false;
    const quint64 generation = ++m_generation;
    using Rows = std::vector<qs::MethodRow>;
    auto *watcher = new QFutureWatcher<Rows>(this);
    m_methodJob.generation = generation;
    m_methodJob.watcher = watcher;
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        if (!finishes(m_methodJob, watcher, generation))
            return;
        m_methods->setRows(methodRowsOf(watcher->result()));
        Q_EMIT methodsShown();
    });
    const QFuture<Rows> future =
        QtConcurrent::run([tensor = m_tensor, spec = *m_methodSpec](QPromise<Rows> &promise) {
            qs::RunControl control;
            control.isCanceled = [&promise] { return promise.isCanceled(); };
            auto rows = qs::compareMethods(*tensor, spec, control);
            if (rows && !promise.isCanceled())
                promise.addResult(std::move(rows).value());
        });
    watcher->setFuture(future);
    m_methodJob.future = QFuture<void>(future);
}

void SchemeInsights::startChannels() {
    retire(m_channelJob);
    m_channelsStale = false;
    const quint64 generation = ++m_generation;
    auto *watcher = new QFutureWatcher<ChannelRanges>(this);
    m_channelJob.generation = generation;
    m_channelJob.watcher = watcher;
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        if (!finishes(m_channelJob, watcher, generation))
            return;
        ChannelRanges ranges = watcher->result();
        m_channels->setRanges(std::move(ranges.mins), std::move(ranges.maxs));
        Q_EMIT channelRangesShown();
    });
    const QFuture<ChannelRanges> future =
        QtConcurrent::run([tensor = m_tensor] { return channelRangesOf(*tensor); });
    watcher->setFuture(future);
    m_channelJob.future = QFuture<void>(future);
}

void SchemeInsights::startComparison() {
    if (!m_tensor)
        return;
    retire(m_comparisonJob);
    m_comparisonStale = false;
    const quint64 generation = ++m_generation;
    auto *watcher = new QFutureWatcher<std::vector<qs::ComparisonRow>>(this);
    m_comparisonJob.generation = generation;
    m_comparisonJob.watcher = watcher;
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        if (!finishes(m_comparisonJob, watcher, generation))
            return;
        m_bits->setBusy(false);
        m_bits->setRows(watcher->result());
        Q_EMIT comparisonShown();
    });
    using Rows = std::vector<qs::ComparisonRow>;
    const QFuture<Rows> future = QtConcurrent::run([tensor = m_tensor](QPromise<Rows> &promise) {
        qs::RunControl control;
        control.isCanceled = [&promise] { return promise.isCanceled(); };
        Rows rows = qs::compareSchemes(tensor->tensor->values(), tensor->info().shape, control);
        if (!promise.isCanceled())
            promise.addResult(std::move(rows));
    });
    watcher->setFuture(future);
    m_comparisonJob.future = QFuture<void>(future);
    m_bits->setBusy(true, tr("Comparing %n schemes…", nullptr, int(qs::comparisonSchemes().size())));
}

void SchemeInsights::cancelComparison() {
    if (!m_comparisonJob.watcher)
        return;
    retire(m_comparisonJob);
    m_bits->setCancelled();
}

// Tall enough for a plot with readable ticks when the dock opens.
QSize SchemeInsights::sizeHint() const {
    return QSize(800, 300);
}

bool SchemeInsights::isComparing() const {
    return m_comparisonJob.watcher != nullptr;
}

bool SchemeInsights::isComputing() const {
    return m_channelJob.watcher || m_comparisonJob.watcher || m_methodJob.watcher;
}

void SchemeInsights::retire(Job &job) {
    job.retired.removeIf([](const QFuture<void> &future) { return future.isFinished(); });
    if (!job.watcher)
        return;
    job.future.cancel();
    job.retired.append(job.future);
    job.future = {};
    delete job.watcher; // disconnects: a stale result is never shown
    job.watcher = nullptr;
}

} // namespace qs::ui
