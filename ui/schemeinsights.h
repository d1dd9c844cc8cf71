#pragma once

#include "analysis/analysisresult.h"
#include "analysis/schemecomparison.h"
#include "methodtable.h"

#include <QFuture>
#include <QList>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class QFutureWatcherBase;
template <typename T>
class QFutureWatcher;
class QTabWidget;

namespace qs::ui {

class BitsErrorChart;
class ChannelRangePlot;
class SchemeHeatmap;

// The Scheme panel: what a choice of scheme does to the current tensor, in four tabs: the range
// of each output channel, the groups of a grouped scheme as a heatmap, SQNR against bits per
// weight for every scheme, and the calibration methods side by side. The setters take plain
// data; setTensor computes what comes from the tensor alone (channel ranges, the scheme
// comparison) off the GUI thread, only while the panel (and for the comparison, its tab) is
// shown, and the newest tensor wins.
class SchemeInsights : public QWidget {
    Q_OBJECT
public:
    enum Tab { ChannelsTab, HeatmapTab, BitsTab, MethodsTab };

    explicit SchemeInsights(QWidget *parent = nullptr);
    ~SchemeInsights() override; // cancels and waits for its jobs

    void setChannelRanges(std::vector<float> mins, std::vector<float> maxs);
    void setGroupGrid(qint64 rows, qint64 groupsPerRow, std::vector<float> scales,
                      std::vector<double> errors);
    void setComparison(std::vector<qs::ComparisonRow> rows, const qs::QuantSpec &current);
    void setCurrentSpec(const qs::QuantSpec &spec);
    void setMethodRows(std::vector<MethodRow> rows);
    // Schedules the method comparison (qs::compareMethods) of the current tensor under spec:
    // computed off the GUI thread while the Methods tab is on screen.
    void setMethodSpec(const qs::QuantSpec &spec);
    // Schedules the channel ranges and the scheme comparison of tensor; nullptr clears.
    void setTensor(std::shared_ptr<const qs::TensorAnalysis> tensor);
    void clear();
    // Stops the comparison; its tab offers to compute it again.
    void cancelComparison();
    bool isComputing() const;
    bool isComparing() const;
    QSize sizeHint() const override;

    QTabWidget *tabs() const { return m_tabs; }
    ChannelRangePlot *channelPlot() const { return m_channels; }
    SchemeHeatmap *heatmap() const { return m_heatmap; }
    BitsErrorChart *bitsChart() const { return m_bits; }
    MethodTable *methodTable() const { return m_methods; }

Q_SIGNALS:
    void groupClicked(qint64 group);
    void schemeChosen(const qs::QuantSpec &spec);
    void applyRequested(const qs::QuantSpec &spec);
    // A job's result reached its view (tests wait for these).
    void channelRangesShown();
    void comparisonShown();
    void methodsShown();

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct Job {
        quint64 generation = 0;
        QFutureWatcherBase *watcher = nullptr; // of the newest request; null when idle
        QFuture<void> future;
        QList<QFuture<void>> retired; // cancelled, maybe still running; waited for at the end
    };

    void refresh();
    void startChannels();
    void startComparison();
    void startMethods();
    void retire(Job &job);
    template <typename T>
    bool finishes(Job &job, QFutureWatcher<T> *watcher, quint64 generation);

    QTabWidget *m_tabs = nullptr;
    ChannelRangePlot *m_channels = nullptr;
    SchemeHeatmap *m_heatmap = nullptr;
    BitsErrorChart *m_bits = nullptr;
    MethodTable *m_methods = nullptr;
    std::shared_ptr<const qs::TensorAnalysis> m_tensor;
    Job m_channelJob;
    Job m_comparisonJob;
    Job m_methodJob;
    std::optional<qs::QuantSpec> m_methodSpec;
    quint64 m_generation = 0;
    bool m_methodsStale = false;
    bool m_channelsStale = false;
    bool m_comparisonStale = false;
};

} // namespace qs::ui
