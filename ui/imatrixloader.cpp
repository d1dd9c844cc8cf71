#include "imatrixloader.h"

#include "analysis/modelimportance.h"
#include "displayformat.h"

#include <QDir>
#include <QFileInfo>
#include <QStringList>

namespace qs::ui {

struct ImatrixLoader::Loaded {
    QString path;
    std::shared_ptr<const qs::ImportanceMatrix> matrix;
    qs::ImportanceFit fit;
    QString error;
};

namespace {

ImatrixLoader::Loaded loadAndCheck(const QString &path, const std::vector<qs::TensorInfo> &tensors) {
    ImatrixLoader::Loaded out;
    out.path = path;
    auto matrix = qs::loadImportanceMatrix(path.toStdString());
    if (!matrix) {
        out.error = QString::fromStdString(matrix.error());
        return out;
    }
    out.fit = qs::checkImportanceFit(*matrix.value(), tensors, qs::QuantPlan{});
    if (!out.fit.status) {
        out.error = QString::fromStdString(out.fit.status.error());
        return out;
    }
    out.matrix = matrix.value();
    return out;
}

} // namespace

ImatrixLoader::ImatrixLoader(QObject *parent)
    : QObject(parent) {}

void ImatrixLoader::setTensors(std::vector<qs::TensorInfo> tensors) {
    m_tensors = std::move(tensors);
}

void ImatrixLoader::load(const QString &path) {
    Q_EMIT loadStarted(path);
    m_job.run<Loaded>(
        this, [path, tensors = m_tensors] { return loadAndCheck(path, tensors); },
        [this](const Loaded &loaded) { take(loaded); });
}

void ImatrixLoader::take(const Loaded &loaded) {
    if (!loaded.matrix) {
        Q_EMIT failed(loaded.path, loaded.error); // the matrix in use, if any, stays
        return;
    }
    m_matrix = loaded.matrix;
    m_warning = QString::fromStdString(loaded.fit.warning);
    m_weightedTensors = loaded.fit.weightedTensors;
    Q_EMIT changed(m_matrix);
}

void ImatrixLoader::clear() {
    m_job.cancel();
    if (!m_matrix)
        return;
    m_matrix.reset();
    m_warning.clear();
    m_weightedTensors = 0;
    Q_EMIT changed(nullptr);
}

QString ImatrixLoader::recheck() {
    if (!m_matrix)
        return {};
    const qs::ImportanceFit fit = qs::checkImportanceFit(*m_matrix, m_tensors, qs::QuantPlan{});
    if (!fit.status) {
        const QString reason = QString::fromStdString(fit.status.error());
        clear();
        return reason;
    }
    m_warning = QString::fromStdString(fit.warning);
    m_weightedTensors = fit.weightedTensors;
    return {};
}

QString ImatrixLoader::summaryText(const qs::ImportanceMatrix &matrix) {
    QStringList parts{QFileInfo(QString::fromStdString(matrix.path())).fileName()};
    parts << countOf(qint64(matrix.entries().size()), tr("entry"), tr("entries"));
    if (const auto chunks = matrix.chunkCount())
        parts << countOf(qint64(*chunks), tr("chunk"), tr("chunks"));
    return parts.join(QStringLiteral(" · "));
}

QString ImatrixLoader::toolTipText() const {
    if (!m_matrix)
        return {};
    const qs::ImportanceMatrix &m = *m_matrix;
    QStringList lines{
        tr("Importance matrix: %1").arg(QDir::toNativeSeparators(QString::fromStdString(m.path()))),
        tr("Form: %1").arg(QString::fromStdString(m.formName())), tr("Entries: %1").arg(m.entries().size())};
    if (const auto chunks = m.chunkCount())
        lines << tr("Chunks: %1").arg(*chunks);
    if (const std::string dataset = m.dataset(); !dataset.empty())
        lines << tr("Dataset: %1").arg(QString::fromStdString(dataset));
    lines << tr("Weighs %1 of the checkpoint's quantized tensors; q4_0, q4_1, q5_0, q5_1 and the K types "
                "quantize with it as llama-quantize --imatrix does")
                 .arg(m_weightedTensors);
    if (!m_warning.isEmpty())
        lines << m_warning;
    return lines.join(QLatin1Char('\n'));
}

} // namespace qs::ui
