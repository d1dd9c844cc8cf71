#pragma once

// Tensors, specs and widget helpers shared by the plot tests.

#include "analysis/analysisresult.h"
#include "quant/quantizer.h"
#include "stats/tensorstats.h"

#include <qcustomplot.h>

#include <QDir>
#include <QList>
#include <QTest>
#include <QWidget>

#include <memory>
#include <random>
#include <vector>

namespace qs::test {

inline std::shared_ptr<const TensorAnalysis> analysisOf(std::vector<float> values) {
    TensorInfo info;
    info.name = "model.layers.0.self_attn.q_proj.weight";
    info.dtype = DType::BF16;
    info.shape = {std::int64_t(values.size())};
    auto analysis = std::make_shared<TensorAnalysis>();
    analysis->tensor = FloatTensor::fromVector(info, std::move(values));
    analysis->stats = *computeStats(analysis->tensor->values());
    return analysis;
}

// A weight-like tensor: a normal bulk (σ = 0.02) and 40 outliers out to ±0.15, mean 0.
inline std::shared_ptr<const TensorAnalysis> makeTensor(std::size_t n = 200000, unsigned seed = 7) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> bulk(0.0f, 0.02f);
    std::vector<float> values(n);
    for (float &v : values)
        v = bulk(rng);
    for (std::size_t i = 0; i < 40; ++i)
        values[i * (n / 40)] = (i % 2 ? 1.0f : -1.0f) * (0.08f + 0.0017f * float(i));
    return analysisOf(std::move(values));
}

// 1000 values evenly over [-0.04, 0.04], 10 at -0.09 and 30 at +0.09: known tails beyond ±0.05.
inline std::shared_ptr<const TensorAnalysis> makeTailTensor() {
    std::vector<float> values;
    for (int i = 0; i < 1000; ++i)
        values.push_back(-0.04f + 0.08f * float(i) / 999.0f);
    values.insert(values.end(), 10, -0.09f);
    values.insert(values.end(), 30, 0.09f);
    return analysisOf(std::move(values));
}

inline QuantSpec makeSpec(int bits, Scheme scheme, RangeMode mode = RangeMode::NonSaturating, double lo = 0,
                          double hi = 0) {
    QuantSpec spec;
    spec.bits = bits;
    spec.scheme = scheme;
    spec.rangeMode = mode;
    spec.clipLo = lo;
    spec.clipHi = hi;
    return spec;
}

template <typename T>
inline QList<T *> visibleChildren(QCustomPlot *plot, const QString &name) {
    QList<T *> visible;
    for (T *child : plot->findChildren<T *>(name))
        if (child->visible())
            visible.append(child);
    return visible;
}

// Shows a widget at a fixed size and lays its plots out so pixel mappings are valid.
inline void showAndLayout(QWidget *widget, const QList<QCustomPlot *> &plots) {
    widget->resize(900, 420);
    widget->show();
    QVERIFY(QTest::qWaitForWindowExposed(widget));
    for (QCustomPlot *plot : plots)
        plot->replot(QCustomPlot::rpImmediateRefresh);
}

// While developing, QUANTSCOPE_PLOT_GRABS=DIR saves what each test drew, for a human to look at.
inline void saveGrab(QWidget *widget, const QString &name) {
    const QString dir = qEnvironmentVariable("QUANTSCOPE_PLOT_GRABS");
    if (!dir.isEmpty())
        widget->grab().save(QDir(dir).filePath(name + QStringLiteral(".png")));
}

} // namespace qs::test
